import { mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';

const dir = mkdtempSync(join(tmpdir(), 'mlstore-server-security-'));

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
  let text = '';
  out.on('data', (c: Buffer) => (text += c.toString()));
  err.on('data', (c: Buffer) => (text += c.toString()));
  const controller = new AbortController();
  const done = main(['server', ...argv], { stdout: out, stderr: err, env, cwd: dir, logger: pino({ level: 'silent' }), signal: controller.signal });
  return { done, stop: () => controller.abort(), output: () => text };
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

/** A request with an explicit Host header (fetch cannot set one). */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, setHost: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('mlstore server security flags', () => {
  it('passes --allowed-hosts, --cors-allowed-origins and --x-frame-options (and their env vars) to the server', async () => {
    const port = await freePort();
    const server = start(
      ['--backend-store-uri', `sqlite:///${join(dir, 's.db')}`, '--artifacts-destination', join(dir, 'art'), '--port', String(port), '--allowed-hosts', 'mlflow.example.com:*,127.0.0.1:*', '--x-frame-options', 'deny'],
      { MLFLOW_SERVER_CORS_ALLOWED_ORIGINS: 'https://app.example.com', MLFLOW_SERVER_ALLOWED_HOSTS: 'ignored.example.com' },
    );
    await waitFor(`http://127.0.0.1:${port}/health`);
    const refused = await send(port, 'GET', '/api/2.0/mlflow/experiments/search?max_results=1', { host: 'localhost' });
    expect([refused.status, refused.body]).toEqual([403, 'Invalid Host header - possible DNS rebinding attack detected']);
    const json = { host: `mlflow.example.com:${port}`, 'content-type': 'application/json' };
    const allowed = await send(port, 'POST', '/api/2.0/mlflow/experiments/create', { ...json, origin: 'https://app.example.com' }, '{"name":"sec"}');
    expect(allowed.status).toBe(200);
    expect(allowed.headers).toMatchObject({ 'access-control-allow-origin': 'https://app.example.com', 'x-frame-options': 'DENY' });
    const blocked = await send(port, 'POST', '/api/2.0/mlflow/experiments/create', { ...json, origin: 'https://evil.example.com' }, '{"name":"x"}');
    expect([blocked.status, blocked.body]).toEqual([403, 'Cross-origin request blocked']);
    server.stop();
    expect(await server.done).toBe(0);

    const port2 = await freePort();
    const open = start(['--backend-store-uri', `sqlite:///${join(dir, 's2.db')}`, '--port', String(port2), '--disable-security-middleware']);
    await waitFor(`http://127.0.0.1:${port2}/health`);
    expect((await send(port2, 'GET', '/api/2.0/mlflow/experiments/search?max_results=1', { host: 'evil.example.com' })).status).toBe(200);
    open.stop();
    expect(await open.done).toBe(0);

    const bad = start(['--port', String(port2)], { MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE: 'maybe' });
    expect(await bad.done).toBe(2);
    expect(bad.output()).toContain("'maybe' is not a valid boolean");
  });

  it('documents the flags in --help', async () => {
    const help = start(['--help']);
    expect(await help.done).toBe(0);
    for (const flag of ['--allowed-hosts', '--cors-allowed-origins', '--x-frame-options', '--disable-security-middleware', 'MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE']) expect(help.output()).toContain(flag);
  });
});
