import type { IncomingMessage, ServerResponse } from 'node:http';
import { MlflowError } from '@mlstore/core';
import { execute, GraphQLError, parse, validate, type DocumentNode, type ExecutionResult } from 'graphql';
import { parseJsonBody, readBody, sendJsonText } from '../http-io.js';
import type { RpcContext } from '../tracking-rpcs.js';
import { checkQuerySafety, GRAPHQL_MAX_TOKENS, type GraphqlLimits } from './graphql-limits.js';
import { graphqlContext, mlflowFieldResolver } from './graphql-resolvers.js';
import { mlflowGraphqlSchema } from './graphql-schema.js';

export { GRAPHQL_PATH } from './graphql-path.js';

/** One GraphQL request as MLflow's `/graphql` reads it from the JSON body. */
export interface GraphqlRequest {
  query: string;
  variables?: Record<string, unknown> | null;
  operationName?: string | null;
}

/** MLflow's answer body: `data` (null when nothing ran) and the errors' messages (null when none). */
export interface GraphqlResponse {
  data: Record<string, unknown> | null;
  errors: string[] | null;
}

const failed = (errors: readonly GraphQLError[]): GraphqlResponse => ({ data: null, errors: errors.map((e) => e.message) });

/**
 * Runs one GraphQL request against MLflow's schema (handlers.py `_graphql`): parse, MLflow's
 * safety limits ({@link checkQuerySafety}), validation, execution with the RPC handlers behind the
 * fields. Never throws for a bad query: syntax, limit, validation and resolver errors come back
 * as messages in `errors`, a failed field as null in `data`.
 */
export async function runGraphql(request: GraphqlRequest, rpc: RpcContext, limits?: GraphqlLimits): Promise<GraphqlResponse> {
  const schema = mlflowGraphqlSchema();
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens: GRAPHQL_MAX_TOKENS });
  } catch (err) {
    if (err instanceof GraphQLError) return failed([err]);
    throw err;
  }
  const unsafe = checkQuerySafety(document, limits);
  if (unsafe) return failed([unsafe]);
  const invalid = validate(schema, document);
  if (invalid.length > 0) return failed(invalid);
  const result: ExecutionResult = await execute({
    schema,
    document,
    variableValues: request.variables ?? undefined,
    operationName: request.operationName ?? undefined,
    contextValue: graphqlContext(rpc),
    fieldResolver: mlflowFieldResolver,
  });
  return { data: (result.data as Record<string, unknown> | null | undefined) ?? null, errors: result.errors?.length ? result.errors.map((e) => e.message) : null };
}

/** The request fields from a JSON body; MLflow fails those without a query string with a 500. */
function graphqlRequestOf(body: Record<string, unknown>): GraphqlRequest {
  const { query, variables, operationName } = body;
  if (typeof query !== 'string') throw MlflowError.invalidParameter("GraphQL request must have a 'query' string.");
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables))) {
    throw MlflowError.invalidParameter("GraphQL request's 'variables' must be an object.");
  }
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') {
    throw MlflowError.invalidParameter("GraphQL request's 'operationName' must be a string.");
  }
  return { query, variables: variables as GraphqlRequest['variables'], operationName: operationName as GraphqlRequest['operationName'] };
}

// Flask's jsonify sorts keys; we write the same order so the bodies compare as text too.
const sortedKeys = (_key: string, value: unknown): unknown =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : value;

/**
 * Serves `<static-prefix>/graphql` (GET and POST, as MLflow routes it): the request is the JSON
 * body `{query, variables, operationName}` (POST requires `Content-Type: application/json`, GET
 * reads a body too, as Flask's `get_json(force=True)` does), the answer `200 {"data": …,
 * "errors": [messages] | null}` with MLflow's key order.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE (400) for a wrong content type or a body without a
 *   `query` string (MLflow answers the latter with a bare 500); 413 for a body over `bodyLimit`.
 */
export async function handleGraphql(req: IncomingMessage, res: ServerResponse, rpc: RpcContext, bodyLimit: number, limits?: GraphqlLimits): Promise<void> {
  const body = parseJsonBody(req, await readBody(req, bodyLimit));
  const response = await runGraphql(graphqlRequestOf(body), rpc, limits);
  sendJsonText(res, 200, `${JSON.stringify(response, sortedKeys)}\n`);
}
