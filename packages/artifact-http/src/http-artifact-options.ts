import { MlflowError, type Logger } from '@mlstore/core';
import { readBooleanEnv, readIntEnv, type MlflowHttpClient, type MlflowHttpClientOptions } from '@mlstore/store-rest';

/** Options of {@link HttpArtifactRepository}; explicit values win over environment variables. */
export interface HttpArtifactRepositoryOptions {
  /** Tracking server URL that `mlflow-artifacts:` URIs resolve against (env `MLFLOW_TRACKING_URI`). */
  trackingUri?: string;
  /**
   * A client to share (keep-alive pool, auth, TLS, retries). Default: a new client for the
   * repository's origin, built from `clientOptions`, `env` and `logger`; it sends the
   * `Authorization` header only to its own origin.
   */
  client?: MlflowHttpClient;
  /** Options of the client created when `client` is absent (auth, TLS, retries, timeout, headers). */
  clientOptions?: Omit<MlflowHttpClientOptions, 'baseUrl' | 'env' | 'logger'>;
  /** Where variables are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Debug/warn lines (never credentials); silent by default. */
  logger?: Logger;
  /**
   * Upload large files through the proxy's multipart endpoints (env
   * `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`; when neither is set, the server's
   * `/api/3.0/mlflow/server-info` `multipart_uploads_enabled` decides, as in MLflow 3.18).
   */
  proxyMultipartUpload?: boolean;
  /** Smallest file uploaded in parts (env `MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE`, default 500 MiB). */
  multipartMinimumFileSize?: number;
  /** Part size (env `MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE`, default 10 MiB). */
  multipartChunkSize?: number;
}

/** The multipart settings after env resolution. */
export interface MultipartSettings {
  /** `undefined`: ask the server. */
  enabled: boolean | undefined;
  minimumFileSize: number;
  chunkSize: number;
}

const MiB = 1024 * 1024;

/**
 * Resolves the multipart settings like MLflow's environment variables (booleans accept only
 * true/false/1/0, sizes are integers).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a malformed variable or a non-positive chunk size.
 */
export function resolveMultipartSettings(options: HttpArtifactRepositoryOptions): MultipartSettings {
  const env = options.env ?? process.env;
  const enabled =
    options.proxyMultipartUpload ??
    (env.MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD !== undefined ? readBooleanEnv(env, 'MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD', false) : undefined);
  const minimumFileSize = options.multipartMinimumFileSize ?? readIntEnv(env, 'MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE', 500 * MiB);
  const chunkSize = options.multipartChunkSize ?? readIntEnv(env, 'MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE', 10 * MiB);
  if (!(chunkSize > 0)) {
    throw MlflowError.invalidParameter(`@mlstore/artifact-http: the multipart chunk size must be positive, got ${chunkSize}`);
  }
  return { enabled, minimumFileSize, chunkSize };
}
