import { MlflowAbortError } from './errors.js';

/** MLflow's `_TRANSIENT_FAILURE_RESPONSE_CODES`: statuses retried for idempotent requests. */
export const TRANSIENT_FAILURE_STATUSES: ReadonlySet<number> = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Statuses retried for writes that must not be applied twice (MLflow's
 * `_UNPROCESSED_REQUEST_RESPONSE_CODES`): they prove the server did not process the request.
 */
export const UNPROCESSED_REQUEST_STATUSES: ReadonlySet<number> = new Set([408, 429]);

/** urllib3's `Retry.RETRY_AFTER_STATUS_CODES`: retried when they carry `Retry-After`. */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([413, 429, 503]);

/** urllib3's `DEFAULT_BACKOFF_MAX` (seconds) and `DEFAULT_RETRY_AFTER_MAX` (6 hours). */
const BACKOFF_MAX_SECONDS = 120;
const RETRY_AFTER_MAX_SECONDS = 21_600;

/** How one request is retried (urllib3 `Retry` as MLflow configures it). */
export interface RetryPolicy {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** Seconds; see {@link backoffDelayMs}. */
  backoffFactor: number;
  /** Seconds of random jitter added to non-zero backoffs. */
  backoffJitter: number;
  respectRetryAfter: boolean;
  /** Statuses retried. */
  retryStatuses: ReadonlySet<number>;
  /** Whether failures after the request may have reached the server (resets, read timeouts) are retried. */
  retryReadErrors: boolean;
  /** Whether 413/429/503 with a `Retry-After` header are retried even when not in `retryStatuses`. */
  retryOnRetryAfter: boolean;
}

/**
 * The retry policy of one call, as MLflow's `call_endpoint` picks it: every method retries the
 * transient statuses and read errors, except a POST that is not declared safe to resend, which
 * retries only 408/429 and connection failures (`_non_idempotent_write_retry_kwargs`).
 */
export function retryPolicyFor(
  base: Pick<RetryPolicy, 'maxRetries' | 'backoffFactor' | 'backoffJitter' | 'respectRetryAfter'>,
  idempotent: boolean,
): RetryPolicy {
  return idempotent
    ? { ...base, retryStatuses: TRANSIENT_FAILURE_STATUSES, retryReadErrors: true, retryOnRetryAfter: true }
    : { ...base, retryStatuses: UNPROCESSED_REQUEST_STATUSES, retryReadErrors: false, retryOnRetryAfter: false };
}

/** Whether a response status is retried under `policy` (urllib3 `Retry.is_retry`). */
export function isRetryableStatus(policy: RetryPolicy, status: number, hasRetryAfter: boolean): boolean {
  if (policy.retryStatuses.has(status)) return true;
  return policy.maxRetries > 0 && policy.retryOnRetryAfter && policy.respectRetryAfter && hasRetryAfter && RETRY_AFTER_STATUSES.has(status);
}

/**
 * urllib3's backoff before the next attempt, given the number of consecutive failures so far
 * (1 after the first attempt failed): 0 for the first retry, then
 * `factor × 2^(failures − 1) + random × jitter` seconds, capped at 120 s. With MLflow's defaults
 * (factor 2, jitter 1) the waits are 0, 4–5, 8–9, 16–17, 32–33, 64–65, 120 s.
 */
export function backoffDelayMs(policy: Pick<RetryPolicy, 'backoffFactor' | 'backoffJitter'>, failures: number, random: () => number = Math.random): number {
  if (failures <= 1) return 0;
  let seconds = policy.backoffFactor * 2 ** (failures - 1);
  if (policy.backoffJitter !== 0) seconds += random() * policy.backoffJitter;
  return Math.max(0, Math.min(BACKOFF_MAX_SECONDS, seconds)) * 1000;
}

/**
 * Parses a `Retry-After` value (delta seconds or an HTTP date) into milliseconds, clamped to
 * [0, 6 h] as urllib3 does; `undefined` for a missing or unparseable value.
 */
export function parseRetryAfterMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  let seconds: number;
  if (/^\s*[0-9]+\s*$/.test(value)) seconds = Number(value.trim());
  else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    seconds = (date - now) / 1000;
  }
  return Math.min(Math.max(seconds, 0), RETRY_AFTER_MAX_SECONDS) * 1000;
}

/**
 * The wait before retrying a response: a non-zero `Retry-After` when respected, else the
 * backoff (urllib3 `Retry.sleep`).
 */
export function retryDelayMs(policy: RetryPolicy, failures: number, retryAfter: string | undefined): number {
  if (policy.respectRetryAfter) {
    const fromHeader = parseRetryAfterMs(retryAfter);
    if (fromHeader) return fromHeader;
  }
  return backoffDelayMs(policy, failures);
}

/** The error for an aborted signal, keeping its reason. */
export function abortErrorFor(signal: AbortSignal | undefined): MlflowAbortError {
  return new MlflowAbortError(undefined, signal?.reason);
}

/**
 * Sleeps `ms`, waking at once with an {@link MlflowAbortError} when `signal` aborts.
 *
 * @throws MlflowAbortError when the signal is or becomes aborted.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortErrorFor(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortErrorFor(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
