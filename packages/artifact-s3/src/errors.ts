import { MlflowError, errorCodeForHttpStatus, isMlflowError, redactUrisIn, type ErrorCode } from '@mlstore/core';

/** Prefix of every message this package writes. */
export const PREFIX = '@mlstore/artifact-s3:';

/** The env vars that configure credentials, named in the "no credentials" message. */
export const CREDENTIAL_HINT =
  'set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), or AWS_PROFILE, ' +
  'or run where an IAM role is available; for a public bucket set MLFLOW_EXPERIMENTAL_S3_SIGNATURE_VERSION=unsigned';

// S3 error codes (the `Code` of the XML body, the SDK's `name`) → MLflow codes. MLflow's own table
// (BOTO_TO_MLFLOW_ERROR) covers AccessDenied, NoSuchBucket, NoSuchKey, InvalidAccessKeyId,
// SignatureDoesNotMatch and bare 403/404; the rest follows the same reading.
const S3_CODES: Record<string, ErrorCode> = {
  NoSuchKey: 'RESOURCE_DOES_NOT_EXIST',
  NotFound: 'RESOURCE_DOES_NOT_EXIST',
  NoSuchBucket: 'RESOURCE_DOES_NOT_EXIST',
  NoSuchUpload: 'RESOURCE_DOES_NOT_EXIST',
  AccessDenied: 'PERMISSION_DENIED',
  AllAccessDisabled: 'PERMISSION_DENIED',
  Forbidden: 'PERMISSION_DENIED',
  InvalidAccessKeyId: 'UNAUTHENTICATED',
  SignatureDoesNotMatch: 'UNAUTHENTICATED',
  ExpiredToken: 'UNAUTHENTICATED',
  InvalidToken: 'UNAUTHENTICATED',
  TokenRefreshRequired: 'UNAUTHENTICATED',
  InvalidRange: 'INVALID_PARAMETER_VALUE',
  InvalidArgument: 'INVALID_PARAMETER_VALUE',
  InvalidPart: 'INVALID_PARAMETER_VALUE',
  InvalidPartOrder: 'INVALID_PARAMETER_VALUE',
  EntityTooSmall: 'INVALID_PARAMETER_VALUE',
  EntityTooLarge: 'INVALID_PARAMETER_VALUE',
  InvalidBucketName: 'INVALID_PARAMETER_VALUE',
  KeyTooLongError: 'INVALID_PARAMETER_VALUE',
  SlowDown: 'REQUEST_LIMIT_EXCEEDED',
  Throttling: 'REQUEST_LIMIT_EXCEEDED',
  ThrottlingException: 'REQUEST_LIMIT_EXCEEDED',
  RequestLimitExceeded: 'REQUEST_LIMIT_EXCEEDED',
  TooManyRequestsException: 'REQUEST_LIMIT_EXCEEDED',
  ServiceUnavailable: 'TEMPORARILY_UNAVAILABLE',
  RequestTimeout: 'TEMPORARILY_UNAVAILABLE',
  InternalError: 'INTERNAL_ERROR',
};

// Transport failures: the request never got an answer; a retry may succeed.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'UND_ERR_SOCKET']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  Code?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
}

/** Drops anything credential-like the SDK or a server could have put in a message. */
export function scrub(text: string): string {
  return redactUrisIn(text)
    .replace(/(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s]+/gi, '$1***')
    .replace(/(Signature=|Credential=)[^,\s&]+/g, '$1***')
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, '$1***');
}

/** The context of a failing call, for messages: the operation and the redacted `s3://` location. */
export interface S3ErrorContext {
  operation: string;
  bucket: string;
  key?: string;
  endpoint?: string;
}

/**
 * `s3://<bucket>/<key>` for messages. MLflow keeps a URI's whole netloc as the bucket, so
 * `s3://<key id>:<secret>@bucket/…` would put credentials into every message: they are masked.
 */
export const s3Location = (bucket: string, key = ''): string => scrub(`s3://${bucket}/${key}`);

const where = (ctx: S3ErrorContext) => s3Location(ctx.bucket, ctx.key);

