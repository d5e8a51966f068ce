import { registerLocalArtifactRepository } from '@mlstore/artifact-local';
import {
  createArtifactRepositoryRegistry,
  createModelRegistryStoreRegistry,
  createTrackingStoreRegistry,
  type ArtifactRepositoryFactory,
  type ArtifactRepositoryRegistry,
  type ModelRegistryStoreFactory,
  type ModelRegistryStoreRegistry,
  type TrackingStoreFactory,
  type TrackingStoreRegistry,
} from '@mlstore/core';
import { SQL_URI_SCHEMES } from '@mlstore/store-sql/pool-options';

/** The tracking, model-registry and artifact registries the demo resolves URIs with. */
export interface Registries {
  tracking: TrackingStoreRegistry;
  modelRegistry: ModelRegistryStoreRegistry;
  artifacts: ArtifactRepositoryRegistry;
}

/** What the demo needs of `@mlstore/store-file` (typed here so the app builds without it). */
interface FileStoreModule {
  registerFileTrackingStore(registry: TrackingStoreRegistry): TrackingStoreRegistry;
  registerFileModelRegistryStore(registry: ModelRegistryStoreRegistry): ModelRegistryStoreRegistry;
}

// A variable specifier: TypeScript does not resolve it, so the demo compiles whether or not the
// file store is built; at run time a missing package becomes the registry's "install it" error.
const FILE_STORE_PACKAGE: string = '@mlstore/store-file';

/** Loads the file store's factory through its own `registerFileTrackingStore`. */
async function loadFileStoreFactory(): Promise<TrackingStoreFactory> {
  const mod = (await import(FILE_STORE_PACKAGE)) as FileStoreModule;
  const scratch = mod.registerFileTrackingStore(createTrackingStoreRegistry());
  return scratch.factoryFor('file:///');
}

/** Loads the file store's model-registry factory through its own `registerFileModelRegistryStore`. */
async function loadFileRegistryFactory(): Promise<ModelRegistryStoreFactory> {
  const mod = (await import(FILE_STORE_PACKAGE)) as FileStoreModule;
  return mod.registerFileModelRegistryStore(createModelRegistryStoreRegistry()).factoryFor('file:///');
}

/**
 * `@mlstore/store-sql` for `sqlite`, `postgresql`/`postgres` and `mysql`/`mariadb`, loaded on first
 * use: `mlstore server --workers N`'s supervisor opens no store and so never loads it (or Kysely).
 */
const SQL_STORE_PACKAGE = '@mlstore/store-sql';
const loadSqlTrackingFactory = async (): Promise<TrackingStoreFactory> =>
  (await import('@mlstore/store-sql')).registerSqlTrackingStore(createTrackingStoreRegistry()).factoryFor('sqlite:///');
const loadSqlRegistryFactory = async (): Promise<ModelRegistryStoreFactory> =>
  (await import('@mlstore/store-sql')).registerSqlModelRegistryStore(createModelRegistryStoreRegistry()).factoryFor('sqlite:///');

/**
 * `@mlstore/store-rest` (an MLflow tracking server as the store), loaded on first use of `http(s)`:
 * its HTTP client (undici) would otherwise sit in every server process's memory.
 */
const REST_STORE_PACKAGE = '@mlstore/store-rest';
const loadRestTrackingFactory = async (): Promise<TrackingStoreFactory> =>
  (await import('@mlstore/store-rest')).registerRestTrackingStore(createTrackingStoreRegistry()).factoryFor('http://');
const loadRestRegistryFactory = async (): Promise<ModelRegistryStoreFactory> =>
  (await import('@mlstore/store-rest')).registerRestModelRegistryStore(createModelRegistryStoreRegistry()).factoryFor('http://');

/**
 * The artifact packages loaded on first use: scheme → package and its register function. HTTP too
 * (`mlflow-artifacts:` of a remote server): it runs on store-rest's undici client, which a server
 * serving its own artifacts never needs.
 */
