import { readFile } from 'node:fs/promises';
import { MlflowError, type Logger } from '@mlstore/core';
import ssh2, { type AnyAuthMethod, type AuthenticationType, type Client, type SFTPWrapper } from 'ssh2';
import SftpClient from 'ssh2-sftp-client';
import { PREFIX, mapSftpError, scrub } from './errors.js';
import { checkHostKey, knownKeyTypes, parseKnownHosts, type HostKeyVerdict, type KnownHostEntry } from './known-hosts.js';
import type { SftpSettings } from './sftp-options.js';

/** One SSH connection with its SFTP session, as the pool holds it. */
export interface SftpConnection {
  client: SftpClient;
  sftp: SFTPWrapper;
  /** Set once the SSH connection ended, closed or failed: the pool then drops it. */
  closed: boolean;
}

// Host-key algorithms ssh2 speaks, by the key type known_hosts names.
const HOST_KEY_ALGOS: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

interface PreparedAuth {
  method: AnyAuthMethod;
  label: string;
}

/** `user@host:port` for messages. */
export const target = (s: SftpSettings): string => `${s.username}@${s.host}:${s.port}`;

async function loadKnownHosts(path: string): Promise<KnownHostEntry[] | undefined> {
  try {
    return parseKnownHosts(await readFile(path, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * The authentication methods to try, in order (agent, key option, key files, password), and notes
 * on what could not be used (missing or encrypted key files) for the failure message. Never
 * reads a secret into a note.
 */
export async function prepareAuth(s: SftpSettings): Promise<{ methods: PreparedAuth[]; notes: string[] }> {
  const methods: PreparedAuth[] = [];
  const notes: string[] = [];
  const username = s.username;
  if (s.agent) methods.push({ method: { type: 'agent', username, agent: s.agent }, label: `ssh-agent (${s.agent})` });
  const addKey = (data: string | Buffer, label: string) => {
    const parsed = ssh2.utils.parseKey(data, s.passphrase);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      if (encrypted && s.passphrase === undefined) notes.push(`${label} is encrypted and no passphrase was given (set MLSTORE_SFTP_KEY_PASSPHRASE or the passphrase option)`);
      else if (encrypted) notes.push(`${label} could not be decrypted with the given passphrase`);
      else notes.push(`${label} is not a usable private key (${parsed.message})`);
      return;
    }
    const method: AnyAuthMethod = s.passphrase === undefined ? { type: 'publickey', username, key: data } : { type: 'publickey', username, key: data, passphrase: s.passphrase };
    methods.push({ method, label });
  };
  if (s.privateKey !== undefined) addKey(s.privateKey, 'the privateKey option');
  for (const f of s.identityFiles) {
    let data: Buffer;
    try {
      data = await readFile(f.path);
    } catch (error) {
      if (f.explicit) notes.push(`identity file ${f.path} could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    addKey(data, `identity file ${f.path}`);
  }
  if (s.password !== undefined) methods.push({ method: { type: 'password', username, password: s.password }, label: 'password' });
  return { methods, notes };
}

function hostKeyError(s: SftpSettings, v: Exclude<HostKeyVerdict, { ok: true }>, knownHostsMissing: boolean): MlflowError {
  const file = s.knownHostsPath;
  const optOut = 'or, only if you accept the risk, opt out with strictHostKeyChecking: false / MLSTORE_SFTP_STRICT_HOST_KEY_CHECKING=no';
  if (v.reason === 'unknown') {
    const why = knownHostsMissing ? `${file} does not exist or cannot be read` : `no host key for ${v.name} in ${file}`;
    return new MlflowError(
      `${PREFIX} unknown host key for ${v.name}: ${why}; add the server's key (e.g. ssh-keyscan -p ${s.port} ${s.host} >> ${file}, after checking its fingerprint) ${optOut}`,
      'UNAUTHENTICATED',
    );
  }
  if (v.reason === 'revoked') return new MlflowError(`${PREFIX} the host key of ${v.name} is marked @revoked in ${file}`, 'UNAUTHENTICATED');
  return new MlflowError(
    `${PREFIX} host key mismatch for ${v.name}: the server's key differs from the ${v.knownTypes.join('/')} key in ${file} (the server was re-keyed, or someone is intercepting the connection); refusing to connect`,
    'UNAUTHENTICATED',
  );
}

/**
 * Opens one SSH connection and its SFTP session: the host key is checked against known_hosts
 * (unknown, mismatched and revoked keys refused unless `strictHostKeyChecking` is off), then the
 * prepared methods are tried in order. Failures: host key → UNAUTHENTICATED naming the problem;
 * every method refused → UNAUTHENTICATED listing what was tried and why keys were unusable (no
 * secret); unreachable/dropped/timed out → TEMPORARILY_UNAVAILABLE; aborted → CANCELLED.
 */
export async function openSftpConnection(s: SftpSettings, logger: Logger, signal?: AbortSignal): Promise<SftpConnection> {
  if (signal?.aborted) throw new MlflowError(`${PREFIX} connect to ${target(s)}: aborted`, 'CANCELLED', { cause: signal.reason });
  const { methods, notes } = await prepareAuth(s);
  if (methods.length === 0) {
    throw new MlflowError(
      `${PREFIX} no credentials to log in to ${target(s)}: no password, no ssh-agent (SSH_AUTH_SOCK), no usable key file${notes.length ? ` (${notes.join('; ')})` : ` (tried ${s.identityFiles.map((f) => f.path).join(', ') || 'none'})`}`,
      'UNAUTHENTICATED',
    );
  }
  const known = await loadKnownHosts(s.knownHostsPath);
  let hostFailure: MlflowError | undefined;
  const hostVerifier = (key: Buffer): boolean => {
    if (!s.strictHostKeyChecking) return true;
    const verdict = checkHostKey(known ?? [], s.host, s.port, key);
    if (verdict.ok) return true;
    hostFailure = hostKeyError(s, verdict, known === undefined);
    return false;
  };
  const tried: string[] = [];
  const queue = [...methods];
  const authHandler = (authsLeft: AuthenticationType[] | null, _partial: boolean | null, next: (m: AnyAuthMethod | false) => void) => {
    for (;;) {
      const m = queue.shift();
      if (m === undefined) return next(false);
      if (authsLeft && !authsLeft.includes(m.method.type === 'agent' ? 'publickey' : m.method.type)) {
        tried.push(`${m.label} (not offered by the server)`);
        continue;
      }
      tried.push(m.label);
      return next(m.method);
    }
  };
  let lastError: (Error & { level?: string }) | undefined;
  const conn = { closed: false } as SftpConnection;
  const markClosed = () => {
    conn.closed = true;
  };
  // The client's own global listeners log to the console by default; ours only mark the connection.
  const client = new SftpClient('mlstore', { error: markClosed, end: markClosed, close: markClosed });
  conn.client = client;
  client.on('error', (err: Error & { level?: string }) => {
    lastError = err;
    conn.closed = true;
    logger.debug({ err: scrub(err.message, [s.password, s.passphrase]), level: err.level }, 'sftp connection error');
  });
  const ssh = (client as unknown as { client: Client }).client;
  ssh.prependListener('close', markClosed);
  const knownTypes = s.strictHostKeyChecking ? knownKeyTypes(known ?? [], s.host, s.port).flatMap((t) => HOST_KEY_ALGOS[t] ?? []) : [];
  const onAbort = () => void client.end().catch(() => undefined);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    conn.sftp = await client.connect({
      host: s.host,
      port: s.port,
      username: s.username,
      readyTimeout: s.readyTimeoutMs,
      keepaliveInterval: s.keepaliveIntervalMs,
      keepaliveCountMax: 3,
      hostVerifier,
      authHandler: authHandler as never,
      ...(knownTypes.length > 0 ? { algorithms: { serverHostKey: knownTypes as never } } : {}),
    });
    // SFTP is request/response: with Nagle's algorithm each small request waits for the delayed
    // ACK of the previous one (~40 ms per round trip on Linux).
    ssh.setNoDelay(true);
    return conn;
  } catch (error) {
    void client.end().catch(() => undefined);
    if (signal?.aborted) throw new MlflowError(`${PREFIX} connect to ${target(s)}: aborted`, 'CANCELLED', { cause: signal.reason });
    if (hostFailure) throw hostFailure;
    const level = lastError?.level ?? (error as { level?: string }).level;
    const message = `${lastError?.message ?? ''} ${(error as Error).message ?? ''}`;
    if (level === 'client-authentication' || /All configured authentication methods failed/i.test(message)) {
      const extra = notes.length ? `; also: ${notes.join('; ')}` : '';
      throw new MlflowError(`${PREFIX} authentication failed for ${target(s)}: the server refused ${tried.join(', ') || 'every method'}${extra}`, 'UNAUTHENTICATED', {
        cause: lastError ?? error,
      });
    }
    if (/Host denied|verification failed/i.test(message)) throw new MlflowError(`${PREFIX} host key of ${s.host}:${s.port} refused`, 'UNAUTHENTICATED', { cause: error });
    const mapped = mapSftpError(lastError ?? error, `connect to ${target(s)}`, { secrets: [s.password, s.passphrase] });
    if (mapped.errorCode === 'INTERNAL_ERROR' && /timed out|timeout/i.test(message)) {
      throw new MlflowError(`${PREFIX} connect to ${target(s)} timed out: ${scrub(message.trim(), [s.password, s.passphrase])}`, 'TEMPORARILY_UNAVAILABLE', { cause: error, retryable: true });
    }
    throw mapped;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Ends a connection; never throws. */
export async function closeSftpConnection(conn: SftpConnection): Promise<void> {
  conn.closed = true;
  let timer: NodeJS.Timeout | undefined;
  try {
    // A connection whose peer vanished may never answer the disconnect: give up after 5 s.
    await Promise.race([conn.client.end(), new Promise((resolve) => (timer = setTimeout(resolve, 5_000)).unref())]);
  } catch {
    // already gone
  } finally {
    clearTimeout(timer);
  }
}