/**
 * Maps any failure of an S3 call to an MlflowError (the original kept as `cause`, the message
 * prefixed and scrubbed of credentials): NoSuchKey/NotFound/404 → RESOURCE_DOES_NOT_EXIST;
 * NoSuchBucket → RESOURCE_DOES_NOT_EXIST naming the bucket and endpoint; AccessDenied/403 →
 * PERMISSION_DENIED; InvalidAccessKeyId/SignatureDoesNotMatch/expired tokens → UNAUTHENTICATED;
 * missing credentials → UNAUTHENTICATED naming the env vars to set; SlowDown/throttling/429 →
 * REQUEST_LIMIT_EXCEEDED, 503 → TEMPORARILY_UNAVAILABLE, other 5xx → INTERNAL_ERROR, network
 * failures → TEMPORARILY_UNAVAILABLE (all retryable); aborts → CANCELLED. MlflowErrors pass through.
 */
export function mapS3Error(err: unknown, ctx: S3ErrorContext): MlflowError {
  if (isMlflowError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as SdkErrorShape;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const detail = scrub(e.message ?? String(err));
  const head = `${PREFIX} ${ctx.operation} ${where(ctx)} failed`;
  if (name === 'AbortError' || e.code === 'ABORT_ERR') {
    return new MlflowError(`${PREFIX} ${ctx.operation} ${where(ctx)}: aborted`, 'CANCELLED', { cause: err });
  }
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(detail)) {
    return new MlflowError(`${head}: no AWS credentials found; ${CREDENTIAL_HINT}`, 'UNAUTHENTICATED', { cause: err });
  }
  if (/region is missing/i.test(detail)) {
    return MlflowError.invalidParameter(`${head}: no region; set AWS_REGION or AWS_DEFAULT_REGION (or the region option)`, { cause: err });
  }
  const codeName = e.Code ?? name;
  if (codeName === 'NoSuchBucket') {
    const at = ctx.endpoint ? ` at ${scrub(ctx.endpoint)}` : '';
    return MlflowError.notFound(`${head}: the bucket '${s3Location(ctx.bucket).slice(5, -1)}' does not exist${at}; create it or fix the artifact URI / MLFLOW_S3_ENDPOINT_URL`, { cause: err });
  }
  const networkCode = e.code !== undefined && (NETWORK_CODES.has(e.code) || (status === undefined && /^E[A-Z]+$/.test(e.code)));
  if (networkCode || name === 'TimeoutError') {
    const at = ctx.endpoint ? scrub(ctx.endpoint) : 'the S3 endpoint';
    return new MlflowError(`${head}: could not reach ${at} (${e.code ?? name}): ${detail}`, 'TEMPORARILY_UNAVAILABLE', { cause: err, retryable: true });
  }
  let code: ErrorCode | undefined = S3_CODES[codeName];
  if (code === undefined && status !== undefined) {
    if (status === 404) code = 'RESOURCE_DOES_NOT_EXIST';
    else if (status === 400 || status === 416) code = 'INVALID_PARAMETER_VALUE';
    else code = errorCodeForHttpStatus(status);
    if (code === 'BAD_REQUEST') code = 'INVALID_PARAMETER_VALUE';
  }
  code ??= 'INTERNAL_ERROR';
  const retryable =
    code === 'TEMPORARILY_UNAVAILABLE' || code === 'REQUEST_LIMIT_EXCEEDED' || code === 'RESOURCE_EXHAUSTED' || (status !== undefined && (status >= 500 || status === 429)) || e.$retryable !== undefined;
  const label = codeName && codeName !== 'Error' ? `${codeName}${status !== undefined ? ` (HTTP ${status})` : ''}: ` : status !== undefined ? `HTTP ${status}: ` : '';
  return new MlflowError(`${head}: ${label}${detail}`, code, { cause: err, retryable });
}

/** Wraps a local failure (a failing body stream or local file) keeping MlflowErrors as they are. */
export function wrapLocalError(err: unknown, what: string): MlflowError {
  if (isMlflowError(err)) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'ENOENT') return MlflowError.notFound(`${PREFIX} ${what}: no such local file`, { cause: err });
  if (e?.name === 'AbortError') return new MlflowError(`${PREFIX} ${what}: aborted`, 'CANCELLED', { cause: err });
  return new MlflowError(`${PREFIX} ${what} failed: ${scrub(e?.message ?? String(err))}`, 'INTERNAL_ERROR', { cause: err });
}
