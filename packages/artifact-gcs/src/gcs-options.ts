import { MlflowError, type Logger } from '@mlstore/core';
import type { Storage } from '@google-cloud/storage';

/** Options of {@link GcsArtifactRepository}; each beats its environment variable. */
export interface GcsArtifactRepositoryOptions {
  /** A ready `Storage` client; when given, endpoint and credential options are ignored. */
  storage?: Storage;
  /** JSON API endpoint, e.g. `http://127.0.0.1:4443`. Env: `STORAGE_EMULATOR_HOST` (then no auth). */
  apiEndpoint?: string;
  /** Service-account key file. Env: `GOOGLE_APPLICATION_CREDENTIALS`. */
  keyFilename?: string;
  /** Parsed service-account credentials (instead of a key file). */
  credentials?: { client_email?: string; private_key?: string; [key: string]: unknown };
  /** Skip authentication (MLflow's anonymous client). Default: only when no credentials exist. */
  anonymous?: boolean;
  /** Project for the client. Env: `GOOGLE_CLOUD_PROJECT`. */
  projectId?: string;
  /** Resumable-upload chunk size in bytes (multiple of 256 KiB). Env: `MLFLOW_GCS_UPLOAD_CHUNK_SIZE`. */
  uploadChunkSize?: number;
  /** Download read size in bytes (stream high-water mark). Env: `MLFLOW_GCS_DOWNLOAD_CHUNK_SIZE`. */
  downloadChunkSize?: number;
  /** Per-request timeout in seconds; `-1` = none. Env: `MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT`, default 60. */
  timeoutSeconds?: number;
  /** Environment to read (default `process.env`). */
  env?: Record<string, string | undefined>;
  logger?: Logger;
}

/** The client settings after options and environment are merged. */
export interface GcsSettings {
  /** Endpoint without trailing `/`; undefined = Google's. */
  apiEndpoint?: string;
  /** True when the endpoint came from STORAGE_EMULATOR_HOST (then, as in Python, no auth). */
  emulator: boolean;
  auth: { kind: 'anonymous' } | { kind: 'keyFile'; keyFilename: string; fromEnv: boolean } | { kind: 'credentials' } | { kind: 'default' };
  projectId?: string;
  /** Undefined = library default (single streamed resumable request). */
  uploadChunkSize?: number;
  downloadChunkSize?: number;
  /** Milliseconds; undefined = no timeout. */
  timeoutMs?: number;
}

/** google-cloud-storage's `_DEFAULT_TIMEOUT`, the default MLflow keeps. */
export const DEFAULT_TIMEOUT_SECONDS = 60;
/** Resumable chunks must be multiples of this. */
export const CHUNK_GRANULARITY = 256 * 1024;

function intEnv(env: Record<string, string | undefined>, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  // MLflow's `_EnvironmentVariable(..., int)` is Python's int(): an integer, optional sign/spaces/_.
  if (!/^\s*[+-]?\d+(_\d+)*\s*$/.test(raw)) {
    throw MlflowError.invalidParameter(`@mlstore/artifact-gcs: ${name} must be an integer, got '${raw}'`);
  }
  return Number(raw.replace(/_/g, '').trim());
}

function checkChunk(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0 || value % CHUNK_GRANULARITY !== 0) {
    throw MlflowError.invalidParameter(`@mlstore/artifact-gcs: ${name} must be a positive multiple of 262144 (256 KiB), got ${value}`);
  }
  return value;
}

function sanitizeEndpoint(url: string): string {
  // As both SDKs: a bare host gets https://, trailing slashes go.
  const withScheme = /^https?:\/\//i.test(url) ? url : `https://${url}`;
  return withScheme.replace(/\/+$/, '');
}

/**
 * Merges options over the environment as MLflow's GCS repository and google-cloud-storage do:
 * endpoint = `apiEndpoint` ?? `STORAGE_EMULATOR_HOST`; with the emulator variable (and no explicit
 * credentials) requests are unauthenticated; otherwise explicit credentials, then
 * `GOOGLE_APPLICATION_CREDENTIALS`, then Application Default Credentials (anonymous when none exist,
 * decided on first use). Timeout: `-1` means none. Pure.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for malformed numbers or chunk sizes.
 */
export function resolveGcsSettings(options: GcsArtifactRepositoryOptions = {}): GcsSettings {
  const env = options.env ?? process.env;
  const emulatorHost = env.STORAGE_EMULATOR_HOST?.trim() || undefined;
  const endpoint = options.apiEndpoint ?? emulatorHost;
  const emulator = options.apiEndpoint === undefined && emulatorHost !== undefined;
  const envKey = env.GOOGLE_APPLICATION_CREDENTIALS?.trim() || undefined;
  let auth: GcsSettings['auth'];
  if (options.anonymous === true) auth = { kind: 'anonymous' };
  else if (options.credentials) auth = { kind: 'credentials' };
  else if (options.keyFilename) auth = { kind: 'keyFile', keyFilename: options.keyFilename, fromEnv: false };
  else if (emulator || (options.anonymous === undefined && options.apiEndpoint !== undefined && !envKey)) auth = { kind: 'anonymous' };
  else if (envKey) auth = { kind: 'keyFile', keyFilename: envKey, fromEnv: true };
  else auth = { kind: 'default' };
  const timeout = options.timeoutSeconds ?? intEnv(env, 'MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT') ?? DEFAULT_TIMEOUT_SECONDS;
  if (!Number.isFinite(timeout) || (timeout <= 0 && timeout !== -1)) {
    throw MlflowError.invalidParameter(`@mlstore/artifact-gcs: the timeout must be positive seconds or -1 (none), got ${timeout}`);
  }
  const settings: GcsSettings = {
    emulator,
    auth,
    uploadChunkSize: checkChunk('uploadChunkSize', options.uploadChunkSize ?? intEnv(env, 'MLFLOW_GCS_UPLOAD_CHUNK_SIZE')),
    downloadChunkSize: checkPositive('downloadChunkSize', options.downloadChunkSize ?? intEnv(env, 'MLFLOW_GCS_DOWNLOAD_CHUNK_SIZE')),
  };
  if (endpoint !== undefined) settings.apiEndpoint = sanitizeEndpoint(endpoint);
  const projectId = options.projectId ?? (env.GOOGLE_CLOUD_PROJECT || undefined);
  if (projectId !== undefined) settings.projectId = projectId;
  if (timeout !== -1) settings.timeoutMs = timeout * 1000;
  return settings;
}

function checkPositive(name: string, value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw MlflowError.invalidParameter(`@mlstore/artifact-gcs: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}
