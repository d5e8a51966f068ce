import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  canonicalStage,
  checkArchiveStage,
  checkModelVersionMaxResults,
  checkRegisteredModelMaxResults,
  decodePageToken,
  DELETED_STAGE,
  isLatestAlias,
  isPromptTags,
  MlflowError,
  MODEL_VERSION_STAGES,
  modelPromptClash,
  modelVersionMatches,
  modelVersionNotFound,
  parseModelVersion,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  registeredModelMatches,
  registeredModelNotFound,
  registryPromptScope,
  validateAliasName,
  validateModelName,
  validateModelVersionTag,
  validateRegisteredModelTag,
  validateRegistryTagKey,
  type AbstractStore,
  type CreateModelVersionRequest,
  type Logger,
  type ImportOutcome,
  type PortableModelRegistryStore,
  type RegisteredModelExport,
  type ModelRegistryStoreCapabilities,
  type ModelVersion,
  type ModelVersionTag,
  type PagedList,
  type RegisteredModel,
  type RegisteredModelTag,
  type SearchModelVersionsRequest,
  type SearchRegisteredModelsRequest,
} from '@mlstore/core';
import { errno, FileIo, writeError } from './file-io.js';
import { fileStoreRoot } from './file-store-base.js';
import { MalformedMetaError } from './mlruns-meta.js';
import { KeyedMutex } from './keyed-mutex.js';
import {
  modelMetaText,
  readModelRecord,
  readVersionRecord,
  readVersionRecords,
  REGISTRY_ALIASES,
  REGISTRY_META,
  REGISTRY_MODELS,
  REGISTRY_TAGS,
  VERSION_PREFIX,
  versionMetaText,
  type RegistryModelRecord,
  type RegistryVersionRecord,
} from './registry-meta.js';
import { latestVersions, modelEntity, tagList, versionEntity } from './registry-entities.js';
import { compareBy, pageOf, promptAllowed } from './registry-search.js';
import { exportModelRecord, writeImportedModel } from './registry-portable.js';
import { placeVersion, renameModelFolder } from './registry-writes.js';
import { resolveModelsSource } from './registry-source.js';

export interface FileModelRegistryStoreOptions {
  /** Resolves `models:/m-…` sources and `model_id`s to logged models (MLflow asks its tracking client). */
  trackingStore?: Pick<AbstractStore, 'getLoggedModel'>;
  logger?: Logger;
}

const FLAVOUR = 'FileStore';

/**
 * MLflow's name checks (file flavour), and no NUL: no file can be named so (MLflow's FileStore
 * fails there with a 500, `embedded null byte`).
 */
function validateFileModelName(name: string | undefined | null): void {
  validateModelName(name, FLAVOUR);
  if (name?.includes('\0')) throw MlflowError.invalidParameter("'name' cannot contain NUL (0x00) characters");
}

/**
 * MLflow 3.18's registry FileStore (`<root>/models/…`, docs/model-registry-3.18.md §7) in
 * TypeScript: the same folders and byte-identical meta.yaml files, and MLflow's file-store answers
 * where its SQL and file stores differ (`capabilities.flavour` = `FileStore`).
 *
 * Where MLflow's file store crashes or corrupts, this one does not: rename carries tags and aliases
 * (as the SQL store does) and builds the new folder aside, so a failure leaves the old model
 * intact; `latest` on a model without versions is a 404. Writes to one model are serialised in the
 * process and across mlstore processes (a lock file in the model folder), and a version folder
 * appears with one rename, so concurrent creators get distinct, gap-free numbers. MLflow's own
 * file store takes no lock: an MLflow process writing the same model at the same time can still
 * race with us on the model's meta.yaml (never on a version number: a taken folder is skipped).
 */
export class FileModelRegistryStore implements PortableModelRegistryStore {
  readonly capabilities: ModelRegistryStoreCapabilities = { flavour: FLAVOUR };
  readonly root: string;
  private readonly models: string;
  private readonly io: FileIo;
  private readonly mutex = new KeyedMutex();
  private readonly trackingStore: Pick<AbstractStore, 'getLoggedModel'> | undefined;

  private constructor(root: string, options: FileModelRegistryStoreOptions) {
    this.root = root;
    this.models = join(root, REGISTRY_MODELS);
    this.io = new FileIo(root);
    this.trackingStore = options.trackingStore;
  }

