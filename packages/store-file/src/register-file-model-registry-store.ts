import type { ModelRegistryStoreOptions, ModelRegistryStoreRegistry } from '@mlstore/core';
import { FileModelRegistryStore, type FileModelRegistryStoreOptions } from './file-model-registry-store.js';

/**
 * Registers the file model registry for `file:` URIs and plain paths (scheme `''`), as MLflow
 * resolves `--registry-store-uri ./mlruns` (it then reads and writes `<root>/models/`).
 */
export function registerFileModelRegistryStore(registry: ModelRegistryStoreRegistry): ModelRegistryStoreRegistry {
  const factory = (uri: string, options: ModelRegistryStoreOptions) => {
    const opts: FileModelRegistryStoreOptions = {};
    if (options.trackingStore !== undefined) opts.trackingStore = options.trackingStore;
    if (options.logger !== undefined) opts.logger = options.logger;
    return FileModelRegistryStore.open(uri, opts);
  };
  return registry.register('file', factory, { aliases: [''] });
}
