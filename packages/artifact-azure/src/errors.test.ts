import { RestError } from '@azure/storage-blob';
import { describe, expect, it } from 'vitest';
import { azureErrorCode, mapAzureError, redactAzureSecrets } from './errors.js';

const rest = (statusCode: number, errorCode?: string, message = 'boom') =>
  Object.assign(new RestError(message, { statusCode, ...(errorCode ? { code: errorCode } : {}) }), errorCode ? { details: { errorCode } } : {});

describe('mapAzureError', () => {
  const cases: [string, unknown, string, boolean][] = [
    ['BlobNotFound', rest(404, 'BlobNotFound'), 'RESOURCE_DOES_NOT_EXIST', false],
    ['ContainerNotFound', rest(404, 'ContainerNotFound'), 'RESOURCE_DOES_NOT_EXIST', false],
    ['bare 404', rest(404), 'RESOURCE_DOES_NOT_EXIST', false],
    ['401', rest(401), 'UNAUTHENTICATED', false],
    ['403 AuthenticationFailed (bad key)', rest(403, 'AuthenticationFailed'), 'UNAUTHENTICATED', false],
    ['403 AuthorizationPermissionMismatch', rest(403, 'AuthorizationPermissionMismatch'), 'PERMISSION_DENIED', false],
    ['bare 403', rest(403), 'PERMISSION_DENIED', false],
    ['503 ServerBusy (throttling)', rest(503, 'ServerBusy'), 'TEMPORARILY_UNAVAILABLE', true],
    ['500 InternalError', rest(500, 'InternalError'), 'INTERNAL_ERROR', true],
    ['502', rest(502), 'INTERNAL_ERROR', true],
    ['504', rest(504), 'DEADLINE_EXCEEDED', true],
    ['429', rest(429), 'RESOURCE_EXHAUSTED', true],
    ['500 OperationTimedOut', rest(500, 'OperationTimedOut'), 'DEADLINE_EXCEEDED', true],
    ['InvalidBlockList (concurrent commit)', rest(400, 'InvalidBlockList'), 'ABORTED', true],
    ['network: REQUEST_SEND_ERROR', new RestError('socket hang up', { code: 'REQUEST_SEND_ERROR' }), 'TEMPORARILY_UNAVAILABLE', true],
    ['network: ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'TEMPORARILY_UNAVAILABLE', true],
    ['AbortError', Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }), 'CANCELLED', false],
    ['CredentialUnavailableError', Object.assign(new Error('no credential'), { name: 'CredentialUnavailableError' }), 'UNAUTHENTICATED', false],
    ['local ENOENT', Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' }), 'RESOURCE_DOES_NOT_EXIST', false],
    ['anything else', new Error('weird'), 'INTERNAL_ERROR', false],
  ];
  for (const [name, err, code, retryable] of cases) {
    it(`${name} → ${code}${retryable ? ' (retryable)' : ''}`, () => {
      const mapped = mapAzureError(err, "write 'c/x'");
      expect(mapped.errorCode).toBe(code);
      expect(mapped.retryable).toBe(retryable);
      expect(mapped.cause).toBe(err);
      expect(mapped.message).toMatch(/^@mlstore\/artifact-azure: write 'c\/x'/);
    });
  }
  it('passes MlflowErrors through', () => {
    const once = mapAzureError(rest(404, 'BlobNotFound'), 'open');
    expect(mapAzureError(once, 'again')).toBe(once);
    expect(azureErrorCode(undefined).code).toBe('INTERNAL_ERROR');
  });
  it('never repeats a SAS signature, account key or bearer token', () => {
    const msg =
      'failed https://a.blob.core.windows.net/c/b?comp=block&blockid=x&sv=2024&sig=SeCrEt%2Fsig== ' +
      'AccountKey=KEYKEYKEY==;AccountName=a SharedAccessSignature=sv=1&sig=abc Authorization: SharedKey a:c2lnbmF0dXJl Bearer eyJ0eXAi.x.y';
    const mapped = mapAzureError(rest(403, 'AuthenticationFailed', msg), 'list');
    for (const secret of ['SeCrEt', 'KEYKEYKEY', 'sig=abc', 'c2lnbmF0dXJl', 'eyJ0eXAi']) expect(mapped.message).not.toContain(secret);
    expect(redactAzureSecrets('x?sig=abc&se=2030')).toBe('x?sig=***&se=2030');
  });
});
