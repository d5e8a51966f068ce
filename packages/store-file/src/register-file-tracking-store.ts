import type { TrackingStoreOptions, TrackingStoreRegistry } from '@mlstore/core';
import { FileTrackingStore } from './file-tracking-store.js';
import type { FileTrackingStoreOptions } from './file-store-base.js';

/**
 * Registers the file store for `file:` URIs and plain paths (scheme `''`), as MLflow resolves
 * `./mlruns` and `file:///abs/mlruns`.
 */
export function registerFileTrackingStore(registry: TrackingStoreRegistry): TrackingStoreRegistry {
  const factory = (uri: string, options: TrackingStoreOptions) => {
    const opts: FileTrackingStoreOptions = {};
    if (options.defaultArtifactRoot !== undefined) opts.artifactRoot = options.defaultArtifactRoot;
    if (options.logger !== undefined) opts.logger = options.logger;
    return FileTrackingStore.open(uri, opts);
  };
  return registry.register('file', factory, { aliases: [''] });
}
