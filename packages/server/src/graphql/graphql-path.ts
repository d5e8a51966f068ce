/** Where MLflow serves GraphQL, below the static prefix (no `/ajax-api` variant). */
export const GRAPHQL_PATH = '/graphql';
