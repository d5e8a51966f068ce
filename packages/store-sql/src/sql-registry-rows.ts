import {
  DELETED_STAGE,
  modelVersionNotFound,
  parseModelVersion,
  registeredModelNotFound,
  validateModelName,
  type ModelVersion,
  type ModelVersionStatus,
  type RegisteredModel,
} from '@mlstore/core';
import { encodePageToken, type PagedList } from '@mlstore/core';
import { groupBy, loadInChunks } from './sql-context.js';
import { DEFAULT_WORKSPACE, type ModelVersionRow, type RegisteredModelRow, type RegistryDb } from './sql-registry-tables.js';

const num = (v: unknown): number => Number(v);

/** The registered model `name` (validated as MLflow does), or RESOURCE_DOES_NOT_EXIST. */
export async function requireModelRow(db: RegistryDb, name: string, forUpdate = false): Promise<RegisteredModelRow> {
  validateModelName(name, 'SqlStore');
  let q = db.selectFrom('registered_models').selectAll().where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', name);
  if (forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  if (!row) throw registeredModelNotFound(name);
  return row;
}

/**
 * The non-deleted version `version` of `name`: the name is validated and the version parsed as
 * Python's `int()` first; a missing model answers as a missing version, as MLflow's SQL store does.
 */
export async function requireLiveVersionRow(db: RegistryDb, name: string, version: string | number): Promise<ModelVersionRow> {
  validateModelName(name, 'SqlStore');
  const n = typeof version === 'number' ? version : parseModelVersion(version);
  const row = await db
    .selectFrom('model_versions')
    .selectAll()
    .where('workspace', '=', DEFAULT_WORKSPACE)
    .where('name', '=', name)
    .where('version', '=', n)
    .where('current_stage', '<>', DELETED_STAGE)
    .executeTakeFirst();
  if (!row) throw modelVersionNotFound(name, n);
  return row;
}

type KeyValueRow = { key: string; value: string | null };
const tagList = (rows: readonly KeyValueRow[] | undefined) => (rows ?? []).map((t) => ({ key: t.key, value: t.value ?? '' }));

/** Tags of the given versions, by `name\0version`. */
async function versionTags(db: RegistryDb, rows: readonly ModelVersionRow[]): Promise<Map<string, KeyValueRow[]>> {
  const names = [...new Set(rows.map((r) => r.name))];
  const wanted = new Set(rows.map((r) => `${r.name}\0${num(r.version)}`));
  const tags = await loadInChunks(names, (chunk) =>
    db.selectFrom('model_version_tags').select(['name', 'version', 'key', 'value']).where('workspace', '=', DEFAULT_WORKSPACE).where('name', 'in', chunk).execute(),
  );
  return groupBy(
    tags.filter((t) => wanted.has(`${t.name}\0${num(t.version)}`)),
    (t) => `${t.name}\0${num(t.version)}`,
  );
}

/** Alias names of the given versions, by `name\0version`. */
async function versionAliases(db: RegistryDb, rows: readonly ModelVersionRow[]): Promise<Map<string, string[]>> {
  const names = [...new Set(rows.map((r) => r.name))];
  const aliases = await loadInChunks(names, (chunk) =>
    db.selectFrom('registered_model_aliases').select(['name', 'version', 'alias']).where('workspace', '=', DEFAULT_WORKSPACE).where('name', 'in', chunk).execute(),
  );
  const out = new Map<string, string[]>();
  for (const a of aliases) {
    const k = `${a.name}\0${num(a.version)}`;
    out.set(k, [...(out.get(k) ?? []), a.alias]);
  }
  return out;
}

function toVersion(r: ModelVersionRow, tags: readonly KeyValueRow[] | undefined, aliases: string[]): ModelVersion {
  const mv: ModelVersion = {
    name: r.name,
    version: String(num(r.version)),
    creation_timestamp: num(r.creation_time),
    current_stage: r.current_stage ?? 'None',
    status: (r.status ?? 'READY') as ModelVersionStatus,
    tags: tagList(tags),
    aliases,
  };
  if (r.last_updated_time !== null) mv.last_updated_timestamp = num(r.last_updated_time);
  if (r.user_id !== null) mv.user_id = r.user_id;
  if (r.description !== null) mv.description = r.description;
  if (r.source !== null) mv.source = r.source;
  if (r.run_id !== null) mv.run_id = r.run_id;
  if (r.status_message !== null) mv.status_message = r.status_message;
  if (r.run_link !== null) mv.run_link = r.run_link;
  return mv;
}

/**
 * Version rows as entities with their tags, and their aliases when `withAliases` (MLflow's SQL
 * store leaves them off search results and off a model's `latest_versions`).
 */
export async function toVersions(db: RegistryDb, rows: readonly ModelVersionRow[], withAliases: boolean): Promise<ModelVersion[]> {
  if (rows.length === 0) return [];
  const tags = await versionTags(db, rows);
  const aliases = withAliases ? await versionAliases(db, rows) : new Map<string, string[]>();
  return rows.map((r) => {
    const k = `${r.name}\0${num(r.version)}`;
    return toVersion(r, tags.get(k), aliases.get(k) ?? []);
  });
}

/**
 * A version this transaction just inserted, without the reads it cannot need: no alias points at a
 * number never used before, and a request without tags wrote none. Tags it did write are read
 * back, in the database's order, as MLflow answers.
 */
export async function insertedVersion(db: RegistryDb, row: ModelVersionRow, wroteTags: boolean): Promise<ModelVersion> {
  const tags = wroteTags ? (await versionTags(db, [row])).get(`${row.name}\0${num(row.version)}`) : undefined;
  return toVersion(row, tags, []);
}

/**
 * The latest non-deleted version per stage of each named model (rows in version order, so each
 * model's list is in the order its versions were first seen).
 */
export async function latestVersionRows(db: RegistryDb, names: readonly string[]): Promise<Map<string, ModelVersionRow[]>> {
  const rows = await loadInChunks([...new Set(names)], (chunk) =>
    db
      .selectFrom('model_versions')
      .selectAll()
      .where('workspace', '=', DEFAULT_WORKSPACE)
      .where('name', 'in', chunk)
      .where('current_stage', '<>', DELETED_STAGE)
      .orderBy('name')
      .orderBy('version')
      .execute(),
  );
  const best = new Map<string, Map<string, ModelVersionRow>>();
  for (const r of rows) {
    const stages = best.get(r.name) ?? new Map<string, ModelVersionRow>();
    best.set(r.name, stages);
    const stage = r.current_stage ?? 'None';
    const cur = stages.get(stage);
    if (!cur || num(r.version) > num(cur.version)) stages.set(stage, r);
  }
  return new Map([...best].map(([name, stages]) => [name, [...stages.values()]]));
}

/** Registered-model rows as entities: tags, aliases and the latest version per stage (without aliases). */
export async function toRegisteredModels(db: RegistryDb, rows: readonly RegisteredModelRow[]): Promise<RegisteredModel[]> {
  if (rows.length === 0) return [];
  const names = rows.map((r) => r.name);
  const [tags, aliases, latest] = await Promise.all([
    loadInChunks(names, (chunk) =>
      db.selectFrom('registered_model_tags').select(['name', 'key', 'value']).where('workspace', '=', DEFAULT_WORKSPACE).where('name', 'in', chunk).execute(),
    ),
    loadInChunks(names, (chunk) =>
      db.selectFrom('registered_model_aliases').select(['name', 'alias', 'version']).where('workspace', '=', DEFAULT_WORKSPACE).where('name', 'in', chunk).execute(),
    ),
    latestVersionRows(db, names),
  ]);
  const tagsBy = groupBy(tags, (t) => t.name);
  const aliasesBy = groupBy(aliases, (a) => a.name);
  const latestEntities = groupBy(await toVersions(db, [...latest.values()].flat(), false), (v) => v.name);
  return rows.map((r) => {
    const rm: RegisteredModel = {
      name: r.name,
      creation_timestamp: num(r.creation_time),
      latest_versions: latestEntities.get(r.name) ?? [],
      tags: tagList(tagsBy.get(r.name)),
      aliases: (aliasesBy.get(r.name) ?? []).map((a) => ({ alias: a.alias, version: String(num(a.version)) })),
    };
    if (r.last_updated_time !== null) rm.last_updated_timestamp = num(r.last_updated_time);
    if (r.description !== null) rm.description = r.description;
    return rm;
  });
}

/** A statement that can be restricted by the key columns of a version. */
export interface VersionKeyed<Q> {
  where(column: 'workspace' | 'name' | 'version', op: '=', value: string | number): Q;
}

/** Restricts a statement on a version-keyed table to one version's rows. */
export function versionWhere<Q extends VersionKeyed<Q>>(q: Q, mv: ModelVersionRow): Q {
  return q.where('workspace', '=', DEFAULT_WORKSPACE).where('name', '=', mv.name).where('version', '=', mv.version);
}

/**
 * One page from rows fetched with `LIMIT max + 1`: MLflow's token (offset + max) when the extra
 * row came back. A limit ≤ 0 (registered-model search lets it through) gives an empty page.
 */
export async function pageOf<R, T>(rows: readonly R[], start: number, maxResults: number, toEntities: (page: R[]) => Promise<T[]>): Promise<PagedList<T>> {
  const page = maxResults > 0 ? rows.slice(0, maxResults) : [];
  const items = await toEntities(page);
  return rows.length > Math.max(maxResults, 0) ? { items, nextPageToken: encodePageToken(start + maxResults) } : { items };
}
