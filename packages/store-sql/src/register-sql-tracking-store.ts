import type { TrackingStoreOptions, TrackingStoreRegistry } from '@mlstore/core';
import { SqlTrackingStore, type SqlTrackingStoreOptions } from './sql-tracking-store.js';
import { SQL_URI_SCHEMES } from './pool-options.js';

/**
 * Registers the SQL store for `sqlite`, `postgresql` (alias `postgres`) and `mysql` URIs
 * (`dialect+driver` is reduced to the dialect by the registry).
 */
export function registerSqlTrackingStore(registry: TrackingStoreRegistry): TrackingStoreRegistry {
  const factory = (uri: string, options: TrackingStoreOptions) => {
    const opts: SqlTrackingStoreOptions = {};
    if (options.defaultArtifactRoot !== undefined) opts.artifactRoot = options.defaultArtifactRoot;
    if (options.logger !== undefined) opts.logger = options.logger;
    return SqlTrackingStore.open(uri, opts);
  };
  for (const [scheme, aliases] of SQL_URI_SCHEMES) registry.register(scheme, factory, { aliases });
  return registry;
}
