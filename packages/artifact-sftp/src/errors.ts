import { MlflowError, isMlflowError, redactUrisIn } from '@mlstore/core';

/** Prefix of every message this package writes. */
export const PREFIX = '@mlstore/artifact-sftp:';

// SFTP status codes (draft-ietf-secsh-filexfer-02, what OpenSSH speaks).
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;
const SFTP_NO_CONNECTION = 6;
const SFTP_CONNECTION_LOST = 7;
const SFTP_OP_UNSUPPORTED = 8;

// Transport failures: the request never got an answer; a retry may succeed.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
// What ssh2 says when the session or channel is gone under a request.
const DROPPED = /No response from server|Not connected|Channel not open|connection (?:lost|closed)|Keepalive timeout|Timed out while waiting for handshake|socket hang up|write after end|Unable to start subsystem|\(SSH\) Channel open failure/i;

/** Strips secrets a message could carry: URI passwords, and the given literal secrets. */
export function scrub(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = redactUrisIn(text);
  for (const s of secrets) if (s) out = out.split(s).join('***');
  return out;
}

function codeOf(err: unknown): unknown {
  return (err as { code?: unknown } | undefined)?.code;
}

/** True for an error that means the SSH connection (not the request) failed. */
export function isConnectionError(err: unknown): boolean {
  if (isMlflowError(err)) return err.errorCode === 'TEMPORARILY_UNAVAILABLE';
  let e: unknown = err;
  for (let depth = 0; depth < 4 && e; depth++) {
    const code = codeOf(e);
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (code === SFTP_NO_CONNECTION || code === SFTP_CONNECTION_LOST) return true;
    if (DROPPED.test((e as Error).message ?? '')) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * Maps a failure of an SFTP call to an MlflowError (original kept as `cause`, message prefixed
 * and scrubbed): aborted → CANCELLED; SFTP NO_SUCH_FILE / local ENOENT → RESOURCE_DOES_NOT_EXIST;
 * PERMISSION_DENIED → PERMISSION_DENIED; connection refused/reset/dropped, keepalive or handshake
 * timeouts → TEMPORARILY_UNAVAILABLE (retryable); OP_UNSUPPORTED → NOT_IMPLEMENTED; anything else
 * INTERNAL_ERROR. MlflowErrors pass through.
 */
export function mapSftpError(err: unknown, what: string, ctx: { signal?: AbortSignal; secrets?: readonly (string | undefined)[] } = {}): MlflowError {
  if (isMlflowError(err)) return err;
  const e = err as (Error & { code?: unknown }) | undefined;
  const detail = scrub(e?.message ?? String(err), ctx.secrets).slice(0, 500);
  if (ctx.signal?.aborted || e?.name === 'AbortError' || e?.code === 'ABORT_ERR') {
    return new MlflowError(`${PREFIX} ${what}: aborted`, 'CANCELLED', { cause: err });
  }
  if (e?.code === SFTP_NO_SUCH_FILE || e?.code === 'ENOENT') return MlflowError.notFound(`${PREFIX} ${what}: no such file or directory`, { cause: err });
  if (e?.code === SFTP_PERMISSION_DENIED || e?.code === 'EACCES') return new MlflowError(`${PREFIX} ${what}: permission denied`, 'PERMISSION_DENIED', { cause: err });
  if (isConnectionError(err)) {
    return new MlflowError(`${PREFIX} ${what} failed: the SSH connection failed or was cut (${detail}); retry`, 'TEMPORARILY_UNAVAILABLE', { cause: err, retryable: true });
  }
  if (e?.code === SFTP_OP_UNSUPPORTED) return new MlflowError(`${PREFIX} ${what}: the server does not support this operation (${detail})`, 'NOT_IMPLEMENTED', { cause: err });
  const label = e?.code === SFTP_FAILURE ? 'the server reported a failure' : 'failed';
  return new MlflowError(`${PREFIX} ${what}: ${label}: ${detail}`, 'INTERNAL_ERROR', { cause: err });
}
