import { BlobServiceClient, StorageSharedKeyCredential, type AnonymousCredential, type StoragePipelineOptions } from '@azure/storage-blob';
import { MlflowError } from '@mlstore/core';
import { PREFIX } from './errors.js';
import type { WasbsUri } from './wasbs-uri.js';

/** An Azure AD `TokenCredential` (the type @azure/identity's credentials implement). */
export type TokenCredential = Exclude<BlobServiceClient['credential'], StorageSharedKeyCredential | AnonymousCredential>;

/** MLflow's default of `MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT`: 600 s. */
export const DEFAULT_TIMEOUT_SECONDS = 600;

/** How the repository authenticates, after options and environment are resolved. */
export type AzureCredentialSource =
  | { kind: 'client'; client: BlobServiceClient; from: 'option' }
  | { kind: 'connectionString'; connectionString: string; from: 'option' | 'AZURE_STORAGE_CONNECTION_STRING' }
  | { kind: 'accountKey'; accountUrl: string; accountKey: string; from: 'option' | 'AZURE_STORAGE_ACCESS_KEY' }
  | { kind: 'tokenCredential'; accountUrl: string; credential: TokenCredential; from: 'option' }
  | { kind: 'defaultAzureCredential'; accountUrl: string };

/** The credential-related options of the repository; explicit values win over environment variables. */
export interface AzureCredentialOptions {
  /** A ready client (its endpoint and credential are used as they are); wins over everything. */
  serviceClient?: BlobServiceClient;
  /** Connection string (env `AZURE_STORAGE_CONNECTION_STRING`); its blob endpoint wins over the URI host. */
  connectionString?: string;
  /** Shared key of the URI's account (env `AZURE_STORAGE_ACCESS_KEY`). */
  accountKey?: string;
  /** Any `TokenCredential` (e.g. a `ManagedIdentityCredential` from @azure/identity). */
  credential?: TokenCredential;
  /** Seconds per request, sent as Azure's server-side `timeout` (env `MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT`, default 600). */
  timeoutSeconds?: number;
  /** Where variables are read (default `process.env`). */
  env?: NodeJS.ProcessEnv;
}

/**
 * Picks the credential like MLflow's `AzureBlobArtifactRepository.__init__`, explicit options
 * first: `serviceClient`, `connectionString`, `accountKey`, `credential`; then
 * `AZURE_STORAGE_CONNECTION_STRING` (set, even empty, it is used — MLflow tests `in os.environ`),
 * then `AZURE_STORAGE_ACCESS_KEY` with `https://<account>.<suffix>`, else `DefaultAzureCredential`.
 * Pure: nothing is contacted or imported.
 */
export function resolveAzureCredential(uri: WasbsUri, options: AzureCredentialOptions = {}): AzureCredentialSource {
  const env = options.env ?? process.env;
  const accountUrl = `https://${uri.account}.${uri.apiUriSuffix}`;
  if (options.serviceClient) return { kind: 'client', client: options.serviceClient, from: 'option' };
  if (options.connectionString !== undefined) return { kind: 'connectionString', connectionString: options.connectionString, from: 'option' };
  if (options.accountKey !== undefined) return { kind: 'accountKey', accountUrl, accountKey: options.accountKey, from: 'option' };
  if (options.credential) return { kind: 'tokenCredential', accountUrl, credential: options.credential, from: 'option' };
  const cs = env.AZURE_STORAGE_CONNECTION_STRING;
  if (cs !== undefined) return { kind: 'connectionString', connectionString: cs, from: 'AZURE_STORAGE_CONNECTION_STRING' };
  const key = env.AZURE_STORAGE_ACCESS_KEY;
  if (key !== undefined) return { kind: 'accountKey', accountUrl, accountKey: key, from: 'AZURE_STORAGE_ACCESS_KEY' };
  return { kind: 'defaultAzureCredential', accountUrl };
}

