import type { ArtifactRepositoryRegistry } from '@mlstore/core';
import { GcsArtifactRepository } from './gcs-artifact-repository.js';
import type { GcsArtifactRepositoryOptions } from './gcs-options.js';

/**
 * Registers {@link GcsArtifactRepository} for `gs` URIs and returns the registry. `options` apply
 * to every repository it builds; the registry's `logger` wins over `options.logger`. Repositories
 * share one `Storage` client when `options.storage` is given.
 */
export function registerGcsArtifactRepository(
  registry: ArtifactRepositoryRegistry,
  options: GcsArtifactRepositoryOptions = {},
): ArtifactRepositoryRegistry {
  return registry.register('gs', (uri, registryOptions) => {
    const logger = registryOptions.logger ?? options.logger;
    return new GcsArtifactRepository(uri, { ...options, ...(logger ? { logger } : {}) });
  });
}
