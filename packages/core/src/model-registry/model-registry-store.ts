import type { CallOptions } from '../abstract-store.js';
import type { PagedList } from '../entities.js';
import type { ModelVersion, ModelVersionTag, RegisteredModel, RegisteredModelTag } from './model-registry-entities.js';

export interface SearchRegisteredModelsRequest {
  filterString?: string;
  /** At most 1000; absent: 100 in the SQL flavour, refused by the file flavour (the REST API always sends one: 100 unless given). */
  maxResults?: number;
  /** e.g. `["name ASC", "last_updated_timestamp DESC"]`. */
  orderBy?: string[];
  pageToken?: string;
}

export interface SearchModelVersionsRequest {
  filterString?: string;
  /**
   * At most 200000; absent: 10000 in the SQL flavour, refused by the file flavour as MLflow's
   * stores do (the REST API always sends one: 200000 unless given).
   */
  maxResults?: number;
  orderBy?: string[];
  pageToken?: string;
}

export interface CreateModelVersionRequest {
  name: string;
  source: string;
  runId?: string;
  tags?: ModelVersionTag[];
  runLink?: string;
  description?: string;
  /** The logged model (`m-…`) the version comes from. */
  modelId?: string;
}

/** Optional behaviours a registry store declares; the registry kit gates cases on them. */
export interface ModelRegistryStoreCapabilities {
  /**
   * Which MLflow store this one stands in for, where their answers differ (order_by keys of
   * registered-model search, which calls carry aliases, timestamp bumps): `SqlStore` or `FileStore`.
   */
  flavour: 'SqlStore' | 'FileStore';
}

/**
 * The model-registry store contract: MLflow 3.18's registry `AbstractStore`, camelCased, async,
 * with MLflow's errors and semantics (docs/model-registry-3.18.md). Versions are passed and
 * returned as strings, parsed as Python's `int()` does.
 */
export interface ModelRegistryStore {
  readonly capabilities: ModelRegistryStoreCapabilities;

  // Registered models
  createRegisteredModel(name: string, tags?: RegisteredModelTag[], description?: string, opts?: CallOptions): Promise<RegisteredModel>;
  updateRegisteredModel(name: string, description: string | undefined, opts?: CallOptions): Promise<RegisteredModel>;
  renameRegisteredModel(name: string, newName: string, opts?: CallOptions): Promise<RegisteredModel>;
  /** Deletes the model with its versions (deleted ones too), tags and aliases. */
  deleteRegisteredModel(name: string, opts?: CallOptions): Promise<void>;
  getRegisteredModel(name: string, opts?: CallOptions): Promise<RegisteredModel>;
  searchRegisteredModels(request?: SearchRegisteredModelsRequest, opts?: CallOptions): Promise<PagedList<RegisteredModel>>;
  /** The highest-numbered non-deleted version per requested stage (all four when `stages` is empty). */
  getLatestVersions(name: string, stages?: string[], opts?: CallOptions): Promise<ModelVersion[]>;
  setRegisteredModelTag(name: string, tag: RegisteredModelTag, opts?: CallOptions): Promise<void>;
  deleteRegisteredModelTag(name: string, key: string, opts?: CallOptions): Promise<void>;

  // Model versions
  createModelVersion(request: CreateModelVersionRequest, opts?: CallOptions): Promise<ModelVersion>;
  updateModelVersion(name: string, version: string, description: string | undefined, opts?: CallOptions): Promise<ModelVersion>;
  transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions: boolean, opts?: CallOptions): Promise<ModelVersion>;
  /** Soft delete: the number is never reused. */
  deleteModelVersion(name: string, version: string, opts?: CallOptions): Promise<void>;
  getModelVersion(name: string, version: string, opts?: CallOptions): Promise<ModelVersion>;
  getModelVersionDownloadUri(name: string, version: string, opts?: CallOptions): Promise<string>;
  searchModelVersions(request?: SearchModelVersionsRequest, opts?: CallOptions): Promise<PagedList<ModelVersion>>;
  setModelVersionTag(name: string, version: string, tag: ModelVersionTag, opts?: CallOptions): Promise<void>;
  deleteModelVersionTag(name: string, version: string, key: string, opts?: CallOptions): Promise<void>;

  // Aliases
  setRegisteredModelAlias(name: string, alias: string, version: string, opts?: CallOptions): Promise<void>;
  deleteRegisteredModelAlias(name: string, alias: string, opts?: CallOptions): Promise<void>;
  /** `latest` (any case) is the highest-numbered non-deleted version. */
  getModelVersionByAlias(name: string, alias: string, opts?: CallOptions): Promise<ModelVersion>;

  /** Releases connections, file handles and timers. Idempotent. */
  close(): Promise<void>;
}
