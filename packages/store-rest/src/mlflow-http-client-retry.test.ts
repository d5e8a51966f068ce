import { createReadStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { Logger } from '@mlstore/core';
import { afterEach, describe, expect, it } from 'vitest';
import { json, startPeer, type Peer, type PeerHandler } from '../test/http-peer.js';
import { MlflowHttpClient } from './mlflow-http-client.js';
import type { MlflowHttpClientOptions } from './http-client-options.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function peer(handler: PeerHandler): Promise<Peer> {
  const p = await startPeer(handler);
  cleanups.push(() => p.close());
  return p;
}

function client(options: Partial<MlflowHttpClientOptions> & { baseUrl: string }): MlflowHttpClient {
  const c = new MlflowHttpClient({ env: {}, maxRetries: 3, backoffFactor: 0.001, backoffJitter: 0, ...options });
  cleanups.push(() => c.close());
  return c;
}

async function caught(p: Promise<unknown>): Promise<Error & { errorCode?: string; httpStatus?: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { errorCode?: string; httpStatus?: number };
  }
  throw new Error('expected a rejection');
}

/** Replies with the statuses in order, then 200 `{}`. */
const statuses =
  (...list: (number | [number, Record<string, string>])[]): PeerHandler =>
  (_req, res, i) => {
    const entry = list[i];
    if (entry === undefined) return json(res, 200, { n: i });
    const [status, headers] = Array.isArray(entry) ? entry : [entry, {}];
    json(res, status, { error_code: 'TEMPORARILY_UNAVAILABLE', message: `attempt ${i}` }, headers);
  };

/** Never answers (the socket is destroyed when the peer closes). */
const hang: PeerHandler = () => undefined;

describe('retries', () => {
  it.each([408, 429, 500, 502, 503, 504])('retries %i for a GET and succeeds', async (status) => {
    const p = await peer(statuses(status, status));
    expect(await client({ baseUrl: p.url }).callJson('GET', '/x')).toEqual({ n: 2 });
    expect(p.seen).toHaveLength(3);
  });

  it('gives up after maxRetries and surfaces the last reply', async () => {
    const p = await peer((_req, res, i) => json(res, 500, { error_code: 'INTERNAL_ERROR', message: `boom ${i}` }));
    const err = await caught(client({ baseUrl: p.url, maxRetries: 2 }).callJson('GET', '/x'));
    expect(p.seen).toHaveLength(3);
    expect(err).toMatchObject({ errorCode: 'INTERNAL_ERROR', httpStatus: 500, message: 'INTERNAL_ERROR: boom 2' });
  });

  it('does not retry other statuses', async () => {
    const p = await peer(statuses(404, 400, 501));
    for (const path of ['/a', '/b', '/c']) await caught(client({ baseUrl: p.url }).callJson('GET', path));
    expect(p.seen).toHaveLength(3);
  });

  it('backs off as urllib3: immediate first retry, then factor × 2^(n−1)', async () => {
    const p = await peer(statuses(503, 503, 503));
    await client({ baseUrl: p.url, backoffFactor: 0.05 }).callJson('GET', '/x');
    const gaps = p.seen.slice(1).map((r, i) => r.at - p.seen[i]!.at);
    expect(gaps[0]).toBeLessThan(90);
    expect(gaps[1]).toBeGreaterThanOrEqual(95); // 0.05 × 2 s
    expect(gaps[2]).toBeGreaterThanOrEqual(195); // 0.05 × 4 s
    expect(gaps[2]).toBeLessThan(5_000);
  });

  it('POSTs (not declared idempotent) retry only 408/429, as MLflow retries unsafe writes', async () => {
    const p = await peer(statuses(503, 429, 408, 500));
    const c = client({ baseUrl: p.url });
    expect((await caught(c.callJson('POST', '/a', {}))).httpStatus).toBe(503);
    expect((await caught(c.callJson('POST', '/b', {}))).httpStatus).toBe(500);
    expect(p.seen.map((r) => r.url)).toEqual(['/a', '/b', '/b', '/b']);
    const q = await peer(statuses(503));
    expect(await client({ baseUrl: q.url }).callJson('POST', '/c', {}, { idempotent: true })).toEqual({ n: 1 });
  });

  it('honours Retry-After (seconds) unless told not to', async () => {
    const p = await peer(statuses([429, { 'retry-after': '1' }]));
    await client({ baseUrl: p.url }).callJson('GET', '/x');
    expect(p.seen[1]!.at - p.seen[0]!.at).toBeGreaterThanOrEqual(950);
    const q = await peer(statuses([429, { 'retry-after': '30' }]));
    await client({ baseUrl: q.url, respectRetryAfter: false }).callJson('GET', '/x');
    expect(q.seen[1]!.at - q.seen[0]!.at).toBeLessThan(5_000);
  });

  it('retries 413 carrying Retry-After (urllib3 RETRY_AFTER_STATUS_CODES)', async () => {
    const p = await peer(statuses([413, { 'retry-after': '0' }], 413));
    const err = await caught(client({ baseUrl: p.url }).callJson('GET', '/x'));
    expect(p.seen).toHaveLength(2); // the second 413 has no Retry-After: not retried
    expect(err.httpStatus).toBe(413);
  });

  it('retries refused connections, then fails with TEMPORARILY_UNAVAILABLE', async () => {
    const lines: string[] = [];
    const log = (obj: unknown) => lines.push(JSON.stringify(obj));
    const logger: Logger = { trace: log, debug: log, info: log, warn: log, error: log, child: () => logger };
    const err = await caught(client({ baseUrl: 'http://127.0.0.1:1', maxRetries: 2, logger }).callJson('POST', '/x', {}));
    expect(err).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE' });
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(lines.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(2);
  });

  it('retries a reset connection for idempotent calls but not for unsafe POSTs', async () => {
    const reset: PeerHandler = (req, res, i) => {
      if (i % 2 === 0) req.socket.destroy();
      else json(res, 200, {});
    };
    const p = await peer(reset);
    expect(await client({ baseUrl: p.url }).callJson('GET', '/x')).toEqual({});
    expect(p.seen).toHaveLength(2);
    const q = await peer((req) => {
      req.socket.destroy();
    });
    const err = await caught(client({ baseUrl: q.url }).callJson('POST', '/y', {}));
    expect(q.seen).toHaveLength(1);
    expect(err).toMatchObject({ errorCode: 'TEMPORARILY_UNAVAILABLE' });
  });

  it('never retries a one-shot stream body, but retries a body factory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlstore-body-'));
    const file = join(dir, 'f.bin');
    await writeFile(file, Buffer.alloc(100_000, 1));
    const first = new Set<string>();
    const p = await peer((req, res) => {
      if (!first.has(req.url ?? '')) {
        first.add(req.url ?? '');
        return json(res, 503, {});
      }
      return json(res, 200, { got: req.body.length });
    });
    const once = await client({ baseUrl: p.url }).request('PUT', '/once', { body: Readable.from([Buffer.from('abc')]) });
    once.body.resume();
    expect(once.status).toBe(503);
    const twice = await client({ baseUrl: p.url }).request('PUT', '/twice', { body: () => createReadStream(file) });
    twice.body.resume();
    expect(twice.status).toBe(200);
    expect(p.seen.map((r) => [r.url, r.body.length])).toEqual([
      ['/once', 3],
      ['/twice', 100_000],
      ['/twice', 100_000],
    ]);
  });
});

