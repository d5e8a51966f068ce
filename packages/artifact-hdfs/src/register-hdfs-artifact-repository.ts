import type { ArtifactRepositoryRegistry } from '@mlstore/core';
import { HdfsArtifactRepository } from './hdfs-artifact-repository.js';
import type { HdfsArtifactRepositoryOptions } from './hdfs-options.js';
import { HDFS_SCHEMES } from './hdfs-uri.js';

/**
 * Registers {@link HdfsArtifactRepository} for `hdfs`, `webhdfs` and `swebhdfs` URIs and returns
 * the registry. `options` apply to every repository it builds; the registry's `logger` wins over
 * `options.logger`.
 */
export function registerHdfsArtifactRepository(
  registry: ArtifactRepositoryRegistry,
  options: HdfsArtifactRepositoryOptions = {},
): ArtifactRepositoryRegistry {
  for (const scheme of HDFS_SCHEMES) {
    registry.register(scheme, (uri, registryOptions) => {
      const logger = registryOptions.logger ?? options.logger;
      return new HdfsArtifactRepository(uri, { ...options, ...(logger ? { logger } : {}) });
    });
  }
  return registry;
}
