import type { TrackingStoreOptions, TrackingStoreRegistry } from '@mlstore/core';
import { SqlTrackingStore, type SqlTrackingStoreOptions } from './sql-tracking-store.js';

/**
 * Registers the SQL store for `sqlite`, `postgresql` (alias `postgres`) and `mysql` URIs
 * (`dialect+driver` is reduced to the dialect by the registry).
 */
export function registerSqlTrackingStore(registry: TrackingStoreRegistry): void {
  const factory = (uri: string, options: TrackingStoreOptions) => {
    const opts: SqlTrackingStoreOptions = {};
    if (options.defaultArtifactRoot !== undefined) opts.artifactRoot = options.defaultArtifactRoot;
    if (options.logger !== undefined) opts.logger = options.logger;
    return SqlTrackingStore.open(uri, opts);
  };
  for (const scheme of ['sqlite', 'postgresql', 'postgres', 'mysql']) registry.register(scheme, factory);
}
