import { GraphQLError, Kind, type DocumentNode, type FieldNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/** Deepest field nesting a query may have (MLflow's `_MAX_DEPTH`). */
export const GRAPHQL_MAX_DEPTH = 10;
/** Most field selections a query may make in all (MLflow's `_MAX_SELECTIONS`). */
export const GRAPHQL_MAX_SELECTIONS = 1000;
/** Default of `MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS` and `MLFLOW_SERVER_GRAPHQL_MAX_ALIASES`. */
export const GRAPHQL_DEFAULT_FIELD_LIMIT = 10;
/** Most lexical tokens a query may have (ours: MLflow parses without a bound; the UI's queries have ~200). */
export const GRAPHQL_MAX_TOKENS = 20_000;

/** The per-request limits on root fields and aliases; read from MLflow's env vars when not given. */
export interface GraphqlLimits {
  /** Root fields over all operations of the document. Default env `MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS`, else 10. */
  maxRootFields?: number;
  /** Aliases at any one level (fragments merged into it). Default env `MLFLOW_SERVER_GRAPHQL_MAX_ALIASES`, else 10. */
  maxAliases?: number;
}

function envLimit(name: string): number {
  const raw = process.env[name];
  const n = raw === undefined ? NaN : Number.parseInt(raw, 10);
  return Number.isFinite(n) ? n : GRAPHQL_DEFAULT_FIELD_LIMIT;
}

/**
 * The fields selected at one level, with inline fragments and fragment spreads merged into it, and
 * how many of them carry an alias: aliases spread over sibling fragments count together.
 */
function levelFields(set: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>): { fields: FieldNode[]; aliases: number } {
  const fields: FieldNode[] = [];
  const seen = new Set<string>();
  const queue = [...set.selections];
  let aliases = 0;
  for (let i = 0; i < queue.length; i++) {
    const selection = queue[i]!;
    if (selection.kind === Kind.FIELD) {
      fields.push(selection);
      if (selection.alias) aliases++;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      queue.push(...selection.selectionSet.selections);
    } else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) queue.push(...fragment.selectionSet.selections);
    }
  }
  return { fields, aliases };
}

/**
 * MLflow's `check_query_safety` (server/graphql/graphql_no_batching.py), run on the parsed document
 * before validation and execution: at most 10 levels of fields and 1,000 field selections in all
 * (both walked through fragments, so a fragment cycle ends at the depth limit), at most
 * `maxRootFields` root fields (no batching of many operations into one request) and `maxAliases`
 * aliases at any level (no alias amplification). Returns MLflow's message for the first limit
 * exceeded, or null.
 */
export function checkQuerySafety(document: DocumentNode, limits: GraphqlLimits = {}): GraphQLError | null {
  const maxRootFields = limits.maxRootFields ?? envLimit('MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS');
  const maxAliases = limits.maxAliases ?? envLimit('MLFLOW_SERVER_GRAPHQL_MAX_ALIASES');
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of document.definitions) if (d.kind === Kind.FRAGMENT_DEFINITION) fragments.set(d.name.value, d);
  let rootFields = 0;
  let mostAliases = 0;
  let selections = 0;
  for (const d of document.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION) continue;
    const stack: { set: SelectionSetNode; depth: number }[] = [{ set: d.selectionSet, depth: 1 }];
    while (stack.length > 0) {
      const { set, depth } = stack.pop()!;
      if (depth > GRAPHQL_MAX_DEPTH) return new GraphQLError(`Query exceeds maximum depth of ${GRAPHQL_MAX_DEPTH}`);
      const level = levelFields(set, fragments);
      for (const field of level.fields) {
        if (depth === 1) rootFields++;
        if (field.selectionSet) stack.push({ set: field.selectionSet, depth: depth + 1 });
        if (++selections > GRAPHQL_MAX_SELECTIONS) return new GraphQLError(`Query exceeds maximum total selections of ${GRAPHQL_MAX_SELECTIONS}`);
      }
      mostAliases = Math.max(mostAliases, level.aliases);
    }
  }
  const exceeded = (what: string, limit: number, got: number, env: string) =>
    new GraphQLError(`GraphQL queries should have at most ${limit} ${what}, got ${got} ${what}. To increase the limit, set the ${env} environment variable.`);
  if (rootFields > maxRootFields) return exceeded('root fields', maxRootFields, rootFields, 'MLFLOW_SERVER_GRAPHQL_MAX_ROOT_FIELDS');
  if (mostAliases > maxAliases) return exceeded('aliases', maxAliases, mostAliases, 'MLFLOW_SERVER_GRAPHQL_MAX_ALIASES');
  return null;
}
