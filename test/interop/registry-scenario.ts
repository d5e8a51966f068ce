/**
 * The model-registry interop scenario: a list of registry writes both stores replay (ours through
 * `ModelRegistryStore`, MLflow's SqlAlchemyStore through registry_via_store.py) and a neutral dump
 * of what a store reads back — every model and version, aliases, download URIs, latest versions,
 * and the names/versions and page tokens every search query returns — built the same way on both
 * sides so the two dumps can be compared with `toEqual`.
 */
import type { ModelRegistryStore, ModelVersion, RegisteredModel } from '@mlstore/core';

type Op = [string, ...unknown[]];

export interface RegistrySpec {
  ops: Op[];
  /** Models to dump with get_registered_model (prompt models included). */
  models: string[];
  rm_queries: { filter: string | null; order_by: string[]; page_size: number }[];
  mv_queries: { filter: string | null; order_by: string[]; page_size: number }[];
}

/** The scenario: every registry write, with a prompt, a deleted version, a rename and a deleted model. */
export function buildRegistrySpec(): RegistrySpec {
  const ops: Op[] = [
    ['create_rm', 'm1', { team: 'a', 'mlflow.domain': 'vision' }, 'first model'],
    ['create_rm', 'Alpha', { team: 'b' }, null],
    ['create_rm', 'zeta', {}, ''],
    ['create_rm', 'to-rename', { team: 'a' }, null],
    ['create_rm', 'to-delete', { team: 'c' }, null],
    ['create_rm', 'pr1', { 'mlflow.prompt.is_prompt': 'true' }, null],
    ['create_mv', 'm1', 's3://bucket/m1/1', 'r1', { t: 'x', stage: 'one' }, 'http://run/1', 'v1'],
    ['create_mv', 'm1', 's3://bucket/m1/2', 'r2', { t: 'y' }, null, null],
    ['create_mv', 'm1', 'gs://bucket/m1/3', '', {}, '', ''],
    ['create_mv', 'm1', 's3://bucket/m1/4', 'r1', { t: 'x' }, null, 'four'],
    ['create_mv', 'Alpha', 's3://bucket/a/1', 'r3', {}, null, null],
    ['create_mv', 'to-rename', 's3://bucket/r/1', null, { k: 'v' }, null, null],
    ['create_mv', 'to-rename', 's3://bucket/r/2', null, {}, null, null],
    ['create_mv', 'to-delete', 's3://bucket/d/1', null, { k: 'v' }, null, null],
    ['create_mv', 'pr1', 'prompt-template', null, { 'mlflow.prompt.is_prompt': 'true', 'mlflow.prompt.text': 'Hi {{name}}' }, null, 'c1'],
    ['create_mv', 'zeta', 'models:/m1/2', null, {}, null, null],
    // Not a prompt model, but one version tagged as a prompt: MLflow's SQL anti-join is per model.
    ['create_rm', 'mixed', {}, null],
    ['create_mv', 'mixed', 's3://bucket/x/1', null, { 'mlflow.prompt.is_prompt': 'true' }, null, null],
    ['create_mv', 'mixed', 's3://bucket/x/2', null, {}, null, null],
    ['transition', 'm1', '1', 'Production', false],
    ['transition', 'm1', '2', 'staging', false],
    ['transition', 'm1', '4', 'Production', true],
    ['transition', 'Alpha', '1', 'Archived', false],
    ['update_rm', 'Alpha', 'alpha desc'],
    ['update_mv', 'm1', '2', 'second'],
    ['set_rm_tag', 'zeta', 'team', 'a'],
    ['set_rm_tag', 'm1', 'team', 'a2'],
    ['delete_rm_tag', 'm1', 'mlflow.domain'],
    ['set_mv_tag', 'm1', '3', 't', 'z'],
    ['set_mv_tag', 'm1', '1', 'gone', '1'],
    ['delete_mv_tag', 'm1', '1', 'gone'],
    ['set_alias', 'm1', 'champion', '4'],
    ['set_alias', 'm1', 'challenger', '2'],
    ['set_alias', 'm1', 'old', '3'],
    ['set_alias', 'm1', 'moved', '1'],
    ['set_alias', 'm1', 'moved', '2'],
    ['set_alias', 'm1', 'tmp', '1'],
    ['delete_alias', 'm1', 'tmp'],
    ['delete_mv', 'm1', '3'],
    ['set_alias', 'to-rename', 'prod', '2'],
    ['delete_mv', 'to-rename', '1'],
    ['rename', 'to-rename', 'renamed'],
    ['delete_rm', 'to-delete'],
    ['create_mv', 'm1', 's3://bucket/m1/5', null, {}, null, null],
  ];
  const q = (filter: string | null, order_by: string[] = [], page_size = 1000) => ({ filter, order_by, page_size });
  return {
    ops,
    models: ['m1', 'Alpha', 'zeta', 'renamed', 'pr1', 'mixed'],
    rm_queries: [
      q(null),
      q(null, [], 2),
      q("name LIKE 'm%'"),
      q("name LIKE 'M%'"),
      q("name ILIKE 'M%'"),
      q("name = 'alpha'"),
      q("name != 'm1'"),
      q("name IN ('m1', 'zeta', 'nope')"),
      q("name NOT IN ('m1')"),
      q("tags.team = 'a'"),
      q("tags.team LIKE 'a%' AND name != 'zeta'"),
      q("tags.team ILIKE 'A%'"),
      q("tags.team != 'a'"),
      q("tags.`mlflow.prompt.is_prompt` = 'true'"),
      q("tags.`mlflow.prompt.is_prompt` = 'false'"),
      q("tags.`mlflow.prompt.is_prompt` LIKE 'tr%'"),
      q(null, ['name DESC']),
      q(null, ['last_updated_timestamp DESC']),
      q(null, ['timestamp ASC', 'name DESC'], 2),
    ],
    mv_queries: [
      q(null),
      q(null, [], 2),
      q("name = 'm1'"),
      q("name = 'm1'", ['version_number ASC']),
      q('version_number >= 2'),
      q("version_number = '2'"),
      q("run_id = 'r1'"),
      q("run_id IN ('r1', 'r3')"),
      q("run_id != 'r1'"),
      q("source_path LIKE 's3://%'"),
      q("source_path ILIKE 'GS://%'"),
      q("tags.t = 'x'"),
      q("tags.t = 'x' AND tags.stage = 'one'"),
      q("name IN ('m1', 'Alpha') AND version_number < 3"),
      q("tags.`mlflow.prompt.is_prompt` = 'true'"),
      q(null, ['creation_timestamp DESC', 'name ASC'], 3),
      q(null, ['name DESC', 'version_number ASC']),
    ],
  };
}

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);
const sortedTags = (tags: readonly { key: string; value: string }[]) => Object.fromEntries([...tags].sort((a, b) => (a.key < b.key ? -1 : 1)).map((t) => [t.key, t.value]));

