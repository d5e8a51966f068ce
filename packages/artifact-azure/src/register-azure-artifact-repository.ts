import type { ArtifactRepositoryOptions, ArtifactRepositoryRegistry } from '@mlstore/core';
import { AzureBlobArtifactRepository, type AzureBlobArtifactRepositoryOptions } from './azure-blob-artifact-repository.js';
import { abfssNotSupported } from './wasbs-uri.js';

/**
 * Builds an {@link AzureBlobArtifactRepository}; the registry's `logger` wins over the one of
 * `defaults`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE as the repository's constructor.
 */
export function createAzureBlobArtifactRepository(
  uri: string,
  options: ArtifactRepositoryOptions = {},
  defaults: AzureBlobArtifactRepositoryOptions = {},
): AzureBlobArtifactRepository {
  const logger = options.logger ?? defaults.logger;
  return new AzureBlobArtifactRepository(uri, logger ? { ...defaults, logger } : defaults);
}

/**
 * Registers the Azure Blob repository for `wasbs` URIs, and `abfss` (ADLS Gen2) with a factory
 * that refuses it — INVALID_PARAMETER_VALUE "not supported, use wasbs:// on the same account" —
 * because ADLS Gen2 has no emulator to test it against. Returns the registry.
 */
export function registerAzureArtifactRepository(
  registry: ArtifactRepositoryRegistry,
  options: AzureBlobArtifactRepositoryOptions = {},
): ArtifactRepositoryRegistry {
  registry.register('wasbs', (uri, registryOptions) => createAzureBlobArtifactRepository(uri, registryOptions, options));
  return registry.register('abfss', (uri) => {
    throw abfssNotSupported(uri);
  });
}
