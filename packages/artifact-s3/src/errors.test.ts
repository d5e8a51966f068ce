import { AccessDenied, NoSuchBucket, NoSuchKey, S3ServiceException } from '@aws-sdk/client-s3';
import { MlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { mapS3Error, scrub } from './errors.js';

const ctx = { operation: 'GetObject', bucket: 'bkt', key: 'root/a.txt', endpoint: 'http://user:hunter2@127.0.0.1:9000' };
const meta = (status: number) => ({ $metadata: { httpStatusCode: status }, message: `status ${status}` });
const service = (name: string, status: number, fault: 'client' | 'server' = status >= 500 ? 'server' : 'client') =>
  new S3ServiceException({ name, $fault: fault, ...meta(status) });

describe('mapS3Error', () => {
  it.each([
    ['NoSuchKey', new NoSuchKey(meta(404)), 'RESOURCE_DOES_NOT_EXIST', false],
    ['bare 404 (HEAD)', service('NotFound', 404), 'RESOURCE_DOES_NOT_EXIST', false],
    ['unknown 404', service('Whatever', 404), 'RESOURCE_DOES_NOT_EXIST', false],
    ['AccessDenied', new AccessDenied(meta(403)), 'PERMISSION_DENIED', false],
    ['bare 403', service('Forbidden', 403), 'PERMISSION_DENIED', false],
    ['unknown 403', service('Odd', 403), 'PERMISSION_DENIED', false],
    ['InvalidAccessKeyId', service('InvalidAccessKeyId', 403), 'UNAUTHENTICATED', false],
    ['SignatureDoesNotMatch', service('SignatureDoesNotMatch', 403), 'UNAUTHENTICATED', false],
    ['ExpiredToken', service('ExpiredToken', 400), 'UNAUTHENTICATED', false],
    ['SlowDown', service('SlowDown', 503), 'REQUEST_LIMIT_EXCEEDED', true],
    ['429', service('TooManyRequests', 429), 'RESOURCE_EXHAUSTED', true],
    ['503', service('ServiceUnavailable', 503), 'TEMPORARILY_UNAVAILABLE', true],
    ['500 InternalError', service('InternalError', 500), 'INTERNAL_ERROR', true],
    ['502', service('BadGateway', 502), 'INTERNAL_ERROR', true],
    ['InvalidRange', service('InvalidRange', 416), 'INVALID_PARAMETER_VALUE', false],
    ['NoSuchUpload', service('NoSuchUpload', 404), 'RESOURCE_DOES_NOT_EXIST', false],
  ] as const)('%s → %s', (_label, err, code, retryable) => {
    const mapped = mapS3Error(err, ctx);
    expect(mapped).toBeInstanceOf(MlflowError);
    expect(mapped.errorCode).toBe(code);
    expect(mapped.retryable).toBe(retryable);
    expect(mapped.cause).toBe(err);
    expect(mapped.message).toMatch(/^@mlstore\/artifact-s3: GetObject s3:\/\/bkt\/root\/a\.txt failed: /);
  });
  it('NoSuchBucket names the bucket and the endpoint, without credentials', () => {
    const mapped = mapS3Error(new NoSuchBucket(meta(404)), ctx);
    expect(mapped.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(mapped.message).toMatch(/the bucket 'bkt' does not exist at http:\/\/user:\*\*\*@127\.0\.0\.1:9000/);
    expect(mapped.message).not.toContain('hunter2');
  });
  it('missing credentials name the env vars to set', () => {
    const err = Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    const mapped = mapS3Error(err, ctx);
    expect(mapped.errorCode).toBe('UNAUTHENTICATED');
    for (const v of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE', 'MLFLOW_EXPERIMENTAL_S3_SIGNATURE_VERSION=unsigned']) expect(mapped.message).toContain(v);
  });
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND'])('network failure %s → retryable TEMPORARILY_UNAVAILABLE', (code) => {
    const err = Object.assign(new Error(`connect ${code} 127.0.0.1:9000`), { code });
    const mapped = mapS3Error(err, ctx);
    expect(mapped).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE', retryable: true });
    expect(mapped.message).toContain('could not reach http://user:***@127.0.0.1:9000');
  });
  it('aborts → CANCELLED', () => {
    expect(mapS3Error(Object.assign(new Error('aborted'), { name: 'AbortError' }), ctx).errorCode).toBe('CANCELLED');
  });
  it('MlflowErrors pass through', () => {
    const e = MlflowError.invalidParameter('x');
    expect(mapS3Error(e, ctx)).toBe(e);
  });
  it('scrubs presigned signatures, credentials and access key ids', () => {
    const text = scrub('PUT https://b.s3.amazonaws.com/k?X-Amz-Credential=AKIAABCDEFGHIJKLMNOP%2F2024&X-Amz-Signature=deadbeef failed; Credential=AKIAABCDEFGHIJKLMNOP/x, Signature=cafe');
    expect(text).not.toMatch(/deadbeef|cafe|AKIAABCDEFGHIJKLMNOP/);
  });
});
