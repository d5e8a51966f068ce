import type { ArtifactRepositoryOptions, ArtifactRepositoryRegistry } from '@mlstore/core';
import { S3ArtifactRepository } from './s3-artifact-repository.js';
import type { S3ArtifactRepositoryOptions } from './s3-options.js';

/**
 * Builds an {@link S3ArtifactRepository}; the registry's `logger` wins over that of `defaults`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE as the repository's constructor.
 */
export function createS3ArtifactRepository(
  uri: string,
  options: ArtifactRepositoryOptions = {},
  defaults: S3ArtifactRepositoryOptions = {},
): S3ArtifactRepository {
  const logger = options.logger ?? defaults.logger;
  return new S3ArtifactRepository(uri, { ...defaults, ...(logger ? { logger } : {}) });
}

/**
 * Registers the S3 repository for `s3://` URIs and returns the registry. `options` apply to every
 * repository it makes (each beats its env var); give `options.client` to share one SDK client
 * (one connection pool) between them.
 */
export function registerS3ArtifactRepository(
  registry: ArtifactRepositoryRegistry,
  options: S3ArtifactRepositoryOptions = {},
): ArtifactRepositoryRegistry {
  return registry.register('s3', (uri, registryOptions) => createS3ArtifactRepository(uri, registryOptions, options));
}
