import type { TrackingStoreOptions, TrackingStoreRegistry } from '@mlstore/core';
import { SqlTrackingStore, type SqlTrackingStoreOptions } from './sql-tracking-store.js';

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
  return registry.register('sqlite', factory).register('postgresql', factory, { aliases: ['postgres'] }).register('mysql', factory, { aliases: ['mariadb'] });
}
