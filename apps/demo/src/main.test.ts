import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { SqlTrackingStore } from '@mlstore/store-sql';
import { defaultBackendStoreUri, resolveArtifactUri } from './commands/gc.js';
import { main } from './main.js';
import { defaultRegistries } from './registries.js';
import { createLogReporter } from './progress.js';

const dir = mkdtempSync(join(tmpdir(), 'mlstore-demo-'));
let n = 0;

/** Runs the CLI in-process with captured output and a JSON log. */
async function run(argv: string[], isTTY = false) {
  const out = new PassThrough();
  const err = new PassThrough();
  const log = new PassThrough();
  const chunks = { out: '', err: '', log: '' };
  out.on('data', (c: Buffer) => (chunks.out += c.toString()));
  err.on('data', (c: Buffer) => (chunks.err += c.toString()));
  log.on('data', (c: Buffer) => (chunks.log += c.toString()));
  const code = await main(argv, { stdout: out, stderr: err, isTTY, env: {}, cwd: dir, logger: pino({ base: null }, log) });
  await new Promise((r) => setImmediate(r));
  return { code, ...chunks };
}

/** A SQLite store with two experiments, `runs` runs (one deleted) and metric histories. */
async function sqliteSource(runs: number): Promise<{ uri: string; deleted: string; artifacts: string }> {
  const uri = `sqlite:///${join(dir, `src-${n++}.db`)}`;
  const artifacts = join(dir, `art-${n}`);
  const store = await SqlTrackingStore.open(uri, { artifactRoot: artifacts });
  const e = await store.createExperiment('demo', undefined, [{ key: 'k', value: 'v' }]);
  let deleted = '';
  for (let i = 0; i < runs; i++) {
    const r = await store.createRun({ experimentId: e });
    await store.logBatch(r.info.run_id, { metrics: [0, 1, 2].map((s) => ({ key: 'loss', value: 1 / (s + i + 1), timestamp: s, step: s })), params: [{ key: 'i', value: String(i) }] });
    if (i === 0) {
      await store.deleteRun(r.info.run_id);
      deleted = r.info.run_id;
    }
  }
  await store.close();
  return { uri, deleted, artifacts };
}

