import { sql, type Kysely } from 'kysely';
import {
  DELETED_STAGE,
  MlflowError,
  PROMPT_TAG,
  canonicalStage,
  checkArchiveStage,
  checkModelVersionMaxResults,
  checkRegisteredModelMaxResults,
  decodePageToken,
  isLatestAlias,
  isPromptTags,
  modelPromptClash,
  modelVersionNotFound,
  parseModelVersion,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  registeredModelExists,
  registryPromptScope,
  silentLogger,
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
import type { Database } from './db-types.js';
import { openDatabase, resolvePoolOptions, type SqlPoolOptions } from './connection.js';
import { isUniqueViolation } from './errors.js';
import { ensureSchema } from './schema.js';
import { inTransaction, reading, upsert, type SqlContext } from './sql-context.js';
import { insertModelVersion, resolveVersionSource, withCreateRetries } from './sql-registry-create-version.js';
import { insertedVersion, latestVersionRows, pageOf, requireLiveVersionRow, requireModelRow, toRegisteredModels, toVersions, versionWhere } from './sql-registry-rows.js';
import { exportRegistry, importModel } from './sql-registry-portable.js';
import { registryFilterSql, registryOrderSql } from './sql-registry-search.js';
import { DEFAULT_WORKSPACE, REQUIRED_REGISTRY_TABLES, type ModelVersionRow, type RegistryDb } from './sql-registry-tables.js';
import { parseSqlUri, type SqlDialectName } from './sql-uri.js';

/** Options of {@link SqlModelRegistryStore.open}. */
export interface SqlModelRegistryStoreOptions {
  /** Resolves `models:/m-…` sources (and `model_id`s without a run) to logged models. */
  trackingStore?: Pick<AbstractStore, 'getLoggedModel'>;
  /** Connection pool; defaults from MLflow's `MLFLOW_SQLALCHEMYSTORE_*` env vars. */
  pool?: SqlPoolOptions;
  /** Environment read for pool settings. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** An open database to share, e.g. a {@link SqlTrackingStore}'s: the Kysely instance and its dialect. */
export interface SqlRegistryConnection {
  db: Kysely<Database>;
  dialect: SqlDialectName;
}

/**
 * MLflow 3.18's model-registry SqlAlchemyStore for Node, on MLflow's own registry tables (SQLite,
 * PostgreSQL, MySQL/MariaDB), so the real MLflow server and client share the registry: the same
 * validation and messages as the in-memory reference store, one transaction per write, version
 * numbers distinct and gap-free under concurrent creators (a lock on the model row, plus MLflow's
 * primary-key retry), soft-deleted versions redacted as MLflow redacts them.
 */
export class SqlModelRegistryStore implements PortableModelRegistryStore {
  readonly capabilities: ModelRegistryStoreCapabilities = { flavour: 'SqlStore' };
  private readonly ctx: SqlContext;
  private readonly db: RegistryDb;
  private readonly trackingStore: Pick<AbstractStore, 'getLoggedModel'> | undefined;
  private released = false;

  private constructor(
    connection: SqlRegistryConnection,
    options: SqlModelRegistryStoreOptions,
    private readonly release: () => Promise<void>,
  ) {
    this.db = connection.db as unknown as RegistryDb;
    this.ctx = { db: this.db as never, dialect: connection.dialect, artifactRoot: '', logger: options.logger ?? silentLogger };
    this.trackingStore = options.trackingStore;
  }

  /** The dialect of the database. */
  get dialect(): SqlDialectName {
    return this.ctx.dialect;
  }

  /**
   * Opens the registry at `uri` (`sqlite:///mlflow.db`, `postgresql://…`, `mysql://…`), creating
   * MLflow 3.18.0's schema in an empty database (as MLflow's registry store does, without the
   * tracking store's default experiment).
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE (bad URI, missing driver package), INVALID_STATE
   *   (schema revision; registered models outside the default workspace), INTERNAL_ERROR (registry
   *   tables missing), TEMPORARILY_UNAVAILABLE (server unreachable).
   */
  static async open(uri: string, options: SqlModelRegistryStoreOptions = {}): Promise<SqlModelRegistryStore> {
    const config = parseSqlUri(uri);
    const { db, dialect, release } = await openDatabase(config, resolvePoolOptions(options.pool, options.env));
    try {
      await reading(() => ensureSchema(db, dialect, null));
      return await SqlModelRegistryStore.checked({ db, dialect }, options, release);
    } catch (err) {
      await release();
      throw err;
    }
  }

  /**
   * A registry on an already open database (e.g. the one of a SQL tracking store of the same
   * URI). The schema must already be there; {@link close} leaves the connection open.
   *
   * @throws MlflowError as {@link open} does for the registry tables and workspaces.
   */
  static fromConnection(connection: SqlRegistryConnection, options: SqlModelRegistryStoreOptions = {}): Promise<SqlModelRegistryStore> {
    return SqlModelRegistryStore.checked(connection, options, async () => {});
  }

  private static async checked(connection: SqlRegistryConnection, options: SqlModelRegistryStoreOptions, release: () => Promise<void>): Promise<SqlModelRegistryStore> {
    const store = new SqlModelRegistryStore(connection, options, release);
    await reading(() => store.checkState());
    return store;
  }

  /** MLflow's start-up checks: the registry tables exist, and every model is in the default workspace. */
  private async checkState(): Promise<void> {
    const tables = new Set((await this.db.introspection.getTables()).map((t) => t.name));
    if (REQUIRED_REGISTRY_TABLES.some((t) => !tables.has(t))) {
      throw new MlflowError('Database migration in unexpected state. Run manual upgrade.', 'INTERNAL_ERROR');
    }
    const other = await this.db.selectFrom('registered_models').select(['name', 'workspace']).where('workspace', '<>', DEFAULT_WORKSPACE).limit(1).executeTakeFirst();
    if (other) {
      throw new MlflowError(
        `Cannot disable workspaces because registered models exist outside the default workspace (for example, model '${other.name}' in workspace '${other.workspace}'). Either remove those models or re-enable workspaces before starting.`,
        'INVALID_STATE',
      );
    }
  }

  /** Every registered model with all its rows (`mlstore migrate`). */
  exportRegisteredModels(): AsyncIterable<RegisteredModelExport> {
    return exportRegistry(this.db);
  }

  /** Writes the model's rows as exported in one transaction; a name taken (also by a racing import) is `exists`. */
  async importRegisteredModel(model: RegisteredModelExport): Promise<ImportOutcome> {
    validateModelName(model.name, 'SqlStore');
    try {
      return await this.tx((tx) => importModel(tx, model));
    } catch (err) {
      if (isUniqueViolation(err) && (await this.read((db) => db.selectFrom('registered_models').select('name').where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', model.name).executeTakeFirst()))) return 'exists';
      throw err;
    }
  }

  /** Releases the pool it opened (never a shared connection). Idempotent. */
  async close(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.release();
  }

  private tx<T>(fn: (tx: RegistryDb) => Promise<T>): Promise<T> {
    return inTransaction(this.ctx, (tx) => fn(tx as unknown as RegistryDb));
  }

  private read<T>(fn: (db: RegistryDb) => Promise<T>): Promise<T> {
    return reading(() => fn(this.db));
  }

  private async oneModel(db: RegistryDb, name: string): Promise<RegisteredModel> {
    const [rm] = await toRegisteredModels(db, [await requireModelRow(db, name)]);
    return rm!;
  }

  private async oneVersion(db: RegistryDb, row: ModelVersionRow): Promise<ModelVersion> {
    const [mv] = await toVersions(db, [row], true);
    return mv!;
  }

  // ---------------------------------------------------------------- registered models

  async createRegisteredModel(name: string, tags: RegisteredModelTag[] = [], description?: string): Promise<RegisteredModel> {
    validateModelName(name, 'SqlStore');
    for (const t of tags) validateRegisteredModelTag(t.key, t.value);
    const tagMap = new Map(tags.map((t) => [t.key, t.value ?? null]));
    // The answer for a taken name: which message depends on whether the existing model and the
    // request are prompts (the prompt tag's presence).
    const conflict = async (db: RegistryDb): Promise<MlflowError> => {
      const existing = await db.selectFrom('registered_model_tags').select('key').where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', name).where('key', '=', PROMPT_TAG).executeTakeFirst();
      const existingIsPrompt = existing !== undefined;
      const wantsPrompt = isPromptTags(tags);
      if (existingIsPrompt !== wantsPrompt) return modelPromptClash(name, existingIsPrompt);
      if (wantsPrompt) return new MlflowError(`Prompt (name=${name}) already exists.`, 'RESOURCE_ALREADY_EXISTS');
      return registeredModelExists(name);
    };
    try {
      return await this.tx(async (tx) => {
        const exists = await tx.selectFrom('registered_models').select('name').where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', name).executeTakeFirst();
        if (exists) throw await conflict(tx);
        const now = Date.now();
        await tx.insertInto('registered_models').values({ name, creation_time: now, last_updated_time: now, description: description ?? null, workspace: DEFAULT_WORKSPACE }).execute();
        if (tagMap.size > 0) {
          await tx.insertInto('registered_model_tags').values([...tagMap].map(([key, value]) => ({ key, value, name, workspace: DEFAULT_WORKSPACE }))).execute();
        }
        return this.oneModel(tx, name);
      });
    } catch (err) {
      // A concurrent creator took the name between the check and the insert.
      if (isUniqueViolation((err as { cause?: unknown }).cause)) throw await this.read(conflict);
      throw err;
    }
  }

  async updateRegisteredModel(name: string, description: string | undefined): Promise<RegisteredModel> {
    return this.tx(async (tx) => {
      const rm = await requireModelRow(tx, name, this.lockRows);
      await tx.updateTable('registered_models').set({ description: description ?? null, last_updated_time: Date.now() }).where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', rm.name).execute();
      return this.oneModel(tx, rm.name);
    });
  }

  async renameRegisteredModel(name: string, newName: string): Promise<RegisteredModel> {
    validateModelName(newName, 'SqlStore', 'new_name');
    try {
      return await this.tx(async (tx) => {
        const rm = await requireModelRow(tx, name, this.lockRows);
        const taken = await tx.selectFrom('registered_models').select('name').where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', newName).executeTakeFirst();
        if (taken && taken.name !== rm.name) throw registeredModelExists(newName);
        const now = Date.now();
        // Versions, tags and aliases follow through the foreign keys' ON UPDATE CASCADE (SQLite
        // connections run with foreign_keys=ON), as in MLflow's schema.
        await tx.updateTable('registered_models').set({ name: newName, last_updated_time: now }).where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', rm.name).execute();
        await tx.updateTable('model_versions').set({ last_updated_time: now }).where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', newName).execute();
        return this.oneModel(tx, newName);
      });
    } catch (err) {
      if (isUniqueViolation((err as { cause?: unknown }).cause)) throw registeredModelExists(newName);
      throw err;
    }
  }

  async deleteRegisteredModel(name: string): Promise<void> {
    await this.tx(async (tx) => {
      const rm = await requireModelRow(tx, name, this.lockRows);
      // Only the aliases' foreign key cascades deletes: the children go explicitly, leaves first.
      for (const table of ['model_version_tags', 'registered_model_aliases', 'model_versions', 'registered_model_tags', 'registered_models'] as const) {
        await tx.deleteFrom(table).where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', rm.name).execute();
      }
    });
  }

  async getRegisteredModel(name: string): Promise<RegisteredModel> {
    return this.read((db) => this.oneModel(db, name));
  }

  async searchRegisteredModels(request: SearchRegisteredModelsRequest = {}): Promise<PagedList<RegisteredModel>> {
    const maxResults = checkRegisteredModelMaxResults(request.maxResults, 'SqlStore');
    const parsed = parseRegisteredModelFilter(request.filterString, 'SqlStore');
    const orderBy = parseRegisteredModelOrderBy(request.orderBy, 'SqlStore');
    const scope = registryPromptScope(parsed, request.filterString, 'SqlStore');
    const start = decodePageToken(request.pageToken);
    return this.read(async (db) => {
      const where = registryFilterSql(this.ctx.dialect, 'rm', scope.clauses, scope.prompts);
      const rows = await db
        .selectFrom('registered_models as rm')
        .selectAll('rm')
        .where('rm.workspace', '=', DEFAULT_WORKSPACE)
        .$call((q) => (where.length > 0 ? q.where(sql<boolean>`${sql.join(where, sql` AND `)}`) : q))
        .orderBy(sql.join(registryOrderSql('rm', orderBy)))
        .limit(maxResults > 0 ? maxResults + 1 : 1)
        .offset(start)
        .execute();
      return pageOf(rows, start, maxResults, (page) => toRegisteredModels(db, page));
    });
  }

  async getLatestVersions(name: string, stages: string[] = []): Promise<ModelVersion[]> {
    return this.read(async (db) => {
      const rm = await requireModelRow(db, name);
      const wanted = new Set<string>(stages.length === 0 ? ['None', 'Staging', 'Production', 'Archived'] : stages.map((s) => canonicalStage(s)));
      const latest = (await latestVersionRows(db, [rm.name])).get(rm.name) ?? [];
      return toVersions(db, latest.filter((r) => wanted.has(r.current_stage ?? 'None')), true);
    });
  }

  async setRegisteredModelTag(name: string, tag: RegisteredModelTag): Promise<void> {
    validateModelName(name, 'SqlStore');
    validateRegisteredModelTag(tag.key, tag.value);
    await this.tx(async (tx) => {
      const rm = await requireModelRow(tx, name);
      const row = { key: tag.key, value: tag.value ?? null, name: rm.name, workspace: DEFAULT_WORKSPACE };
      await upsert(tx as never, this.ctx.dialect, 'registered_model_tags' as never, [row], ['workspace', 'key', 'name'], ['value']).execute();
    });
  }

  async deleteRegisteredModelTag(name: string, key: string): Promise<void> {
    validateModelName(name, 'SqlStore');
    validateRegistryTagKey(key);
    await this.tx(async (tx) => {
      const rm = await requireModelRow(tx, name);
      await tx.deleteFrom('registered_model_tags').where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', rm.name).where('key', '=', key).execute();
    });
  }

  // ---------------------------------------------------------------- model versions

  /** PostgreSQL and MySQL lock the model row, so writers of one model queue instead of racing. */
  private get lockRows(): boolean {
    return this.ctx.dialect !== 'sqlite';
  }

  async createModelVersion(request: CreateModelVersionRequest): Promise<ModelVersion> {
    validateModelName(request.name, 'SqlStore');
    for (const t of request.tags ?? []) validateModelVersionTag(t.key, t.value);
    const resolved = await resolveVersionSource(request, this.trackingStore, (name, version) => this.getModelVersionDownloadUri(name, version));
    return withCreateRetries(request.name, this.ctx.logger, () =>
      this.tx(async (tx) => insertedVersion(tx, await insertModelVersion(tx, this.ctx.dialect, request, resolved), (request.tags ?? []).length > 0)),
    );
  }

  async updateModelVersion(name: string, version: string, description: string | undefined): Promise<ModelVersion> {
    return this.tx(async (tx) => {
      const mv = await requireLiveVersionRow(tx, name, version);
      const now = Date.now();
      await versionWhere(tx.updateTable('model_versions').set({ description: description ?? null, last_updated_time: now }), mv).execute();
      return this.oneVersion(tx, { ...mv, description: description ?? null, last_updated_time: now });
    });
  }

  async transitionModelVersionStage(name: string, version: string, stage: string, archiveExistingVersions: boolean): Promise<ModelVersion> {
    const canonical = canonicalStage(stage);
    checkArchiveStage(stage, canonical, archiveExistingVersions);
    return this.tx(async (tx) => {
      const mv = await requireLiveVersionRow(tx, name, version);
      const now = Date.now();
      if (archiveExistingVersions) {
        await tx
          .updateTable('model_versions')
          .set({ current_stage: 'Archived', last_updated_time: now })
          .where('workspace', '=', DEFAULT_WORKSPACE)
          .where('name', '=', mv.name)
          .where('version', '<>', mv.version)
          .where('current_stage', '=', canonical)
          .execute();
      }
      await versionWhere(tx.updateTable('model_versions').set({ current_stage: canonical, last_updated_time: now }), mv).execute();
      await tx.updateTable('registered_models').set({ last_updated_time: now }).where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', mv.name).execute();
      return this.oneVersion(tx, { ...mv, current_stage: canonical, last_updated_time: now });
    });
  }

  async deleteModelVersion(name: string, version: string): Promise<void> {
    // MLflow parses the version before it validates the name here.
    parseModelVersion(version);
    await this.tx(async (tx) => {
      const mv = await requireLiveVersionRow(tx, name, version);
      const now = Date.now();
      // MLflow keeps the row (numbers are never reused) and its tags and storage_location, and
      // redacts what could identify the source.
      await versionWhere(
        tx.updateTable('model_versions').set({
          current_stage: DELETED_STAGE,
          last_updated_time: now,
          description: null,
          user_id: null,
          source: 'REDACTED-SOURCE-PATH',
          run_id: 'REDACTED-RUN-ID',
          run_link: 'REDACTED-RUN-LINK',
          status_message: null,
        }),
        mv,
      ).execute();
      await tx.deleteFrom('registered_model_aliases').where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', mv.name).where('version', '=', mv.version).execute();
      await tx.updateTable('registered_models').set({ last_updated_time: now }).where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', mv.name).execute();
    });
  }

  async getModelVersion(name: string, version: string): Promise<ModelVersion> {
    return this.read(async (db) => this.oneVersion(db, await requireLiveVersionRow(db, name, version)));
  }

  async getModelVersionDownloadUri(name: string, version: string): Promise<string> {
    const mv = await this.read((db) => requireLiveVersionRow(db, name, version));
    return mv.storage_location || mv.source || '';
  }

  async searchModelVersions(request: SearchModelVersionsRequest = {}): Promise<PagedList<ModelVersion>> {
    const maxResults = checkModelVersionMaxResults(request.maxResults);
    const parsed = parseModelVersionFilter(request.filterString, 'SqlStore');
    const orderBy = parseModelVersionOrderBy(request.orderBy, 'SqlStore');
    const scope = registryPromptScope(parsed, request.filterString, 'SqlStore');
    const start = decodePageToken(request.pageToken);
    return this.read(async (db) => {
      const where = registryFilterSql(this.ctx.dialect, 'mv', scope.clauses, scope.prompts);
      const rows = await db
        .selectFrom('model_versions as mv')
        .selectAll('mv')
        .where('mv.workspace', '=', DEFAULT_WORKSPACE)
        .where('mv.current_stage', '<>', DELETED_STAGE)
        .$call((q) => (where.length > 0 ? q.where(sql<boolean>`${sql.join(where, sql` AND `)}`) : q))
        .orderBy(sql.join(registryOrderSql('mv', orderBy)))
        .limit(maxResults + 1)
        .offset(start)
        .execute();
      // MLflow's SQL store leaves aliases off search results.
      return pageOf(rows, start, maxResults, (page) => toVersions(db, page, false));
    });
  }

  async setModelVersionTag(name: string, version: string, tag: ModelVersionTag): Promise<void> {
    validateModelName(name, 'SqlStore');
    parseModelVersion(version);
    validateModelVersionTag(tag.key, tag.value);
    await this.tx(async (tx) => {
      const mv = await requireLiveVersionRow(tx, name, version);
      const row = { key: tag.key, value: tag.value, name: mv.name, version: mv.version, workspace: DEFAULT_WORKSPACE };
      await upsert(tx as never, this.ctx.dialect, 'model_version_tags' as never, [row], ['workspace', 'key', 'name', 'version'], ['value']).execute();
    });
  }

  async deleteModelVersionTag(name: string, version: string, key: string): Promise<void> {
    validateModelName(name, 'SqlStore');
    parseModelVersion(version);
    validateRegistryTagKey(key);
    await this.tx(async (tx) => {
      const mv = await requireLiveVersionRow(tx, name, version);
      await versionWhere(tx.deleteFrom('model_version_tags'), mv).where('key', '=', key).execute();
    });
  }

  // ---------------------------------------------------------------- aliases

  async setRegisteredModelAlias(name: string, alias: string, version: string): Promise<void> {
    validateModelName(name, 'SqlStore');
    validateAliasName(alias, true);
    parseModelVersion(version);
    await this.tx(async (tx) => {
      const mv = await requireLiveVersionRow(tx, name, version);
      const row = { alias, version: mv.version, name: mv.name, workspace: DEFAULT_WORKSPACE };
      await upsert(tx as never, this.ctx.dialect, 'registered_model_aliases' as never, [row], ['workspace', 'name', 'alias'], ['version']).execute();
    });
  }

  async deleteRegisteredModelAlias(name: string, alias: string): Promise<void> {
    validateModelName(name, 'SqlStore');
    validateAliasName(alias, false);
    await this.tx(async (tx) => {
      const rm = await requireModelRow(tx, name);
      await tx.deleteFrom('registered_model_aliases').where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', rm.name).where('alias', '=', alias).execute();
    });
  }

  async getModelVersionByAlias(name: string, alias: string): Promise<ModelVersion> {
    validateModelName(name, 'SqlStore');
    validateAliasName(alias, false);
    return this.read(async (db) => {
      const rm = await requireModelRow(db, name);
      if (isLatestAlias(alias)) {
        const newest = await db
          .selectFrom('model_versions')
          .selectAll()
          .where('workspace', '=', DEFAULT_WORKSPACE)
          .where('name', '=', rm.name)
          .where('current_stage', '<>', DELETED_STAGE)
          .orderBy('version', 'desc')
          .limit(1)
          .executeTakeFirst();
        if (!newest) throw MlflowError.notFound(`Latest version not found for model ${name}.`);
        return this.oneVersion(db, newest);
      }
      const found = await db
        .selectFrom('registered_model_aliases')
        .select('version')
        .where('workspace', '=', DEFAULT_WORKSPACE)
        .where('name', '=', rm.name)
        .where('alias', '=', alias)
        .executeTakeFirst();
      if (!found) throw MlflowError.invalidParameter(`Registered model alias ${alias} not found.`);
      const mv = await db
        .selectFrom('model_versions')
        .selectAll()
        .where('workspace', '=', DEFAULT_WORKSPACE)
        .where('name', '=', rm.name)
        .where('version', '=', Number(found.version))
        .where('current_stage', '<>', DELETED_STAGE)
        .executeTakeFirst();
      if (!mv) throw modelVersionNotFound(name, Number(found.version));
      return this.oneVersion(db, mv);
    });
  }
}