function versionJson(v: ModelVersion) {
  return {
    name: v.name,
    version: v.version,
    creation_timestamp: v.creation_timestamp,
    last_updated_timestamp: orNull(v.last_updated_timestamp),
    current_stage: v.current_stage,
    description: orNull(v.description),
    source: orNull(v.source),
    run_id: orNull(v.run_id),
    run_link: orNull(v.run_link),
    status: v.status,
    tags: sortedTags(v.tags),
    aliases: [...v.aliases].sort(),
  };
}

function modelJson(m: RegisteredModel) {
  return {
    name: m.name,
    creation_timestamp: m.creation_timestamp,
    last_updated_timestamp: orNull(m.last_updated_timestamp),
    description: orNull(m.description),
    tags: sortedTags(m.tags),
    aliases: Object.fromEntries([...m.aliases].sort((a, b) => (a.alias < b.alias ? -1 : 1)).map((a) => [a.alias, a.version])),
    latest_versions: m.latest_versions.map(versionJson).sort((a, b) => Number(a.version) - Number(b.version)),
  };
}

/** Replays the spec's writes on our store. */
export async function applyRegistrySpec(store: ModelRegistryStore, spec: RegistrySpec): Promise<void> {
  const tagList = (t: unknown) => Object.entries(t as Record<string, string>).map(([key, value]) => ({ key, value }));
  const opt = (v: unknown) => (v === null ? undefined : (v as string));
  for (const [op, ...a] of spec.ops) {
    const s = a as string[];
    switch (op) {
      case 'create_rm':
        await store.createRegisteredModel(s[0]!, tagList(a[1]), opt(a[2]));
        break;
      case 'create_mv': {
        const req: Parameters<ModelRegistryStore['createModelVersion']>[0] = { name: s[0]!, source: s[1]!, tags: tagList(a[3]) };
        if (a[2] !== null) req.runId = s[2]!;
        if (a[4] !== null) req.runLink = s[4]!;
        if (a[5] !== null) req.description = s[5]!;
        await store.createModelVersion(req);
        break;
      }
      case 'transition':
        await store.transitionModelVersionStage(s[0]!, s[1]!, s[2]!, a[3] as boolean);
        break;
      case 'update_rm':
        await store.updateRegisteredModel(s[0]!, opt(a[1]));
        break;
      case 'update_mv':
        await store.updateModelVersion(s[0]!, s[1]!, opt(a[2]));
        break;
      case 'set_rm_tag':
        await store.setRegisteredModelTag(s[0]!, { key: s[1]!, value: s[2]! });
        break;
      case 'delete_rm_tag':
        await store.deleteRegisteredModelTag(s[0]!, s[1]!);
        break;
      case 'set_mv_tag':
        await store.setModelVersionTag(s[0]!, s[1]!, { key: s[2]!, value: s[3]! });
        break;
      case 'delete_mv_tag':
        await store.deleteModelVersionTag(s[0]!, s[1]!, s[2]!);
        break;
      case 'set_alias':
        await store.setRegisteredModelAlias(s[0]!, s[1]!, s[2]!);
        break;
      case 'delete_alias':
        await store.deleteRegisteredModelAlias(s[0]!, s[1]!);
        break;
      case 'delete_mv':
        await store.deleteModelVersion(s[0]!, s[1]!);
        break;
      case 'rename':
        await store.renameRegisteredModel(s[0]!, s[1]!);
        break;
      case 'delete_rm':
        await store.deleteRegisteredModel(s[0]!);
        break;
      default:
        throw new Error(`unknown op ${op}`);
    }
  }
}

