import {
  MLFLOW_ENDPOINTS,
  MlflowError,
  endpointPath,
  isMlflowError,
  modelVersionFromWire,
  registeredModelFromWire,
  type CallOptions,
  type CreateModelVersionRequest,
  type ModelRegistryRpc,
  type ModelRegistryStore,
  type ModelRegistryStoreCapabilities,
  type ModelVersion,
  type ModelVersionTag,
  type PagedList,
  type RegisteredModel,
  type RegisteredModelTag,
  type SearchModelVersionsRequest,
  type SearchRegisteredModelsRequest,
} from '@mlstore/core';
import { MlflowHttpClient } from './mlflow-http-client.js';
import type { MlflowHttpClientOptions } from './http-client-options.js';
import type { RestCallOptions, RestMethod, RestStoreOpenOptions, RestTransport } from './rest-store-options.js';
import * as wire from './rest-store-requests.js';

type Wire = Record<string, unknown>;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** Options of {@link RestModelRegistryStore}: an HTTP client's, or an existing transport (shared with a `RestStore`). */
export type RestModelRegistryStoreOptions = { capabilities?: Partial<ModelRegistryStoreCapabilities> } & (MlflowHttpClientOptions | { client: RestTransport });

/**
 * MLflow's registry `RestStore`: the model-registry contract over HTTP against any MLflow
 * tracking server (MLflow's own or `@mlstore/server`), each method the RPC MLflow's Python client
 * calls with the same fields; errors are the server's `MlflowError`s. `get-latest-versions` is
 * POSTed and retried as GET when the server answers ENDPOINT_NOT_FOUND, as MLflow's client does.
 * Versions are read back as the server writes them (`model_id` never comes over the wire).
 */
export class RestModelRegistryStore implements ModelRegistryStore {
  readonly capabilities: ModelRegistryStoreCapabilities;
  private readonly transport: RestTransport;
  private readonly ownsTransport: boolean;
  private closed = false;

  /** @throws MlflowError INVALID_PARAMETER_VALUE for invalid client options. */
  constructor(options: RestModelRegistryStoreOptions) {
    if ('client' in options) {
      this.transport = options.client;
      this.ownsTransport = false;
    } else {
      const { capabilities: _capabilities, ...clientOptions } = options;
      this.transport = new MlflowHttpClient(clientOptions);
      this.ownsTransport = true;
    }
    // MLflow's servers default to a SQL registry (`sqlite:///mlflow.db`); say otherwise for a file-backed one.
    this.capabilities = Object.freeze({ flavour: 'SqlStore' as const, ...(options.capabilities ?? {}) });
  }

  /**
   * A store for an `http://` or `https://` registry URI.
   * @throws MlflowError INVALID_PARAMETER_VALUE for another scheme or invalid options.
   */
  static open(uri: string, options: RestStoreOpenOptions & { capabilities?: Partial<ModelRegistryStoreCapabilities> } = {}): RestModelRegistryStore {
    if (!/^https?:\/\//i.test(uri)) {
      throw MlflowError.invalidParameter(`@mlstore/store-rest: a registry URI must start with http:// or https://, got '${uri.split(':')[0] ?? ''}:'`);
    }
    const { capabilities, ...rest } = options;
    return new RestModelRegistryStore({ ...(rest as Omit<MlflowHttpClientOptions, 'baseUrl'>), baseUrl: uri, ...(capabilities && { capabilities }) });
  }

  private call(rpc: ModelRegistryRpc, payload: Wire, opts: CallOptions | undefined, method?: RestMethod): Promise<Wire> {
    if (this.closed) return Promise.reject(new MlflowError('@mlstore/store-rest: the store is closed', 'INVALID_STATE'));
    const callOpts: RestCallOptions = {};
    if (opts?.signal) callOpts.signal = opts.signal;
    return this.transport.callJson<Wire>(method ?? MLFLOW_ENDPOINTS[rpc].method, endpointPath(rpc), wire.compact(payload), callOpts);
  }

  // Registered models

  async createRegisteredModel(name: string, tags?: RegisteredModelTag[], description?: string, opts?: CallOptions): Promise<RegisteredModel> {
    const res = await this.call('createRegisteredModel', { name, tags: tagsToWire(tags), description }, opts);
    return registeredModelFromWire(res['registered_model']);
  }

  async updateRegisteredModel(name: string, description: string | undefined, opts?: CallOptions): Promise<RegisteredModel> {
    return registeredModelFromWire((await this.call('updateRegisteredModel', { name, description }, opts))['registered_model']);
  }

  async renameRegisteredModel(name: string, newName: string, opts?: CallOptions): Promise<RegisteredModel> {
    return registeredModelFromWire((await this.call('renameRegisteredModel', { name, new_name: newName }, opts))['registered_model']);
  }

  async deleteRegisteredModel(name: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteRegisteredModel', { name }, opts);
  }

