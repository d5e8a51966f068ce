import type { ArtifactRepositoryRegistry } from '@mlstore/core';
import { LocalArtifactRepository } from './local-artifact-repository.js';

/** Builds a `LocalArtifactRepository` for a `file:` URI or plain path. */
export function createLocalArtifactRepository(uri: string): LocalArtifactRepository {
  return new LocalArtifactRepository(uri);
}

/** Registers the local repository for plain paths (scheme `''`) and `file:` URIs; returns the registry. */
export function registerLocalArtifactRepository(registry: ArtifactRepositoryRegistry): ArtifactRepositoryRegistry {
  return registry.register('', (uri) => createLocalArtifactRepository(uri), { aliases: ['file'] });
}
