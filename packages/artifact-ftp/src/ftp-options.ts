import { readFileSync } from 'node:fs';
import { MlflowError, type Logger } from '@mlstore/core';
import { PREFIX } from './errors.js';

/** How directories are listed: `auto` = MLSD when the server announces MLST, else LIST, else NLST. */
export type FtpListCommand = 'auto' | 'mlsd' | 'list' | 'nlst';

/** Options of {@link FtpArtifactRepository}; each beats its environment variable and the URI. */
export interface FtpArtifactRepositoryOptions {
  /** User; default the URI's, else anonymous. */
  user?: string;
  /** Password; default the URI's (percent-decoded), else `''`. */
  password?: string;
  /** PEM certificate(s) ftps:// trusts besides Node's store. Env: `MLSTORE_FTPS_CA_FILE` (a path). */
  ca?: string | Buffer;
  /** Verify the server's certificate (default true). Env: `MLSTORE_FTPS_INSECURE=true` turns it off. */
  rejectUnauthorized?: boolean;
  /** TLS server name to verify (default the URI's host). */
  servername?: string;
  /** Control connections open at once, reused across calls (default 8). Env: `MLSTORE_FTP_MAX_CONNECTIONS`. */
  maxConnections?: number;
  /** Connect/reply timeout and data-stall timeout in ms (default 30,000; 0 = none). Env: `MLSTORE_FTP_TIMEOUT_MS`. */
  timeoutMs?: number;
  /** Idle pooled connections are closed after this many ms (default 30,000). */
  idleTimeoutMs?: number;
  /** Listing command (default `auto`). */
  listCommand?: FtpListCommand;
  /**
   * Upload into a temporary name and rename it into place (default true): readers never see a
   * partial file and a failed upload leaves none, at the price of RNFR + RNTO per file. `false`
   * STORs straight to the destination, as MLflow's FTP repository does (2 commands per file
   * instead of 4): a failed upload may then leave a partial file, and readers may see one while it
   * is written. Env: `MLSTORE_FTP_ATOMIC_WRITES=false`.
   */
  atomicWrites?: boolean;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

/** Settings after options and environment are merged. */
export interface FtpSettings {
  ca?: string | Buffer;
  rejectUnauthorized: boolean;
  servername?: string;
  maxConnections: number;
  timeoutMs: number;
  idleTimeoutMs: number;
  listCommand: FtpListCommand;
  atomicWrites: boolean;
}

export const DEFAULT_MAX_CONNECTIONS = 8;
export const DEFAULT_TIMEOUT_MS = 30_000;

function intSetting(value: number | undefined, envName: string, env: Record<string, string | undefined>, fallback: number, min: number): number {
  const raw = value ?? (env[envName]?.trim() ? Number(env[envName]) : undefined);
  if (raw === undefined) return fallback;
  if (!Number.isInteger(raw) || raw < min) {
    throw MlflowError.invalidParameter(`${PREFIX} ${value !== undefined ? 'option' : envName} must be an integer >= ${min}, got '${value ?? env[envName]}'`);
  }
  return raw;
}

function boolSetting(raw: string | undefined, envName: string, fallback: boolean): boolean {
  const v = raw?.trim().toLowerCase();
  if (!v) return fallback;
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  throw MlflowError.invalidParameter(`${PREFIX} ${envName} must be true or false, got '${raw}'`);
}

/**
 * Merges options and environment. @throws MlflowError INVALID_PARAMETER_VALUE for a bad number, an
 * unknown list command or an unreadable MLSTORE_FTPS_CA_FILE.
 */
export function resolveFtpSettings(options: FtpArtifactRepositoryOptions = {}): FtpSettings {
  const env = options.env ?? process.env;
  let ca = options.ca;
  const caFile = env.MLSTORE_FTPS_CA_FILE;
  if (ca === undefined && caFile) {
    try {
      ca = readFileSync(caFile);
    } catch (err) {
      throw MlflowError.invalidParameter(`${PREFIX} MLSTORE_FTPS_CA_FILE=${caFile} cannot be read`, { cause: err });
    }
  }
  const insecure = env.MLSTORE_FTPS_INSECURE?.trim().toLowerCase();
  const listCommand = options.listCommand ?? 'auto';
  if (!['auto', 'mlsd', 'list', 'nlst'].includes(listCommand)) {
    throw MlflowError.invalidParameter(`${PREFIX} listCommand must be auto, mlsd, list or nlst, got '${String(listCommand)}'`);
  }
  return {
    ...(ca !== undefined ? { ca } : {}),
    rejectUnauthorized: options.rejectUnauthorized ?? !(insecure === 'true' || insecure === '1'),
    ...(options.servername ? { servername: options.servername } : {}),
    maxConnections: intSetting(options.maxConnections, 'MLSTORE_FTP_MAX_CONNECTIONS', env, DEFAULT_MAX_CONNECTIONS, 1),
    timeoutMs: intSetting(options.timeoutMs, 'MLSTORE_FTP_TIMEOUT_MS', env, DEFAULT_TIMEOUT_MS, 0),
    idleTimeoutMs: intSetting(options.idleTimeoutMs, 'MLSTORE_FTP_IDLE_TIMEOUT_MS', env, 30_000, 0),
    listCommand,
    atomicWrites: options.atomicWrites ?? boolSetting(env.MLSTORE_FTP_ATOMIC_WRITES, 'MLSTORE_FTP_ATOMIC_WRITES', true),
  };
}
