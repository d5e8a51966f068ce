import type { ModelRegistryStoreOptions, ModelRegistryStoreRegistry } from '@mlstore/core';
import { RestModelRegistryStore } from './rest-model-registry-store.js';
import type { RestStoreOpenOptions } from './rest-store-options.js';

/**
 * Registers the {@link RestModelRegistryStore} for `http:` and `https:` registry URIs, as MLflow
 * resolves a registry URI naming a tracking server. `options` (auth, TLS, retries) apply to every
 * store the registry creates; the registry's `logger` is used when `options` has none, and its
 * `trackingStore` is ignored (the server resolves logged models itself).
 */
export function registerRestModelRegistryStore(registry: ModelRegistryStoreRegistry, options: RestStoreOpenOptions = {}): ModelRegistryStoreRegistry {
  const factory = (uri: string, storeOptions: ModelRegistryStoreOptions) => {
    const opts: RestStoreOpenOptions = { ...options };
    if (opts.logger === undefined && storeOptions.logger !== undefined) opts.logger = storeOptions.logger;
    return RestModelRegistryStore.open(uri, opts);
  };
  return registry.register('http', factory, { aliases: ['https'] });
}
