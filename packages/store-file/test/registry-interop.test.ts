// Interop with MLflow 3.18.0's own registry FileStore (mlflow.store.model_registry.file_store),
// both ways, through the venv's python: the same scenario written by MLflow and by us (clocks
// pinned on both sides) gives byte-identical trees under <root>/models; MLflow reads what we wrote
// and we read what MLflow wrote with the same answers (models, versions incl. a deleted one, tags
// with '/' in keys, aliases, descriptions, stages); a rename of a model with tagged versions, which
// crashes MLflow's own store, leaves a tree MLflow reads whole. Runs only in the integration
// profile or with MLSTORE_INTEROP=1.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { isMlflowError, type ModelVersion } from '@mlstore/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileModelRegistryStore } from '../src/index.js';

const repo = resolve(import.meta.dirname, '../../..');
const interop = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const venvPython = join(process.env.MLSTORE_MLFLOW_VENV ?? join(repo, '.services', 'mlflow-venv'), 'bin', 'python');
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const problem = !interop ? 'needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1' : existsSync(venvPython) ? null : `no MLflow venv python at ${venvPython} (bash test/services/mlflow.sh start)`;
if (interop && problem && !requireServices) process.stderr.write(`[store-file] SKIPPING the registry interop with MLflow: ${problem}\n`);

const T = 1_796_000_000_123;
const UNICODE = 'Ünï côde';

/** Python helpers: the scenario on MLflow's FileStore (time pinned) and a JSON dump of any root. */
const PY = String.raw`
import json, os, sys
os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
import mlflow.store.model_registry.file_store as fs
from mlflow.entities.model_registry import RegisteredModelTag as RT, ModelVersionTag as VT

def scenario(root):
    fs.get_current_time_millis = lambda: ${T}
    s = fs.FileStore(root)
    s.create_registered_model("m1", tags=[RT("a/b", "v1"), RT("t", "x")], description="d")
    s.create_model_version("m1", "s3://b/p", run_id="r1", tags=[VT("k/z", "1"), VT("keep", "me")], run_link="", description="")
    s.create_model_version("m1", "s3://b/q")
    s.create_model_version("m1", "s3://b/r", run_id="r3", model_id="m-abc", description="third")
    s.set_registered_model_alias("m1", "champ", "1")
    s.set_registered_model_alias("m1", "other", "3")
    s.set_registered_model_alias("m1", "gone", "2")
    s.transition_model_version_stage("m1", "1", "Staging", False)
    s.transition_model_version_stage("m1", "3", "production", False)
    s.delete_model_version("m1", "2")
    s.update_registered_model("m1", "d2")
    s.set_registered_model_tag("m1", RT("x y", "spaced"))
    s.delete_registered_model_tag("m1", "t")
    s.set_model_version_tag("m1", "3", VT("deep/er/key", "v"))
    s.delete_model_version_tag("m1", "1", "k/z")
    s.update_model_version("m1", "1", "first")
    s.create_registered_model("empty")
    s.create_registered_model("${UNICODE}", description="ü")
    s.create_model_version("${UNICODE}", "s3://u")

def dump(root):
    s = fs.FileStore(root)
    out = {"models": {}, "search": None}
    def mv(v):
        return {"name": v.name, "version": str(v.version), "creation_timestamp": v.creation_timestamp,
                "last_updated_timestamp": v.last_updated_timestamp, "current_stage": v.current_stage,
                "description": v.description, "source": v.source, "run_id": v.run_id, "run_link": v.run_link,
                "status": v.status, "tags": dict(sorted(v.tags.items())), "aliases": sorted(v.aliases)}
    for rm in s.search_registered_models(max_results=1000):
        versions = {}
        for n in range(1, 6):
            try:
                versions[str(n)] = dict(mv(s.get_model_version(rm.name, str(n))), download_uri=s.get_model_version_download_uri(rm.name, str(n)))
            except Exception as e:
                versions[str(n)] = getattr(e, "error_code", type(e).__name__)
        out["models"][rm.name] = {
            "creation_timestamp": rm.creation_timestamp, "last_updated_timestamp": rm.last_updated_timestamp,
            "description": rm.description, "tags": dict(sorted(rm._tags.items())), "aliases": dict(sorted(rm.aliases.items())),
            "latest": sorted([v.version, v.current_stage] for v in rm.latest_versions),
            "by_alias": {a: str(s.get_model_version_by_alias(rm.name, a).version) for a in sorted(rm.aliases)},
            "versions": versions,
        }
    out["search"] = sorted([v.name, str(v.version)] for v in s.search_model_versions(max_results=1000))
    print(json.dumps(out, sort_keys=True))

{"scenario": scenario, "dump": dump}[sys.argv[1]](sys.argv[2])
`;

