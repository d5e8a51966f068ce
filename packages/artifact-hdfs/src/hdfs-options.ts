import { userInfo } from 'node:os';
import { MlflowError, type Logger } from '@mlstore/core';
import { PREFIX } from './errors.js';
import { DEFAULT_SWEBHDFS_PORT, DEFAULT_WEBHDFS_PORT, type HdfsUri } from './hdfs-uri.js';

/** Env var naming the WebHDFS/HttpFS gateway for `hdfs://` URIs, e.g. `http://namenode:9870`. */
export const GATEWAY_ENV = 'MLSTORE_HDFS_GATEWAY';

/** Options of {@link HdfsArtifactRepository}; each beats its environment variable. */
export interface HdfsArtifactRepositoryOptions {
  /**
   * Gateway base URL (`http(s)://host:port`, `/webhdfs/v1` appended unless the URL has a path).
   * Env `MLSTORE_HDFS_GATEWAY` (read for `hdfs://` URIs only); default for `hdfs://host…` is
   * `http://host:9870`; `webhdfs://host:port` is `http://host:port` (port default 9870),
   * `swebhdfs://` the same over https (default 9871).
   */
  gateway?: string;
  /** `user.name` of simple auth. Env `MLFLOW_KERBEROS_USER`, then `HADOOP_USER_NAME`, then the OS user. */
  user?: string;
  /** A delegation token (`urlString` of GETDELEGATIONTOKEN), sent as `delegation=` instead of `user.name`. Env `MLSTORE_HDFS_DELEGATION_TOKEN`. */
  delegationToken?: string;
  /**
   * `kerberos` = SPNEGO through the optional peer `kerberos`. Default: `kerberos` when a ticket cache
   * is configured (`MLFLOW_KERBEROS_TICKET_CACHE`), else `simple`.
   */
  auth?: 'simple' | 'kerberos';
  /** Kerberos ticket cache (exported as `KRB5CCNAME`). Env `MLFLOW_KERBEROS_TICKET_CACHE`. */
  kerberosTicketCache?: string;
  /** GSSAPI service of the gateway; default `HTTP@<gateway host>`. */
  kerberosService?: string;
  /** Module that provides SPNEGO (default `kerberos`), for a rebuilt or forked binding. */
  kerberosModule?: string;
  /**
   * Hadoop settings, MLflow's `MLFLOW_PYARROW_EXTRA_CONF` (`k=v,k2=v2`). Used: `dfs.replication`,
   * `dfs.blocksize` (sent with CREATE), `dfs.webhdfs.rest-csrf.enabled` and
   * `dfs.webhdfs.rest-csrf.custom-header` (header on writes). Others are ignored.
   */
  extraConf?: Record<string, string>;
  /** Use LISTSTATUS_BATCH (paged) for listings (default true; falls back to LISTSTATUS when refused). */
  listBatch?: boolean;
  /** Socket idle timeout in ms before a request fails as retryable (default 60 000; 0 = none). */
  idleTimeoutMs?: number;
  /** Concurrent HTTP connections per host (default 16). */
  maxSockets?: number;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

/** Options and environment merged. */
export interface HdfsSettings {
  /** `http(s)://host:port/webhdfs/v1` without trailing `/`. */
  gatewayBase: URL;
  auth:
    | { kind: 'simple'; user: string }
    | { kind: 'delegation'; token: string }
    | { kind: 'kerberos'; ticketCache?: string; service: string; module: string };
  replication?: number;
  blockSize?: number;
  csrfHeader?: string;
  listBatch: boolean;
  idleTimeoutMs: number;
  maxSockets: number;
}

/** Parses MLflow's `MLFLOW_PYARROW_EXTRA_CONF` (`k=v,k2=v2`, split on the first `=`). */
export function parseExtraConf(raw: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 0) throw MlflowError.invalidParameter(`${PREFIX} MLFLOW_PYARROW_EXTRA_CONF entries must be key=value, got ${JSON.stringify(pair)}`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

function positiveInt(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw.trim());
  if (!Number.isSafeInteger(n) || n <= 0) throw MlflowError.invalidParameter(`${PREFIX} ${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return n;
}

function gatewayUrl(raw: string, from: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw MlflowError.invalidParameter(`${PREFIX} ${from} must be an http(s) URL, got ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw MlflowError.invalidParameter(`${PREFIX} ${from} must be an http(s) URL`);
  if (url.username || url.password) throw MlflowError.invalidParameter(`${PREFIX} ${from} must not carry credentials`);
  url.search = '';
  url.hash = '';
  const path = url.pathname.replace(/\/+$/, '');
  url.pathname = path === '' ? '/webhdfs/v1' : path;
  return url;
}

/**
 * Merges options, environment and URI into settings.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a bad gateway URL or setting, or an `hdfs:///`
 *   URI without a gateway.
 */
export function resolveHdfsSettings(uri: HdfsUri, options: HdfsArtifactRepositoryOptions = {}): HdfsSettings {
  const env = options.env ?? process.env;
  let gatewayBase: URL;
  if (options.gateway) gatewayBase = gatewayUrl(options.gateway, 'the gateway option');
  else if (uri.scheme === 'hdfs') {
    const fromEnv = env[GATEWAY_ENV];
    if (fromEnv) gatewayBase = gatewayUrl(fromEnv, GATEWAY_ENV);
    else if (uri.host) gatewayBase = gatewayUrl(`http://${uri.host}:${DEFAULT_WEBHDFS_PORT}`, 'the namenode host');
    else throw MlflowError.invalidParameter(`${PREFIX} hdfs:/// URIs name no namenode: set ${GATEWAY_ENV} to the WebHDFS or HttpFS URL (e.g. http://namenode:9870)`);
  } else {
    const https = uri.scheme === 'swebhdfs';
    const port = uri.port ?? (https ? DEFAULT_SWEBHDFS_PORT : DEFAULT_WEBHDFS_PORT);
    gatewayBase = gatewayUrl(`${https ? 'https' : 'http'}://${uri.host}:${port}`, 'the URI');
  }
  const extra = { ...parseExtraConf(env.MLFLOW_PYARROW_EXTRA_CONF), ...(options.extraConf ?? {}) };
  const ticketCache = options.kerberosTicketCache ?? (env.MLFLOW_KERBEROS_TICKET_CACHE || undefined);
  const kind = options.auth ?? (ticketCache ? 'kerberos' : 'simple');
  const token = options.delegationToken ?? (env.MLSTORE_HDFS_DELEGATION_TOKEN || undefined);
  let auth: HdfsSettings['auth'];
  if (kind === 'kerberos') {
    auth = {
      kind: 'kerberos',
      ...(ticketCache ? { ticketCache } : {}),
      service: options.kerberosService ?? `HTTP@${gatewayBase.hostname}`,
      module: options.kerberosModule ?? 'kerberos',
    };
  } else if (token) {
    auth = { kind: 'delegation', token };
  } else {
    const user = options.user ?? (env.MLFLOW_KERBEROS_USER || env.HADOOP_USER_NAME || safeOsUser());
    auth = { kind: 'simple', user };
  }
  const csrf = /^true$/i.test(extra['dfs.webhdfs.rest-csrf.enabled'] ?? '');
  const replication = positiveInt('dfs.replication', extra['dfs.replication']);
  const blockSize = positiveInt('dfs.blocksize', extra['dfs.blocksize']);
  return {
    gatewayBase,
    auth,
    ...(replication !== undefined ? { replication } : {}),
    ...(blockSize !== undefined ? { blockSize } : {}),
    ...(csrf ? { csrfHeader: extra['dfs.webhdfs.rest-csrf.custom-header'] ?? 'X-XSRF-HEADER' } : {}),
    listBatch: options.listBatch ?? true,
    idleTimeoutMs: options.idleTimeoutMs ?? 60_000,
    maxSockets: options.maxSockets ?? 16,
  };
}

function safeOsUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'dr.who';
  }
}
