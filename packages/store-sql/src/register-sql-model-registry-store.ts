import type { ModelRegistryStoreOptions, ModelRegistryStoreRegistry } from '@mlstore/core';
import { SqlModelRegistryStore, type SqlModelRegistryStoreOptions } from './sql-model-registry-store.js';
import { SQL_URI_SCHEMES } from './pool-options.js';

/**
 * Registers the SQL model registry for `sqlite`, `postgresql` (alias `postgres`) and `mysql`
 * (alias `mariadb`) URIs (`dialect+driver` is reduced to the dialect by the registry), as
 * {@link registerSqlTrackingStore} does for tracking.
 */
export function registerSqlModelRegistryStore(registry: ModelRegistryStoreRegistry): ModelRegistryStoreRegistry {
  const factory = (uri: string, options: ModelRegistryStoreOptions) => {
    const opts: SqlModelRegistryStoreOptions = {};
    if (options.trackingStore !== undefined) opts.trackingStore = options.trackingStore;
    if (options.logger !== undefined) opts.logger = options.logger;
    return SqlModelRegistryStore.open(uri, opts);
  };
  for (const [scheme, aliases] of SQL_URI_SCHEMES) registry.register(scheme, factory, { aliases });
  return registry;
}
