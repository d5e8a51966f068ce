import type { AbstractStore } from '../abstract-store.js';
import type { PagedList } from '../entities.js';
import { MlflowError } from '../errors.js';
import { decodePageToken, encodePageToken } from '../search/page-token.js';
import {
  checkModelVersionMaxResults,
  checkRegisteredModelMaxResults,
  modelVersionMatches,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  registeredModelMatches,
  registryPromptScope,
  type RegistryFlavour,
} from '../search/registry-filter.js';
import type { OrderByClause } from '../search/ast.js';
import {
  DELETED_STAGE,
  MODEL_VERSION_STAGES,
  PROMPT_TAG,
  type ModelVersion,
  type ModelVersionStage,
  type ModelVersionStatus,
  type ModelVersionTag,
  type RegisteredModel,
  type RegisteredModelTag,
} from './model-registry-entities.js';
import type { ImportOutcome } from '../maintenance.js';
import type { CallOptions } from '../abstract-store.js';
import type { ModelVersionExport, PortableModelRegistryStore, RegisteredModelExport } from './portable-registry.js';
import type {
  CreateModelVersionRequest,
  ModelRegistryStore,
  ModelRegistryStoreCapabilities,
  SearchModelVersionsRequest,
  SearchRegisteredModelsRequest,
} from './model-registry-store.js';
import {
  canonicalStage,
  checkArchiveStage,
  isLatestAlias,
  isPromptTags,
  modelPromptClash,
  modelVersionNotFound,
  parseModelVersion,
  registeredModelExists,
  registeredModelNotFound,
  validateAliasName,
  validateModelName,
  validateModelVersionTag,
  validateRegisteredModelTag,
  validateRegistryTagKey,
} from './model-registry-validation.js';

export interface MemoryModelRegistryStoreOptions {
  /** Resolves `models:/m-…` sources to the logged model's artifact location and run. */
  trackingStore?: Pick<AbstractStore, 'getLoggedModel'>;
}

interface VersionRecord {
  version: number;
  creation: number;
  lastUpdated: number;
  stage: string;
  description: string | undefined;
  source: string | undefined;
  runId: string | undefined;
  runLink: string | undefined;
  storageLocation: string | undefined;
  tags: Map<string, string>;
  /** Set only by an import: MLflow's stores write no user and always `READY` themselves. */
  userId?: string;
  status?: string;
  statusMessage?: string;
  modelId?: string;
}

interface ModelRecord {
  name: string;
  creation: number;
  lastUpdated: number;
  description: string | undefined;
  tags: Map<string, string>;
  aliases: Map<string, number>;
  versions: Map<number, VersionRecord>;
}

/** The entries of `fields` whose value is not undefined (for optional properties). */
function optional<T extends Record<string, unknown>>(fields: T): Partial<{ [K in keyof T]: Exclude<T[K], undefined> }> {
  return Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)) as Partial<{ [K in keyof T]: Exclude<T[K], undefined> }>;
}
const tagList = (tags: Map<string, string>) => [...tags].map(([key, value]) => ({ key, value }));
const isPromptModel = (m: ModelRecord) => m.tags.has(PROMPT_TAG);

/**
 * The in-memory model registry: the reference implementation of {@link ModelRegistryStore}, with
 * MLflow 3.18's validation, messages, soft-deleted versions (numbers never reused), stages,
 * aliases and both searches, answering as MLflow's SQL store where its SQL and file stores differ
 * (docs/model-registry-3.18.md). Not persistent; every returned entity is a copy.
 */
export class MemoryModelRegistryStore implements PortableModelRegistryStore {
  /** Where MLflow's SQL and file stores differ, the memory store answers as the SQL store. */
  readonly capabilities: ModelRegistryStoreCapabilities = { flavour: 'SqlStore' };
  private readonly flavour: RegistryFlavour = 'SqlStore';
  private readonly trackingStore: Pick<AbstractStore, 'getLoggedModel'> | undefined;
  private readonly models = new Map<string, ModelRecord>();

  constructor(options: MemoryModelRegistryStoreOptions = {}) {
    this.trackingStore = options.trackingStore;
  }

  // ---------------------------------------------------------------- helpers

  private model(name: string): ModelRecord {
    const m = this.models.get(name);
    if (!m) throw registeredModelNotFound(name);
    return m;
  }

