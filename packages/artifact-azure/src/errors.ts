import { MlflowError, errorCodeForHttpStatus, isMlflowError, redactUrisIn, type ErrorCode } from '@mlstore/core';
import { PREFIX } from './wasbs-uri.js';

export { PREFIX };

/** MLflow's `_UnsupportedMultipartUploadException` message (NOT_IMPLEMENTED). */
export const UNSUPPORTED_MULTIPART_MESSAGE = 'Multipart upload is not supported for the current artifact repository';

/** Azure storage error codes (`x-ms-error-code`) whose meaning is more precise than their status. */
const AZURE_CODES: Record<string, ErrorCode> = {
  BlobNotFound: 'RESOURCE_DOES_NOT_EXIST',
  ContainerNotFound: 'RESOURCE_DOES_NOT_EXIST',
  ResourceNotFound: 'RESOURCE_DOES_NOT_EXIST',
  ContainerBeingDeleted: 'RESOURCE_DOES_NOT_EXIST',
  AuthenticationFailed: 'UNAUTHENTICATED',
  InvalidAuthenticationInfo: 'UNAUTHENTICATED',
  NoAuthenticationInformation: 'UNAUTHENTICATED',
  AuthorizationFailure: 'PERMISSION_DENIED',
  AuthorizationPermissionMismatch: 'PERMISSION_DENIED',
  AuthorizationResourceTypeMismatch: 'PERMISSION_DENIED',
  InsufficientAccountPermissions: 'PERMISSION_DENIED',
  AccountIsDisabled: 'PERMISSION_DENIED',
  // Another writer committed the same blob in between: its commit dropped our staged blocks.
  InvalidBlockList: 'ABORTED',
  ServerBusy: 'TEMPORARILY_UNAVAILABLE',
  InternalError: 'INTERNAL_ERROR',
  OperationTimedOut: 'DEADLINE_EXCEEDED',
  InvalidRange: 'INVALID_PARAMETER_VALUE',
  InvalidResourceName: 'INVALID_PARAMETER_VALUE',
  InvalidUri: 'INVALID_PARAMETER_VALUE',
  OutOfRangeInput: 'INVALID_PARAMETER_VALUE',
};

/** Network failures (no HTTP answer): the request may succeed when retried. */
const NETWORK_CODES = new Set([
  'REQUEST_SEND_ERROR',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
]);

/** @azure/identity's failures to get a token (DefaultAzureCredential's chain ends in the aggregate one). */
const CREDENTIAL_ERRORS = new Set(['CredentialUnavailableError', 'AuthenticationRequiredError', 'AuthenticationError', 'AggregateAuthenticationError']);

/** Said when no credential could be obtained: what to set. */
export const CREDENTIAL_HINT =
  'no Azure credentials were found: set AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY, or configure a ' +
  'credential DefaultAzureCredential (@azure/identity) finds, e.g. AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_CLIENT_SECRET, a managed identity or `az login`';

/** What an `@azure/*` failure carries (RestError, CredentialUnavailableError, AbortError, Node errors). */
interface AzureLike {
  name?: string;
  message?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string };
}

/**
 * Removes secrets the Azure SDK or a connection string may put into a message: SAS signatures,
 * account keys, `Authorization`/`SharedKey` values, and the credentials of any URI.
 */
