export { describeArtifactRepository, artifactCaseGroups } from './describe-artifact-repository.js';
export type {
  ArtifactKitContext,
  ArtifactKitOptions,
  ArtifactKitRepositoryFactory,
  CapabilityGate,
  OutsideRootProbe,
} from './context.js';
export { TRAVERSAL_PAYLOADS, generatedStream, hashStream, readAll, sha256 } from './helpers.js';
export { largeFileBytes } from './cases/stream-concurrency.js';
