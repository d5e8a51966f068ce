import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyMigration, type RegisteredModelExport } from '@mlstore/core';
import { FileModelRegistryStore, FileTrackingStore } from '@mlstore/store-file';
import { SqlModelRegistryStore, SqlTrackingStore } from '@mlstore/store-sql';
import { fillStore } from './migrate-fixture.js';

// `mlstore migrate` as a user runs it: a child process (apps/demo/src/cli.ts through tsx, with
// @mlstore/* taken from the packages' sources as vitest does) between two SQLite files.
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'mlstore-cli-'));
const RUNS = 400;
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const sourceUri = `sqlite:///${join(dir, 'source.db')}`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns `mlstore <args>`; `onStderr` sees stderr as it comes (and may signal the child). */
function mlstore(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    // One node process with tsx's loader (the tsx binary would put a wrapper process in between).
    const child = spawn(process.execPath, ['--import', TSX_LOADER, join(root, 'apps/demo/src/cli.ts'), ...args], {
      cwd: dir,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'test/cli-tsconfig.json'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      out.stderr += c.toString();
      onStderr?.(out.stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

async function verify(targetUri: string) {
  const [source, target] = await Promise.all([SqlTrackingStore.open(sourceUri), SqlTrackingStore.open(targetUri)]);
  try {
    return await verifyMigration(source, target);
  } finally {
    await source.close();
    await target.close();
  }
}

describe('mlstore migrate (CLI, SQLite → SQLite)', () => {
  beforeAll(async () => {
    const source = await SqlTrackingStore.open(sourceUri, { artifactRoot: join(dir, 'artifacts') });
    await fillStore(source, RUNS);
    await source.close();
  }, 600_000);

  it('copies the store, prints the report and exits 0; log lines on stderr when not a terminal', async () => {
    const targetUri = `sqlite:///${join(dir, 'straight.db')}`;
    const r = await mlstore(['migrate', '--from', sourceUri, '--to', targetUri]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`runs          ${RUNS} created, 0 skipped`);
    expect(r.stdout).toMatch(new RegExp(`verification {2}OK: 4 experiments, ${RUNS} runs`));
    expect(r.stdout).toContain('traces        30 created, 0 skipped (already there)');
    expect(r.stdout).toMatch(/, 30 traces \(60 assessments, 30 spans\)/);
    const phases = new Set(r.stderr.trim().split('\n').map((l) => (JSON.parse(l) as { phase?: string }).phase));
    expect([...phases]).toEqual(expect.arrayContaining(['counting', 'experiments', 'runs', 'logged-models', 'traces', 'verifying']));
    expect((await verify(targetUri)).ok).toBe(true);
  }, 300_000);

  it('interrupted by SIGINT exits 130 keeping what it copied; the same command then finishes it', async () => {
    const targetUri = `sqlite:///${join(dir, 'interrupted.db')}`;
    let signalled = false;
    const first = await mlstore(['migrate', '--from', sourceUri, '--to', targetUri, '--concurrency', '2'], (text, child) => {
      if (!signalled && text.includes('"phase":"runs"')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toContain('interrupted; run the same command again to resume');
    const partial = await verify(targetUri);
    const copied = partial.target.runs;
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(RUNS);

    const second = await mlstore(['migrate', '--from', sourceUri, '--to', targetUri, '--json']);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as { runs: { created: number; skipped: number }; verification: { ok: boolean } };
    expect(report.runs).toEqual({ created: RUNS - copied, skipped: copied });
    expect(report.verification.ok).toBe(true);
  }, 300_000);
});

/** Every file under `root`, relative path → content (the lock files aside). */
function filesUnder(root: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name !== '.mlstore.lock') out.set(relative(root, p), readFileSync(p, 'utf8'));
    }
  };
  walk(root);
  return out;
}

describe('mlstore migrate carries the model registry (file → SQLite → file)', () => {
  const fileRoot = join(dir, 'registry-source');
  let exported: RegisteredModelExport[] = [];

  beforeAll(async () => {
    await (await FileTrackingStore.open(fileRoot)).close();
    const reg = await FileModelRegistryStore.open(fileRoot);
    await reg.createRegisteredModel('churn', [{ key: 'team', value: 'growth' }], 'churn model');
    for (let i = 1; i <= 5; i++) {
      await reg.createModelVersion({ name: 'churn', source: `file:///srv/artifacts/1/run${i}/artifacts/model`, runId: `${i}`.repeat(32), tags: [{ key: 'n', value: String(i) }] });
    }
    await reg.transitionModelVersionStage('churn', '2', 'Production', false);
    await reg.transitionModelVersionStage('churn', '3', 'Staging', false);
    await reg.transitionModelVersionStage('churn', '4', 'Production', true);
    await reg.setRegisteredModelAlias('churn', 'champion', '4');
    await reg.setRegisteredModelAlias('churn', 'challenger', '3');
    await reg.deleteModelVersion('churn', '5');
    await reg.createRegisteredModel('empty model');
    await reg.createRegisteredModel('greeting', [{ key: 'mlflow.prompt.is_prompt', value: 'true' }]);
    await reg.createModelVersion({ name: 'greeting', source: 'dummy-source', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }, { key: 'mlflow.prompt.text', value: 'Hello {{name}}' }] });
    for await (const m of reg.exportRegisteredModels()) exported.push(m);
    exported = exported.sort((a, b) => a.name.localeCompare(b.name));
    await reg.close();
  });

  it('copies every registered model with its versions (a deleted one too), stages, timestamps, tags and aliases; a resume skips them', async () => {
    const sqlUri = `sqlite:///${join(dir, 'registry.db')}`;
    const r = await mlstore(['migrate', '--from', fileRoot, '--to', sqlUri]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('registry      3 registered models created (6 versions), 0 skipped (already there)');
    expect(r.stdout).toContain('verification OK: 3 registered models, 6 versions (deleted ones too) compared field by field');
    const again = await mlstore(['migrate', '--from', fileRoot, '--to', sqlUri, '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { registry: unknown }).registry).toMatchObject({ registeredModels: { created: 0, skipped: 3 }, modelVersions: 0 });
    const sql = await SqlModelRegistryStore.open(sqlUri);
    try {
      const copies: RegisteredModelExport[] = [];
      for await (const m of sql.exportRegisteredModels()) copies.push(m);
      expect(copies.sort((a, b) => a.name.localeCompare(b.name))).toEqual(exported);
      expect((await sql.getModelVersionByAlias('churn', 'champion')).current_stage).toBe('Production');
      expect((await sql.getModelVersion('churn', '2')).current_stage).toBe('Archived');
      expect((await sql.createModelVersion({ name: 'churn', source: 'file:///srv/artifacts/1/run6/artifacts/model' })).version).toBe('6');
    } finally {
      await sql.close();
    }
  }, 120_000);

  it('back into a file store, every registry file is byte for byte what MLflow’s layout had', async () => {
    const sqlUri = `sqlite:///${join(dir, 'registry-roundtrip.db')}`;
    const back = join(dir, 'registry-back');
    expect((await mlstore(['migrate', '--from', fileRoot, '--to', sqlUri])).code).toBe(0);
    const r = await mlstore(['migrate', '--from', sqlUri, '--to', back]);
    expect(r.code, r.stderr).toBe(0);
    expect(filesUnder(join(back, 'models'))).toEqual(filesUnder(join(fileRoot, 'models')));
  }, 120_000);

  it('with --copy-artifacts, versions whose files were in a run or a logged model point at the copies', async () => {
    const src = join(dir, 'registry-artifacts-source');
    const tracking = await FileTrackingStore.open(src);
    const e = await tracking.createExperiment('models');
    const run = await tracking.createRun({ experimentId: e });
    const model = await tracking.createLoggedModel({ experimentId: e, name: 'm', sourceRunId: run.info.run_id });
    const local = (uri: string) => (uri.startsWith('file:') ? fileURLToPath(uri) : uri);
    for (const d of [join(local(run.info.artifact_uri), 'model'), local(model.info.artifact_uri)]) {
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'MLmodel'), `flavors: {} # ${d}\n`);
    }
    const reg = await FileModelRegistryStore.open(src, { trackingStore: tracking });
    await reg.createRegisteredModel('moved');
    await reg.createModelVersion({ name: 'moved', source: `${run.info.artifact_uri}/model`, runId: run.info.run_id });
    await reg.createModelVersion({ name: 'moved', source: `models:/${model.info.model_id}`, modelId: model.info.model_id });
    await reg.createModelVersion({ name: 'moved', source: 's3://elsewhere/model' });
    await reg.close();
    await tracking.close();

    const sqlUri = `sqlite:///${join(dir, 'registry-artifacts.db')}`;
    const dest = join(dir, 'registry-artifacts-copied');
    const r = await mlstore(['migrate', '--from', src, '--to', sqlUri, '--copy-artifacts', '--artifacts-to', dest]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('registry      1 registered models created (3 versions)');
    const sql = await SqlModelRegistryStore.open(sqlUri);
    try {
      const fromRun = await sql.getModelVersion('moved', '1');
      expect(fromRun.source).toBe(join(dest, e, run.info.run_id, 'artifacts', 'model'));
      expect(readFileSync(join(fromRun.source!, 'MLmodel'), 'utf8')).toContain('flavors');
      expect((await sql.getModelVersion('moved', '2')).source).toBe(`models:/${model.info.model_id}`);
      const location = await sql.getModelVersionDownloadUri('moved', '2');
      expect(location).toBe(join(dest, e, 'models', model.info.model_id, 'artifacts'));
      expect(readFileSync(join(location, 'MLmodel'), 'utf8')).toContain('flavors');
      expect((await sql.getModelVersion('moved', '3')).source).toBe('s3://elsewhere/model');
    } finally {
      await sql.close();
    }
  }, 120_000);

  it('--no-registry copies the tracking data only', async () => {
    const sqlUri = `sqlite:///${join(dir, 'no-registry.db')}`;
    const r = await mlstore(['migrate', '--from', fileRoot, '--to', sqlUri, '--no-registry']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain('registry ');
    const sql = await SqlModelRegistryStore.open(sqlUri);
    try {
      expect((await sql.searchRegisteredModels()).items).toEqual([]);
    } finally {
      await sql.close();
    }
  }, 60_000);
});
