import type { TrackingStoreOptions, TrackingStoreRegistry } from '@mlstore/core';
import { RestStore } from './rest-store.js';
import type { RestStoreOpenOptions } from './rest-store-options.js';

/**
 * Registers the {@link RestStore} for `http:` and `https:` tracking URIs, as MLflow resolves a
 * tracking URI naming a tracking server. `options` (auth, TLS, retries, capabilities) apply to
 * every store the registry creates; the registry's `logger` is used when `options` has none, and
 * `defaultArtifactRoot` is ignored (the server decides artifact locations).
 */
export function registerRestTrackingStore(registry: TrackingStoreRegistry, options: RestStoreOpenOptions = {}): TrackingStoreRegistry {
  const factory = (uri: string, storeOptions: TrackingStoreOptions) => {
    const opts: RestStoreOpenOptions = { ...options };
    if (opts.logger === undefined && storeOptions.logger !== undefined) opts.logger = storeOptions.logger;
    return RestStore.open(uri, opts);
  };
  return registry.register('http', factory, { aliases: ['https'] });
}
