export { SchemeRegistry, type LazyFactory, type RegisterOptions } from './scheme-registry.js';
export {
  ArtifactRepositoryRegistry,
  TrackingStoreRegistry,
  createArtifactRepositoryRegistry,
  createTrackingStoreRegistry,
  type ArtifactRepositoryFactory,
  type ArtifactRepositoryOptions,
  type TrackingStoreFactory,
  type TrackingStoreOptions,
} from './registries.js';
