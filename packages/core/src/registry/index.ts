export { SchemeRegistry, type LazyFactory, type RegisterOptions, type SchemeFactory } from './scheme-registry.js';
export {
  type ArtifactRepositoryRegistry,
  type TrackingStoreRegistry,
  type ModelRegistryStoreRegistry,
  createArtifactRepositoryRegistry,
  createTrackingStoreRegistry,
  createModelRegistryStoreRegistry,
  type ArtifactRepositoryFactory,
  type ArtifactRepositoryOptions,
  type TrackingStoreFactory,
  type TrackingStoreOptions,
  type ModelRegistryStoreFactory,
  type ModelRegistryStoreOptions,
} from './registries.js';