  async getRegisteredModel(name: string, opts?: CallOptions): Promise<RegisteredModel> {
    return registeredModelFromWire((await this.call('getRegisteredModel', { name }, opts))['registered_model']);
  }

  async searchRegisteredModels(request: SearchRegisteredModelsRequest = {}, opts?: CallOptions): Promise<PagedList<RegisteredModel>> {
    const res = await this.call('searchRegisteredModels', searchBody(request), opts);
    return paged(list(res['registered_models']).map(registeredModelFromWire), res['next_page_token']);
  }

  async getLatestVersions(name: string, stages?: string[], opts?: CallOptions): Promise<ModelVersion[]> {
    const body = { name, stages };
    let res: Wire;
    try {
      res = await this.call('getLatestVersions', body, opts);
    } catch (err) {
      if (!isMlflowError(err) || err.errorCode !== 'ENDPOINT_NOT_FOUND') throw err;
      res = await this.call('getLatestVersions', body, opts, 'GET');
    }
    return list(res['model_versions']).map(modelVersionFromWire);
  }

  async setRegisteredModelTag(name: string, tag: RegisteredModelTag, opts?: CallOptions): Promise<void> {
    await this.call('setRegisteredModelTag', { name, key: tag.key, value: tag.value }, opts);
  }

  async deleteRegisteredModelTag(name: string, key: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteRegisteredModelTag', { name, key }, opts);
  }

  // Model versions

  async createModelVersion(request: CreateModelVersionRequest, opts?: CallOptions): Promise<ModelVersion> {
    const body = {
      name: request.name,
      source: request.source,
      run_id: request.runId,
      run_link: request.runLink,
      tags: tagsToWire(request.tags),
      description: request.description,
      model_id: request.modelId,
    };
    return modelVersionFromWire((await this.call('createModelVersion', body, opts))['model_version']);
  }

  async updateModelVersion(name: string, version: string, description: string | undefined, opts?: CallOptions): Promise<ModelVersion> {
    return modelVersionFromWire((await this.call('updateModelVersion', { name, version: String(version), description }, opts))['model_version']);
  }

  async transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions: boolean, opts?: CallOptions): Promise<ModelVersion> {
    const body = { name, version: String(version), stage, archive_existing_versions: archiveExistingVersions };
    return modelVersionFromWire((await this.call('transitionModelVersionStage', body, opts))['model_version']);
  }

  async deleteModelVersion(name: string, version: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteModelVersion', { name, version: String(version) }, opts);
  }

  async getModelVersion(name: string, version: string, opts?: CallOptions): Promise<ModelVersion> {
    return modelVersionFromWire((await this.call('getModelVersion', { name, version: String(version) }, opts))['model_version']);
  }

  async getModelVersionDownloadUri(name: string, version: string, opts?: CallOptions): Promise<string> {
    const res = await this.call('getModelVersionDownloadUri', { name, version: String(version) }, opts);
    return typeof res['artifact_uri'] === 'string' ? res['artifact_uri'] : '';
  }

  async searchModelVersions(request: SearchModelVersionsRequest = {}, opts?: CallOptions): Promise<PagedList<ModelVersion>> {
    const res = await this.call('searchModelVersions', searchBody(request), opts);
    return paged(list(res['model_versions']).map(modelVersionFromWire), res['next_page_token']);
  }

  async setModelVersionTag(name: string, version: string, tag: ModelVersionTag, opts?: CallOptions): Promise<void> {
    await this.call('setModelVersionTag', { name, version: String(version), key: tag.key, value: tag.value }, opts);
  }

  async deleteModelVersionTag(name: string, version: string, key: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteModelVersionTag', { name, version: String(version), key }, opts);
  }

  // Aliases

  async setRegisteredModelAlias(name: string, alias: string, version: string, opts?: CallOptions): Promise<void> {
    await this.call('setRegisteredModelAlias', { name, alias, version: String(version) }, opts);
  }

  async deleteRegisteredModelAlias(name: string, alias: string, opts?: CallOptions): Promise<void> {
    await this.call('deleteRegisteredModelAlias', { name, alias }, opts);
  }

  async getModelVersionByAlias(name: string, alias: string, opts?: CallOptions): Promise<ModelVersion> {
    return modelVersionFromWire((await this.call('getModelVersionByAlias', { name, alias }, opts))['model_version']);
  }

  /** Closes the HTTP client when this store created it. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsTransport) await this.transport.close();
  }
}

function tagsToWire(tags: { key: string; value: string }[] | undefined): Wire[] | undefined {
  return tags?.map((t) => ({ key: t.key, value: t.value }));
}

function searchBody(request: SearchRegisteredModelsRequest | SearchModelVersionsRequest): Wire {
  return { filter: request.filterString, max_results: request.maxResults, order_by: request.orderBy, page_token: request.pageToken };
}

function paged<T>(items: T[], token: unknown): PagedList<T> {
  const next = wire.pageToken(token);
  return next === undefined ? { items } : { items, nextPageToken: next };
}
