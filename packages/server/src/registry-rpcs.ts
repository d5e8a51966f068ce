import {
  MlflowError,
  modelVersionToWire,
  registeredModelToWire,
  setModelVersionsTag,
  type CallOptions,
  type ModelRegistryRpc,
  type ModelRegistryStore,
  type ModelVersion,
} from '@mlstore/core';
import { checkModelVersionSource } from './model-version-source.js';
import type { RpcContext, RpcHandler } from './tracking-rpcs.js';

type Msg = Record<string, unknown>;
type KV = { key?: string; value?: string };

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strings = (v: unknown): string[] => (v as string[] | undefined) ?? [];
// Unsent string fields are the proto default "" in MLflow's handlers.
const text = (msg: Msg, key: string): string => str(msg[key]) ?? '';
const kvs = (v: unknown): { key: string; value: string }[] => ((v as KV[] | undefined) ?? []).map((t) => ({ key: t.key ?? '', value: t.value ?? '' }));
const versions = (list: ModelVersion[]) => (list.length > 0 ? { model_versions: list.map(modelVersionToWire) } : {});

/**
 * The answer of every registry route when the server has no registry store: MLflow's
 * `UnsupportedModelRegistryStoreURIException` (INVALID_PARAMETER_VALUE, 400), raised after the
 * request's schema check, as MLflow resolves its registry store lazily inside each handler.
 */
export function registryUnavailable(): MlflowError {
  return MlflowError.invalidParameter(
    ' Model registry functionality is unavailable; this server was started without a model registry store. See https://www.mlflow.org/docs/latest/tracking.html#storage for how to run an MLflow server against one of the supported backend storage locations.',
  );
}

function registry(ctx: RpcContext): ModelRegistryStore {
  if (!ctx.registryStore) throw registryUnavailable();
  return ctx.registryStore;
}

const opts = (ctx: RpcContext): CallOptions => ({ signal: ctx.signal });

/**
 * MLflow 3.18's model-registry handlers (server/handlers.py): request message in, response
 * message out, entities written as MLflow's `to_proto` writes them (docs/model-registry-3.18.md
 * §2.2). The store validates values; `create-version` runs MLflow's source checks first.
 */
