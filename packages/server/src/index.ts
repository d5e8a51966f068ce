export * from './mlflow-handler.js';
export * from './mlflow-server.js';
export { validatePathIsSafe } from './safe-path.js';
export { createArtifactLocationPolicy, createHostPolicy, type ArtifactLocationPolicyOptions } from './artifact-location.js';
export type { ArtifactRepositoryResolver } from './run-artifacts.js';
