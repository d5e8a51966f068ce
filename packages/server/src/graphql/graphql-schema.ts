import { buildSchema, GraphQLError, Kind, type GraphQLScalarType, type GraphQLSchema } from 'graphql';
import { MLFLOW_GRAPHQL_SDL } from './graphql-sdl.js';

function parseLongString(value: unknown): number {
  // Python's int(value): integers, or strings of digits (the UI sends 64-bit values as strings).
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && /^\s*[+-]?\d+\s*$/.test(value)) return Number(value);
  throw new GraphQLError(`LongString cannot represent value: ${JSON.stringify(value)}`);
}

/**
 * Builds MLflow 3.18's GraphQL schema (see {@link MLFLOW_GRAPHQL_SDL}) with its `LongString` scalar
 * (`graphql_custom_scalars.py`): 64-bit integers serialized as decimal strings so JavaScript does
 * not round them; read from integers or strings in variables, and from integer literals (any other
 * literal reads as null, as graphene's `parse_literal` returns None). Resolution is not attached
 * here: the executor's field resolver does it (graphql-resolvers.ts).
 */
export function buildMlflowGraphqlSchema(): GraphQLSchema {
  const schema = buildSchema(MLFLOW_GRAPHQL_SDL);
  const longString = schema.getType('LongString') as GraphQLScalarType;
  // buildSchema makes scalars that pass values through; give LongString MLflow's conversions.
  longString.serialize = (value: unknown) => (typeof value === 'bigint' || typeof value === 'number' ? String(value) : String(parseLongString(value)));
  longString.parseValue = parseLongString;
  longString.parseLiteral = (node) => (node.kind === Kind.INT ? Number(node.value) : null);
  return schema;
}

let shared: GraphQLSchema | undefined;

/** The schema, built once per process (it is immutable once built). */
export function mlflowGraphqlSchema(): GraphQLSchema {
  shared ??= buildMlflowGraphqlSchema();
  return shared;
}
