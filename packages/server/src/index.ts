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
export { UI_INDEX_MISSING_TEXT, UI_NOT_CONFIGURED_HTML, UI_STATIC_MAX_AGE } from './ui-static.js';
export { telemetryDisabled } from './ui-endpoints.js';
// graphql-js loads on the first /graphql request: the schema and limits are in '@mlstore/server/graphql'.
export { GRAPHQL_PATH } from './graphql/graphql-path.js';
export type { GraphqlRequest, GraphqlResponse } from './graphql/graphql-handler.js';
export type { GraphqlLimits } from './graphql/graphql-limits.js';
export { MLFLOW_GRAPHQL_SDL } from './graphql/graphql-sdl.js';
