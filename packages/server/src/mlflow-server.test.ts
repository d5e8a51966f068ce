import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { MemoryTrackingStore } from '@mlstore/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMlflowHandler } from './mlflow-handler.js';
import { defaultMaxConnections, listenMlflowServer, startMlflowServer, type MlflowServerOptions, type RunningMlflowServer } from './mlflow-server.js';
import { REQUEST_LOG_MESSAGE } from './request-log.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const servers: RunningMlflowServer[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  for (const s of servers.splice(0)) await s.close();
});

async function start(options: Partial<MlflowServerOptions> = {}): Promise<{ server: RunningMlflowServer; port: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mlstore-server-limits-'));
  const server = await startMlflowServer({
    trackingStore: new MemoryTrackingStore(),
    artifactsDestination: new LocalArtifactRepository(dir),
    port: 0,
    shutdownTimeoutMs: 500,
    ...options,
  });
  servers.push(server);
  return { server, port: Number(new URL(server.url).port), dir };
}

/** A raw connection; resolves its close time (ms after open) and what it received. */
function rawConnection(port: number, first?: string): { socket: Socket; closed: Promise<{ afterMs: number; data: string }> } {
  const t0 = Date.now();
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  let data = '';
  socket.on('data', (d) => (data += d.toString()));
  socket.on('error', () => {});
  if (first !== undefined) socket.once('connect', () => socket.write(first));
  const closed = new Promise<{ afterMs: number; data: string }>((resolve) => socket.once('close', () => resolve({ afterMs: Date.now() - t0, data })));
  return { socket, closed };
}

describe('connection limits (security: slowloris and descriptor exhaustion)', () => {
  it('has a header timeout, an idle timeout and a connection cap by default', async () => {
    const { server } = await start();
    // Before the fix requestTimeout: 0 also turned off Node's header timeout.
    expect(server.server.headersTimeout).toBe(20_000);
    expect(server.server.requestTimeout).toBe(0);
    expect(server.server.timeout).toBe(120_000);
    expect(server.server.maxConnections).toBe(defaultMaxConnections());
    expect(defaultMaxConnections(1024)).toBe(512);
    expect(defaultMaxConnections(1_048_576)).toBe(4096);
    expect(defaultMaxConnections(20)).toBe(64);
  });

  it('answers 408 and closes a connection whose headers never finish', async () => {
    const { port } = await start({ headersTimeoutMs: 300 });
    const slow = rawConnection(port, 'GET /health HTTP/1.1\r\nHost: x\r\n');
    const { afterMs, data } = await slow.closed;
    expect(data).toMatch(/^HTTP\/1\.1 408/);
    expect(afterMs).toBeLessThan(3_000);
  });

  it('closes a connection whose body stalls, but a slow upload that keeps progressing succeeds', async () => {
    const { port, dir } = await start({ headersTimeoutMs: 300, idleTimeoutMs: 600 });
    const stalled = rawConnection(port, 'PUT /api/2.0/mlflow-artifacts/artifacts/stalled.bin HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nabc');
    expect((await stalled.closed).afterMs).toBeLessThan(3_000);

    const chunks = Array.from({ length: 8 }, (_, i) => `chunk-${i};`);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/api/2.0/mlflow-artifacts/artifacts/slow.txt' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      (async () => {
        for (const c of chunks) {
          req.write(c);
          await sleep(250); // 8 × 250 ms = 2 s in all: past the header timeout, each gap under the idle one
        }
        req.end();
      })().catch(reject);
    });
    expect(status).toBe(200);
    expect(readFileSync(join(dir, 'slow.txt'), 'utf8')).toBe(chunks.join(''));
  });

  it('refuses connections past the cap and serves again once they are released', async () => {
    const { port, server } = await start({ maxConnections: 4 });
    const held = Array.from({ length: 4 }, () => rawConnection(port));
    await Promise.all(held.map((h) => new Promise((r) => h.socket.once('connect', r))));
    await sleep(100);
    const extra = rawConnection(port, 'GET /health HTTP/1.1\r\nHost: x\r\n\r\n');
    const refused = await extra.closed;
    expect(refused.data).toBe('');
    for (const h of held) h.socket.destroy();
    await Promise.all(held.map((h) => h.closed));
    await sleep(50);
    const res = await fetch(`${server.url}/health`);
    expect(res.status).toBe(200);
  });
});

/** A Logger that keeps every call as `{ level, obj, msg }`. */
function recordingLogger() {
  const lines: { level: string; obj: Record<string, unknown>; msg?: string }[] = [];
  const at = (level: string) => (obj: unknown, msg?: string) => void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger = { trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => logger };
  return { logger, requests: () => lines.filter((l) => l.msg === REQUEST_LOG_MESSAGE) };
}

describe('request log', () => {
  it('logs one info line per request once its response is done: method, path, status, ms, client', async () => {
    const { logger, requests } = recordingLogger();
    const { server } = await start({ logger });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const missing = await fetch(`${server.url}/api/2.0/mlflow/experiments/get?experiment_id=424242`);
    expect(missing.status).toBe(404);
    await missing.text();
    await sleep(20);
    const lines = requests();
    expect(lines.map((l) => [l.level, l.obj['method'], l.obj['path'], l.obj['status']])).toEqual([
      ['info', 'GET', '/health', 200],
      ['info', 'GET', '/api/2.0/mlflow/experiments/get?experiment_id=424242', 404],
    ]);
    for (const l of lines) {
      expect(typeof l.obj['ms']).toBe('number');
      expect(l.obj['client']).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(l.obj['aborted']).toBeUndefined();
    }
  });

  it('is off with accessLog: false', async () => {
    const { logger, requests } = recordingLogger();
    const { server } = await start({ logger, accessLog: false });
    await (await fetch(`${server.url}/health`)).text();
    await sleep(20);
    expect(requests()).toEqual([]);
  });
});

describe('listenMlflowServer (bind before opening stores)', () => {
  it('fails with EADDRINUSE on a taken port, and answers 503 TEMPORARILY_UNAVAILABLE until serve()', async () => {
    const bound = await listenMlflowServer({ port: 0, shutdownTimeoutMs: 500 });
    servers.push(bound);
    const port = Number(new URL(bound.url).port);
    await expect(listenMlflowServer({ port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    const early = await fetch(`${bound.url}/health`);
    expect(early.status).toBe(503);
    expect(await early.json()).toEqual({ error_code: 'TEMPORARILY_UNAVAILABLE', message: 'The server is starting; retry shortly.' });
    bound.serve(createMlflowHandler({ trackingStore: new MemoryTrackingStore() }));
    expect(await (await fetch(`${bound.url}/health`)).text()).toBe('OK');
  });
});

describe('graceful close', () => {
  it('closes a keep-alive connection as soon as the response in flight at close() ends, not after the keep-alive timeout', async () => {
    // Both timeouts far beyond the test's own: only closing the connection once idle lets close() finish.
    const bound = await listenMlflowServer({ port: 0, keepAliveTimeoutMs: 600_000, shutdownTimeoutMs: 600_000 });
    let finish!: () => void;
    const finished = new Promise<void>((r) => (finish = r));
    bound.serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('first ');
      void finished.then(() => res.end('last'));
    });
    const port = Number(new URL(bound.url).port);
    const conn = rawConnection(port, 'GET /slow HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await vi.waitFor(() => expect(conn.socket.bytesRead).toBeGreaterThan(0));
    const closed = bound.close();
    finish();
    await closed;
    const { data } = await conn.closed;
    expect(data).toContain('first ');
    expect(data).toContain('last');
  }, 10_000);
});