/**
 * `MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT` as MLflow reads it (an int; unset, empty or 0 → 600 s).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a value that is not a non-negative integer.
 */
export function resolveTimeoutSeconds(options: Pick<AzureCredentialOptions, 'timeoutSeconds' | 'env'> = {}): number {
  if (options.timeoutSeconds !== undefined) {
    if (!(options.timeoutSeconds > 0)) throw MlflowError.invalidParameter(`${PREFIX} timeoutSeconds must be positive, got ${options.timeoutSeconds}`);
    return options.timeoutSeconds;
  }
  const raw = (options.env ?? process.env).MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT;
  if (raw === undefined || raw.trim() === '') return DEFAULT_TIMEOUT_SECONDS;
  if (!/^\s*[+-]?\d+\s*$/.test(raw) || Number(raw) < 0) {
    throw MlflowError.invalidParameter(`${PREFIX} MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT must be a non-negative integer number of seconds, got '${raw}'`);
  }
  return Number(raw) || DEFAULT_TIMEOUT_SECONDS;
}

/** Loads `@azure/identity` (an optional peer); replaceable so the missing-package path is testable. */
export type IdentityLoader = () => Promise<{ DefaultAzureCredential: new () => TokenCredential }>;

const loadIdentity: IdentityLoader = () => import('@azure/identity');

/**
 * A `DefaultAzureCredential` from the optional peer `@azure/identity`, imported on first use.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE naming the package to install when it is missing.
 */
export async function defaultAzureCredential(load: IdentityLoader = loadIdentity): Promise<TokenCredential> {
  let mod: Awaited<ReturnType<IdentityLoader>>;
  try {
    mod = await load();
  } catch (err) {
    const code = (err as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw MlflowError.invalidParameter(
        `${PREFIX} without AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCESS_KEY the 'wasbs' artifact repository ` +
          'authenticates with DefaultAzureCredential, which needs the package @azure/identity, which is not installed. ' +
          'Install it with: npm install @azure/identity',
        { cause: err },
      );
    }
    throw err;
  }
  return new mod.DefaultAzureCredential();
}

/**
 * Builds the `BlobServiceClient` for a resolved source. The timeout becomes the SDK's per-try
 * timeout, which the SDK sends as Azure's server-side `timeout` parameter (as MLflow's `timeout=`).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a malformed connection string or a missing
 *   `@azure/identity`.
 */
export async function createServiceClient(
  source: AzureCredentialSource,
  timeoutSeconds: number,
  load: IdentityLoader = loadIdentity,
): Promise<BlobServiceClient> {
  // The SDK's back-off (4 s base: 0 + 4 + 12 s over its 4 tries) keeps a call to a dead endpoint
  // hanging 16 s; a 1 s base bounds it at 4 s (0 + 1 + 3 s) and still rides out a restart.
  const pipeline: StoragePipelineOptions = { retryOptions: { tryTimeoutInMs: timeoutSeconds * 1000, retryDelayInMs: 1000, maxRetryDelayInMs: 8000 } };
  switch (source.kind) {
    case 'client':
      return source.client;
    case 'connectionString':
      try {
        return BlobServiceClient.fromConnectionString(source.connectionString, pipeline);
      } catch (err) {
        // The SDK's message may quote the string; never repeat it.
        throw MlflowError.invalidParameter(`${PREFIX} the connection string (${source.from}) is not valid: it needs AccountName/AccountKey or SharedAccessSignature and an endpoint`, {
          cause: err,
        });
      }
    case 'accountKey':
      return new BlobServiceClient(source.accountUrl, new StorageSharedKeyCredential(source.accountUrl.slice(8).split('.')[0] as string, source.accountKey), pipeline);
    case 'tokenCredential':
      return new BlobServiceClient(source.accountUrl, source.credential, pipeline);
    case 'defaultAzureCredential':
      return new BlobServiceClient(source.accountUrl, await defaultAzureCredential(load), pipeline);
  }
}
