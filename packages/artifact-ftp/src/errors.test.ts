import { FTPError } from 'basic-ftp';
import { describe, expect, it } from 'vitest';
import { codeForFtpReply, mapFtpError, scrub } from './errors.js';

const ctx = { operation: 'read', location: 'ftp://u@h:21/r/f.txt', secrets: ['hunter22'] };
const reply = (code: number, message: string) => new FTPError({ code, message: `${code} ${message}` });

describe('mapFtpError', () => {
  it.each([
    [530, 'UNAUTHENTICATED', false],
    [550, 'RESOURCE_DOES_NOT_EXIST', false],
    [421, 'TEMPORARILY_UNAVAILABLE', true],
    [425, 'TEMPORARILY_UNAVAILABLE', true],
    [426, 'TEMPORARILY_UNAVAILABLE', true],
    [451, 'TEMPORARILY_UNAVAILABLE', true],
    [452, 'RESOURCE_EXHAUSTED', true],
    [552, 'RESOURCE_EXHAUSTED', false],
    [553, 'INVALID_PARAMETER_VALUE', false],
    [502, 'NOT_IMPLEMENTED', false],
    [500, 'INTERNAL_ERROR', false],
  ])('reply %i → %s (retryable %s)', (code, errorCode, retryable) => {
    const err = mapFtpError(reply(code, 'x'), ctx);
    expect(err.errorCode).toBe(errorCode);
    expect(err.retryable).toBe(retryable);
    expect(err.message.startsWith('@mlstore/artifact-ftp: read ftp://u@h:21/r/f.txt failed')).toBe(true);
    expect(err.cause).toBeInstanceOf(FTPError);
  });
  it('a 550 on a write is what the caller says it means', () => {
    expect(codeForFtpReply(550, 'PERMISSION_DENIED').code).toBe('PERMISSION_DENIED');
    expect(mapFtpError(reply(550, 'Permission denied.'), { ...ctx, operation: 'write' }, 'PERMISSION_DENIED').errorCode).toBe('PERMISSION_DENIED');
  });
  it('says a login failed without the password, even when the server echoes it', () => {
    const err = mapFtpError(reply(530, 'Login incorrect for password hunter22'), ctx);
    expect(err.message).toMatch(/login failed, wrong user or password/);
    expect(err.message).not.toContain('hunter22');
  });
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'])('%s → retryable TEMPORARILY_UNAVAILABLE', (code) => {
    const err = mapFtpError(Object.assign(new Error(`connect ${code} 127.0.0.1:21`), { code }), ctx);
    expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.retryable).toBe(true);
  });
  it.each(['Server sent FIN packet unexpectedly, closing connection.', 'Timeout (control socket)', 'Socket closed due to transmission error (data socket)'])('basic-ftp "%s" → retryable', (message) => {
    const err = mapFtpError(new Error(message), ctx);
    expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.retryable).toBe(true);
  });
  it('an untrusted certificate → UNAUTHENTICATED naming the fix', () => {
    const err = mapFtpError(Object.assign(new Error('self-signed certificate'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), ctx);
    expect(err.errorCode).toBe('UNAUTHENTICATED');
    expect(err.message).toMatch(/MLSTORE_FTPS_CA_FILE/);
  });
  it('an aborted call → CANCELLED whatever the error', () => {
    expect(mapFtpError(new Error('Server closed connection unexpectedly.'), { ...ctx, aborted: true }).errorCode).toBe('CANCELLED');
  });
  it('scrub masks secrets and URI passwords', () => {
    expect(scrub('ftp://u:pw1@h/x hunter22 and more', ['hunter22'])).toBe('ftp://u:***@h/x *** and more');
  });
});
