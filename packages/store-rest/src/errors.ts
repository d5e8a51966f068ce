import { MlflowError, classifyReceivedError, errorCodeForHttpStatus, ERROR_CODE_TO_HTTP_STATUS, type ErrorCode, type MlflowErrorOptions } from '@mlstore/core';

/** Prefix of every message this package writes. */
export const PACKAGE_PREFIX = '@mlstore/store-rest:';

/** Longest response-body excerpt quoted in an error message. */
const EXCERPT_CHARS = 500;

/**
 * Thrown when the caller's `AbortSignal` fires, before or during a request or a backoff sleep.
 * Its `name` is `'AbortError'` (like `fetch`'s) and, being an {@link MlflowError}, it carries the
 * code `CANCELLED`; the signal's reason is the `cause`. Never retried.
 */
export class MlflowAbortError extends MlflowError {
  constructor(message = `${PACKAGE_PREFIX} the request was aborted`, reason?: unknown) {
    super(message, 'CANCELLED', { cause: reason, retryable: false });
    this.name = 'AbortError';
  }
}

/**
 * An {@link MlflowError} built from an HTTP response: `httpStatus` is the status the server
 * actually answered (which may differ from the code's table status, e.g. 502 → INTERNAL_ERROR).
 */
export class MlflowHttpError extends MlflowError {
  override readonly httpStatus: number;

  constructor(message: string, errorCode: ErrorCode, httpStatus: number, options: MlflowErrorOptions = {}) {
    super(message, errorCode, options);
    this.httpStatus = httpStatus;
  }
}

/** The first characters of a body for messages (whitespace collapsed). */
export function bodyExcerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS)}...` : flat;
}

function knownCode(code: string): code is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ERROR_CODE_TO_HTTP_STATUS, code);
}

/**
 * The error for a non-2xx response, as MLflow's `verify_rest_response`/`RestException` build it:
 * a JSON object body gives `"<error_code>: <message>"` with that code (a numeric code is read as
 * an HTTP status; an unknown one becomes INTERNAL_ERROR); any other body gives the code of the
 * status (`errorCodeForHttpStatus`) and a message with the status and a body excerpt. `sqlstate`
 * and `errorClass` are the body's when it has them, else MLflow's server-side (CP) values for the
 * code, as MLflow's client classifies them.
 *
 * @param what names the request in messages, e.g. `GET /api/2.0/mlflow/runs/get` (no credentials).
 */
export function errorFromResponse(status: number, bodyText: string, what: string): MlflowHttpError {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bodyText);
  } catch {
    parsed = undefined;
  }
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
    const json = parsed as Record<string, unknown>;
    const rawCode = typeof json.error_code === 'string' && json.error_code !== '' ? json.error_code : 'INTERNAL_ERROR';
    const detail = 'message' in json ? String(json.message) : `Response: ${bodyExcerpt(bodyText)}`;
    let code: ErrorCode = 'INTERNAL_ERROR';
    if (knownCode(rawCode)) code = rawCode;
    else if (/^\d{3}$/.test(rawCode)) code = errorCodeForHttpStatus(Number(rawCode));
    return new MlflowHttpError(`${rawCode}: ${detail}`, code, status, nullable(classifyReceivedError(code, json)));
  }
  const code = errorCodeForHttpStatus(status);
  return new MlflowHttpError(
    `${PACKAGE_PREFIX} API request ${what} failed with error code ${status}. Response body: '${bodyExcerpt(bodyText)}'`,
    code,
    status,
    nullable(classifyReceivedError(code)),
  );
}

// A missing value is "none", not "derive it from the code".
const nullable = (c: { sqlstate: string | undefined; errorClass: string | undefined }): MlflowErrorOptions => ({ sqlstate: c.sqlstate ?? null, errorClass: c.errorClass ?? null });

/** Node/undici error codes meaning the connection was never established (safe to resend). */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/** Codes of failures after the request may have reached the server. */
const READ_ERROR_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ECONNABORTED', 'ETIMEDOUT']);

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** How a transport failure is retried (urllib3's connect / read / other classes). */
export type FailureKind = 'connect' | 'read' | 'tls' | 'other';

function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Walks `cause` chains (undici wraps socket errors) to find a Node/undici error code. */
function deepCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let i = 0; i < 5 && current; i++) {
    const code = errorCode(current);
    if (code) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Classifies a transport failure: `connect` (the server never saw the request), `read` (it may
 * have), `tls` (certificate or handshake failures, which a retry cannot fix), or `other`.
 */
export function classifyFailure(err: unknown): FailureKind {
  const code = deepCode(err) ?? '';
  if (CONNECT_ERROR_CODES.has(code)) return 'connect';
  if (READ_ERROR_CODES.has(code)) return 'read';
  if (/CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME/i.test(code)) return 'tls';
  return 'other';
}

/**
 * The {@link MlflowError} for a transport failure once retries are exhausted: timeouts →
 * DEADLINE_EXCEEDED (pointing at MLFLOW_HTTP_REQUEST_TIMEOUT, like MLflow's message); TLS
 * failures → INTERNAL_ERROR naming the TLS settings; others → TEMPORARILY_UNAVAILABLE
 * (retryable). The original error is the `cause`; `what` must not contain credentials.
 */
export function errorFromFailure(err: unknown, what: string, timeoutMs: number): MlflowError {
  const code = deepCode(err) ?? '';
  const detail = err instanceof Error ? err.message : String(err);
  if (TIMEOUT_CODES.has(code)) {
    return new MlflowError(
      `${PACKAGE_PREFIX} API request ${what} failed with timeout exception (${code}: ${detail}; per-attempt timeout ${timeoutMs} ms). ` +
        'To increase the timeout, set the environment variable MLFLOW_HTTP_REQUEST_TIMEOUT to a larger value.',
      'DEADLINE_EXCEEDED',
      { cause: err },
    );
  }
  if (classifyFailure(err) === 'tls') {
    return new MlflowError(
      `${PACKAGE_PREFIX} API request ${what} failed in the TLS handshake (${code}: ${detail}). ` +
        'Check MLFLOW_TRACKING_SERVER_CERT_PATH, MLFLOW_TRACKING_CLIENT_CERT_PATH or MLFLOW_TRACKING_INSECURE_TLS.',
      'INTERNAL_ERROR',
      { cause: err },
    );
  }
  return new MlflowError(`${PACKAGE_PREFIX} API request ${what} failed with exception ${code ? `${code}: ` : ''}${detail}`, 'TEMPORARILY_UNAVAILABLE', {
    cause: err,
  });
}
