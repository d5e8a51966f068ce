// The model registry side of the server bench (issue 14): the seeded registry that the version
// searches run over, the `search_model_versions` query strings the 3.18 client sends, the
// `create_model_version` body, and the checks that every server searched the same registry and
// numbered its new versions 1…n without a gap. Everything is deterministic in the model and version
// numbers, so every server gets the same requests and holds the same rows.

import { BASE_TS } from '../shared/writes.ts';

export const REGISTRY_API = '/api/2.0/mlflow';

/** Sizes and queries of the registry workloads. */
export interface RegistrySpec {
  /** Registered models of the search data set (`m-0` … `m-<models-1>`). */
  models: number;
  /** Versions per model, created one after the other so version k always carries version k's tags. */
  versionsPerModel: number;
  /** `search-model-versions`: one model's versions, as `MlflowClient.search_model_versions("name='m-7'")` asks. */
  nameFilter: string;
  /** `search-model-versions-like`: a name pattern and a tag. */
  likeFilter: string;
  /** `max_results` of both searches: the 3.18 client's default (`SEARCH_MODEL_VERSION_MAX_RESULTS_DEFAULT`). */
  searchMaxResults: number;
}

/** Name of search model i. */
export const searchModelName = (i: number) => `m-${i}`;
/** The registered model every create-model-version request adds a version to. */
export const CREATE_MODEL = 'bench-create-model-version';

/** Tags of version v (1-based) of search model i: 3 per version. */
export function versionTags(i: number, v: number): { key: string; value: string }[] {
  return [
    { key: 'stage', value: ['prod', 'staging', 'dev'][(i + v) % 3]! },
    { key: 'team', value: `team-${i % 7}` },
    { key: 'accuracy', value: (0.5 + ((i * 31 + v * 17) % 500) / 1000).toFixed(3) },
  ];
}

/** A run whose artifacts hold a model: its id and artifact location (`mlflow-artifacts:/<exp>/<run>/artifacts`). */
export interface SourceRun {
  runId: string;
  artifactUri: string;
}

/**
 * `CreateModelVersion` message as `mlflow.register_model("runs:/<run>/model", name)` sends it when
 * the run has an MLmodel there: the `runs:/` URI resolved to the run's artifact location, and the
 * run id (both servers then read the run to check the source lies inside its artifacts).
 */
export const createVersionRequest = (name: string, run: SourceRun, tags: { key: string; value: string }[] = []) => ({
  name,
  source: `${run.artifactUri}/model`,
  run_id: run.runId,
  ...(tags.length > 0 && { tags }),
});

/** Path and query of a `search_model_versions` GET as the 3.18 client's RestStore sends it (JSON fields → query parameters). */
export const searchVersionsPath = (filter: string, r: RegistrySpec) => `${REGISTRY_API}/model-versions/search?${new URLSearchParams({ filter, max_results: String(r.searchMaxResults) })}`;

type Call = <T>(path: string, body: unknown) => Promise<T>;

/** Creates a run through runs/create. */
export async function createSourceRun(call: Call, experimentId: string, runName: string, startTime: number): Promise<SourceRun> {
  const { run } = await call<{ run: { info: { run_id: string; artifact_uri: string } } }>('runs/create', { experiment_id: experimentId, user_id: 'bench', start_time: startTime, run_name: runName, tags: [] });
  return { runId: run.info.run_id, artifactUri: run.info.artifact_uri };
}

/**
 * The search data set, through the server's REST API: one run per model in `experimentId`,
 * `models` registered models, each with `versionsPerModel` versions (source: its run's artifact location + `/model`,
 * {@link versionTags}). Models are written `pool`-wide in parallel; a model's versions one after
 * the other, so the numbers and tags are the same on every server.
 */
export async function writeRegistrySearchData(call: Call, experimentId: string, r: RegistrySpec, pool: (n: number, fn: (i: number) => Promise<void>) => Promise<void>): Promise<void> {
  await pool(r.models, async (i) => {
    const name = searchModelName(i);
    const run = await createSourceRun(call, experimentId, `train-${name}`, BASE_TS + i);
    await call('registered-models/create', { name, tags: [{ key: 'owner', value: `team-${i % 7}` }] });
    for (let v = 1; v <= r.versionsPerModel; v++) {
      const mv = await call<{ model_version: { version: string } }>('model-versions/create', createVersionRequest(name, run, versionTags(i, v)));
      if (mv.model_version.version !== String(v)) throw new Error(`${name}: version ${mv.model_version.version} created where ${v} was expected`);
    }
  });
}

