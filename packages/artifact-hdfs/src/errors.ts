import { MlflowError, errorCodeForHttpStatus, isMlflowError, redactUrisIn, type ErrorCode } from '@mlstore/core';

/** Prefix of every message this package writes. */
export const PREFIX = '@mlstore/artifact-hdfs:';

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** WebHDFS's error body: `{"RemoteException":{"exception","javaClassName","message"}}`. */
export interface RemoteException {
  exception?: string;
  javaClassName?: string;
  message?: string;
}

// Java exception (simple name) → MLflow code. Hadoop wraps many in IOException/RemoteException,
// so the simple name is what the gateway reports.
const EXCEPTION_CODES: Record<string, ErrorCode> = {
  FileNotFoundException: 'RESOURCE_DOES_NOT_EXIST',
  AccessControlException: 'PERMISSION_DENIED',
  AuthorizationException: 'PERMISSION_DENIED',
  SecurityException: 'UNAUTHENTICATED',
  AuthenticationException: 'UNAUTHENTICATED',
  InvalidToken: 'UNAUTHENTICATED',
  FileAlreadyExistsException: 'RESOURCE_ALREADY_EXISTS',
  ParentNotDirectoryException: 'INVALID_PARAMETER_VALUE',
  PathIsNotEmptyDirectoryException: 'INVALID_STATE',
  PathIsNotDirectoryException: 'INVALID_PARAMETER_VALUE',
  InvalidPathException: 'INVALID_PARAMETER_VALUE',
  IllegalArgumentException: 'INVALID_PARAMETER_VALUE',
  HadoopIllegalArgumentException: 'INVALID_PARAMETER_VALUE',
  QueryParamException: 'INVALID_PARAMETER_VALUE',
  UnsupportedOperationException: 'NOT_IMPLEMENTED',
  NSQuotaExceededException: 'RESOURCE_EXHAUSTED',
  DSQuotaExceededException: 'RESOURCE_EXHAUSTED',
  QuotaExceededException: 'RESOURCE_EXHAUSTED',
  SafeModeException: 'TEMPORARILY_UNAVAILABLE',
  RetriableException: 'TEMPORARILY_UNAVAILABLE',
  StandbyException: 'TEMPORARILY_UNAVAILABLE',
  ObserverRetryOnActiveException: 'TEMPORARILY_UNAVAILABLE',
  LeaseExpiredException: 'TEMPORARILY_UNAVAILABLE',
  AlreadyBeingCreatedException: 'RESOURCE_CONFLICT',
};

/** Parses a gateway error body; undefined when it is not WebHDFS's JSON. */
export function parseRemoteException(body: string): RemoteException | undefined {
  try {
    const parsed = JSON.parse(body) as { RemoteException?: RemoteException } | null;
    return parsed && typeof parsed.RemoteException === 'object' ? parsed.RemoteException : undefined;
  } catch {
    return undefined;
  }
}

/** The code for a gateway failure: the Java exception's name first, else the HTTP status. */
export function codeForWebHdfsError(status: number, remote?: RemoteException): ErrorCode {
  const name = remote?.exception ?? remote?.javaClassName?.split(/[.$]/).pop();
  const byName = name ? EXCEPTION_CODES[name] : undefined;
  if (byName) return byName;
  if (status === 404) return 'RESOURCE_DOES_NOT_EXIST';
  if (status === 400) return 'INVALID_PARAMETER_VALUE';
  if (status === 408) return 'DEADLINE_EXCEEDED';
  if (status === 429) return 'REQUEST_LIMIT_EXCEEDED';
  if (status === 502 || status === 503 || status === 504) return 'TEMPORARILY_UNAVAILABLE';
  const known = errorCodeForHttpStatus(status);
  return known === 'INTERNAL_ERROR' && status < 500 ? 'BAD_REQUEST' : known;
}

/** An MlflowError for a non-2xx gateway answer; 5xx, 408, 429 and HDFS's retriable states are retryable. */
export function webHdfsHttpError(what: string, status: number, body: string): MlflowError {
  const remote = parseRemoteException(body);
  const code = codeForWebHdfsError(status, remote);
  const detail = remote
    ? `${remote.exception ?? remote.javaClassName ?? 'RemoteException'}: ${remote.message ?? ''}`
    : body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 300);
  const retryable = status >= 500 || status === 408 || status === 429 || code === 'TEMPORARILY_UNAVAILABLE';
  return new MlflowError(`${PREFIX} ${what} failed with HTTP ${status}: ${redactWebHdfs(detail)}`, code, {
    retryable,
    cause: Object.assign(new Error(`HTTP ${status}`), { status, remote }),
  });
}

// WebHDFS query parameters that grant access on their own.
const SECRET_PARAMS = /([?&](?:delegation|token)=)[^&\s"'<>]*/gi;

/** `text` with URI passwords and delegation tokens replaced by `***`. */
export function redactWebHdfs(text: string): string {
  return redactUrisIn(text).replace(SECRET_PARAMS, '$1***');
}

function networkCode(err: unknown): string | undefined {
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * Maps any failure (socket error, local stream error, abort) to an MlflowError: aborted →
 * CANCELLED; connection refused/reset/timed out/cut → TEMPORARILY_UNAVAILABLE (retryable); a
 * missing local file → RESOURCE_DOES_NOT_EXIST; else INTERNAL_ERROR. MlflowErrors pass through.
 */
export function mapHdfsError(err: unknown, what: string, signal?: AbortSignal): MlflowError {
  if (isMlflowError(err)) return err;
  const detail = redactWebHdfs((err as Error | undefined)?.message ?? String(err)).slice(0, 500);
  if (signal?.aborted || (err as { name?: unknown } | undefined)?.name === 'AbortError') {
    return new MlflowError(`${PREFIX} ${what}: aborted`, 'CANCELLED', { cause: err });
  }
  const net = networkCode(err);
  if (net) {
    return new MlflowError(`${PREFIX} ${what} failed: the gateway connection failed (${net}): ${detail}`, 'TEMPORARILY_UNAVAILABLE', {
      cause: err,
      retryable: true,
    });
  }
  if ((err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return MlflowError.notFound(`${PREFIX} ${what}: no such local file`, { cause: err });
  return new MlflowError(`${PREFIX} ${what} failed: ${detail}`, 'INTERNAL_ERROR', { cause: err });
}