  /**
   * Opens the registry at a plain path or `file:` URI (MLflow's `--registry-store-uri`), creating
   * `<root>/models` as MLflow's constructor does.
   */
  static async open(uriOrPath: string, options: FileModelRegistryStoreOptions = {}): Promise<FileModelRegistryStore> {
    const root = fileStoreRoot(uriOrPath);
    mkdirSync(join(root, REGISTRY_MODELS), { recursive: true });
    return new FileModelRegistryStore(root, options);
  }

  // ---------------------------------------------------------------- reading

  private modelDir(name: string): string {
    return join(this.models, name);
  }

  /** The model, or undefined when absent. Validates the name (file flavour) first. */
  private findModel(name: string): RegistryModelRecord | undefined {
    validateFileModelName(name);
    return readModelRecord(this.modelDir(name), name);
  }

  private model(name: string): RegistryModelRecord {
    const m = this.findModel(name);
    if (!m) throw registeredModelNotFound(name);
    return m;
  }

  /** `_fetch_file_model_version_if_exists`: name, version number, model (404 by model name), live version. */
  private liveVersion(name: string, version: string): { m: RegistryModelRecord; v: RegistryVersionRecord } {
    validateFileModelName(name);
    const n = parseModelVersion(version);
    const m = this.model(name);
    const v = readVersionRecord(join(m.dir, `${VERSION_PREFIX}${n}`), n);
    if (!v || v.stage === DELETED_STAGE) throw modelVersionNotFound(name, n);
    return { m, v };
  }