  /** A live version; a missing model answers as MLflow's store of this flavour does. */
  private liveVersion(name: string, version: string): { m: ModelRecord; v: VersionRecord } {
    validateModelName(name, this.flavour);
    const n = parseModelVersion(version);
    const m = this.models.get(name);
    if (!m) throw modelVersionNotFound(name, n);
    const v = m.versions.get(n);
    if (!v || v.stage === DELETED_STAGE) throw modelVersionNotFound(name, n);
    return { m, v };
  }

  private versionEntity(m: ModelRecord, v: VersionRecord, withAliases: boolean): ModelVersion {
    const mv: ModelVersion = {
      name: m.name,
      version: String(v.version),
      creation_timestamp: v.creation,
      last_updated_timestamp: v.lastUpdated,
      current_stage: v.stage,
      status: (v.status ?? 'READY') as ModelVersionStatus,
      tags: tagList(v.tags),
      aliases: withAliases ? [...m.aliases].filter(([, n]) => n === v.version).map(([a]) => a) : [],
    };
    if (v.userId !== undefined) mv.user_id = v.userId;
    if (v.statusMessage !== undefined) mv.status_message = v.statusMessage;
    if (v.description !== undefined) mv.description = v.description;
    if (v.source !== undefined) mv.source = v.source;
    if (v.runId !== undefined) mv.run_id = v.runId;
    if (v.runLink !== undefined) mv.run_link = v.runLink;
    return mv;
  }

  private latest(m: ModelRecord, stages: readonly ModelVersionStage[]): VersionRecord[] {
    const best = new Map<string, VersionRecord>();
    for (const v of m.versions.values()) {
      if (v.stage === DELETED_STAGE || !stages.includes(v.stage as ModelVersionStage)) continue;
      const cur = best.get(v.stage);
      if (!cur || v.version > cur.version) best.set(v.stage, v);
    }
    return [...best.values()];
  }

  private modelEntity(m: ModelRecord): RegisteredModel {
    // As MLflow's SQL store: no aliases on the nested latest versions.
    const rm: RegisteredModel = {
      name: m.name,
      creation_timestamp: m.creation,
      last_updated_timestamp: m.lastUpdated,
      latest_versions: this.latest(m, MODEL_VERSION_STAGES).map((v) => this.versionEntity(m, v, false)),
      tags: tagList(m.tags),
      aliases: [...m.aliases].map(([alias, n]) => ({ alias, version: String(n) })),
    };
    if (m.description !== undefined) rm.description = m.description;
    return rm;
  }

  // ---------------------------------------------------------------- registered models

