import { readFileSync } from 'node:fs';
import { MlflowError, silentLogger, type Logger } from '@mlstore/core';
import { readMlflowCredentials } from './credentials.js';
import { readBooleanEnv, readFloatEnv, readIntEnv, readStringEnv } from './env.js';

/** Options of {@link MlflowHttpClient}; each falls back to MLflow's environment variable. */
export interface MlflowHttpClientOptions {
  /** Tracking server base URL, `http(s)://host[:port][/prefix]`. */
  baseUrl: string;
  /** Basic-auth user (userinfo of `baseUrl`, env `MLFLOW_TRACKING_USERNAME`, then `~/.mlflow/credentials`). */
  username?: string;
  /** Basic-auth password (env `MLFLOW_TRACKING_PASSWORD`, then `~/.mlflow/credentials`). */
  password?: string;
  /** Bearer token (env `MLFLOW_TRACKING_TOKEN`); Basic wins when username and password are both set, as in MLflow. */
  token?: string;
  /** Skip server certificate verification (env `MLFLOW_TRACKING_INSECURE_TLS`, default false). */
  insecureTls?: boolean;
  /** CA bundle (PEM) that replaces the default roots (env `MLFLOW_TRACKING_SERVER_CERT_PATH`). */
  serverCertPath?: string;
  /** PEM file holding the client certificate and its key (env `MLFLOW_TRACKING_CLIENT_CERT_PATH`). */
  clientCertPath?: string;
  /** Retries after the first attempt (env `MLFLOW_HTTP_REQUEST_MAX_RETRIES`, default 7, at most 10). */
  maxRetries?: number;
  /** Backoff factor in seconds (env `MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR`, default 2, at most 120). */
  backoffFactor?: number;
  /** Random jitter in seconds added to each backoff (env `MLFLOW_HTTP_REQUEST_BACKOFF_JITTER`, default 1.0). */
  backoffJitter?: number;
  /** Per-attempt idle timeout in ms for connect, headers and each body read (env `MLFLOW_HTTP_REQUEST_TIMEOUT` in seconds, default 120 s; 0 disables it, except undici's 10 s connect limit). */
  timeoutMs?: number;
  /** Wait as long as a `Retry-After` header asks (env `MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER`, default true). */
  respectRetryAfter?: boolean;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Where the variables are read (default `process.env`); explicit options win over them. */
  env?: NodeJS.ProcessEnv;
  /** Receives debug lines about retries (never credentials); silent by default. */
  logger?: Logger;
}

/** The options after env resolution and validation. */
export interface ResolvedHttpClientOptions {
  /** `scheme://host[:port][/prefix]` without userinfo and without a trailing `/`. */
  baseUrl: string;
  /** The value of the `Authorization` header, if any (never logged). */
  authorization?: string;
  insecureTls: boolean;
  ca?: Buffer;
  clientCert?: Buffer;
  maxRetries: number;
  backoffFactor: number;
  backoffJitter: number;
  timeoutMs: number;
  respectRetryAfter: boolean;
  headers: Record<string, string>;
  logger: Logger;
}

/** MLflow's `_MLFLOW_HTTP_REQUEST_MAX_RETRIES_LIMIT` and `_MLFLOW_HTTP_REQUEST_MAX_BACKOFF_FACTOR_LIMIT` defaults. */
const MAX_RETRIES_LIMIT = 10;
const MAX_BACKOFF_FACTOR_LIMIT = 120;

function readPem(path: string, variable: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw MlflowError.invalidParameter(`@mlstore/store-rest: cannot read the ${variable} file '${path}': ${(err as Error).message}`, { cause: err });
  }
}

function parseBaseUrl(baseUrl: string): { base: string; username?: string; password?: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch (err) {
    throw MlflowError.invalidParameter('@mlstore/store-rest: the base URL is not a valid URL', { cause: err });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw MlflowError.invalidParameter(`@mlstore/store-rest: the base URL must be http(s)://host[:port][/prefix], got scheme '${url.protocol.slice(0, -1)}'`);
  }
  if (url.search || url.hash) throw MlflowError.invalidParameter('@mlstore/store-rest: the base URL must not have a query or fragment');
  const out: { base: string; username?: string; password?: string } = {
    base: `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`,
  };
  if (url.username) out.username = decodeURIComponent(url.username);
  if (url.password) out.password = decodeURIComponent(url.password);
  return out;
}

function checkNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) {
    throw MlflowError.invalidParameter(`@mlstore/store-rest: ${name} must be a number in [${min}, ${max}], got ${value}`);
  }
  return value;
}

/**
 * Resolves client options like MLflow's `get_default_host_creds` + `http_request`: explicit
 * options first, then the environment, then MLflow's defaults. Userinfo in `baseUrl` is used as
 * Basic credentials when none are given, and removed from the URL.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a bad URL, a malformed or out-of-range
 *   variable (booleans accept only true/false/1/0), insecure TLS together with a CA path (as
 *   MLflow refuses), or an unreadable certificate file.
 */
export function resolveHttpClientOptions(options: MlflowHttpClientOptions): ResolvedHttpClientOptions {
  const env = options.env ?? process.env;
  const { base, username: urlUser, password: urlPassword } = parseBaseUrl(options.baseUrl);

  let username = options.username ?? urlUser;
  let password = options.password ?? urlPassword;
  if (username === undefined || password === undefined) {
    const fromEnv = readMlflowCredentials(env);
    username ??= fromEnv.username;
    password ??= fromEnv.password;
  }
  const token = options.token ?? readStringEnv(env, 'MLFLOW_TRACKING_TOKEN');
  let authorization: string | undefined;
  if (username && password) authorization = `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
  else if (token) authorization = `Bearer ${token}`;

  const insecureTls = options.insecureTls ?? readBooleanEnv(env, 'MLFLOW_TRACKING_INSECURE_TLS', false);
  const serverCertPath = options.serverCertPath ?? readStringEnv(env, 'MLFLOW_TRACKING_SERVER_CERT_PATH');
  const clientCertPath = options.clientCertPath ?? readStringEnv(env, 'MLFLOW_TRACKING_CLIENT_CERT_PATH');
  if (insecureTls && serverCertPath !== undefined) {
    throw MlflowError.invalidParameter(
      "When 'ignore_tls_verification' is true then 'server_cert_path' must not be set! This error may have occurred because the " +
        "'MLFLOW_TRACKING_INSECURE_TLS' and 'MLFLOW_TRACKING_SERVER_CERT_PATH' environment variables are both set - only one of these " +
        'environment variables may be set.',
    );
  }

  const maxRetries = checkNumber('maxRetries (MLFLOW_HTTP_REQUEST_MAX_RETRIES)', options.maxRetries ?? readIntEnv(env, 'MLFLOW_HTTP_REQUEST_MAX_RETRIES', 7), 0, MAX_RETRIES_LIMIT);
  if (!Number.isInteger(maxRetries)) throw MlflowError.invalidParameter(`@mlstore/store-rest: maxRetries must be an integer, got ${maxRetries}`);
  const backoffFactor = checkNumber(
    'backoffFactor (MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR)',
    options.backoffFactor ?? readIntEnv(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR', 2),
    0,
    MAX_BACKOFF_FACTOR_LIMIT,
  );
  const backoffJitter = checkNumber('backoffJitter (MLFLOW_HTTP_REQUEST_BACKOFF_JITTER)', options.backoffJitter ?? readFloatEnv(env, 'MLFLOW_HTTP_REQUEST_BACKOFF_JITTER', 1.0), 0, Number.MAX_SAFE_INTEGER);
  const timeoutMs = checkNumber(
    'timeoutMs (MLFLOW_HTTP_REQUEST_TIMEOUT)',
    options.timeoutMs ?? readIntEnv(env, 'MLFLOW_HTTP_REQUEST_TIMEOUT', 120) * 1000,
    0,
    2_147_483_647,
  );
  const respectRetryAfter = options.respectRetryAfter ?? readBooleanEnv(env, 'MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER', true);

  const resolved: ResolvedHttpClientOptions = {
    baseUrl: base,
    insecureTls,
    maxRetries,
    backoffFactor,
    backoffJitter,
    timeoutMs,
    respectRetryAfter,
    headers: { ...(options.headers ?? {}) },
    logger: options.logger ?? silentLogger,
  };
  if (authorization !== undefined) resolved.authorization = authorization;
  if (serverCertPath !== undefined) resolved.ca = readPem(serverCertPath, 'MLFLOW_TRACKING_SERVER_CERT_PATH');
  if (clientCertPath !== undefined) resolved.clientCert = readPem(clientCertPath, 'MLFLOW_TRACKING_CLIENT_CERT_PATH');
  return resolved;
}