export function redactAzureSecrets(text: string): string {
  return redactUrisIn(text)
    .replace(/(\bsig=)[^&;\s'"]*/gi, '$1***')
    .replace(/(AccountKey|SharedAccessSignature|SharedAccessKey)=[^;\s'"]*/gi, '$1=***')
    .replace(/(SharedKey(?:Lite)?\s+[^:\s]+:)[A-Za-z0-9+/=]+/g, '$1***')
    .replace(/(Bearer\s+)[A-Za-z0-9._~+/=-]+/g, '$1***');
}

/** The MLflow code for an Azure storage error code, HTTP status or network failure. */
export function azureErrorCode(err: unknown): { code: ErrorCode; retryable?: boolean } {
  const e = (err ?? {}) as AzureLike;
  if (e.name === 'AbortError') return { code: 'CANCELLED' };
  // A local file of logArtifact that does not exist.
  if (e.code === 'ENOENT' && e.statusCode === undefined) return { code: 'RESOURCE_DOES_NOT_EXIST' };
  if (CREDENTIAL_ERRORS.has(e.name ?? '')) {
    return { code: 'UNAUTHENTICATED' };
  }
  const azureCode = e.details?.errorCode ?? e.code;
  const known = azureCode !== undefined ? AZURE_CODES[azureCode] : undefined;
  if (known) return { code: known, retryable: known === 'INTERNAL_ERROR' ? true : undefined };
  const status = e.statusCode;
  if (typeof status === 'number' && status > 0) {
    if (status === 400 || status === 416) return { code: 'INVALID_PARAMETER_VALUE' };
    if (status === 404) return { code: 'RESOURCE_DOES_NOT_EXIST' };
    if (status === 412) return { code: 'RESOURCE_CONFLICT' };
    if (status === 408) return { code: 'DEADLINE_EXCEEDED' };
    const code = errorCodeForHttpStatus(status);
    // Every 5xx may be transient (Azure asks clients to retry 500 and 503).
    return { code, retryable: status >= 500 ? true : undefined };
  }
  if (e.code !== undefined && NETWORK_CODES.has(e.code)) return { code: 'TEMPORARILY_UNAVAILABLE' };
  return { code: 'INTERNAL_ERROR' };
}

/**
 * Maps a failure of an Azure call at the package boundary: MlflowErrors pass through; anything
 * else becomes an MlflowError (`azureErrorCode`) whose message is prefixed with the package name,
 * names the operation and the blob, and holds no key or SAS signature; the original is `cause`.
 * `aborted: false` says the caller did not abort, so an AbortError is a lost connection (retryable).
 */
export function mapAzureError(err: unknown, what: string, aborted?: boolean): MlflowError {
  if (isMlflowError(err)) return err;
  const { code, retryable } = azureErrorCode(err);
  const e = (err ?? {}) as AzureLike;
  if (code === 'CANCELLED') {
    // The SDK turns a download connection closed early into an AbortError too: without the
    // caller's abort, it is a lost connection, worth retrying.
    if (aborted === false) return new MlflowError(`${PREFIX} ${what} failed: the connection to the storage service was lost mid-transfer`, 'TEMPORARILY_UNAVAILABLE', { cause: err, retryable: true });
    return new MlflowError(`${PREFIX} ${what}: the operation was aborted`, 'CANCELLED', { cause: err });
  }
  if (CREDENTIAL_ERRORS.has(e.name ?? '')) {
    return new MlflowError(`${PREFIX} ${what} failed: ${CREDENTIAL_HINT} (${redactAzureSecrets(String(e.message ?? err).split('\n')[0] ?? '').trim()})`, code, { cause: err });
  }
  const status = typeof e.statusCode === 'number' && e.statusCode > 0 ? ` (HTTP ${e.statusCode}${e.details?.errorCode ?? e.code ? ` ${e.details?.errorCode ?? e.code}` : ''})` : '';
  // Azure's messages end with RequestId/Time lines: keep the first line only.
  const detail = redactAzureSecrets(String(e.message ?? err).split('\n')[0] ?? '').trim();
  const hint = (e.details?.errorCode ?? e.code) === 'InvalidBlockList' ? ' (another writer committed this blob during the upload, which discards its uncommitted blocks; retry)' : '';
  const message = code === 'RESOURCE_DOES_NOT_EXIST' ? `${PREFIX} ${what}: No such file or directory${status}` : `${PREFIX} ${what} failed${status}: ${detail}${hint}`;
  return new MlflowError(message, code, retryable === undefined ? { cause: err } : { cause: err, retryable });
}