/** What our store reads back, in the shape registry_via_store.py's `dump` prints. */
export async function dumpRegistry(store: ModelRegistryStore, spec: RegistrySpec) {
  const models = [];
  for (const name of spec.models) {
    const rm = await store.getRegisteredModel(name);
    const versions = (await store.searchModelVersions({ filterString: `name = '${name}'`, maxResults: 1000 })).items;
    // search_model_versions leaves prompts out; the prompt's own versions come through their filter.
    const all = versions.length > 0 ? versions : (await store.searchModelVersions({ filterString: `name = '${name}' AND tags.\`mlflow.prompt.is_prompt\` = 'true'` })).items;
    const full = [];
    for (const v of all) {
      full.push({
        ...versionJson(await store.getModelVersion(name, v.version)),
        download_uri: await store.getModelVersionDownloadUri(name, v.version),
      });
    }
    models.push({
      model: modelJson(rm),
      versions: full,
      latest: (await store.getLatestVersions(name)).map(versionJson).sort((a, b) => Number(a.version) - Number(b.version)),
      latest_production: (await store.getLatestVersions(name, ['production'])).map((v) => v.version),
      by_alias: Object.fromEntries(await Promise.all(rm.aliases.map(async (a) => [a.alias, (await store.getModelVersionByAlias(name, a.alias)).version]))),
      latest_alias: all.length > 0 ? (await store.getModelVersionByAlias(name, 'Latest')).version : null,
    });
  }
  const pages = async <T>(search: (token: string | undefined) => Promise<{ items: T[]; nextPageToken?: string }>, key: (item: T) => string) => {
    const out: { items: string[]; token: string | null }[] = [];
    let token: string | undefined;
    do {
      const page = await search(token);
      out.push({ items: page.items.map(key), token: page.nextPageToken ?? null });
      token = page.nextPageToken;
    } while (token);
    return out;
  };
  const rm_queries = [];
  for (const q of spec.rm_queries) {
    rm_queries.push(
      await pages(
        (pageToken) => store.searchRegisteredModels({ ...(q.filter === null ? {} : { filterString: q.filter }), orderBy: q.order_by, maxResults: q.page_size, ...(pageToken ? { pageToken } : {}) }),
        (m) => m.name,
      ),
    );
  }
  const mv_queries = [];
  for (const q of spec.mv_queries) {
    mv_queries.push(
      await pages(
        (pageToken) => store.searchModelVersions({ ...(q.filter === null ? {} : { filterString: q.filter }), orderBy: q.order_by, maxResults: q.page_size, ...(pageToken ? { pageToken } : {}) }),
        (v) => `${v.name}/${v.version}`,
      ),
    );
  }
  return { models, rm_queries, mv_queries };
}
