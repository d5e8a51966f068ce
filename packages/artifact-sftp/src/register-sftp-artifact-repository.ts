import type { ArtifactRepositoryRegistry } from '@mlstore/core';
import { SftpArtifactRepository } from './sftp-artifact-repository.js';
import type { SftpArtifactRepositoryOptions } from './sftp-options.js';

/**
 * Registers {@link SftpArtifactRepository} for `sftp` URIs and returns the registry. `options`
 * apply to every repository it builds; the registry's `logger` wins over `options.logger`.
 */
export function registerSftpArtifactRepository(registry: ArtifactRepositoryRegistry, options: SftpArtifactRepositoryOptions = {}): ArtifactRepositoryRegistry {
  return registry.register('sftp', (uri, registryOptions) => {
    const logger = registryOptions.logger ?? options.logger;
    return new SftpArtifactRepository(uri, { ...options, ...(logger ? { logger } : {}) });
  });
}