describe('mlstore CLI', () => {
  it('prints usage for no command (exit 2), help (exit 0) and an unknown command (exit 2)', async () => {
    expect((await run([])).code).toBe(2);
    const help = await run(['--help']);
    expect(help.code).toBe(0);
    expect(help.out).toContain('migrate');
    const bad = await run(['frobnicate']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain("unknown command 'frobnicate'");
  });

  it('migrate: usage errors exit 2 and name the problem', async () => {
    const r = await run(['migrate', '--from', 'sqlite:///a.db']);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--from and --to are required.');
    const unknown = await run(['migrate', '--form', 'x']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("Unknown option '--form'");
    expect((await run(['migrate', '--help'])).out).toContain('--no-verify');
  });

  it('migrate: copies a SQLite store into another, prints the report, logs progress lines off a terminal', async () => {
    const { uri } = await sqliteSource(12);
    const to = `sqlite:///${join(dir, `dst-${n++}.db`)}`;
    const r = await run(['migrate', '--from', uri, '--to', to]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toContain('runs          12 created, 0 skipped');
    expect(r.out).toMatch(/verification {2}OK: 2 experiments, 12 runs \(1 deleted\)/);
    const lines = r.log.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; phase?: string });
    expect(lines.some((l) => l.phase === 'runs')).toBe(true);
    expect(lines.some((l) => l.phase === 'verifying')).toBe(true);
    // Again: everything is skipped, verification still passes; --json gives the report.
    const again = await run(['migrate', '--from', uri, '--to', to, '--json']);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.out) as { runs: { skipped: number }; verification: { ok: boolean } };
    expect(report.runs.skipped).toBe(12);
    expect(report.verification.ok).toBe(true);
  });

  it('migrate: --no-verify skips the comparison; an unknown scheme lists the registered ones', async () => {
    const { uri } = await sqliteSource(2);
    const r = await run(['migrate', '--from', uri, '--to', `sqlite:///${join(dir, `dst-${n++}.db`)}`, '--no-verify']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('verification  skipped');
    const bad = await run(['migrate', '--from', uri, '--to', 'gopher://x']);
    expect(bad.code).toBe(1);
    expect(bad.err).toContain("Currently registered schemes are: ['', 'file', 'http', 'https', 'mariadb', 'mysql', 'postgres', 'postgresql', 'sqlite']");
  });

  it('migrate: artifacts are NOT moved by default and the summary says where they live; --copy-artifacts copies them', async () => {
    const { uri, artifacts } = await sqliteSource(3);
    const src = await SqlTrackingStore.open(uri, { artifactRoot: artifacts });
    const [first] = (await src.searchRuns({ experimentIds: ['1'], maxResults: 1 })).items;
    const runId = first?.info.run_id as string;
    await src.close();
    mkdirSync(join(artifacts, '1', runId, 'artifacts'), { recursive: true });
    writeFileSync(join(artifacts, '1', runId, 'artifacts', 'model.pkl'), 'weights');

    const plain = await run(['migrate', '--from', uri, '--to', `sqlite:///${join(dir, `dst-${n++}.db`)}`]);
    expect(plain.code).toBe(0);
    expect(plain.out).toContain(`artifacts     NOT moved (no --copy-artifacts): they still live in ${artifacts}; the target's runs point there, so keep it`);

    const usage = await run(['migrate', '--from', uri, '--to', `sqlite:///${join(dir, `dst-${n++}.db`)}`, '--artifacts-to', '/x']);
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('--artifacts-to needs --copy-artifacts.');
    const unknown = await run(['migrate', '--from', uri, '--to', `sqlite:///${join(dir, `dst-${n++}.db`)}`, '--copy-artifacts', '--artifacts-to', 'gopher://x/y']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toContain('INVALID_PARAMETER_VALUE');

    const to = `sqlite:///${join(dir, `dst-${n++}.db`)}`;
    const dest = join(dir, `copied-${n++}`);
    const copied = await run(['migrate', '--from', uri, '--to', to, '--copy-artifacts', '--artifacts-to', dest]);
    expect(copied.err).toBe('');
    expect(copied.code).toBe(0);
    expect(copied.out).toContain(`artifacts     1 files (7 bytes) copied to ${dest}, SHA-256 verified: runs 3 copied, 0 skipped (already copied); logged models 0 copied, 0 skipped (already copied)`);
    expect(readFileSync(join(dest, '1', runId, 'artifacts', 'model.pkl'), 'utf8')).toBe('weights');
    const target = await SqlTrackingStore.open(to);
    expect((await target.getRun(runId)).info.artifact_uri).toBe(join(dest, '1', runId, 'artifacts'));
    expect((await target.getExperiment('1')).artifact_location).toBe(join(dest, '1'));
    await target.close();
    const again = await run(['migrate', '--from', uri, '--to', to, '--copy-artifacts', '--artifacts-to', dest, '--json']);
    expect((JSON.parse(again.out) as { artifacts: { runs: unknown; files: number } }).artifacts).toMatchObject({ runs: { copied: 0, skipped: 3, inPlace: 0 }, files: 0 });
  });

  it('gc: removes deleted runs and their artifacts, printing MLflow\'s lines', async () => {
    const { uri, deleted, artifacts } = await sqliteSource(3);
    const store = await SqlTrackingStore.open(uri, { artifactRoot: artifacts });
    const runDir = (await store.getRun(deleted)).info.artifact_uri;
    await store.close();
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'model.pkl'), 'x');
    const young = await run(['gc', '--backend-store-uri', uri, '--older-than', '1d']);
    expect(young.code).toBe(0);
    expect(young.out).toBe('');
    const r = await run(['gc', '--backend-store-uri', uri]);
    expect(r.code).toBe(0);
    expect(r.out).toBe(`Run with ID ${deleted} has been permanently deleted.\n`);
    expect(existsSync(runDir)).toBe(false);
    const again = await run(['gc', '--backend-store-uri', uri, '--run-ids', deleted]);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`RESOURCE_DOES_NOT_EXIST: Run with id=${deleted} not found`);
    const badAge = await run(['gc', '--backend-store-uri', uri, '--older-than', '3x']);
    expect(badAge.err).toContain("Could not parse any time information from '3x'");
  });

  it('gc and migrate on a file store path: the registry loads @mlstore/store-file on first use', async () => {
    const root = join(dir, `mlruns-${n++}`);
    const fs = await defaultRegistries().tracking.resolve(root);
    const e = await fs.createExperiment('files');
    const doomed = (await fs.createRun({ experimentId: e })).info.run_id;
    await fs.createRun({ experimentId: e });
    await fs.deleteRun(doomed);
    await fs.close();
    const to = `sqlite:///${join(dir, `from-files-${n++}.db`)}`;
    const migrated = await run(['migrate', '--from', root, '--to', to]);
    expect(migrated.code).toBe(0);
    expect(migrated.out).toContain('runs          2 created');
    const gc = await run(['gc', '--backend-store-uri', `file://${root}`]);
    expect(gc.code).toBe(0);
    expect(gc.out).toBe(`Run with ID ${doomed} has been permanently deleted.\n`);
  });

  it('gc leaves the model registry as it was, on SQLite and on a file store (MLflow\'s gc does not touch it either)', async () => {
    for (const uri of [`sqlite:///${join(dir, `gc-registry-${n++}.db`)}`, join(dir, `gc-registry-${n++}`)]) {
      const tracking = await defaultRegistries().tracking.resolve(uri, { defaultArtifactRoot: join(dir, `gc-art-${n++}`) });
      const e = await tracking.createExperiment(`doomed-${n++}`);
      const runId = (await tracking.createRun({ experimentId: e })).info.run_id;
      await tracking.deleteExperiment(e);
      const registry = await defaultRegistries().modelRegistry.resolve(uri, { trackingStore: tracking });
      await registry.createRegisteredModel('kept', [{ key: 't', value: 'v' }]);
      await registry.createModelVersion({ name: 'kept', source: 'file:///srv/model', runId });
      await registry.setRegisteredModelAlias('kept', 'champion', '1');
      const before = await registry.getRegisteredModel('kept');
      await registry.close();
      await tracking.close();

      const gc = await run(['gc', '--backend-store-uri', uri]);
      expect(gc.code, gc.err).toBe(0);
      expect(gc.out).toContain(`Experiment with ID ${e} has been permanently deleted.`);
      const after = await defaultRegistries().modelRegistry.resolve(uri);
      expect(await after.getRegisteredModel('kept')).toEqual(before);
      expect((await after.getModelVersionByAlias('kept', 'champion')).run_id).toBe(runId);
      await after.close();
    }
  });

  it('gc: named active experiments are refused with MLflow\'s message', async () => {
    const { uri } = await sqliteSource(1);
    const r = await run(['gc', '--backend-store-uri', uri, '--experiment-ids', '1']);
    expect(r.code).toBe(1);
    expect(r.err).toContain("Experiments ['1'] are not in the deleted lifecycle stage.");
  });
});

