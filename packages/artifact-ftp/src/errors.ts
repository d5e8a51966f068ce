import { MlflowError, isMlflowError, redactUrisIn, type ErrorCode } from '@mlstore/core';

/** Prefix of every message this package writes. */
export const PREFIX = '@mlstore/artifact-ftp:';

/** What a failing call was doing, for messages and for reading a 550 right. */
export interface FtpErrorContext {
  /** e.g. `read`, `write`, `list`, `delete`, `connect`. */
  operation: string;
  /** `ftp://user@host:port/abs/path`, never with a password. */
  location: string;
  /** Strings to mask in messages (the password). */
  secrets?: readonly string[];
  /** True when the call's AbortSignal fired (the failure is then CANCELLED). */
  aborted?: boolean;
}

// Transport failures: the server never answered or the connection died; a retry may succeed.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);
// basic-ftp's own messages for a connection that went away or timed out.
const NETWORK_MESSAGES = /Server sent FIN packet unexpectedly|Server closed connection unexpectedly|Socket closed due to transmission error|^Timeout|Timeout when trying to open data connection|Can't open data connection|Control socket is disconnected|Client is closed|None of the available transfer strategies work|socket hang up|Data connection closed/i;
// TLS verification failures (the certificate is not trusted).
const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/;

/** Replaces every secret (4 characters or more: shorter ones would mangle the message) by `***`. */
export function scrub(text: string, secrets: readonly string[] = []): string {
  let out = redactUrisIn(text);
  for (const s of secrets) if (s.length >= 4) out = out.split(s).join('***');
  return out;
}

/** The MLflow code for an FTP reply code (RFC 959); `missing` is what a 550 means for this call. */
export function codeForFtpReply(reply: number, missing: ErrorCode): { code: ErrorCode; retryable: boolean } {
  if (reply === 530 || reply === 532 || reply === 332) return { code: 'UNAUTHENTICATED', retryable: false };
  if (reply === 550) return { code: missing, retryable: false };
  if (reply === 552 || reply === 452) return { code: 'RESOURCE_EXHAUSTED', retryable: reply === 452 };
  if (reply === 553 || reply === 501) return { code: 'INVALID_PARAMETER_VALUE', retryable: false };
  if (reply === 502 || reply === 504) return { code: 'NOT_IMPLEMENTED', retryable: false };
  // 421 service closing, 425 can't open data connection, 426 transfer aborted, 450/451 local errors.
  if (reply >= 400 && reply < 500) return { code: 'TEMPORARILY_UNAVAILABLE', retryable: true };
  return { code: 'INTERNAL_ERROR', retryable: false };
}

interface ErrorShape {
  name?: string;
  code?: unknown;
  message?: string;
}

/**
 * Maps any failure of an FTP call to an MlflowError (original kept as `cause`, message prefixed and
 * scrubbed of the password): the call's abort → CANCELLED; reply 530 → UNAUTHENTICATED ("login
 * failed"); 550 → `missing` (RESOURCE_DOES_NOT_EXIST for reads, PERMISSION_DENIED for writes);
 * 4xx → TEMPORARILY_UNAVAILABLE (retryable); dropped, refused or timed-out connections →
 * TEMPORARILY_UNAVAILABLE (retryable); untrusted certificates → UNAUTHENTICATED naming the fix.
 * MlflowErrors pass through.
 */
export function mapFtpError(err: unknown, ctx: FtpErrorContext, missing: ErrorCode = 'RESOURCE_DOES_NOT_EXIST'): MlflowError {
  if (isMlflowError(err)) return err;
  const e = (typeof err === 'object' && err !== null ? err : { message: String(err) }) as ErrorShape;
  const head = `${PREFIX} ${ctx.operation} ${ctx.location} failed`;
  const detail = scrub(e.message ?? String(err), ctx.secrets);
  if (ctx.aborted || e.name === 'AbortError') {
    return new MlflowError(`${PREFIX} ${ctx.operation} ${ctx.location}: aborted`, 'CANCELLED', { cause: err });
  }
  if (e.name === 'FTPError' && typeof e.code === 'number') {
    const { code, retryable } = codeForFtpReply(e.code, missing);
    const why =
      code === 'UNAUTHENTICATED'
        ? `: login failed, wrong user or password (${detail})`
        : code === 'RESOURCE_DOES_NOT_EXIST'
          ? `: no such file or directory (${detail})`
          : `: ${detail}`;
    return new MlflowError(`${head}${why}`, code, { cause: err, retryable });
  }
  const sysCode = typeof e.code === 'string' ? e.code : '';
  if (TLS_CODES.test(sysCode) || /certificate|self[- ]signed|altnames/i.test(detail)) {
    return new MlflowError(
      `${head}: the server's TLS certificate is not trusted (${sysCode || detail}); pass the CA with the \`ca\` option, MLSTORE_FTPS_CA_FILE or NODE_EXTRA_CA_CERTS`,
      'UNAUTHENTICATED',
      { cause: err },
    );
  }
  if (NETWORK_CODES.has(sysCode) || NETWORK_MESSAGES.test(detail) || /^E[A-Z]+$/.test(sysCode)) {
    return new MlflowError(`${head}: the connection to the FTP server failed (${sysCode || 'connection lost'}): ${detail}`, 'TEMPORARILY_UNAVAILABLE', {
      cause: err,
      retryable: true,
    });
  }
  return new MlflowError(`${head}: ${detail}`, 'INTERNAL_ERROR', { cause: err });
}

/** Maps a failure of the upload's own body (a local file or stream), not of the server. */
export function mapBodyError(err: unknown, location: string): MlflowError {
  if (isMlflowError(err)) return err;
  const e = err as NodeJS.ErrnoException | undefined;
  if (e?.code === 'ENOENT') return MlflowError.notFound(`${PREFIX} write ${location}: no such local file (${scrub(e.message)})`, { cause: err });
  return new MlflowError(`${PREFIX} write ${location} failed: the body stream failed: ${scrub(e?.message ?? String(err))}`, 'INTERNAL_ERROR', { cause: err });
}
