export { SchemeRegistry, type LazyFactory, type RegisterOptions, type SchemeFactory } from './scheme-registry.js';
export {
  type ArtifactRepositoryRegistry,
  type TrackingStoreRegistry,
  createArtifactRepositoryRegistry,
  createTrackingStoreRegistry,
  type ArtifactRepositoryFactory,
  type ArtifactRepositoryOptions,
  type TrackingStoreFactory,
  type TrackingStoreOptions,
} from './registries.js';