describe('gc helpers', () => {
  it('maps mlflow-artifacts: URIs under the artifacts destination', () => {
    expect(resolveArtifactUri('mlflow-artifacts:/1/abc/artifacts', 's3://bucket/root/')).toBe('s3://bucket/root/1/abc/artifacts');
    expect(resolveArtifactUri('mlflow-artifacts://host:5000/1/abc/artifacts', '/srv/art')).toBe('/srv/art/1/abc/artifacts');
    expect(resolveArtifactUri('/local/1/abc/artifacts', undefined)).toBe('/local/1/abc/artifacts');
    expect(() => resolveArtifactUri('mlflow-artifacts:/1/a', undefined)).toThrow(/--artifacts-destination/);
  });

  it('defaults the store as MLflow: $MLFLOW_TRACKING_URI, ./mlruns with experiments, else sqlite:///mlflow.db', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'mlstore-cwd-'));
    expect(defaultBackendStoreUri({ MLFLOW_TRACKING_URI: 'sqlite:///x.db' }, cwd)).toBe('sqlite:///x.db');
    expect(defaultBackendStoreUri({}, cwd)).toBe(`sqlite:///${join(cwd, 'mlflow.db')}`);
    mkdirSync(join(cwd, 'mlruns', '0'), { recursive: true });
    expect(defaultBackendStoreUri({}, cwd)).toBe(`sqlite:///${join(cwd, 'mlflow.db')}`);
    writeFileSync(join(cwd, 'mlruns', '0', 'meta.yaml'), 'name: Default\n');
    expect(defaultBackendStoreUri({}, cwd)).toBe(join(cwd, 'mlruns'));
  });
});

describe('progress log lines', () => {
  it('logs each phase start and end, and at most one line per interval in between', () => {
    const lines: unknown[] = [];
    const logger = { info: (o: unknown) => lines.push(o) } as unknown as Parameters<typeof createLogReporter>[0];
    let t = 0;
    const r = createLogReporter(logger, 1000, () => t);
    for (let i = 1; i <= 100; i++) {
      t += 50;
      r.update({ phase: 'runs', done: i, total: 100, overallDone: i, overallTotal: 100 });
    }
    // first, one per second over 5 s, and the last
    expect(lines.length).toBe(6);
  });
});
