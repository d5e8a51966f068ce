/**
 * Export and import of whole registered models for `mlstore migrate`: the rows of MLflow's five
 * registry tables as they are (soft-deleted versions with what MLflow kept of them, NULLs as
 * absent fields), written back in one transaction per model.
 */
import { parseModelVersion, type ImportOutcome, type KeyValue, type ModelVersionExport, type RegisteredModelExport } from '@mlstore/core';
import { groupBy } from './sql-context.js';
import { DEFAULT_WORKSPACE, type ModelVersionRow, type RegistryDb } from './sql-registry-tables.js';

/** Models exported per round trip. */
const PAGE = 200;

const num = (v: unknown): number => Number(v);
/** `{ [key]: value }` when the column is not NULL, else nothing. */
const opt = <K extends string, V>(key: K, v: V | null): Partial<Record<K, V>> => (v === null ? {} : ({ [key]: v } as Record<K, V>));
const tags = (rows: readonly { key: string; value: string | null }[] | undefined): KeyValue[] => (rows ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));

function versionExport(r: ModelVersionRow, versionTags: KeyValue[]): ModelVersionExport {
  return {
    version: String(num(r.version)),
    ...opt('creation_timestamp', r.creation_time === null ? null : num(r.creation_time)),
    ...opt('last_updated_timestamp', r.last_updated_time === null ? null : num(r.last_updated_time)),
    ...opt('user_id', r.user_id),
    current_stage: r.current_stage ?? 'None',
    ...opt('description', r.description),
    ...opt('source', r.source),
    ...opt('run_id', r.run_id),
    status: r.status ?? 'READY',
    ...opt('status_message', r.status_message),
    ...opt('run_link', r.run_link),
    ...opt('storage_location', r.storage_location),
    tags: versionTags,
  };
}

/** Every registered model of the default workspace with its tags, aliases and versions, `PAGE` models per query round. */
export async function* exportRegistry(db: RegistryDb): AsyncIterable<RegisteredModelExport> {
  let after: string | undefined;
  for (;;) {
    let q = db.selectFrom('registered_models').selectAll().where('workspace', '=', DEFAULT_WORKSPACE).orderBy('name').limit(PAGE);
    if (after !== undefined) q = q.where('name', '>', after);
    const models = await q.execute();
    if (models.length === 0) return;
    const names = models.map((m) => m.name);
    const [modelTags, versions, versionTags, aliases] = await Promise.all([
      db.selectFrom('registered_model_tags').select(['name', 'key', 'value']).where('workspace', '=', DEFAULT_WORKSPACE).where('name', 'in', names).execute(),
      db.selectFrom('model_versions').selectAll().where('workspace', '=', DEFAULT_WORKSPACE).where('name', 'in', names).orderBy('version').execute(),
      db.selectFrom('model_version_tags').select(['name', 'version', 'key', 'value']).where('workspace', '=', DEFAULT_WORKSPACE).where('name', 'in', names).execute(),
      db.selectFrom('registered_model_aliases').select(['name', 'alias', 'version']).where('workspace', '=', DEFAULT_WORKSPACE).where('name', 'in', names).execute(),
    ]);
    const tagsOf = groupBy(modelTags, (t) => t.name);
    const versionsOf = groupBy(versions, (v) => v.name);
    const versionTagsOf = groupBy(versionTags, (t) => `${t.name}\0${num(t.version)}`);
    const aliasesOf = groupBy(aliases, (a) => a.name);
    for (const m of models) {
      yield {
        name: m.name,
        ...opt('creation_timestamp', m.creation_time === null ? null : num(m.creation_time)),
        ...opt('last_updated_timestamp', m.last_updated_time === null ? null : num(m.last_updated_time)),
        ...opt('description', m.description),
        tags: tags(tagsOf.get(m.name)),
        aliases: (aliasesOf.get(m.name) ?? []).map((a) => ({ alias: a.alias, version: String(num(a.version)) })),
        versions: (versionsOf.get(m.name) ?? []).map((v) => versionExport(v, tags(versionTagsOf.get(`${v.name}\0${num(v.version)}`)))),
      };
    }
    after = names[names.length - 1];
  }
}

/** Writes `model` with every row as exported, in the caller's transaction; `exists` when the name is taken. */
export async function importModel(tx: RegistryDb, model: RegisteredModelExport): Promise<ImportOutcome> {
  const taken = await tx.selectFrom('registered_models').select('name').where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', model.name).executeTakeFirst();
  if (taken) return 'exists';
  const workspace = DEFAULT_WORKSPACE;
  const name = model.name;
  await tx
    .insertInto('registered_models')
    .values({ name, creation_time: model.creation_timestamp ?? null, last_updated_time: model.last_updated_timestamp ?? null, description: model.description ?? null, workspace })
    .execute();
  if (model.tags.length > 0) await tx.insertInto('registered_model_tags').values(model.tags.map((t) => ({ key: t.key, value: t.value, name, workspace }))).execute();
  for (const v of model.versions) {
    const version = parseModelVersion(v.version);
    await tx
      .insertInto('model_versions')
      .values({
        name,
        version,
        creation_time: v.creation_timestamp ?? null,
        last_updated_time: v.last_updated_timestamp ?? null,
        description: v.description ?? null,
        user_id: v.user_id ?? null,
        current_stage: v.current_stage,
        source: v.source ?? null,
        run_id: v.run_id ?? null,
        status: v.status,
        status_message: v.status_message ?? null,
        run_link: v.run_link ?? null,
        storage_location: v.storage_location ?? null,
        workspace,
      })
      .execute();
    if (v.tags.length > 0) await tx.insertInto('model_version_tags').values(v.tags.map((t) => ({ key: t.key, value: t.value, name, version, workspace }))).execute();
  }
  if (model.aliases.length > 0) {
    await tx.insertInto('registered_model_aliases').values(model.aliases.map((a) => ({ alias: a.alias, version: parseModelVersion(a.version), name, workspace }))).execute();
  }
  return 'created';
}
