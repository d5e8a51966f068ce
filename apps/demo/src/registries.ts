import { registerHttpArtifactRepository } from '@mlstore/artifact-http';
import { registerLocalArtifactRepository } from '@mlstore/artifact-local';
import {
  createArtifactRepositoryRegistry,
  createTrackingStoreRegistry,
  type ArtifactRepositoryRegistry,
  type TrackingStoreFactory,
  type TrackingStoreRegistry,
} from '@mlstore/core';
import { registerRestTrackingStore } from '@mlstore/store-rest';
import { registerSqlTrackingStore } from '@mlstore/store-sql';

/** The tracking and artifact registries the demo resolves URIs with. */
export interface Registries {
  tracking: TrackingStoreRegistry;
  artifacts: ArtifactRepositoryRegistry;
}

/** What the demo needs of `@mlstore/store-file` (typed here so the app builds without it). */
interface FileStoreModule {
  registerFileTrackingStore(registry: TrackingStoreRegistry): TrackingStoreRegistry;
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

/**
 * Every built-in backend: SQL stores (`sqlite`, `postgresql`/`postgres`, `mysql`/`mariadb`), the
 * file store for `file:` URIs and plain paths (loaded on first use), MLflow tracking servers
 * (`http`, `https`), and artifact repositories: local (`file:` and plain paths) and HTTP
 * (`http`, `https`, `mlflow-artifacts`).
 */
export function defaultRegistries(): Registries {
  const tracking = registerSqlTrackingStore(createTrackingStoreRegistry());
  tracking.registerLazy('file', { packageName: FILE_STORE_PACKAGE, load: loadFileStoreFactory }, { aliases: [''] });
  registerRestTrackingStore(tracking);
  const artifacts = registerHttpArtifactRepository(registerLocalArtifactRepository(createArtifactRepositoryRegistry()));
  return { tracking, artifacts };
}
