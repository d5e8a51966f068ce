import { MlflowError, errorCodeForHttpStatus, isMlflowError, redactUrisIn, type ErrorCode } from '@mlstore/core';

/** Prefix of every message this package writes. */
export const PREFIX = '@mlstore/artifact-gcs:';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT']);

// Where GCS statuses mean more than core's generic reading of a bare status.
const GCS_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_PARAMETER_VALUE',
  404: 'RESOURCE_DOES_NOT_EXIST',
  408: 'DEADLINE_EXCEEDED',
  412: 'RESOURCE_CONFLICT',
  429: 'REQUEST_LIMIT_EXCEEDED',
};

// GCS query parameters that grant access on their own (core's redactUri does not know them):
// V4 signatures and credentials of signed URLs, and resumable session ids (the session URI alone
// lets anyone upload into it).
const GCS_SECRET_PARAMS = /([?&](?:x-goog-signature|x-goog-credential|upload_id|uploadid)=)[^&\s"'<>]*/gi;

/** `text` with URI credentials and GCS signed-URL / session tokens replaced by `***`. */
export function redactGcs(text: string): string {
  return redactUrisIn(text).replace(GCS_SECRET_PARAMS, '$1***');
}

const CREDENTIAL_HINT =
  ' (no credentials were used: set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file or configure Application Default Credentials)';

/** The HTTP status carried by an SDK error (ApiError `code`, gaxios `status`/`response.status`). */
export function statusOf(err: unknown): number | undefined {
  const e = err as { code?: unknown; status?: unknown; response?: { status?: unknown } } | undefined;
  for (const v of [e?.code, e?.status, e?.response?.status]) if (typeof v === 'number' && v >= 100 && v < 600) return v;
  // The resumable uploader gives up with a plain Error: "Retry limit exceeded - status: 503 - …".
  const m = /^Retry limit exceeded - status: (\d{3})\b/.exec((err as Error | undefined)?.message ?? '');
  return m ? Number(m[1]) : undefined;
}

function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  // The resumable uploader gives up with a plain Error whose message ends "… - code: ECONNRESET".
  const m = /\bcode: ([A-Z_]+)\b/.exec((err as Error | undefined)?.message ?? '');
  return m && NETWORK_CODES.has(m[1] as string) ? m[1] : undefined;
}

/** The code for a GCS status: 404 → RESOURCE_DOES_NOT_EXIST, 401/403, 408/429/5xx retryable. */
export function codeForGcsStatus(status: number): ErrorCode {
  const known = GCS_STATUS_CODES[status] ?? errorCodeForHttpStatus(status);
  if (known === 'INTERNAL_ERROR' && status < 500) return 'BAD_REQUEST';
  return known;
}

function isAbort(err: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return true;
  const name = (err as { name?: unknown } | undefined)?.name;
  return name === 'AbortError' || (err as { type?: unknown } | undefined)?.type === 'aborted';
}

/**
 * Maps a failure of the GCS SDK (or a local stream) to an MlflowError, keeping the original as
 * `cause`: aborted → CANCELLED; 404 → RESOURCE_DOES_NOT_EXIST; 401 → UNAUTHENTICATED and 403 →
 * PERMISSION_DENIED (with a hint naming GOOGLE_APPLICATION_CREDENTIALS when the client is
 * anonymous); 408/429/5xx and connection failures → retryable (`TEMPORARILY_UNAVAILABLE` for
 * network errors); other statuses by core's table; anything else INTERNAL_ERROR. MlflowErrors pass
 * through. URLs in messages are redacted (signed-URL signatures, userinfo).
 */
export function mapGcsError(err: unknown, what: string, ctx: { signal?: AbortSignal; anonymous?: boolean } = {}): MlflowError {
  if (isMlflowError(err)) return err;
  const detail = redactGcs((err as Error | undefined)?.message ?? String(err)).slice(0, 500);
  if (isAbort(err, ctx.signal)) return new MlflowError(`${PREFIX} ${what}: aborted`, 'CANCELLED', { cause: err });
  const status = statusOf(err);
  if (status !== undefined) {
    const code = codeForGcsStatus(status);
    const hint = ctx.anonymous && (status === 401 || status === 403) ? CREDENTIAL_HINT : '';
    const retryable = status === 408 || status === 429 || status >= 500;
    // A server-side failure's text describes the storage service's internals: it stays in `cause`.
    const shown = status >= 500 ? 'the storage service failed (retryable)' : detail;
    return new MlflowError(`${PREFIX} ${what} failed with HTTP ${status}: ${shown}${hint}`, code, { cause: err, retryable });
  }
  const net = networkCode(err);
  if (net) return new MlflowError(`${PREFIX} ${what} failed (${net}): ${detail}`, 'TEMPORARILY_UNAVAILABLE', { cause: err, retryable: true });
  if (/Could not load the default credentials|Could not refresh access token|invalid_grant/i.test(detail)) {
    return new MlflowError(
      `${PREFIX} ${what} failed: no usable Google credentials (${detail}). Set GOOGLE_APPLICATION_CREDENTIALS to a service-account key file.`,
      'UNAUTHENTICATED',
      { cause: err },
    );
  }
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return MlflowError.notFound(`${PREFIX} ${what}: no such local file`, { cause: err });
  return new MlflowError(`${PREFIX} ${what} failed: ${detail}`, 'INTERNAL_ERROR', { cause: err });
}
