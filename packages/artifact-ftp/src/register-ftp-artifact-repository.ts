import type { ArtifactRepositoryRegistry } from '@mlstore/core';
import { FtpArtifactRepository } from './ftp-artifact-repository.js';
import type { FtpArtifactRepositoryOptions } from './ftp-options.js';

/**
 * Registers {@link FtpArtifactRepository} for `ftp` and `ftps` URIs and returns the registry.
 * `options` apply to every repository it builds; the registry's `logger` wins over `options.logger`.
 */
export function registerFtpArtifactRepository(registry: ArtifactRepositoryRegistry, options: FtpArtifactRepositoryOptions = {}): ArtifactRepositoryRegistry {
  const factory = (uri: string, registryOptions: { logger?: FtpArtifactRepositoryOptions['logger'] }) => {
    const logger = registryOptions.logger ?? options.logger;
    return new FtpArtifactRepository(uri, { ...options, ...(logger ? { logger } : {}) });
  };
  return registry.register('ftp', factory).register('ftps', factory);
}
