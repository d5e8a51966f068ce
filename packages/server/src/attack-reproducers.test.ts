import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { MemoryTrackingStore, type Logger } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMlflowServer, type RunningMlflowServer } from './mlflow-server.js';

// The reproducers of the attack run's defects 5–7, through a real server: each was answered
// 500 (or accepted) before, and is refused now with MLflow's error code.
const dir = mkdtempSync(join(tmpdir(), 'mlstore-attack-repro-'));
const destination = join(dir, 'artifacts');
const lines: { level: string; obj: unknown; msg?: string }[] = [];
const logger: Logger = {
  trace: () => {},
  debug: (obj, msg) => lines.push({ level: 'debug', obj, msg }),
  info: (obj, msg) => lines.push({ level: 'info', obj, msg }),
  warn: (obj, msg) => lines.push({ level: 'warn', obj, msg }),
  error: (obj, msg) => lines.push({ level: 'error', obj, msg }),
  child: () => logger,
};
let server: RunningMlflowServer;
const store = new MemoryTrackingStore();

beforeAll(async () => {
  mkdirSync(destination);
  server = await startMlflowServer({
    trackingStore: store,
    artifactsDestination: new LocalArtifactRepository(destination),
    resolveArtifactRepository: (uri) => new LocalArtifactRepository(uri),
    trustedArtifactUris: [destination],
    port: 0,
    logger,
  });
});
afterAll(() => server.close());

const post = (path: string, body: string) => fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });

describe('attack-run reproducers', () => {
  it('5: NUL (and other control characters) in artifact_location is refused; no 500 names a local path', async () => {
    for (const loc of [`${dir}/x\u0000y`, `${dir}/a\nb`, 'file:///tmp/\u0007']) {
      const res = await post('/api/2.0/mlflow/experiments/create', JSON.stringify({ name: `e-${Math.random()}`, artifact_location: loc }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error_code: string }).error_code).toBe('INVALID_PARAMETER_VALUE');
    }
    // A control character in a path is refused before any repository sees it.
    const exp = await store.createExperiment('ctl');
    const run = await store.createRun({ experimentId: exp, startTime: 1 });
    const res = await fetch(`${server.url}/get-artifact?run_id=${run.info.run_id}&path=${encodeURIComponent('a\u0000b')}`);
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).not.toContain(dir);
  });

  it('6: 10,000 levels of nesting in a typed field is a 400, not a stack overflow', async () => {
    const res = await post('/api/2.0/mlflow/experiments/create', `{"name": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error_code: string }).error_code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('7a: a listing leaves out a symlink whose target is outside the root', async () => {
    const outside = join(dir, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'secret.bin'), 'x'.repeat(12345));
    symlinkSync(outside, join(destination, 'link-dir'));
    symlinkSync(join(outside, 'secret.bin'), join(destination, 'link-file'));
    writeFileSync(join(destination, 'ok.txt'), 'ok');
    const res = await fetch(`${server.url}/api/2.0/mlflow-artifacts/artifacts`);
    expect(await res.json()).toEqual({ files: [{ path: 'ok.txt', is_dir: false, file_size: 2 }] });
  });

  it('7b: a 501 for multipart on a destination without it is logged at info without a stack', async () => {
    lines.length = 0;
    const res = await post('/api/2.0/mlflow-artifacts/mpu/create/x', JSON.stringify({ path: 'big.bin', num_parts: 2 }));
    expect(res.status).toBe(501);
    expect(lines.filter((l) => l.level === 'error')).toEqual([]);
    expect(lines.some((l) => l.level === 'info' && !JSON.stringify(l.obj).includes('at '))).toBe(true);
  });

  it('7c: a bare NaN literal in a JSON body is read as MLflow reads it', async () => {
    const exp = await store.createExperiment('nan');
    const run = await store.createRun({ experimentId: exp, startTime: 1 });
    const res = await post('/api/2.0/mlflow/runs/log-metric', `{"run_id": "${run.info.run_id}", "key": "m", "value": NaN, "timestamp": 1, "step": 0}`);
    expect(res.status).toBe(200);
    const history = await store.getMetricHistory(run.info.run_id, 'm');
    expect(history.items.map((m) => m.value)).toEqual([Number.NaN]);
  });
});
