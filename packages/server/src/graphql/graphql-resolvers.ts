import { isEnumType, isListType, isNonNullType, isObjectType, type GraphQLFieldResolver, type GraphQLOutputType } from 'graphql';
import { REGISTRY_RPCS } from '../registry-rpcs.js';
import { TRACKING_RPCS, type RpcContext, type RpcHandler } from '../tracking-rpcs.js';

type Msg = Record<string, unknown>;

/** What every resolver of one GraphQL request shares: the RPC context and a per-request experiment cache. */
export interface GraphqlContext {
  rpc: RpcContext;
  /** Experiments already read for this request's runs, by id (MLflow reads one per run). */
  experiments: Map<string, Promise<unknown>>;
}

/** A fresh context for one request. */
export function graphqlContext(rpc: RpcContext): GraphqlContext {
  return { rpc, experiments: new Map() };
}

const snakeCase = (name: string): string => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** GraphQL input (camelCase, unset fields null) → the proto request message MLflow's `parse_dict` builds. */
function requestMessage(input: unknown): Msg {
  const msg: Msg = {};
  for (const [key, value] of Object.entries((input ?? {}) as Msg)) if (value !== null && value !== undefined) msg[snakeCase(key)] = value;
  return msg;
}

// The first value of each proto2 enum, which an unset field reads as; graphene gives null for
// proto enums whose 0 value its generated enum lacks (the deployment-job states).
const ENUM_DEFAULTS: Record<string, string> = { MlflowRunStatus: 'RUNNING', MlflowModelVersionStatus: 'PENDING_REGISTRATION' };

/**
 * What graphene reads from an unset proto field: MLflow's resolvers return proto messages, whose
 * unset scalars read as their defaults ("", 0, false), unset messages as empty messages and unset
 * repeated fields as empty lists, so only a few fields are ever null.
 */
function protoDefault(type: GraphQLOutputType): unknown {
  const t = isNonNullType(type) ? type.ofType : type;
  if (isListType(t)) return [];
  if (isObjectType(t)) return {};
  if (isEnumType(t)) return ENUM_DEFAULTS[t.name] ?? null;
  switch (t.name) {
    case 'String':
      return '';
    case 'Boolean':
      return false;
    default:
      return 0; // Int, Float, LongString
  }
}

function rpcField(handler: RpcHandler): GraphQLFieldResolver<unknown, GraphqlContext> {
  return (_source, args: { input?: unknown }, ctx) => handler(requestMessage(args.input), ctx.rpc);
}

const echo: GraphQLFieldResolver<unknown, GraphqlContext> = (_source, args: { inputString?: string | null }) => ({ output: args.inputString ?? null });

type RunWire = { info?: { run_id?: string; experiment_id?: string } };

const RESOLVERS: Record<string, Record<string, GraphQLFieldResolver<unknown, GraphqlContext>>> = {
  // handlers.py's *_impl functions, through the same RPC handlers as the REST routes.
  Query: {
    mlflowGetExperiment: rpcField(TRACKING_RPCS.getExperiment!),
    mlflowGetMetricHistoryBulkInterval: rpcField(TRACKING_RPCS.getMetricHistoryBulkInterval!),
    mlflowGetRun: rpcField(TRACKING_RPCS.getRun!),
    mlflowListArtifacts: rpcField(TRACKING_RPCS.listArtifacts!),
    mlflowSearchModelVersions: rpcField(REGISTRY_RPCS.searchModelVersions),
    mlflowSearchRuns: rpcField(TRACKING_RPCS.searchRuns!),
    test: echo,
  },
  Mutation: {
    mlflowSearchDatasets: rpcField(TRACKING_RPCS.searchDatasets!),
    mlflowSearchRuns: rpcField(TRACKING_RPCS.searchRuns!),
    testMutation: echo,
  },
  // graphql_schema_extensions.py's MlflowRunExtension: the run's experiment, and its model
  // versions from `search_model_versions("run_id='<id>'")`.
  MlflowRunExtension: {
    experiment(source, _args, ctx) {
      const id = (source as RunWire).info?.experiment_id ?? '';
      let experiment = ctx.experiments.get(id);
      if (!experiment) {
        experiment = TRACKING_RPCS.getExperiment!({ experiment_id: id }, ctx.rpc).then((r) => (r as { experiment: unknown }).experiment);
        ctx.experiments.set(id, experiment);
      }
      return experiment;
    },
    async modelVersions(source, _args, ctx) {
      // Without a model registry there are no versions to list; MLflow always has one.
      if (!ctx.rpc.registryStore) return [];
      const found = (await REGISTRY_RPCS.searchModelVersions({ filter: `run_id='${(source as RunWire).info?.run_id ?? ''}'` }, ctx.rpc)) as Msg;
      return found['model_versions'] ?? [];
    },
  },
  // MlflowMetricExtension: a NaN value is null (GraphQL's Float cannot carry it).
  MlflowMetricExtension: {
    value: (source) => {
      const value = (source as { value?: number }).value ?? 0;
      return Number.isNaN(value) ? null : value;
    },
  },
};

/**
 * The executor's field resolver: the resolvers above where MLflow has one, else the proto field
 * of the camelCased name (`runUuid` → `run_uuid`) with its proto default when unset. `apiError` is
 * no proto field: MLflow's responses never fill it (errors go to the response's `errors`).
 */
export const mlflowFieldResolver: GraphQLFieldResolver<unknown, GraphqlContext> = (source, args, ctx, info) => {
  const custom = RESOLVERS[info.parentType.name]?.[info.fieldName];
  if (custom) return custom(source, args, ctx, info);
  if (info.fieldName === 'apiError') return null;
  const value = (source as Msg | null | undefined)?.[snakeCase(info.fieldName)];
  return value ?? protoDefault(info.returnType);
};
