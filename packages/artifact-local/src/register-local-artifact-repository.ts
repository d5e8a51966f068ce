import type { ArtifactRepository } from '@mlstore/core';
import { LocalArtifactRepository } from './local-artifact-repository.js';

/** The part of an artifact-repository registry this package needs (structural, any core copy). */
export interface ArtifactRegistryLike {
  register(
    scheme: string,
    factory: (uri: string, options?: unknown) => ArtifactRepository | Promise<ArtifactRepository>,
    options?: { aliases?: readonly string[] },
  ): unknown;
}

/** Builds a `LocalArtifactRepository` for a `file:` URI or plain path. */
export function createLocalArtifactRepository(uri: string): LocalArtifactRepository {
  return new LocalArtifactRepository(uri);
}

/** Registers the local repository for plain paths (scheme `''`) and `file:` URIs. */
export function registerLocalArtifactRepository<R extends ArtifactRegistryLike>(registry: R): R {
  registry.register('', (uri) => createLocalArtifactRepository(uri), { aliases: ['file'] });
  return registry;
}