/** One search's answer, reduced to what must be the same on every server. */
export interface VersionsPage {
  versions: number;
  nextPageToken: boolean;
  /** `name/version` of every version, sorted (the default order starts with `last_updated_timestamp`, which differs per server). */
  ids: string[];
}

/** The first page of a search workload. */
export async function firstVersionsPage(url: string, path: string): Promise<VersionsPage> {
  const res = await fetch(`${url}${path}`);
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${path} → ${res.status}: ${text.slice(0, 500)}`);
  const page = JSON.parse(text) as { model_versions?: { name: string; version: string }[]; next_page_token?: string };
  const ids = (page.model_versions ?? []).map((v) => `${v.name}/${v.version}`).sort();
  return { versions: ids.length, nextPageToken: Boolean(page.next_page_token), ids };
}

/** What the registry holds in one database after a server stopped (see verify.ts). */
export interface RegistryFingerprint {
  /** Search data set: registered models, versions, version tags, and sums that show the same rows. */
  models: number;
  versions: number;
  tags: number;
  versionSum: number;
  prodTags: number;
  /** Versions of {@link CREATE_MODEL}: count, distinct numbers, lowest and highest. */
  created: { n: number; distinct: number; min: number; max: number };
}

/**
 * Problems of one server's registry: the search data set not as seeded, or the created versions
 * not between the acknowledged and sent requests, not distinct or not numbered 1…n.
 */
export function registryProblems(f: RegistryFingerprint, r: RegistrySpec, o: { seeded: boolean; created?: readonly [number, number] }): string[] {
  const problems: string[] = [];
  const { created } = o;
  if (o.seeded && (f.models !== r.models || f.versions !== r.models * r.versionsPerModel || f.tags !== 3 * f.versions)) {
    problems.push(`registry search data set: ${r.models} models / ${r.models * r.versionsPerModel} versions / ${3 * r.models * r.versionsPerModel} tags expected, database has ${f.models} / ${f.versions} / ${f.tags}`);
  }
  if (created) {
    const c = f.created;
    const [lo, hi] = created;
    if (c.n < lo || c.n > hi) problems.push(`${CREATE_MODEL}: ${lo}–${hi} versions expected (acknowledged–sent), database has ${c.n}`);
    if (c.n > 0 && (c.distinct !== c.n || c.min !== 1 || c.max !== c.n)) problems.push(`${CREATE_MODEL}: versions not distinct and gap-free: ${c.n} rows, ${c.distinct} distinct, ${c.min}–${c.max}`);
  }
  return problems;
}

/** Same registry in every database and the same search answers from every server. */
export function compareRegistryData(
  servers: { label: string; fingerprint?: RegistryFingerprint; pages?: Record<string, VersionsPage> }[],
): string[] {
  const [first, ...rest] = servers;
  if (!first?.fingerprint || !first.pages) return [];
  const notes: string[] = [];
  const data = (f: RegistryFingerprint) => JSON.stringify({ ...f, created: undefined });
  for (const s of rest) {
    if (!s.fingerprint || data(s.fingerprint) !== data(first.fingerprint)) {
      notes.push(`registry search data set differs: ${first.label} ${data(first.fingerprint)} vs ${s.label} ${s.fingerprint ? data(s.fingerprint) : 'none'}`);
    }
    for (const [w, p] of Object.entries(first.pages)) {
      const q = s.pages?.[w];
      if (!q || JSON.stringify(q.ids) !== JSON.stringify(p.ids) || q.nextPageToken !== p.nextPageToken) {
        notes.push(`${w}: answers differ: ${first.label} ${p.versions} versions [${p.ids.slice(0, 3).join(', ')}…] vs ${s.label} ${q?.versions} versions [${q?.ids.slice(0, 3).join(', ')}…]`);
      }
    }
  }
  if (rest.length && !notes.length) {
    const f = first.fingerprint;
    const pages = Object.entries(first.pages).map(([w, p]) => `${w} ${p.versions} versions, next page token ${p.nextPageToken ? 'present' : 'absent'}`);
    notes.push(`registry search data set identical in every database (${f.models} models, ${f.versions} versions, ${f.tags} version tags) and the same versions from every server (${pages.join('; ')})`);
  }
  return notes;
}