  async createRegisteredModel(name: string, tags: RegisteredModelTag[] = [], description?: string): Promise<RegisteredModel> {
    validateModelName(name, this.flavour);
    for (const t of tags) validateRegisteredModelTag(t.key, t.value);
    const existing = this.models.get(name);
    if (existing) {
      const wantsPrompt = isPromptTags(tags);
      if (isPromptModel(existing) !== wantsPrompt) throw modelPromptClash(name, isPromptModel(existing));
      if (wantsPrompt) throw new MlflowError(`Prompt (name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
      throw registeredModelExists(name);
    }
    const now = Date.now();
    const m: ModelRecord = {
      name,
      creation: now,
      lastUpdated: now,
      description,
      tags: new Map(tags.map((t) => [t.key, t.value ?? ''])),
      aliases: new Map(),
      versions: new Map(),
    };
    this.models.set(name, m);
    return this.modelEntity(m);
  }

  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    validateModelName(name, this.flavour);
    const m = this.model(name);
    m.description = description;
    m.lastUpdated = Date.now();
    return this.modelEntity(m);
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(newName, this.flavour, 'new_name');
    validateModelName(name, this.flavour);
    const m = this.model(name);
    if (newName !== name && this.models.has(newName)) throw registeredModelExists(newName);
    const now = Date.now();
    // Tags and aliases go with the model, as in MLflow's SQL store (its 3.18 file store drops them).
    this.models.delete(name);
    m.name = newName;
    m.lastUpdated = now;
    for (const v of m.versions.values()) v.lastUpdated = now;
    this.models.set(newName, m);
    return this.modelEntity(m);
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    validateModelName(name, this.flavour);
    this.model(name);
    this.models.delete(name);
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    validateModelName(name, this.flavour);
    return this.modelEntity(this.model(name));
  }

  async searchRegisteredModels(request: SearchRegisteredModelsRequest = {}): Promise<PagedList<RegisteredModel>> {
    const maxResults = checkRegisteredModelMaxResults(request.maxResults, this.flavour);
    const parsed = parseRegisteredModelFilter(request.filterString, this.flavour);
    const orderBy = parseRegisteredModelOrderBy(request.orderBy, this.flavour);
    const scope = registryPromptScope(parsed, request.filterString, this.flavour);
    const start = decodePageToken(request.pageToken);
    const hits = [...this.models.values()].filter(
      (m) => registeredModelMatches({ name: m.name, tags: tagList(m.tags) }, scope.clauses) && promptAllowed(m.tags, scope.prompts),
    );
    hits.sort(compareBy(orderBy, (m, key) => (key === 'name' ? m.name : key === 'creation_timestamp' ? m.creation : m.lastUpdated)));
    return page(hits, start, maxResults, (m) => this.modelEntity(m));
  }

  async getLatestVersions(name: string, stages: string[] = []): Promise<ModelVersion[]> {
    validateModelName(name, this.flavour);
    const m = this.model(name);
    const wanted = stages.length === 0 ? MODEL_VERSION_STAGES : stages.map((s) => canonicalStage(s));
    return this.latest(m, wanted).map((v) => this.versionEntity(m, v, true));
  }

  async setRegisteredModelTag(name: string, tag: RegisteredModelTag): Promise<void> {
    validateModelName(name, this.flavour);
    validateRegisteredModelTag(tag.key, tag.value);
    const m = this.model(name);
    m.tags.set(tag.key, tag.value ?? '');
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateModelName(name, this.flavour);
    validateRegistryTagKey(key);
    const m = this.model(name);
    m.tags.delete(key);
  }

  // ---------------------------------------------------------------- model versions

  async createModelVersion(request: CreateModelVersionRequest): Promise<ModelVersion> {
    const { name, source } = request;
    validateModelName(name, this.flavour);
    const tags = request.tags ?? [];
    for (const t of tags) validateModelVersionTag(t.key, t.value);
    const m = this.models.get(name);
    if (!m) throw registeredModelNotFound(name);
    let runId = request.runId;
    let storageLocation = source;
    const modelsUri = /^models:\/(.*)$/.exec(source);
    if (modelsUri) {
      const resolved = await this.resolveModelsSource(source, modelsUri[1] ?? '');
      storageLocation = resolved.location;
      if (!runId && resolved.runId) runId = resolved.runId;
    } else if (!runId && request.modelId && this.trackingStore) {
      runId = (await this.trackingStore.getLoggedModel(request.modelId)).info.source_run_id;
    }
    // Synchronous from here: the number is taken and used without yielding, so concurrent
    // creations get distinct, gap-free numbers.
    let max = 0;
    for (const n of m.versions.keys()) max = Math.max(max, n);
    const now = Date.now();
    const v: VersionRecord = {
      version: max + 1,
      creation: now,
      lastUpdated: now,
      stage: 'None',
      description: request.description,
      source,
      runId,
      runLink: request.runLink,
      storageLocation,
      tags: new Map(tags.map((t) => [t.key, t.value])),
    };
    m.versions.set(v.version, v);
    m.lastUpdated = now;
    return this.versionEntity(m, v, true);
  }

  /** The storage location (and run) behind a `models:/` source: a logged model or a registered version. */
  private async resolveModelsSource(source: string, rest: string): Promise<{ location: string; runId?: string }> {
    const fail = (e: unknown) =>
      new MlflowError(`Unable to fetch model from model URI source artifact location '${source}'.Error: ${e instanceof Error ? e.message : String(e)}`, 'INTERNAL_ERROR', {
        cause: e,
      });
    const slash = rest.indexOf('/');
    if (slash < 0 && rest.startsWith('m-')) {
      if (!this.trackingStore) throw fail(new Error(`no tracking store to resolve logged model '${rest}'`));
      try {
        const lm = await this.trackingStore.getLoggedModel(rest);
        return lm.info.source_run_id ? { location: lm.info.artifact_uri, runId: lm.info.source_run_id } : { location: lm.info.artifact_uri };
      } catch (e) {
        throw fail(e);
      }
    }
    if (slash > 0) {
      try {
        return { location: await this.getModelVersionDownloadUri(rest.slice(0, slash), rest.slice(slash + 1)) };
      } catch (e) {
        throw fail(e);
      }
    }
    return { location: source };
  }

  async updateModelVersion(name: string, version: string, description: string | undefined): Promise<ModelVersion> {
    const { m, v } = this.liveVersion(name, version);
    v.description = description;
    v.lastUpdated = Date.now();
    return this.versionEntity(m, v, true);
  }

  async transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions: boolean): Promise<ModelVersion> {
    const canonical = canonicalStage(stage);
    checkArchiveStage(stage, canonical, archiveExistingVersions);
    const { m, v } = this.liveVersion(name, version);
    const now = Date.now();
    if (archiveExistingVersions) {
      for (const other of m.versions.values()) {
        if (other !== v && other.stage === canonical) {
          other.stage = 'Archived';
          other.lastUpdated = now;
        }
      }
    }
    v.stage = canonical;
    v.lastUpdated = now;
    m.lastUpdated = now;
    return this.versionEntity(m, v, true);
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    const { m, v } = this.liveVersion(name, version);
    const now = Date.now();
    v.stage = DELETED_STAGE;
    v.lastUpdated = now;
    for (const [alias, n] of m.aliases) if (n === v.version) m.aliases.delete(alias);
    m.lastUpdated = now;
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const { m, v } = this.liveVersion(name, version);
    return this.versionEntity(m, v, true);
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const { v } = this.liveVersion(name, version);
    return v.storageLocation || v.source || '';
  }

  async searchModelVersions(request: SearchModelVersionsRequest = {}): Promise<PagedList<ModelVersion>> {
    const maxResults = checkModelVersionMaxResults(request.maxResults, this.flavour);
    const parsed = parseModelVersionFilter(request.filterString, this.flavour);
    const orderBy = parseModelVersionOrderBy(request.orderBy, this.flavour);
    const scope = registryPromptScope(parsed, request.filterString, this.flavour);
    const start = decodePageToken(request.pageToken);
    const hits: { m: ModelRecord; v: VersionRecord }[] = [];
    for (const m of this.models.values()) {
      // As MLflow's SQL store: a model any of whose versions (deleted ones too) is tagged a prompt
      // has all its versions left out.
      if (scope.prompts === 'exclude' && [...m.versions.values()].some((v) => !promptAllowed(v.tags, 'exclude'))) continue;
      for (const v of m.versions.values()) {
        if (v.stage === DELETED_STAGE) continue;
        const view = { name: m.name, version: v.version, run_id: v.runId ?? null, source: v.source ?? null, tags: tagList(v.tags) };
        if (modelVersionMatches(view, scope.clauses)) hits.push({ m, v });
      }
    }
    hits.sort(
      compareBy(orderBy, ({ m, v }, key) =>
        key === 'name' ? m.name : key === 'version_number' ? v.version : key === 'creation_timestamp' ? v.creation : v.lastUpdated,
      ),
    );
    // As MLflow's SQL store: no aliases on search results.
    return page(hits, start, maxResults, ({ m, v }) => this.versionEntity(m, v, false));
  }

  async setModelVersionTag(name: string, version: string, tag: ModelVersionTag): Promise<void> {
    validateModelName(name, this.flavour);
    parseModelVersion(version);
    validateModelVersionTag(tag.key, tag.value);
    const { m, v } = this.liveVersion(name, version);
    v.tags.set(tag.key, tag.value);
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    validateModelName(name, this.flavour);
    parseModelVersion(version);
    validateRegistryTagKey(key);
    const { m, v } = this.liveVersion(name, version);
    v.tags.delete(key);
  }

  // ---------------------------------------------------------------- aliases

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    validateModelName(name, this.flavour);
    validateAliasName(alias, true);
    const { m, v } = this.liveVersion(name, version);
    m.aliases.set(alias, v.version);
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateModelName(name, this.flavour);
    validateAliasName(alias, false);
    const m = this.model(name);
    m.aliases.delete(alias);
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name, this.flavour);
    validateAliasName(alias, false);
    const m = this.model(name);
    if (isLatestAlias(alias)) {
      let newest: VersionRecord | undefined;
      for (const v of m.versions.values()) if (v.stage !== DELETED_STAGE && (!newest || v.version > newest.version)) newest = v;
      if (!newest) throw MlflowError.notFound(`Latest version not found for model ${name}.`);
      return this.versionEntity(m, newest, true);
    }
    const n = m.aliases.get(alias);
    if (n === undefined) throw MlflowError.invalidParameter(`Registered model alias ${alias} not found.`);
    const v = m.versions.get(n);
    if (!v || v.stage === DELETED_STAGE) throw modelVersionNotFound(name, n);
    return this.versionEntity(m, v, true);
  }

  // ---------------------------------------------------------------- export and import (migrate)

  async *exportRegisteredModels(opts: CallOptions = {}): AsyncIterable<RegisteredModelExport> {
    for (const m of [...this.models.values()]) {
      opts.signal?.throwIfAborted();
      const versions: ModelVersionExport[] = [...m.versions.values()]
        .sort((a, b) => a.version - b.version)
        .map((v) => ({
          version: String(v.version),
          creation_timestamp: v.creation,
          last_updated_timestamp: v.lastUpdated,
          current_stage: v.stage,
          status: v.status ?? 'READY',
          tags: tagList(v.tags),
          ...optional({ user_id: v.userId, description: v.description, source: v.source, run_id: v.runId, status_message: v.statusMessage, run_link: v.runLink, storage_location: v.storageLocation, model_id: v.modelId }),
        }));
      yield {
        name: m.name,
        creation_timestamp: m.creation,
        last_updated_timestamp: m.lastUpdated,
        tags: tagList(m.tags),
        aliases: [...m.aliases].map(([alias, n]) => ({ alias, version: String(n) })),
        versions,
        ...optional({ description: m.description }),
      };
    }
  }

  async importRegisteredModel(model: RegisteredModelExport): Promise<ImportOutcome> {
    validateModelName(model.name, this.flavour);
    if (this.models.has(model.name)) return 'exists';
    const versions = new Map<number, VersionRecord>();
    for (const v of model.versions) {
      const n = parseModelVersion(v.version);
      versions.set(n, {
        version: n,
        creation: v.creation_timestamp ?? 0,
        lastUpdated: v.last_updated_timestamp ?? 0,
        stage: v.current_stage,
        description: v.description,
        source: v.source,
        runId: v.run_id,
        runLink: v.run_link,
        storageLocation: v.storage_location,
        tags: new Map(v.tags.map((t) => [t.key, t.value ?? ''])),
        ...optional({ userId: v.user_id, status: v.status === 'READY' ? undefined : v.status, statusMessage: v.status_message, modelId: v.model_id }),
      });
    }
    this.models.set(model.name, {
      name: model.name,
      creation: model.creation_timestamp ?? 0,
      lastUpdated: model.last_updated_timestamp ?? 0,
      description: model.description,
      tags: new Map(model.tags.map((t) => [t.key, t.value ?? ''])),
      aliases: new Map(model.aliases.map((a) => [a.alias, parseModelVersion(a.version)])),
      versions,
    });
    return 'created';
  }

  async close(): Promise<void> {}
}

/** The prompt rule of a search (see `registryPromptScope`) applied to one model's or version's tags. */
function promptAllowed(tags: Map<string, string>, prompts: 'only' | 'exclude' | 'as-filtered'): boolean {
  if (prompts === 'exclude') return tags.get(PROMPT_TAG) !== 'true';
  return true; // 'only' / 'as-filtered': the clauses on the prompt tag select
}

function compareBy<T>(orderBy: readonly OrderByClause[], value: (item: T, key: string) => string | number): (a: T, b: T) => number {
  return (a, b) => {
    for (const o of orderBy) {
      const x = value(a, o.key);
      const y = value(b, o.key);
      if (x !== y) return (x < y ? -1 : 1) * (o.ascending ? 1 : -1);
    }
    return 0;
  };
}

/** One page from `start`, with MLflow's offset token when more follow (a limit ≤ 0 gives an empty page and a token). */
function page<T, R>(sorted: readonly T[], start: number, maxResults: number, toEntity: (item: T) => R): PagedList<R> {
  if (maxResults <= 0) return sorted.length > start ? { items: [], nextPageToken: encodePageToken(start + maxResults) } : { items: [] };
  const end = start + maxResults;
  const items = sorted.slice(start, end).map(toEntity);
  return end < sorted.length ? { items, nextPageToken: encodePageToken(end) } : { items };
}
