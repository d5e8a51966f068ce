import type { AbstractStore } from '../abstract-store.js';
import type { ArtifactRepository } from '../artifacts/index.js';
import type { Logger } from '../logger.js';
import { SchemeRegistry } from './scheme-registry.js';

/** What a tracking-store factory receives besides the URI. */
export interface TrackingStoreOptions {
  /** Default artifact root for new experiments (MLflow's `--default-artifact-root`). */
  defaultArtifactRoot?: string;
  logger?: Logger;
}

/** Builds a tracking store for a URI such as `sqlite:///mlflow.db` or `./mlruns`. */
export type TrackingStoreFactory = (uri: string, options: TrackingStoreOptions) => AbstractStore | Promise<AbstractStore>;

/** Scheme → tracking store, resolved like MLflow's `TrackingStoreRegistry`. */
export class TrackingStoreRegistry extends SchemeRegistry<TrackingStoreFactory> {
  constructor() {
    super('tracking store');
  }

  /**
   * Creates the store for `uri` with the factory of its scheme.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for an unknown scheme or a missing package.
   */
  async resolve(uri: string, options: TrackingStoreOptions = {}): Promise<AbstractStore> {
    const factory = await this.factoryFor(uri);
    return factory(uri, options);
  }
}

/** A new, empty tracking-store registry. Adapters add themselves with their `register…` function. */
export function createTrackingStoreRegistry(): TrackingStoreRegistry {
  return new TrackingStoreRegistry();
}

/** What an artifact-repository factory receives besides the URI. */
export interface ArtifactRepositoryOptions {
  /** The tracking URI, used to resolve `mlflow-artifacts:` URIs without a host. */
  trackingUri?: string;
  logger?: Logger;
}

/** Builds an artifact repository for a URI such as `s3://bucket/path` or `./mlartifacts`. */
export type ArtifactRepositoryFactory = (
  uri: string,
  options: ArtifactRepositoryOptions,
) => ArtifactRepository | Promise<ArtifactRepository>;

/** Scheme → artifact repository, resolved like MLflow's `ArtifactRepositoryRegistry`. */
export class ArtifactRepositoryRegistry extends SchemeRegistry<ArtifactRepositoryFactory> {
  constructor() {
    super('artifact repository');
  }

  /**
   * Creates the repository for `uri` with the factory of its scheme.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for an unknown scheme or a missing package.
   */
  async resolve(uri: string, options: ArtifactRepositoryOptions = {}): Promise<ArtifactRepository> {
    const factory = await this.factoryFor(uri);
    return factory(uri, options);
  }
}

/** A new, empty artifact-repository registry. Adapters add themselves with their `register…` function. */
export function createArtifactRepositoryRegistry(): ArtifactRepositoryRegistry {
  return new ArtifactRepositoryRegistry();
}