const LAZY_ARTIFACTS: { schemes: string[]; packageName: string; register: string }[] = [
  { schemes: ['http', 'https', 'mlflow-artifacts'], packageName: '@mlstore/artifact-http', register: 'registerHttpArtifactRepository' },
  { schemes: ['s3'], packageName: '@mlstore/artifact-s3', register: 'registerS3ArtifactRepository' },
  { schemes: ['wasbs', 'abfss'], packageName: '@mlstore/artifact-azure', register: 'registerAzureArtifactRepository' },
  { schemes: ['gs'], packageName: '@mlstore/artifact-gcs', register: 'registerGcsArtifactRepository' },
  { schemes: ['sftp'], packageName: '@mlstore/artifact-sftp', register: 'registerSftpArtifactRepository' },
  { schemes: ['ftp', 'ftps'], packageName: '@mlstore/artifact-ftp', register: 'registerFtpArtifactRepository' },
  { schemes: ['hdfs', 'webhdfs', 'swebhdfs'], packageName: '@mlstore/artifact-hdfs', register: 'registerHdfsArtifactRepository' },
];

/**
 * A lazy registry entry: the package is imported the first time its scheme is resolved (so its SDK
 * loads only then), and its own `register…` function supplies the factory.
 */
function lazyArtifactFactory(packageName: string, register: string, scheme: string): () => Promise<ArtifactRepositoryFactory> {
  return async () => {
    const mod = (await import(packageName)) as Record<string, (r: ArtifactRepositoryRegistry) => ArtifactRepositoryRegistry>;
    const registerFn = mod[register];
    if (typeof registerFn !== 'function') throw new Error(`${packageName} does not export ${register}`);
    return registerFn(createArtifactRepositoryRegistry()).factoryFor(`${scheme}://x/y`);
  };
}

/**
 * Every built-in backend: SQL stores (`sqlite`, `postgresql`/`postgres`, `mysql`/`mariadb`; loaded
 * on first use), the file store for `file:` URIs and plain paths (loaded on first use), MLflow tracking servers
 * (`http`, `https`; loaded on first use), the model registry on the SQL and file stores and
 * tracking servers, and artifact repositories: local (`file:` and plain paths) and — loaded on
 * first use — HTTP (`http`, `https`, `mlflow-artifacts`), S3 (`s3`), Azure Blob
 * (`wasbs`, `abfss`), GCS (`gs`), SFTP (`sftp`), FTP (`ftp`, `ftps`) and HDFS (`hdfs`, `webhdfs`,
 * `swebhdfs`).
 */
export function defaultRegistries(): Registries {
  const tracking = createTrackingStoreRegistry();
  const modelRegistry = createModelRegistryStoreRegistry();
  for (const [scheme, aliases] of SQL_URI_SCHEMES) {
    tracking.registerLazy(scheme, { packageName: SQL_STORE_PACKAGE, load: loadSqlTrackingFactory }, { aliases });
    modelRegistry.registerLazy(scheme, { packageName: SQL_STORE_PACKAGE, load: loadSqlRegistryFactory }, { aliases });
  }
  tracking.registerLazy('file', { packageName: FILE_STORE_PACKAGE, load: loadFileStoreFactory }, { aliases: [''] });
  tracking.registerLazy('http', { packageName: REST_STORE_PACKAGE, load: loadRestTrackingFactory }, { aliases: ['https'] });
  modelRegistry.registerLazy('file', { packageName: FILE_STORE_PACKAGE, load: loadFileRegistryFactory }, { aliases: [''] });
  modelRegistry.registerLazy('http', { packageName: REST_STORE_PACKAGE, load: loadRestRegistryFactory }, { aliases: ['https'] });
  const artifacts = registerLocalArtifactRepository(createArtifactRepositoryRegistry());
  for (const { schemes, packageName, register } of LAZY_ARTIFACTS) {
    for (const scheme of schemes) artifacts.registerLazy(scheme, { packageName, load: lazyArtifactFactory(packageName, register, scheme) });
  }
  return { tracking, modelRegistry, artifacts };
}
