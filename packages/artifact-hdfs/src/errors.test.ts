import { MlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { codeForWebHdfsError, mapHdfsError, webHdfsHttpError } from './errors.js';

const remote = (exception: string, message = 'm', javaClassName = `org.apache.hadoop.x.${exception}`) =>
  JSON.stringify({ RemoteException: { exception, javaClassName, message } });

describe('webHdfsHttpError', () => {
  it.each([
    [404, 'FileNotFoundException', 'RESOURCE_DOES_NOT_EXIST', false],
    [403, 'AccessControlException', 'PERMISSION_DENIED', false],
    [401, 'SecurityException', 'UNAUTHENTICATED', false],
    [403, 'AuthenticationException', 'UNAUTHENTICATED', false],
    [403, 'FileAlreadyExistsException', 'RESOURCE_ALREADY_EXISTS', false],
    [403, 'ParentNotDirectoryException', 'INVALID_PARAMETER_VALUE', false],
    [403, 'PathIsNotEmptyDirectoryException', 'INVALID_STATE', false],
    [400, 'IllegalArgumentException', 'INVALID_PARAMETER_VALUE', false],
    [400, 'UnsupportedOperationException', 'NOT_IMPLEMENTED', false],
    [403, 'DSQuotaExceededException', 'RESOURCE_EXHAUSTED', false],
    [403, 'SafeModeException', 'TEMPORARILY_UNAVAILABLE', true],
    [403, 'StandbyException', 'TEMPORARILY_UNAVAILABLE', true],
    [500, 'RuntimeException', 'INTERNAL_ERROR', true],
  ] as const)('HTTP %i %s → %s (retryable %s)', (status, exception, code, retryable) => {
    const e = webHdfsHttpError('reading /x', status, remote(exception, 'Permission denied: user=a'));
    expect(e).toBeInstanceOf(MlflowError);
    expect(e.errorCode).toBe(code);
    expect(e.retryable).toBe(retryable);
    expect(e.message).toBe(`@mlstore/artifact-hdfs: reading /x failed with HTTP ${status}: ${exception}: Permission denied: user=a`);
  });
  it('uses javaClassName when exception is absent, and statuses for non-JSON bodies', () => {
    expect(codeForWebHdfsError(403, { javaClassName: 'org.apache.hadoop.security.AccessControlException' })).toBe('PERMISSION_DENIED');
    expect(webHdfsHttpError('x', 401, '<html><title>Error 401 Authentication required</title></html>').errorCode).toBe('UNAUTHENTICATED');
    expect(webHdfsHttpError('x', 404, 'not found').errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(webHdfsHttpError('x', 503, '').retryable).toBe(true);
    expect(webHdfsHttpError('x', 418, '').errorCode).toBe('BAD_REQUEST');
  });
  it('redacts delegation tokens and URI passwords in messages', () => {
    const e = webHdfsHttpError('x', 403, remote('InvalidToken', 'token http://u:pw@h/x?delegation=SECRET&op=OPEN is bad'));
    expect(e.message).not.toMatch(/SECRET|pw@/);
  });
});

describe('mapHdfsError', () => {
  it('maps connection failures to retryable TEMPORARILY_UNAVAILABLE, aborts to CANCELLED', () => {
    const e = mapHdfsError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'listing /');
    expect(e).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE', retryable: true });
    expect(mapHdfsError(new Error('x'), 'y', AbortSignal.abort()).errorCode).toBe('CANCELLED');
    expect(mapHdfsError(Object.assign(new Error('gone'), { code: 'ENOENT' }), 'y').errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(mapHdfsError(new Error('odd'), 'y').errorCode).toBe('INTERNAL_ERROR');
    const passthrough = MlflowError.invalidParameter('z');
    expect(mapHdfsError(passthrough, 'y')).toBe(passthrough);
  });
});
