import type { Readable } from 'node:stream';
import { readErrorBody } from './read-body.js';
import { MlflowError, errorCodeForHttpStatus, isMlflowError, type ErrorCode } from '@mlstore/core';
import { MlflowHttpError, bodyExcerpt, errorFromResponse } from '@mlstore/store-rest';

/** Prefix of every message this package writes. */
export const PREFIX = '@mlstore/artifact-http:';

// Where the proxy's bare statuses mean more than core's generic reading: a 400 is a refused path,
// a 404 a missing artifact, and any other 4xx a bad request.
const ARTIFACT_STATUS_CODES: Record<number, ErrorCode> = {
  400: 'INVALID_PARAMETER_VALUE',
  404: 'RESOURCE_DOES_NOT_EXIST',
  429: 'REQUEST_LIMIT_EXCEEDED',
};

/** The code for a status when the body names none (the proxy's own errors always do). */
function codeForStatus(status: number): ErrorCode {
  const known = ARTIFACT_STATUS_CODES[status] ?? errorCodeForHttpStatus(status);
  return known === 'INTERNAL_ERROR' && status < 500 ? 'BAD_REQUEST' : known;
}

/**
 * Maps a non-2xx reply of the artifact proxy: a JSON `{error_code, message}` body keeps its code
 * (404 `RESOURCE_DOES_NOT_EXIST`, 400 `INVALID_PARAMETER_VALUE` "Invalid path", 501
 * `NOT_IMPLEMENTED`…); any other body (a FastAPI `{"detail"}`, HTML from a proxy, plain text of a
 * server started with `--no-serve-artifacts`) gets the code of the status: 400 →
 * INVALID_PARAMETER_VALUE, 401 → UNAUTHENTICATED, 403 → PERMISSION_DENIED, 404 →
 * RESOURCE_DOES_NOT_EXIST, 503 → TEMPORARILY_UNAVAILABLE, other 5xx → INTERNAL_ERROR.
 * `httpStatus` is the status received.
 */
export function errorFromArtifactResponse(status: number, text: string, what: string): MlflowError {
  let json: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) json = parsed as Record<string, unknown>;
  } catch {
    json = undefined;
  }
  if (json && typeof json.error_code === 'string' && json.error_code !== '') {
    const inner = errorFromResponse(status, text, what);
    return new MlflowHttpError(`${PREFIX} ${what} failed: ${inner.message}`, inner.errorCode, status);
  }
  const detail = json && typeof json.detail === 'string' ? json.detail : bodyExcerpt(text);
  return new MlflowHttpError(`${PREFIX} ${what} failed with HTTP ${status}${detail ? `: ${detail}` : ''}`, codeForStatus(status), status);
}

/** Reads the body of a failed response and maps it with {@link errorFromArtifactResponse}. */
export async function responseError(res: { status: number; body: Readable }, what: string): Promise<MlflowError> {
  return errorFromArtifactResponse(res.status, await readErrorBody(res.body), what);
}

/**
 * Keeps MlflowErrors (including aborts) as they are and wraps anything else (a failing local
 * file or body stream) as INTERNAL_ERROR with the original as `cause`.
 */
export function wrapError(err: unknown, what: string): MlflowError {
  if (isMlflowError(err)) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return MlflowError.notFound(`${PREFIX} ${what}: no such local file`, { cause: err });
  if ((err as Error | undefined)?.name === 'AbortError') return new MlflowError(`${PREFIX} ${what}: aborted`, 'CANCELLED', { cause: err });
  return new MlflowError(`${PREFIX} ${what} failed: ${(err as Error | undefined)?.message ?? String(err)}`, 'INTERNAL_ERROR', { cause: err });
}