export const REGISTRY_RPCS: Record<ModelRegistryRpc, RpcHandler> = {
  async createRegisteredModel(msg, ctx) {
    const rm = await registry(ctx).createRegisteredModel(text(msg, 'name'), kvs(msg['tags']), text(msg, 'description'), opts(ctx));
    return { registered_model: registeredModelToWire(rm) };
  },
  async getRegisteredModel(msg, ctx) {
    return { registered_model: registeredModelToWire(await registry(ctx).getRegisteredModel(text(msg, 'name'), opts(ctx))) };
  },
  async renameRegisteredModel(msg, ctx) {
    return { registered_model: registeredModelToWire(await registry(ctx).renameRegisteredModel(text(msg, 'name'), text(msg, 'new_name'), opts(ctx))) };
  },
  async updateRegisteredModel(msg, ctx) {
    return { registered_model: registeredModelToWire(await registry(ctx).updateRegisteredModel(text(msg, 'name'), text(msg, 'description'), opts(ctx))) };
  },
  async deleteRegisteredModel(msg, ctx) {
    await registry(ctx).deleteRegisteredModel(text(msg, 'name'), opts(ctx));
    return {};
  },
  async searchRegisteredModels(msg, ctx) {
    const page = await registry(ctx).searchRegisteredModels(
      { filterString: text(msg, 'filter'), maxResults: num(msg['max_results']) ?? 100, orderBy: strings(msg['order_by']), pageToken: text(msg, 'page_token') || undefined },
      opts(ctx),
    );
    const out: Msg = {};
    if (page.items.length > 0) out['registered_models'] = page.items.map(registeredModelToWire);
    if (page.nextPageToken) out['next_page_token'] = page.nextPageToken;
    return out;
  },
  async getLatestVersions(msg, ctx) {
    return versions(await registry(ctx).getLatestVersions(text(msg, 'name'), strings(msg['stages']), opts(ctx)));
  },
  async setRegisteredModelTag(msg, ctx) {
    await registry(ctx).setRegisteredModelTag(text(msg, 'name'), { key: text(msg, 'key'), value: text(msg, 'value') }, opts(ctx));
    return {};
  },
  async deleteRegisteredModelTag(msg, ctx) {
    await registry(ctx).deleteRegisteredModelTag(text(msg, 'name'), text(msg, 'key'), opts(ctx));
    return {};
  },
  async setRegisteredModelAlias(msg, ctx) {
    await registry(ctx).setRegisteredModelAlias(text(msg, 'name'), text(msg, 'alias'), text(msg, 'version'), opts(ctx));
    return {};
  },
  async deleteRegisteredModelAlias(msg, ctx) {
    await registry(ctx).deleteRegisteredModelAlias(text(msg, 'name'), text(msg, 'alias'), opts(ctx));
    return {};
  },
  async getModelVersionByAlias(msg, ctx) {
    return { model_version: modelVersionToWire(await registry(ctx).getModelVersionByAlias(text(msg, 'name'), text(msg, 'alias'), opts(ctx))) };
  },
  async createModelVersion(msg, ctx) {
    const store = registry(ctx);
    const name = text(msg, 'name');
    const tags = kvs(msg['tags']);
    const checked = await checkModelVersionSource(
      { source: text(msg, 'source'), runId: str(msg['run_id']), modelId: str(msg['model_id']), tags },
      { trackingStore: ctx.store, registry: store, hostPolicy: ctx.hostPolicy ?? (() => undefined), signal: ctx.signal },
    );
    const request = { name, source: checked.source, tags, runLink: text(msg, 'run_link'), description: text(msg, 'description') };
    const mv = await store.createModelVersion(
      { ...request, ...(checked.runId !== undefined && { runId: checked.runId }), ...(checked.modelId !== undefined && { modelId: checked.modelId }) },
      opts(ctx),
    );
    if (!checked.isPrompt && checked.modelId) await setModelVersionsTag(ctx.store, name, mv.version, checked.modelId, opts(ctx));
    return { model_version: modelVersionToWire(mv) };
  },
  async getModelVersion(msg, ctx) {
    return { model_version: modelVersionToWire(await registry(ctx).getModelVersion(text(msg, 'name'), text(msg, 'version'), opts(ctx))) };
  },
  async updateModelVersion(msg, ctx) {
    // MLflow passes the description only when sent (`HasField`): an unsent one clears it.
    const mv = await registry(ctx).updateModelVersion(text(msg, 'name'), text(msg, 'version'), str(msg['description']), opts(ctx));
    return { model_version: modelVersionToWire(mv) };
  },
  async transitionModelVersionStage(msg, ctx) {
    const archive = msg['archive_existing_versions'] === true;
    const mv = await registry(ctx).transitionModelVersionStage(text(msg, 'name'), text(msg, 'version'), text(msg, 'stage'), archive, opts(ctx));
    return { model_version: modelVersionToWire(mv) };
  },
  async deleteModelVersion(msg, ctx) {
    await registry(ctx).deleteModelVersion(text(msg, 'name'), text(msg, 'version'), opts(ctx));
    return {};
  },
  async searchModelVersions(msg, ctx) {
    const page = await registry(ctx).searchModelVersions(
      { filterString: text(msg, 'filter'), maxResults: num(msg['max_results']) ?? 200_000, orderBy: strings(msg['order_by']), pageToken: text(msg, 'page_token') || undefined },
      opts(ctx),
    );
    const out: Msg = versions(page.items);
    if (page.nextPageToken) out['next_page_token'] = page.nextPageToken;
    return out;
  },
  async getModelVersionDownloadUri(msg, ctx) {
    return { artifact_uri: await registry(ctx).getModelVersionDownloadUri(text(msg, 'name'), text(msg, 'version'), opts(ctx)) };
  },
  async setModelVersionTag(msg, ctx) {
    await registry(ctx).setModelVersionTag(text(msg, 'name'), text(msg, 'version'), { key: text(msg, 'key'), value: text(msg, 'value') }, opts(ctx));
    return {};
  },
  async deleteModelVersionTag(msg, ctx) {
    await registry(ctx).deleteModelVersionTag(text(msg, 'name'), text(msg, 'version'), text(msg, 'key'), opts(ctx));
    return {};
  },
};
