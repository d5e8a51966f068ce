import { readFileSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TRANSFER_CONCURRENCY, MlflowError, type Logger } from '@mlstore/core';
import SSHConfig from 'ssh-config';
import type { SftpLocation } from './sftp-uri.js';

/** Options of {@link SftpArtifactRepository}; each beats its environment variable and the URI. */
export interface SftpArtifactRepositoryOptions {
  /** Password; else the URI's, else env `MLSTORE_SFTP_PASSWORD`. */
  password?: string;
  /** A private key file tried before `~/.ssh/config`'s `IdentityFile`s. Env: `MLSTORE_SFTP_PRIVATE_KEY_PATH`. */
  privateKeyPath?: string;
  /** A private key (PEM/OpenSSH text), tried first. */
  privateKey?: string | Buffer;
  /** Passphrase of encrypted keys. Env: `MLSTORE_SFTP_KEY_PASSPHRASE`. */
  passphrase?: string;
  /** ssh-agent socket; `false` = no agent. Env: `SSH_AUTH_SOCK`. */
  agent?: string | false;
  /** ssh client config; `false` = none. Env: `MLSTORE_SFTP_SSH_CONFIG`, default `~/.ssh/config`. */
  sshConfigPath?: string | false;
  /** known_hosts file. Env: `MLSTORE_SFTP_KNOWN_HOSTS`, default `~/.ssh/known_hosts`. */
  knownHostsPath?: string;
  /**
   * Refuse servers whose host key is not in known_hosts (default true, as pysftp). `false` is the
   * explicit opt-out (pysftp's `cnopts.hostkeys = None`). Env: `MLSTORE_SFTP_STRICT_HOST_KEY_CHECKING=no`.
   */
  strictHostKeyChecking?: boolean;
  /** SFTP sessions open at once (default 8, the files `logArtifacts`/`downloadArtifacts` move at once). Env: `MLSTORE_SFTP_MAX_CONNECTIONS`. */
  maxConnections?: number;
  /** Idle sessions are closed after this many ms (default 30,000). */
  idleTimeoutMs?: number;
  /** Connect + handshake + login timeout in ms (default 20,000). */
  readyTimeoutMs?: number;
  /** SSH keepalive interval in ms (default 10,000; 3 unanswered = connection dead; 0 = off). */
  keepaliveIntervalMs?: number;
  /** Environment to read (default `process.env`); its `HOME` locates `~/.ssh`. */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

/** Connection settings after URI, `~/.ssh/config`, options and environment are merged. */
export interface SftpSettings {
  /** Host to connect to (`HostName` of a matching `Host` block wins over the URI's host). */
  host: string;
  port: number;
  username: string;
  password?: string;
  privateKey?: string | Buffer;
  /** Key files in the order tried; `explicit` ones are reported when missing. */
  identityFiles: { path: string; explicit: boolean }[];
  passphrase?: string;
  agent?: string;
  knownHostsPath: string;
  strictHostKeyChecking: boolean;
  maxConnections: number;
  idleTimeoutMs: number;
  readyTimeoutMs: number;
  keepaliveIntervalMs: number;
}

/** What `~/.ssh/config` says about a host (keys as OpenSSH names them, lower-cased). */
export interface SshHostConfig {
  hostname?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
}

/**
 * Looks `host` up in ssh client config text like paramiko's `SSHConfig.lookup` (first value of a
 * keyword wins, `Host` patterns with `*`, `?` and `!`). `Match exec` is not evaluated (no shell
 * commands from a server process). Pure.
 */
export function lookupSshConfig(text: string, host: string): SshHostConfig {
  const computed = SSHConfig.parse(text).compute(host, { ignoreCase: true, matchExec: false });
  const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
  const out: SshHostConfig = { identityFiles: [] };
  const hostname = first(computed.hostname);
  if (hostname) out.hostname = hostname.replace(/%h/g, host);
  const user = first(computed.user);
  if (user) out.user = user;
  const port = first(computed.port);
  if (port) {
    if (!/^\d+$/.test(port)) throw MlflowError.invalidParameter(`@mlstore/artifact-sftp: bad Port '${port}' for host ${host} in the ssh config`);
    out.port = Number(port);
  }
  const ids = computed.identityfile;
  out.identityFiles = Array.isArray(ids) ? ids : ids ? [ids] : [];
  return out;
}

/** `~` and OpenSSH's `%d %h %p %r %u %%` tokens in an IdentityFile path. */
export function expandSshPath(path: string, ctx: { home: string; host: string; port: number; user: string; localUser: string }): string {
  const tilde = path === '~' || path.startsWith('~/') ? ctx.home + path.slice(1) : path;
  return tilde.replace(/%([%dhpru])/g, (_, t: string) =>
    t === '%' ? '%' : t === 'd' ? ctx.home : t === 'h' ? ctx.host : t === 'p' ? String(ctx.port) : t === 'r' ? ctx.user : ctx.localUser,
  );
}

function positiveInt(raw: string | number | undefined, name: string, fallback: number, min = 1): number {
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < min) throw MlflowError.invalidParameter(`@mlstore/artifact-sftp: ${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

function localUserName(env: Record<string, string | undefined>): string {
  const fromEnv = env.LOGNAME ?? env.USER ?? env.LNAME ?? env.USERNAME;
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return 'root';
  }
}

/**
 * Merges the URI, `~/.ssh/config`, options and environment (MLflow's order: the URI's user and
 * port win over the config's `User`/`Port`; the config's `HostName` replaces the host; the
 * config's `IdentityFile`s are tried; user defaults to the local user, port to 22). Without any
 * configured key, `~/.ssh/id_ed25519`, `id_ecdsa` and `id_rsa` are tried when present (paramiko's
 * `look_for_keys`). Reads the ssh config file synchronously (as MLflow does in its constructor).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for malformed numbers.
 */
export function resolveSftpSettings(loc: SftpLocation, options: SftpArtifactRepositoryOptions = {}): SftpSettings {
  const env = options.env ?? process.env;
  const home = env.HOME || homedir();
  const configPath = options.sshConfigPath === false ? undefined : (options.sshConfigPath ?? env.MLSTORE_SFTP_SSH_CONFIG ?? join(home, '.ssh', 'config'));
  let cfg: SshHostConfig = { identityFiles: [] };
  if (configPath !== undefined) {
    let text: string | undefined;
    try {
      text = readFileSync(configPath, 'utf8');
    } catch {
      text = undefined; // no config file: MLflow checks os.path.exists and goes on
    }
    if (text !== undefined) cfg = lookupSshConfig(text, loc.host);
  }
  const host = cfg.hostname ?? loc.host;
  const localUser = localUserName(env);
  const username = loc.username ?? cfg.user ?? localUser;
  const port = loc.port ?? cfg.port ?? 22;
  const ctx = { home, host, port, user: username, localUser };
  const identityFiles: SftpSettings['identityFiles'] = [];
  const explicitKey = options.privateKeyPath ?? env.MLSTORE_SFTP_PRIVATE_KEY_PATH;
  if (explicitKey) identityFiles.push({ path: expandSshPath(explicitKey, ctx), explicit: true });
  for (const f of cfg.identityFiles) identityFiles.push({ path: expandSshPath(f, ctx), explicit: true });
  if (identityFiles.length === 0 && options.privateKey === undefined) {
    for (const name of ['id_ed25519', 'id_ecdsa', 'id_rsa']) identityFiles.push({ path: join(home, '.ssh', name), explicit: false });
  }
  const strictRaw = env.MLSTORE_SFTP_STRICT_HOST_KEY_CHECKING;
  const strictFromEnv = strictRaw === undefined ? undefined : !/^(no|false|0|off)$/i.test(strictRaw.trim());
  const settings: SftpSettings = {
    host,
    port,
    username,
    identityFiles,
    knownHostsPath: options.knownHostsPath ?? env.MLSTORE_SFTP_KNOWN_HOSTS ?? join(home, '.ssh', 'known_hosts'),
    strictHostKeyChecking: options.strictHostKeyChecking ?? strictFromEnv ?? true,
    maxConnections: positiveInt(options.maxConnections ?? env.MLSTORE_SFTP_MAX_CONNECTIONS, 'maxConnections', DEFAULT_TRANSFER_CONCURRENCY),
    idleTimeoutMs: positiveInt(options.idleTimeoutMs, 'idleTimeoutMs', 30_000, 0),
    readyTimeoutMs: positiveInt(options.readyTimeoutMs, 'readyTimeoutMs', 20_000),
    keepaliveIntervalMs: positiveInt(options.keepaliveIntervalMs, 'keepaliveIntervalMs', 10_000, 0),
  };
  const password = options.password ?? loc.password ?? env.MLSTORE_SFTP_PASSWORD;
  if (password !== undefined) settings.password = password;
  if (options.privateKey !== undefined) settings.privateKey = options.privateKey;
  const passphrase = options.passphrase ?? env.MLSTORE_SFTP_KEY_PASSPHRASE;
  if (passphrase !== undefined) settings.passphrase = passphrase;
  const agent = options.agent === false ? undefined : (options.agent ?? env.SSH_AUTH_SOCK);
  if (agent) settings.agent = agent;
  return settings;
}
