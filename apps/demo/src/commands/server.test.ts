import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'mlstore-server-cmd-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function start(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out = new PassThrough();
  const err = new PassThrough();
  const log = new PassThrough();
  let text = '';
  let logText = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  err.on('data', (c: Buffer) => (text += c.toString()));
  log.on('data', (c: Buffer) => (logText += c.toString()));
  const controller = new AbortController();
  const logger = pino({ level: 'info', base: null }, log);
  const done = main(['server', ...argv], { stdout: out, stderr: err, env, cwd: dir, logger, signal: controller.signal });
  const logLines = () => logText.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { done, stop: () => controller.abort(), output: () => text, logLines };
}

async function waitFor(url: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} did not answer`);
}

describe('mlstore server', () => {
  it('serves MLflow on SQLite with proxied artifacts, and exits 0 after a graceful stop', async () => {
    const port = await freePort();
    const db = join(dir, 'a.db');
    const server = start(['--backend-store-uri', `sqlite:///${db}`, '--artifacts-destination', join(dir, 'art'), '--port', String(port)]);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/health`);
    const created = await fetch(`${url}/api/2.0/mlflow/experiments/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"e"}' });
    const { experiment_id } = (await created.json()) as { experiment_id: string };
    const got = (await (await fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=${experiment_id}`)).json()) as { experiment: { artifact_location: string } };
    expect(got.experiment.artifact_location).toBe(`mlflow-artifacts:/${experiment_id}`);
    expect((await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/x/y.txt`, { method: 'PUT', body: 'hello' })).status).toBe(200);
    expect(readdirSync(join(dir, 'art', 'x'))).toEqual(['y.txt']);
    expect(await (await fetch(`${url}/version`)).text()).toBe('3.18.0');
    const info = (await (await fetch(`${url}/api/3.0/mlflow/server-info`)).json()) as { store_type: string | null };
    expect(info.store_type).toBe('SqlStore');
    server.stop();
    expect(await server.done).toBe(0);
    await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('serves the model registry from --registry-store-uri (a file store beside a SQLite backend), else from the backend store', async () => {
    const port = await freePort();
    const registryRoot = join(dir, 'registry-mlruns');
    const server = start(['--backend-store-uri', `sqlite:///${join(dir, 'reg.db')}`, '--registry-store-uri', registryRoot, '--port', String(port)]);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/health`);
    const post = (path: string, body: unknown) => fetch(`${url}/api/2.0/mlflow/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post('registered-models/create', { name: 'clf' })).status).toBe(200);
    const version = (await (await post('model-versions/create', { name: 'clf', source: 's3://bucket/clf' })).json()) as { model_version: { version: string } };
    expect(version.model_version.version).toBe('1');
    // MLflow's file-store layout under the registry root; nothing of it in the SQLite backend.
    expect(readdirSync(join(registryRoot, 'models', 'clf')).sort()).toEqual(['meta.yaml', 'version-1']);
    const searched = (await (await fetch(`${url}/api/2.0/mlflow/registered-models/search`)).json()) as { registered_models: { name: string }[] };
    expect(searched.registered_models.map((m) => m.name)).toEqual(['clf']);
    server.stop();
    expect(await server.done).toBe(0);

    // Without the flag, the registry is the backend store's (MLflow's default).
    const port2 = await freePort();
    const server2 = start(['--backend-store-uri', `sqlite:///${join(dir, 'reg.db')}`, '--port', String(port2)]);
    await waitFor(`http://127.0.0.1:${port2}/health`);
    const empty = (await (await fetch(`http://127.0.0.1:${port2}/api/2.0/mlflow/registered-models/search`)).json()) as { registered_models?: unknown[] };
    expect(empty.registered_models ?? []).toEqual([]);
    server2.stop();
    expect(await server2.done).toBe(0);
  });

  it("reports the backend in server-info's store_type as MLflow does: FileStore for ./mlruns, null for --artifacts-only", async () => {
    const port = await freePort();
    const a = start(['--backend-store-uri', join(dir, 'mlruns-info'), '--port', String(port)]);
    await waitFor(`http://127.0.0.1:${port}/health`);
    expect(((await (await fetch(`http://127.0.0.1:${port}/api/3.0/mlflow/server-info`)).json()) as { store_type: unknown }).store_type).toBe('FileStore');
    a.stop();
    expect(await a.done).toBe(0);
    const port2 = await freePort();
    const b = start(['--artifacts-only', '--artifacts-destination', join(dir, 'art-info'), '--port', String(port2)]);
    await waitFor(`http://127.0.0.1:${port2}/health`);
    expect(((await (await fetch(`http://127.0.0.1:${port2}/api/3.0/mlflow/server-info`)).json()) as { store_type: unknown }).store_type).toBeNull();
    b.stop();
    expect(await b.done).toBe(0);
  });

  it('answers 503 on artifact routes with --no-serve-artifacts and on tracking routes with --artifacts-only', async () => {
    const port = await freePort();
    const a = start(['--backend-store-uri', `sqlite:///${join(dir, 'b.db')}`, '--no-serve-artifacts', '--port', String(port)]);
    await waitFor(`http://127.0.0.1:${port}/health`);
    const res = await fetch(`http://127.0.0.1:${port}/api/2.0/mlflow-artifacts/artifacts?path=x`);
    expect(res.status).toBe(503);
    expect(await res.text()).toContain('--no-serve-artifacts');
    a.stop();
    expect(await a.done).toBe(0);

    const port2 = await freePort();
    const b = start(['--artifacts-only', '--artifacts-destination', join(dir, 'art2'), '--port', String(port2)]);
    await waitFor(`http://127.0.0.1:${port2}/health`);
    const r2 = await fetch(`http://127.0.0.1:${port2}/api/2.0/mlflow/experiments/get?experiment_id=0`);
    expect(r2.status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${port2}/api/2.0/mlflow-artifacts/artifacts?path=`)).status).toBe(200);
    b.stop();
    expect(await b.done).toBe(0);
  });

  it('refuses bad flags with exit code 2', async () => {
    expect(await start(['--port', 'http']).done).toBe(2);
    expect(await start(['--static-prefix', 'mlflow/']).done).toBe(2);
    expect(await start(['--artifacts-only', '--no-serve-artifacts']).done).toBe(2);
    expect(await start(['--bogus']).done).toBe(2);
    expect(await start(['--headers-timeout', 'soon']).done).toBe(2);
    expect(await start(['--max-connections', '0']).done).toBe(2);
    const help = start(['--help']);
    expect(await help.done).toBe(0);
    expect(help.output()).toContain('--backend-store-uri');
  });

  it('takes the connection limits from flags and env vars: a half-sent request gets 408 after --headers-timeout', async () => {
    const port = await freePort();
    const server = start(['--backend-store-uri', `sqlite:///${join(dir, 'limits.db')}`, '--headers-timeout', '0.3', '--port', String(port)], { MLSTORE_MAX_CONNECTIONS: '50' });
    await waitFor(`http://127.0.0.1:${port}/health`);
    const { connect } = await import('node:net');
    const answer = await new Promise<string>((resolve) => {
      let data = '';
      const s = connect(port, '127.0.0.1', () => s.write('GET /health HTTP/1.1\r\nHost: localhost\r\n'));
      s.on('data', (d) => (data += d.toString()));
      s.on('close', () => resolve(data));
      setTimeout(() => s.destroy(), 5_000);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    server.stop();
    expect(await server.done).toBe(0);
  });

  it('logs one info line per request (method, path, status, ms); --uvicorn-opts --no-access-log and --log-level warning silence them', async () => {
    const port = await freePort();
    const server = start(['--backend-store-uri', `sqlite:///${join(dir, 'log.db')}`, '--port', String(port)]);
    const url = `http://127.0.0.1:${port}`;
    await waitFor(`${url}/health`);
    await (await fetch(`${url}/api/2.0/mlflow/experiments/get?experiment_id=77`)).text();
    server.stop();
    expect(await server.done).toBe(0);
    const requests = server.logLines().filter((l) => l['msg'] === 'request completed');
    expect(requests.at(-1)).toMatchObject({ level: 30, method: 'GET', path: '/api/2.0/mlflow/experiments/get?experiment_id=77', status: 404 });
    expect(typeof requests.at(-1)!['ms']).toBe('number');
    expect(requests.filter((l) => l['path'] === '/health' && l['status'] === 200).length).toBeGreaterThan(0);

    for (const [argv, env] of [[['--uvicorn-opts', '--no-access-log'], {}], [[], { MLFLOW_UVICORN_OPTS: '--log-level warning' }]] as const) {
      const quietPort = await freePort();
      const quiet = start(['--backend-store-uri', `sqlite:///${join(dir, 'quiet.db')}`, '--port', String(quietPort), ...argv], env);
      await waitFor(`http://127.0.0.1:${quietPort}/health`);
      quiet.stop();
      expect(await quiet.done).toBe(0);
      expect(quiet.logLines().filter((l) => l['msg'] === 'request completed')).toEqual([]);
    }
    const bad = start(['--uvicorn-opts', '--reload']);
    expect(await bad.done).toBe(2);
    expect(bad.output()).toContain("'--reload' is not supported");
    expect(await start(['--uvicorn-opts', '--log-level loud']).done).toBe(2);
  });

  it('on a port in use: one line, exit code 1, no stack trace, and no database file created', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const db = join(dir, 'port-in-use.db');
      const server = start(['--backend-store-uri', `sqlite:///${db}`, '--artifacts-destination', join(dir, 'port-in-use-art'), '--port', String(port)]);
      expect(await server.done).toBe(1);
      expect(server.output()).toBe(`mlstore server: port ${port} is in use, try --port <another port> (0 picks a free one).\n`);
      expect(server.logLines().filter((l) => (l['level'] as number) >= 50)).toEqual([]);
      expect(existsSync(db)).toBe(false);
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