function python(op: 'scenario' | 'dump', root: string): string {
  const res = spawnSync(venvPython, ['-c', PY, op, root], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, MLFLOW_ALLOW_FILE_STORE: 'true', MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true', MLFLOW_TRACKING_URI: join(root, 'tracking') },
  });
  expect(res.status, res.stderr?.split('\n').slice(-15).join('\n')).toBe(0);
  return res.stdout.trim().split('\n').at(-1) ?? '';
}

/** Our side of the same scenario, with the clock pinned as MLflow's. */
async function ourScenario(root: string): Promise<void> {
  vi.spyOn(Date, 'now').mockReturnValue(T);
  const s = await FileModelRegistryStore.open(root);
  await s.createRegisteredModel('m1', [{ key: 'a/b', value: 'v1' }, { key: 't', value: 'x' }], 'd');
  await s.createModelVersion({ name: 'm1', source: 's3://b/p', runId: 'r1', tags: [{ key: 'k/z', value: '1' }, { key: 'keep', value: 'me' }], runLink: '', description: '' });
  await s.createModelVersion({ name: 'm1', source: 's3://b/q' });
  await s.createModelVersion({ name: 'm1', source: 's3://b/r', runId: 'r3', modelId: 'm-abc', description: 'third' });
  await s.setRegisteredModelAlias('m1', 'champ', '1');
  await s.setRegisteredModelAlias('m1', 'other', '3');
  await s.setRegisteredModelAlias('m1', 'gone', '2');
  await s.transitionModelVersionStage('m1', '1', 'Staging', false);
  await s.transitionModelVersionStage('m1', '3', 'production', false);
  await s.deleteModelVersion('m1', '2');
  await s.updateRegisteredModel('m1', 'd2');
  await s.setRegisteredModelTag('m1', { key: 'x y', value: 'spaced' });
  await s.deleteRegisteredModelTag('m1', 't');
  await s.setModelVersionTag('m1', '3', { key: 'deep/er/key', value: 'v' });
  await s.deleteModelVersionTag('m1', '1', 'k/z');
  await s.updateModelVersion('m1', '1', 'first');
  await s.createRegisteredModel('empty');
  await s.createRegisteredModel(UNICODE, [], 'ü');
  await s.createModelVersion({ name: UNICODE, source: 's3://u' });
  await s.close();
  vi.restoreAllMocks();
}

/** Our answers in the shape of the Python dump. */
async function ourDump(root: string): Promise<string> {
  const s = await FileModelRegistryStore.open(root);
  const tagObj = (tags: { key: string; value: string }[]) => Object.fromEntries([...tags].sort((a, b) => (a.key < b.key ? -1 : 1)).map((t) => [t.key, t.value]));
  const mv = (v: ModelVersion) => ({
    name: v.name,
    version: v.version,
    creation_timestamp: v.creation_timestamp,
    last_updated_timestamp: v.last_updated_timestamp ?? null,
    current_stage: v.current_stage,
    description: v.description ?? null,
    source: v.source ?? null,
    run_id: v.run_id ?? null,
    run_link: v.run_link ?? null,
    status: v.status,
    tags: tagObj(v.tags),
    aliases: [...v.aliases].sort(),
  });
  const out: { models: Record<string, unknown>; search: [string, string][] } = { models: {}, search: [] };
  for (const rm of (await s.searchRegisteredModels({ maxResults: 1000 })).items) {
    const versions: Record<string, unknown> = {};
    for (let n = 1; n <= 5; n++) {
      try {
        versions[String(n)] = { ...mv(await s.getModelVersion(rm.name, String(n))), download_uri: await s.getModelVersionDownloadUri(rm.name, String(n)) };
      } catch (err) {
        versions[String(n)] = isMlflowError(err) ? err.errorCode : String(err);
      }
    }
    const aliases = Object.fromEntries(rm.aliases.map((a) => [a.alias, a.version]).sort());
    const byAlias: Record<string, string> = {};
    for (const a of Object.keys(aliases).sort()) byAlias[a] = (await s.getModelVersionByAlias(rm.name, a)).version;
    out.models[rm.name] = {
      creation_timestamp: rm.creation_timestamp,
      last_updated_timestamp: rm.last_updated_timestamp ?? null,
      description: rm.description ?? null,
      tags: tagObj(rm.tags),
      aliases,
      latest: rm.latest_versions.map((v) => [Number(v.version), v.current_stage]).sort((a, b) => Number(a[0]) - Number(b[0])),
      by_alias: byAlias,
      versions,
    };
  }
  out.search = (await s.searchModelVersions({ maxResults: 1000 })).items.map((v): [string, string] => [v.name, v.version]).sort();
  await s.close();
  return JSON.stringify(sortKeys(out));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, x]) => [k, sortKeys(x)]));
  return v;
}

