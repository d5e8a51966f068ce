export * from './mlflow-handler.js';
export * from './mlflow-server.js';
export { validatePathIsSafe } from './safe-path.js';
export { createArtifactLocationPolicy, createHostPolicy, type ArtifactLocationPolicyOptions } from './artifact-location.js';
export type { ArtifactRepositoryResolver } from './run-artifacts.js';
export {
  createSecurityMiddleware,
  securityOptionsFromFlags,
  SecurityMiddleware,
  DEFAULT_ALLOWED_HOSTS,
  DEFAULT_X_FRAME_OPTIONS,
  INVALID_HOST_MESSAGE,
  CORS_BLOCKED_MESSAGE,
  type SecurityOptions,
  type SecurityContext,
  type MlflowSecurityFlags,
} from './security-middleware.js';
export { REQUEST_LOG_MESSAGE, type RequestLogLine } from './request-log.js';
