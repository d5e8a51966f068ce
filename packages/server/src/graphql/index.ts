// `@mlstore/server/graphql`: MLflow's GraphQL schema and its safety limits, on graphql-js. A subpath
// of its own so that importing `@mlstore/server` does not load graphql-js: the server loads it on
// the first /graphql request (the UI's pages use it; API clients never do).
export { GRAPHQL_PATH } from './graphql-path.js';
export type { GraphqlRequest, GraphqlResponse } from './graphql-handler.js';
export { buildMlflowGraphqlSchema, mlflowGraphqlSchema } from './graphql-schema.js';
export { MLFLOW_GRAPHQL_SDL } from './graphql-sdl.js';
export { checkQuerySafety, GRAPHQL_MAX_DEPTH, GRAPHQL_MAX_SELECTIONS, GRAPHQL_MAX_TOKENS, type GraphqlLimits } from './graphql-limits.js';
