import type { AbstractStore } from '../abstract-store.js';
import type { ArtifactRepository } from '../artifacts/index.js';
import type { Logger } from '../logger.js';
import type { ModelRegistryStore } from '../model-registry/model-registry-store.js';
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
export type TrackingStoreRegistry = SchemeRegistry<TrackingStoreOptions, AbstractStore>;

/** A new, empty tracking-store registry. Adapters add themselves with their `register…` function. */
export function createTrackingStoreRegistry(): TrackingStoreRegistry {
  return new SchemeRegistry('tracking store');
}

/** What an artifact-repository factory receives besides the URI. */
export interface ArtifactRepositoryOptions {
  /** The tracking URI, used to resolve `mlflow-artifacts:` URIs without a host. */
  trackingUri?: string;
  logger?: Logger;
}

/** Builds an artifact repository for a URI such as `s3://bucket/path` or `./mlartifacts`. */
export type ArtifactRepositoryFactory = (uri: string, options: ArtifactRepositoryOptions) => ArtifactRepository | Promise<ArtifactRepository>;

/** Scheme → artifact repository, resolved like MLflow's `ArtifactRepositoryRegistry`. */
export type ArtifactRepositoryRegistry = SchemeRegistry<ArtifactRepositoryOptions, ArtifactRepository>;

/** A new, empty artifact-repository registry. Adapters add themselves with their `register…` function. */
export function createArtifactRepositoryRegistry(): ArtifactRepositoryRegistry {
  return new SchemeRegistry('artifact repository');
}

/** What a model-registry-store factory receives besides the URI. */
export interface ModelRegistryStoreOptions {
  /** The tracking store of the same server, to resolve `models:/m-…` sources to logged models. */
  trackingStore?: AbstractStore;
  logger?: Logger;
}

/** Builds a model-registry store for a URI such as `sqlite:///mlflow.db` or `./mlruns` (MLflow's `--registry-store-uri`). */
export type ModelRegistryStoreFactory = (uri: string, options: ModelRegistryStoreOptions) => ModelRegistryStore | Promise<ModelRegistryStore>;

/** Scheme → model-registry store, resolved like MLflow's `ModelRegistryStoreRegistry`. */
export type ModelRegistryStoreRegistry = SchemeRegistry<ModelRegistryStoreOptions, ModelRegistryStore>;

/** A new, empty model-registry-store registry. Adapters add themselves with their `register…` function. */
export function createModelRegistryStoreRegistry(): ModelRegistryStoreRegistry {
  return new SchemeRegistry('model registry store');
}