/** Every folder and file under `<root>/models` (relative path → content, `<dir>` for folders). */
function tree(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(path).isDirectory()) {
        out[r] = '<dir>';
        walk(path, r);
      } else out[r] = readFileSync(path, 'utf8');
    }
  };
  walk(join(root, 'models'), '');
  return out;
}

const run = problem !== null && !requireServices ? describe.skip : describe;
run(`registry FileStore interop with MLflow 3.18.0${problem ? ` (${problem})` : ''}`, () => {
  afterEach(() => vi.restoreAllMocks());

  it('the same scenario gives byte-identical trees (every meta.yaml, tag and alias file)', async () => {
    if (problem) throw new Error(problem);
    const theirs = mkdtempSync(join(tmpdir(), 'mlstore-reg-mlflow-'));
    const ours = mkdtempSync(join(tmpdir(), 'mlstore-reg-ours-'));
    python('scenario', theirs);
    await ourScenario(ours);
    const a = tree(theirs);
    const b = tree(ours);
    expect(Object.keys(b)).toEqual(Object.keys(a));
    expect(b).toEqual(a);
    // The shapes the spec calls out are really there.
    expect(a['m1/version-2/meta.yaml']).toContain('current_stage: Deleted_Internal');
    expect(a['m1/version-3/tags/deep/er/key']).toBe('v');
    expect(a['m1/version-3/meta.yaml']).toContain('model_id: m-abc');
    expect(a['m1/meta.yaml']).toContain("aliases:\n  champ: '1'\n  other: '3'\n");
  }, 180_000);

  it('MLflow reads what we wrote, and we read what MLflow wrote, with the same answers', async () => {
    if (problem) throw new Error(problem);
    const theirs = mkdtempSync(join(tmpdir(), 'mlstore-reg-mlflow-'));
    const ours = mkdtempSync(join(tmpdir(), 'mlstore-reg-ours-'));
    python('scenario', theirs);
    await ourScenario(ours);
    const mlflowOnTheirs = python('dump', theirs);
    expect(JSON.parse(await ourDump(theirs))).toEqual(JSON.parse(mlflowOnTheirs));
    expect(JSON.parse(python('dump', ours))).toEqual(JSON.parse(mlflowOnTheirs));
    const parsed = JSON.parse(mlflowOnTheirs) as { models: Record<string, { versions: Record<string, unknown>; tags: Record<string, string> }> };
    expect(parsed.models.m1?.versions['2']).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(parsed.models.m1?.tags).toEqual({ 'a/b': 'v1', 'x y': 'spaced' });
    // A deleted version keeps its number on a tree MLflow wrote.
    const s = await FileModelRegistryStore.open(theirs);
    expect((await s.createModelVersion({ name: 'm1', source: 's3://b/next' })).version).toBe('4');
  }, 180_000);

  it('a rename of a model with tagged versions and aliases (which crashes MLflow 3.18) leaves a tree MLflow reads whole', async () => {
    if (problem) throw new Error(problem);
    const root = mkdtempSync(join(tmpdir(), 'mlstore-reg-rename-'));
    await ourScenario(root);
    const s = await FileModelRegistryStore.open(root);
    await s.renameRegisteredModel('m1', 'm9');
    const dumped = JSON.parse(python('dump', root)) as { models: Record<string, { tags: Record<string, string>; aliases: Record<string, string>; versions: Record<string, { tags?: Record<string, string>; name?: string } | string> }> };
    expect(dumped.models.m1).toBeUndefined();
    const m9 = dumped.models.m9;
    expect(m9?.tags).toEqual({ 'a/b': 'v1', 'x y': 'spaced' });
    expect(m9?.aliases).toEqual({ champ: '1', other: '3' });
    expect(m9?.versions['3']).toMatchObject({ name: 'm9', tags: { 'deep/er/key': 'v' } });
    expect(m9?.versions['2']).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(readdirSync(join(root, 'models')).sort()).toEqual(['empty', 'm9', UNICODE].sort());
  }, 180_000);
});
