import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { SqlModelRegistryStore, SqlTrackingStore } from '@mlstore/store-sql';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'mlstore-artifacts-cmd-'));

async function run(argv: string[], env: NodeJS.ProcessEnv, isTTY = false) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await main(['artifacts', ...argv], { stdout: out, stderr: err, env, cwd: dir, isTTY, logger: pino({ level: 'silent' }) });
  return { code, stdout, stderr };
}

describe('mlstore artifacts (mlflow artifacts flags)', () => {
  it('logs a file and a directory into a run, lists them as MLflow prints them, and downloads by run and by URI', async () => {
    const db = `sqlite:///${join(dir, 'mlflow.db')}`;
    const store = await SqlTrackingStore.open(db, { artifactRoot: join(dir, 'artifacts') });
    const exp = await store.createExperiment('e');
    const runId = (await store.createRun({ experimentId: exp })).info.run_id;
    const artifactUri = (await store.getRun(runId)).info.artifact_uri;
    await store.close();
    const env = { MLFLOW_TRACKING_URI: db };

    writeFileSync(join(dir, 'model.pkl'), Buffer.alloc(70_000, 3));
    mkdirSync(join(dir, 'tree', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'tree', 'a.txt'), 'alpha');
    writeFileSync(join(dir, 'tree', 'sub', 'ünï.txt'), 'beta');
    expect((await run(['log-artifact', '-l', 'model.pkl', '-r', runId, '-a', 'models'], env)).code).toBe(0);
    expect((await run(['log-artifacts', '--local-dir', 'tree', '--run-id', runId, '--artifact-path', 'data'], env)).code).toBe(0);

    const listed = await run(['list', '--run-id', runId], env);
    expect(listed.code).toBe(0);
    expect(listed.stdout.trim()).toBe('[{\n  "path": "data",\n  "is_dir": true\n}, {\n  "path": "models",\n  "is_dir": true\n}]');
    const sub = await run(['list', '-r', runId, '-a', 'data/sub'], env);
    expect(JSON.parse(sub.stdout)).toEqual([{ path: 'data/sub/ünï.txt', is_dir: false, file_size: 4 }]);
    expect(sub.stdout).toContain('\\u00fc');

    const dst = join(dir, 'dst');
    const byRun = await run(['download', '-r', runId, '-a', 'data', '-d', dst], { ...env }, true);
    expect(byRun.code).toBe(0);
    expect(byRun.stdout.trim()).toBe(join(dst, 'data'));
    expect(readFileSync(join(dst, 'data', 'sub', 'ünï.txt'), 'utf8')).toBe('beta');
    expect(byRun.stderr).toContain('downloading');

    const byUri = await run(['download', '--artifact-uri', `${artifactUri}/models/model.pkl`, '--dst-path', join(dir, 'dst2')], {});
    expect(byUri.stderr).toBe('');
    expect(byUri.code).toBe(0);
    expect(readFileSync(byUri.stdout.trim())).toEqual(Buffer.alloc(70_000, 3));
  });

  it('downloads and lists a registered model by models:/ URI (version, alias, sub-path), through the registry', async () => {
    const db = `sqlite:///${join(dir, 'registry.db')}`;
    const store = await SqlTrackingStore.open(db, { artifactRoot: join(dir, 'reg-artifacts') });
    const runId = (await store.createRun({ experimentId: '0' })).info.run_id;
    const artifactUri = (await store.getRun(runId)).info.artifact_uri;
    await store.close();
    const env = { MLFLOW_TRACKING_URI: db };
    mkdirSync(join(dir, 'model', 'sub'), { recursive: true });
    writeFileSync(join(dir, 'model', 'MLmodel'), 'flavors: {}');
    writeFileSync(join(dir, 'model', 'sub', 'w.bin'), Buffer.alloc(1000, 7));
    expect((await run(['log-artifacts', '--local-dir', 'model', '-r', runId, '-a', 'model'], env)).code).toBe(0);
    const registry = await SqlModelRegistryStore.open(db);
    await registry.createRegisteredModel('clf');
    await registry.createModelVersion({ name: 'clf', source: `runs:/${runId}/model`, runId });
    await registry.setRegisteredModelAlias('clf', 'champion', '1');
    await registry.close();

    const whole = await run(['download', '-u', 'models:/clf@champion', '-d', join(dir, 'dl-model')], env);
    expect([whole.code, whole.stderr]).toEqual([0, '']);
    expect(readFileSync(join(whole.stdout.trim(), 'MLmodel'), 'utf8')).toBe('flavors: {}');
    const one = await run(['download', '-u', 'models:/clf/1/sub/w.bin', '-d', join(dir, 'dl-one')], env);
    expect(readFileSync(one.stdout.trim())).toEqual(Buffer.alloc(1000, 7));
    const listed = await run(['list', '-u', 'models:/clf/1', '-a', 'sub'], env);
    expect(JSON.parse(listed.stdout)).toEqual([{ path: 'sub/w.bin', is_dir: false, file_size: 1000 }]);
    const refused = await run(['log-artifact', '-l', 'model/MLmodel', '-u', 'models:/clf/1'], env);
    expect([refused.code, refused.stderr.trim()]).toEqual([1, 'mlstore artifacts: INVALID_PARAMETER_VALUE: write_artifact is not supported for models:/<name>/<version> URIs. Use register_model instead.']);
    const missing = await run(['download', '-u', 'models:/clf@nope'], env);
    expect([missing.code, missing.stderr.trim()]).toEqual([1, 'mlstore artifacts: INVALID_PARAMETER_VALUE: Registered model alias nope not found.']);
    expect(artifactUri).toContain(runId);
  });

  it('refuses bad usage with exit code 2 and a missing run with exit code 1', async () => {
    expect((await run([], {})).code).toBe(2);
    expect((await run(['bogus'], {})).code).toBe(2);
    expect((await run(['list'], {})).code).toBe(2);
    expect((await run(['list', '--bogus'], {})).code).toBe(2);
    const missing = await run(['list', '-r', 'f'.repeat(32)], { MLFLOW_TRACKING_URI: `sqlite:///${join(dir, 'other.db')}` });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('RESOURCE_DOES_NOT_EXIST');
  });
});