  private allModels(): RegistryModelRecord[] {
    const out: RegistryModelRecord[] = [];
    for (const dirName of listSubdirsSync(this.models)) {
      if (dirName.startsWith('.')) continue;
      try {
        const m = readModelRecord(this.modelDir(dirName), dirName);
        if (m) out.push(m);
      } catch (err) {
        // A model MLflow could not read either (MissingConfigException) is left out of listings.
        if (!(err instanceof MalformedMetaError)) throw err;
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- writing

  /** Runs `fn` holding the model's in-process mutex and its lock file (other mlstore processes). */
  private locked<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(name, async () => {
      const dir = this.modelDir(name);
      if (!existsSync(dir)) return fn();
      try {
        return await this.io.withLock(dir, fn);
      } catch (err) {
        // The folder vanished before the lock was taken: answer as for a missing model.
        if (err instanceof MlflowError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST' && !existsSync(dir)) return fn();
        throw err;
      }
    });
  }

  private async writeModelMeta(m: RegistryModelRecord): Promise<void> {
    await this.io.writeAtomic(join(m.dir, REGISTRY_META), modelMetaText(m));
  }

  private async writeVersionMeta(v: RegistryVersionRecord): Promise<void> {
    await this.io.writeAtomic(join(v.dir, REGISTRY_META), versionMetaText(v));
  }

  /** Re-reads the model and sets its last_updated_timestamp (the file store's bump on every tag/alias write). */
  private async bump(name: string, now = Date.now()): Promise<void> {
    const m = this.model(name);
    m.lastUpdated = now;
    await this.writeModelMeta(m);
  }

  private async writeKeyFile(path: string, value: string): Promise<void> {
    try {
      await this.io.writeAtomic(path, value);
    } catch (err) {
      if (errno(err) === 'ENOTDIR' || errno(err) === 'EISDIR' || errno(err) === 'EEXIST') {
        throw MlflowError.invalidParameter(`A tag key and a tag key under it ('<key>/…') cannot both be stored as files: ${path}`, { cause: err });
      }
      throw writeError(err);
    }
  }

  private removeKeyFile(path: string): boolean {
    if (!existsSync(path)) return false;
    rmSync(path, { force: true });
    return true;
  }

  // ---------------------------------------------------------------- registered models

  async createRegisteredModel(name: string, tags: RegisteredModelTag[] = [], description?: string): Promise<RegisteredModel> {
    validateFileModelName(name);
    const clash = (existing: RegistryModelRecord | undefined) =>
      modelPromptClash(name, existing ? isPromptTags(tagList(existing.tags)) : false, isPromptTags(tags));
    const taken = this.findModel(name);
    if (taken || existsSync(this.modelDir(name))) throw clash(taken);
    for (const t of tags) validateRegisteredModelTag(t.key, t.value);
    const dir = this.modelDir(name);
    try {
      mkdirSync(dir);
    } catch (err) {
      if (errno(err) === 'EEXIST') throw clash(this.findModel(name));
      throw writeError(err);
    }
    const now = Date.now();
    const m: RegistryModelRecord = { dir, name, creation: now, lastUpdated: now, description: description ?? null, tags: new Map(), aliases: new Map(), raw: {} };
    return this.locked(name, async () => {
      await this.writeModelMeta(m);
      for (const t of tags) {
        m.tags.set(t.key, t.value ?? '');
        await this.writeKeyFile(join(dir, REGISTRY_TAGS, t.key), t.value ?? '');
      }
      // As MLflow: each tag write bumps the model, but the returned entity shows the creation time.
      if (tags.length > 0) await this.bump(name);
      return { name, creation_timestamp: now, last_updated_timestamp: now, ...(description != null ? { description } : {}), latest_versions: [], tags: tagList(m.tags), aliases: [] };
    });
  }

  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    this.model(name);
    return this.locked(name, async () => {
      const m = this.model(name);
      m.description = description ?? null;
      m.lastUpdated = Date.now();
      await this.writeModelMeta(m);
      return modelEntity(m);
    });
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    this.model(name);
    validateFileModelName(newName);
    const target = this.modelDir(newName);
    const exists = () => new MlflowError(`Registered Model (name=${newName}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
    if (existsSync(target)) throw exists();
    return this.locked(name, async () => {
      const m = this.model(name);
      const now = Date.now();
      if (!renameModelFolder(m, newName, target, now)) throw exists();
      return modelEntity(this.model(newName));
    });
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    this.model(name);
    await this.mutex.run(name, async () => {
      const dir = this.modelDir(name);
      if (!existsSync(dir)) throw registeredModelNotFound(name);
      // Move it aside first so readers never see a half-removed model.
      const doomed = join(this.root, `.mlstore-tmp-deleted-${randomBytes(6).toString('hex')}`);
      try {
        renameSync(dir, doomed);
      } catch (err) {
        if (errno(err) === 'ENOENT') throw registeredModelNotFound(name);
        throw err;
      }
      rmSync(doomed, { recursive: true, force: true });
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return modelEntity(this.model(name));
  }

  async searchRegisteredModels(request: SearchRegisteredModelsRequest = {}): Promise<PagedList<RegisteredModel>> {
    const maxResults = checkRegisteredModelMaxResults(request.maxResults, FLAVOUR);
    const parsed = parseRegisteredModelFilter(request.filterString, FLAVOUR);
    const orderBy = parseRegisteredModelOrderBy(request.orderBy, FLAVOUR);
    const scope = registryPromptScope(parsed, request.filterString, FLAVOUR);
    const start = decodePageToken(request.pageToken);
    const hits = this.allModels().filter((m) => registeredModelMatches({ name: m.name, tags: tagList(m.tags) }, scope.clauses) && promptAllowed(m.tags, scope.prompts));
    hits.sort(compareBy(orderBy, (m, key) => (key === 'name' ? m.name : key === 'creation_timestamp' ? (m.creation ?? 0) : (m.lastUpdated ?? 0))));
    return pageOf(hits, start, maxResults, (m) => modelEntity(m));
  }

  async getLatestVersions(name: string, stages: string[] = []): Promise<ModelVersion[]> {
    const m = this.model(name);
    const wanted = stages.length === 0 ? MODEL_VERSION_STAGES : [...new Set(stages.map((s) => canonicalStage(s)))];
    return latestVersions(readVersionRecords(m.dir), wanted).map((v) => versionEntity(m, v));
  }

  async setRegisteredModelTag(name: string, tag: RegisteredModelTag): Promise<void> {
    validateRegisteredModelTag(tag.key, tag.value);
    validateFileModelName(name);
    validateRegistryTagKey(tag.key);
    this.model(name);
    await this.locked(name, async () => {
      const m = this.model(name);
      await this.writeKeyFile(join(m.dir, REGISTRY_TAGS, tag.key), tag.value ?? '');
      await this.bump(name);
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateFileModelName(name);
    validateRegistryTagKey(key);
    this.model(name);
    await this.locked(name, async () => {
      const m = this.model(name);
      if (this.removeKeyFile(join(m.dir, REGISTRY_TAGS, key))) await this.bump(name);
    });
  }

  // ---------------------------------------------------------------- model versions

  async createModelVersion(request: CreateModelVersionRequest): Promise<ModelVersion> {
    const { name, source } = request;
    validateFileModelName(name);
    const tags = request.tags ?? [];
    for (const t of tags) validateModelVersionTag(t.key, t.value);
    let runId = request.runId;
    let storageLocation = source;
    if (/^models:/i.test(source)) {
      const resolved = await resolveModelsSource(source, this.trackingStore, (n, v) => this.getModelVersionDownloadUri(n, v));
      storageLocation = resolved.location;
      if (!runId && resolved.runId) runId = resolved.runId;
    }
    if (!runId && request.modelId && this.trackingStore) {
      runId = (await this.trackingStore.getLoggedModel(request.modelId)).info.source_run_id;
    }
    try {
      return await this.locked(name, async () => {
        const m = this.model(name);
        const now = Date.now();
        m.lastUpdated = now;
        await this.writeModelMeta(m);
        const v = placeVersion(m, (n) => ({
          dir: '',
          name,
          version: n,
          creation: now,
          lastUpdated: now,
          stage: 'None',
          description: request.description ?? null,
          source,
          runId: runId ?? null,
          runLink: request.runLink ?? null,
          modelId: request.modelId ?? null,
          storageLocation,
          status: 'READY',
          statusMessage: null,
          userId: null,
          tags: new Map(tags.map((t) => [t.key, t.value])),
          raw: {},
        }));
        if (tags.length > 0) await this.bump(name);
        return versionEntity(m, v);
      });
    } catch (err) {
      // MLflow's file store wraps every failure of this block (a missing model too) this way.
      const msg = err instanceof Error ? err.message : String(err);
      throw new MlflowError(`Model Version creation error (name=${name}). Error: ${msg}. Giving up after 3 attempts.`, 'INTERNAL_ERROR', { cause: err });
    }
  }

  async updateModelVersion(name: string, version: string, description: string | undefined): Promise<ModelVersion> {
    this.liveVersion(name, version);
    return this.locked(name, async () => {
      const { m, v } = this.liveVersion(name, version);
      v.description = description ?? null;
      v.lastUpdated = Date.now();
      await this.writeVersionMeta(v);
      return versionEntity(m, v);
    });
  }

  async transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions: boolean): Promise<ModelVersion> {
    const canonical = canonicalStage(stage);
    checkArchiveStage(stage, canonical, archiveExistingVersions);
    validateFileModelName(name);
    return this.locked(name, async () => {
      const now = Date.now();
      if (archiveExistingVersions) {
        // As MLflow's file store: the others are archived before the target is looked up, so a
        // missing target still archives them (what the kit asserts for the File flavour, §5.1).
        const m = this.findModel(name);
        const target = parseModelVersion(version);
        for (const other of m ? readVersionRecords(m.dir) : []) {
          if (other.version !== target && other.stage === canonical) {
            other.stage = 'Archived';
            other.lastUpdated = now;
            await this.writeVersionMeta(other);
          }
        }
      }
      const { m, v } = this.liveVersion(name, version);
      v.stage = canonical;
      v.lastUpdated = now;
      await this.writeVersionMeta(v);
      await this.bump(name, now);
      return versionEntity(m, v);
    });
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    this.liveVersion(name, version);
    await this.locked(name, async () => {
      const { m, v } = this.liveVersion(name, version);
      const now = Date.now();
      v.stage = DELETED_STAGE;
      v.lastUpdated = now;
      await this.writeVersionMeta(v);
      for (const [alias, n] of m.aliases) {
        if (n === String(v.version)) this.removeKeyFile(join(m.dir, REGISTRY_ALIASES, alias));
      }
      await this.bump(name, now);
    });
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    const { m, v } = this.liveVersion(name, version);
    return versionEntity(m, v);
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const { v } = this.liveVersion(name, version);
    return v.storageLocation || v.source || '';
  }

  async searchModelVersions(request: SearchModelVersionsRequest = {}): Promise<PagedList<ModelVersion>> {
    const maxResults = checkModelVersionMaxResults(request.maxResults, FLAVOUR);
    let parsed;
    try {
      parsed = parseModelVersionFilter(request.filterString, FLAVOUR);
    } catch (err) {
      // MLflow's file store fails on `version_number = 'x'` only while comparing it with a version
      // (int('x')): with no live version to compare it answers an empty page.
      if (err instanceof MlflowError && err.errorCode === 'INTERNAL_ERROR' && !this.anyLiveVersion()) return { items: [] };
      throw err;
    }
    const orderBy = parseModelVersionOrderBy(request.orderBy, FLAVOUR);
    const scope = registryPromptScope(parsed, request.filterString, FLAVOUR);
    const start = decodePageToken(request.pageToken);
    const hits: { m: RegistryModelRecord; v: RegistryVersionRecord }[] = [];
    for (const m of this.allModels()) {
      for (const v of readVersionRecords(m.dir)) {
        if (v.stage === DELETED_STAGE) continue;
        const view = { name: m.name, version: v.version, run_id: v.runId, source: v.source, tags: tagList(v.tags) };
        if (modelVersionMatches(view, scope.clauses) && promptAllowed(v.tags, scope.prompts)) hits.push({ m, v });
      }
    }
    hits.sort(
      compareBy(orderBy, ({ m, v }, key) =>
        key === 'name' ? m.name : key === 'version_number' ? v.version : key === 'creation_timestamp' ? (v.creation ?? 0) : (v.lastUpdated ?? 0),
      ),
    );
    return pageOf(hits, start, maxResults, ({ m, v }) => versionEntity(m, v));
  }

  private anyLiveVersion(): boolean {
    return this.allModels().some((m) => readVersionRecords(m.dir).some((v) => v.stage !== DELETED_STAGE));
  }

  async setModelVersionTag(name: string, version: string, tag: ModelVersionTag): Promise<void> {
    validateModelVersionTag(tag.key, tag.value);
    this.liveVersion(name, version);
    await this.locked(name, async () => {
      const { v } = this.liveVersion(name, version);
      await this.writeKeyFile(join(v.dir, REGISTRY_TAGS, tag.key), tag.value);
      await this.bump(name);
    });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    validateRegistryTagKey(key);
    this.liveVersion(name, version);
    await this.locked(name, async () => {
      const { v } = this.liveVersion(name, version);
      if (this.removeKeyFile(join(v.dir, REGISTRY_TAGS, key))) await this.bump(name);
    });
  }

  // ---------------------------------------------------------------- aliases

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    validateFileModelName(name);
    validateAliasName(alias, false);
    this.model(name);
    validateAliasName(alias, true);
    this.liveVersion(name, version);
    await this.locked(name, async () => {
      const { m, v } = this.liveVersion(name, version);
      // The canonical number (MLflow writes the argument as given, e.g. " 2", which its own
      // version listing then fails to match).
      await this.writeKeyFile(join(m.dir, REGISTRY_ALIASES, alias), String(v.version));
      await this.bump(name);
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateFileModelName(name);
    validateAliasName(alias, false);
    this.model(name);
    await this.locked(name, async () => {
      const m = this.model(name);
      if (this.removeKeyFile(join(m.dir, REGISTRY_ALIASES, alias))) await this.bump(name);
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateFileModelName(name);
    validateAliasName(alias, false);
    const m = this.model(name);
    if (isLatestAlias(alias)) {
      const newest = latestVersions(readVersionRecords(m.dir), MODEL_VERSION_STAGES).reduce<RegistryVersionRecord | undefined>((a, v) => (!a || v.version > a.version ? v : a), undefined);
      // MLflow's file store crashes here (max() of nothing); answer as its SQL store does.
      if (!newest) throw MlflowError.notFound(`Latest version not found for model ${name}.`);
      return versionEntity(m, newest);
    }
    const target = m.aliases.get(alias);
    if (target === undefined) throw MlflowError.invalidParameter(`Registered model alias ${alias} not found.`);
    return this.getModelVersion(name, target);
  }

  // ---------------------------------------------------------------- export and import (migrate)

  async *exportRegisteredModels(): AsyncIterable<RegisteredModelExport> {
    for (const m of this.allModels()) yield exportModelRecord(m);
  }

  /**
   * Writes the model's folder as MLflow's file store would hold it, under the model's lock; a
   * folder with a meta.yaml is `exists`, one without is an interrupted import's and is redone.
   */
  async importRegisteredModel(model: RegisteredModelExport): Promise<ImportOutcome> {
    validateFileModelName(model.name);
    const dir = this.modelDir(model.name);
    if (readModelRecord(dir, model.name)) return 'exists';
    mkdirSync(dir, { recursive: true });
    return this.locked(model.name, async () => {
      if (readModelRecord(dir, model.name)) return 'exists';
      writeImportedModel(dir, model);
      return 'created';
    });
  }

  async close(): Promise<void> {}
}

function listSubdirsSync(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
  } catch (err) {
    if (errno(err) === 'ENOENT') return [];
    throw err;
  }
}