describe('timeouts', () => {
  it('a per-attempt timeout fails with DEADLINE_EXCEEDED after the retries', async () => {
    const p = await peer(hang);
    const started = Date.now();
    const err = await caught(client({ baseUrl: p.url, timeoutMs: 150, maxRetries: 1 }).callJson('GET', '/slow'));
    expect(err).toMatchObject({ errorCode: 'DEADLINE_EXCEEDED' });
    expect(err.message).toMatch(/MLFLOW_HTTP_REQUEST_TIMEOUT/);
    expect(p.seen).toHaveLength(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('MLFLOW_HTTP_REQUEST_TIMEOUT is read in seconds', async () => {
    const p = await peer(hang);
    const started = Date.now();
    const err = await caught(client({ baseUrl: p.url, maxRetries: 0, env: { MLFLOW_HTTP_REQUEST_TIMEOUT: '1' } }).callJson('GET', '/slow'));
    expect(err).toMatchObject({ errorCode: 'DEADLINE_EXCEEDED' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a stalled response body times out too, as an MlflowError on the stream', async () => {
    const p = await peer((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const res = await client({ baseUrl: p.url, timeoutMs: 150 }).request('GET', '/body');
    const err = await caught((async () => {
      for await (const _ of res.body) void _;
    })());
    expect(err).toMatchObject({ errorCode: 'DEADLINE_EXCEEDED' });
  });
});

describe('abort', () => {
  it('aborts a request in flight at once, as an AbortError that is not retried', async () => {
    const p = await peer(hang);
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 100);
    const err = await caught(client({ baseUrl: p.url, timeoutMs: 60_000 }).callJson('GET', '/x', undefined, { signal: ac.signal }));
    expect(err.name).toBe('AbortError');
    expect(err).toMatchObject({ errorCode: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(p.seen).toHaveLength(1);
  });

  it('aborts during a backoff sleep', async () => {
    const p = await peer((_req, res) => json(res, 503, {}));
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(new Error('user gave up')), 200);
    // The first retry is immediate; the second would wait 60 × 2 s.
    const err = await caught(client({ baseUrl: p.url, backoffFactor: 60 }).callJson('GET', '/x', undefined, { signal: ac.signal }));
    expect(err.name).toBe('AbortError');
    expect((err as Error & { cause?: Error }).cause?.message).toBe('user gave up');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(p.seen).toHaveLength(2);
  });

  it('an already aborted signal sends nothing', async () => {
    const p = await peer(hang);
    const err = await caught(client({ baseUrl: p.url }).request('GET', '/x', { signal: AbortSignal.abort() }));
    expect(err.name).toBe('AbortError');
    expect(p.seen).toHaveLength(0);
  });

  it('aborting while the body streams errors the stream with an AbortError', async () => {
    const p = await peer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000000' });
      res.write(Buffer.alloc(1000));
    });
    const ac = new AbortController();
    const res = await client({ baseUrl: p.url, timeoutMs: 60_000 }).request('GET', '/x', { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const err = await caught((async () => {
      for await (const _ of res.body) void _;
    })());
    expect(err.name).toBe('AbortError');
  });
});
