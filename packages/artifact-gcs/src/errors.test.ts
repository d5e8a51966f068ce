import { describe, expect, it } from 'vitest';
import { MlflowError } from '@mlstore/core';
import { mapGcsError } from './errors.js';

const apiError = (code: number, message = 'boom') => Object.assign(new Error(message), { code, errors: [] });

describe('mapGcsError', () => {
  it.each([
    [404, 'RESOURCE_DOES_NOT_EXIST', false],
    [401, 'UNAUTHENTICATED', false],
    [403, 'PERMISSION_DENIED', false],
    [400, 'INVALID_PARAMETER_VALUE', false],
    [412, 'RESOURCE_CONFLICT', false],
    [408, 'DEADLINE_EXCEEDED', true],
    [429, 'REQUEST_LIMIT_EXCEEDED', true],
    [500, 'INTERNAL_ERROR', true],
    [502, 'INTERNAL_ERROR', true],
    [503, 'TEMPORARILY_UNAVAILABLE', true],
    [504, 'DEADLINE_EXCEEDED', true],
  ] as const)('HTTP %i → %s (retryable %s), original as cause, prefixed', (status, code, retryable) => {
    const original = apiError(status);
    const err = mapGcsError(original, 'reading x');
    expect(err).toMatchObject({ errorCode: code, retryable, cause: original });
    // A 4xx explains itself; a 5xx's text is the service's internals and stays in the cause.
    expect(err.message).toMatch(status >= 500 ? /^@mlstore\/artifact-gcs: reading x failed with HTTP \d+: the storage service failed \(retryable\)$/ : /^@mlstore\/artifact-gcs: reading x failed with HTTP \d+: boom/);
  });
  it('reads gaxios errors (status on the response)', () => {
    expect(mapGcsError(Object.assign(new Error('x'), { response: { status: 404 } }), 'w').errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
  });
  it('reads the status of a resumable upload that gave up', () => {
    expect(mapGcsError(new Error('Retry limit exceeded - status: 503 - {}'), 'w')).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE', retryable: true });
  });
  it('network failures are retryable TEMPORARILY_UNAVAILABLE, also when nested in cause', () => {
    const net = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(mapGcsError(net, 'w')).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE', retryable: true, cause: net });
    expect(mapGcsError(new Error('fetch failed', { cause: net }), 'w').errorCode).toBe('TEMPORARILY_UNAVAILABLE');
  });
  it('an anonymous 401/403 names GOOGLE_APPLICATION_CREDENTIALS', () => {
    expect(mapGcsError(apiError(403), 'w', { anonymous: true }).message).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
    expect(mapGcsError(apiError(403), 'w').message).not.toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
  });
  it('missing default credentials → UNAUTHENTICATED naming GOOGLE_APPLICATION_CREDENTIALS', () => {
    const err = mapGcsError(new Error('Could not load the default credentials. Browse to https://cloud.google.com/docs/authentication'), 'w');
    expect(err.errorCode).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/GOOGLE_APPLICATION_CREDENTIALS/);
  });
  it('aborts → CANCELLED (by error name or by the signal)', () => {
    expect(mapGcsError(Object.assign(new Error('a'), { name: 'AbortError' }), 'w').errorCode).toBe('CANCELLED');
    expect(mapGcsError(new Error('socket hang up'), 'w', { signal: AbortSignal.abort() }).errorCode).toBe('CANCELLED');
  });
  it('keeps MlflowErrors and redacts signed-URL tokens and userinfo', () => {
    const own = MlflowError.notFound('x');
    expect(mapGcsError(own, 'w')).toBe(own);
    const err = mapGcsError(apiError(500, 'PUT https://u:pw@storage.googleapis.com/b/o?X-Goog-Signature=abc123&uploadId=1 failed'), 'w');
    expect(err.message).not.toMatch(/abc123|:pw@/);
  });
  it('anything else → INTERNAL_ERROR', () => {
    expect(mapGcsError(new TypeError('weird'), 'w').errorCode).toBe('INTERNAL_ERROR');
  });
});
