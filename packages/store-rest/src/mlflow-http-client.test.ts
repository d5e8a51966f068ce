import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isMlflowError, type Logger, type MlflowError } from '@mlstore/core';
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
  const c = new MlflowHttpClient({ env: {}, maxRetries: 0, backoffJitter: 0, ...options });
  cleanups.push(() => c.close());
  return c;
}

const ok: PeerHandler = (_req, res) => json(res, 200, { ok: true });
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

async function caught(p: Promise<unknown>): Promise<Error & { errorCode?: string; httpStatus?: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error & { errorCode?: string; httpStatus?: number };
  }
  throw new Error('expected a rejection');
}

function recordingLogger(lines: string[]): Logger {
  const log = (obj: unknown, msg?: string) => lines.push(`${msg ?? ''} ${JSON.stringify(obj)}`);
  const logger: Logger = { trace: log, debug: log, info: log, warn: log, error: log, child: () => logger };
  return logger;
}

describe('MlflowHttpClient auth', () => {
  it('sends Basic from options, Bearer from a token, and Basic when both are set (as MLflow)', async () => {
    const p = await peer(ok);
    await client({ baseUrl: p.url, username: 'u', password: 'p' }).callJson('GET', '/a');
    await client({ baseUrl: p.url, token: 't0k' }).callJson('GET', '/b');
    await client({ baseUrl: p.url, username: 'u', password: 'p', token: 't0k' }).callJson('GET', '/c');
    await client({ baseUrl: p.url }).callJson('GET', '/d');
    expect(p.seen.map((r) => r.headers.authorization)).toEqual([basic('u', 'p'), 'Bearer t0k', basic('u', 'p'), undefined]);
  });

  it('reads MLFLOW_TRACKING_* env vars, then ~/.mlflow/credentials; explicit options win', async () => {
    const p = await peer(ok);
    const home = await mkdtemp(join(tmpdir(), 'mlstore-home-'));
    await mkdir(join(home, '.mlflow'));
    await writeFile(join(home, '.mlflow', 'credentials'), '[mlflow]\nmlflow_tracking_username = fileuser\nmlflow_tracking_password = filepass\n');
    await client({ baseUrl: p.url, env: { HOME: home } }).callJson('GET', '/file');
    await client({ baseUrl: p.url, env: { HOME: home, MLFLOW_TRACKING_PASSWORD: 'envpass' } }).callJson('GET', '/mixed');
    await client({ baseUrl: p.url, env: { MLFLOW_TRACKING_TOKEN: 'envtoken' } }).callJson('GET', '/token');
    await client({ baseUrl: p.url, env: { HOME: home, MLFLOW_TRACKING_USERNAME: 'eu' }, username: 'ou', password: 'op' }).callJson('GET', '/explicit');
    await client({ baseUrl: p.url, env: { MLFLOW_TRACKING_TOKEN: 'envtoken' }, token: 'opt' }).callJson('GET', '/opt-token');
    expect(p.seen.map((r) => r.headers.authorization)).toEqual([
      basic('fileuser', 'filepass'),
      basic('fileuser', 'envpass'),
      'Bearer envtoken',
      basic('ou', 'op'),
      'Bearer opt',
    ]);
  });

  it('uses userinfo of the base URL as Basic credentials and keeps it out of the URL', async () => {
    const p = await peer(ok);
    const c = client({ baseUrl: `http://al%40ice:pa%3Ass@127.0.0.1:${p.port}/` });
    expect(c.baseUrl).toBe(`http://127.0.0.1:${p.port}`);
    await c.callJson('GET', '/x');
    expect(p.seen[0]?.headers.authorization).toBe(basic('al@ice', 'pa:ss'));
  });

  it('sends extra headers, and neither them nor Authorization to another origin', async () => {
    const main = await peer(ok);
    const other = await peer((_req, res) => {
      res.writeHead(200, { etag: '"e1"' });
      res.end();
    });
    const c = client({ baseUrl: main.url, token: 'secret-token', headers: { 'X-Extra': 'yes' } });
    await c.callJson('GET', '/x');
    const res = await c.request('PUT', `${other.url}/bucket/key?X-Amz-Signature=abc`, { body: 'part', headers: { 'x-part': '1' } });
    res.body.resume();
    expect(main.seen[0]?.headers['x-extra']).toBe('yes');
    expect(other.seen[0]?.headers.authorization).toBeUndefined();
    expect(other.seen[0]?.headers['x-extra']).toBeUndefined();
    expect(other.seen[0]?.headers['x-part']).toBe('1');
    expect(other.seen[0]?.url).toBe('/bucket/key?X-Amz-Signature=abc');
    expect(res.headers.etag).toBe('"e1"');
  });

  it('never puts credentials in error messages or logs', async () => {
    const lines: string[] = [];
    const p = await peer((_req, res) => json(res, 503, 'down'));
    const c = client({ baseUrl: `http://user:hunter2@127.0.0.1:${p.port}`, maxRetries: 2, backoffFactor: 0, logger: recordingLogger(lines) });
    const err = await caught(c.callJson('GET', '/x', { q: 1 }));
    const refused = client({ baseUrl: 'http://user:hunter2@127.0.0.1:1', token: 'tok-hunter3', maxRetries: 1, backoffFactor: 0, logger: recordingLogger(lines) });
    const err2 = await caught(refused.callJson('GET', '/y'));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const text of [err.message, err2.message, ...lines]) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('hunter3');
      expect(text).not.toContain(Buffer.from('user:hunter2').toString('base64'));
    }
  });
});

describe('MlflowHttpClient.callJson', () => {
  it('encodes GET payloads as a query string (repeated keys, true/false) under the base prefix', async () => {
    const p = await peer(ok);
    await client({ baseUrl: `${p.url}/prefix/` }).callJson('GET', '/api/2.0/mlflow/runs/search', {
      run_ids: ['a', 'b'],
      flag: true,
      off: false,
      n: 5,
      skip: undefined,
      none: null,
      name: 'a b&c=d',
    });
    expect(p.seen[0]?.method).toBe('GET');
    expect(p.seen[0]?.url).toBe('/prefix/api/2.0/mlflow/runs/search?run_ids=a&run_ids=b&flag=true&off=false&n=5&name=a+b%26c%3Dd');
    expect(p.seen[0]?.body.length).toBe(0);
  });

  it('sends other methods as a JSON body and returns the parsed object', async () => {
    const p = await peer((req, res) => json(res, 200, { echo: JSON.parse(req.body.toString()) as unknown }));
    const out = await client({ baseUrl: p.url }).callJson<{ echo: unknown }>('POST', '/api/2.0/mlflow/runs/create', { experiment_id: '1', tags: [{ key: 'k', value: 'v' }] });
    expect(out.echo).toEqual({ experiment_id: '1', tags: [{ key: 'k', value: 'v' }] });
    expect(p.seen[0]?.headers['content-type']).toBe('application/json');
    for (const method of ['PATCH', 'DELETE'] as const) await client({ baseUrl: p.url }).callJson(method, '/m', { a: 1 });
    expect(p.seen.slice(1).map((r) => [r.method, r.body.toString()])).toEqual([
      ['PATCH', '{"a":1}'],
      ['DELETE', '{"a":1}'],
    ]);
  });

  it('an empty 2xx body is {}; a body that is not a JSON object is INTERNAL_ERROR', async () => {
    const bodies = ['', '[1,2]', 'hello', '"str"'];
    const p = await peer((_req, res, i) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(bodies[i]);
    });
    const c = client({ baseUrl: p.url });
    expect(await c.callJson('GET', '/0')).toEqual({});
    for (const path of ['/1', '/2', '/3']) {
      const err = await caught(c.callJson('GET', path));
      expect(err.errorCode).toBe('INTERNAL_ERROR');
      expect(err.message).toMatch(/not a JSON object/);
    }
  });

  it('maps JSON errors to their code (with httpStatus) and bare statuses like MLflow', async () => {
    const replies: [number, string][] = [
      [404, JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: "Run 'x' not found" })],
      [404, '<html>Not Found</html>'],
      [400, 'bad'],
      [403, JSON.stringify({ error_code: '403', message: 'nope' })],
      [418, JSON.stringify({ error_code: 'SOMETHING_NEW', message: 'teapot' })],
      [401, JSON.stringify({ detail: 'who?' })],
      [502, 'gateway'],
    ];
    const p = await peer((_req, res, i) => {
      const [status, body] = replies[i]!;
      res.writeHead(status);
      res.end(body);
    });
    const c = client({ baseUrl: p.url });
    const errs = [];
    for (let i = 0; i < replies.length; i++) errs.push(await caught(c.callJson('GET', `/e${i}`)));
    expect(errs.map((e) => [e.errorCode, e.httpStatus])).toEqual([
      ['RESOURCE_DOES_NOT_EXIST', 404],
      ['ENDPOINT_NOT_FOUND', 404],
      ['BAD_REQUEST', 400],
      ['PERMISSION_DENIED', 403],
      ['INTERNAL_ERROR', 418],
      ['INTERNAL_ERROR', 401],
      ['INTERNAL_ERROR', 502],
    ]);
    expect(errs.every((e) => isMlflowError(e))).toBe(true);
    expect(errs[0]?.message).toBe("RESOURCE_DOES_NOT_EXIST: Run 'x' not found");
    expect(errs[1]?.message).toMatch(/failed with error code 404.*<html>Not Found<\/html>/);
    expect(errs[4]?.message).toBe('SOMETHING_NEW: teapot');
    expect(errs[5]?.message).toMatch(/^INTERNAL_ERROR: Response: /);
  });

  it("keeps a body's sqlstate and error_class, else takes MLflow's server-side (CP) values, as RestException does", async () => {
    const replies: [number, string][] = [
      [404, JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'x', sqlstate: 'KAM00', error_class: 'RESOURCE_NOT_FOUND' })],
      [404, JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'x' })],
      [403, JSON.stringify({ error_code: '403', message: 'x' })],
      [418, JSON.stringify({ error_code: 'SOMETHING_NEW', message: 'x' })],
      [501, JSON.stringify({ error_code: 'NOT_IMPLEMENTED', message: 'x' })],
      [404, '<html>Not Found</html>'],
      [502, 'gateway'],
    ];
    const p = await peer((_req, res, i) => {
      const [status, body] = replies[i]!;
      res.writeHead(status);
      res.end(body);
    });
    const c = client({ baseUrl: p.url });
    const errs = [];
    for (let i = 0; i < replies.length; i++) errs.push((await caught(c.callJson('GET', `/e${i}`))) as MlflowError);
    // Each pair as MLflow 3.18.0's client reports it for the same reply.
    expect(errs.map((e) => [e.sqlstate, e.errorClass])).toEqual([
      ['KAM00', 'RESOURCE_NOT_FOUND'],
      ['KAMC2', 'CP_RESOURCE_NOT_FOUND'],
      ['KAMC1', 'CP_PERMISSION_DENIED'],
      ['XXMC0', 'CP_INTERNAL_ERROR'],
      [undefined, undefined],
      ['KAMC2', 'CP_RESOURCE_NOT_FOUND'],
      ['XXMC0', 'CP_INTERNAL_ERROR'],
    ]);
  });
});

describe('MlflowHttpClient.request', () => {
  it('streams a Readable body and returns the status, headers and a streamed body', async () => {
    const p = await peer((req, res) => {
      res.writeHead(201, { 'x-len': String(req.body.length) });
      res.end(req.body);
    });
    const data = Buffer.alloc(300_000, 7);
    const res = await client({ baseUrl: p.url }).request('PUT', '/upload/with space/f.bin', {
      body: Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      query: { a: 'b' },
    });
    const chunks: Buffer[] = [];
    for await (const c of res.body) chunks.push(c as Buffer);
    expect(res.status).toBe(201);
    expect(res.headers['x-len']).toBe('300000');
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(p.seen[0]?.url).toBe('/upload/with%20space/f.bin?a=b');
  });

  it('reuses one keep-alive connection for sequential requests', async () => {
    const p = await peer(ok);
    const c = client({ baseUrl: p.url });
    for (let i = 0; i < 6; i++) await c.callJson(i % 2 ? 'POST' : 'GET', `/${i}`, {});
    // undici may open a second socket while the first is being released; never one per request.
    expect(new Set(p.seen.map((r) => r.remotePort)).size).toBeLessThanOrEqual(2);
  });

  it('refuses non-http URLs', async () => {
    const c = client({ baseUrl: 'http://127.0.0.1:1' });
    expect((await caught(c.request('GET', 'ftp://x/y'))).errorCode).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('MlflowHttpClient options', () => {
  const code = (fn: () => unknown) => {
    try {
      fn();
      return 'ok';
    } catch (err) {
      return isMlflowError(err) ? err.errorCode : String(err);
    }
  };
  it('rejects malformed env values and MLflow-invalid combinations with INVALID_PARAMETER_VALUE', () => {
    const make = (env: NodeJS.ProcessEnv, extra: Partial<MlflowHttpClientOptions> = {}) => () => new MlflowHttpClient({ baseUrl: 'http://127.0.0.1:1', env, ...extra });
    expect(code(make({ MLFLOW_TRACKING_INSECURE_TLS: 'yes' }))).toBe('INVALID_PARAMETER_VALUE');
    expect(code(make({ MLFLOW_HTTP_RESPECT_RETRY_AFTER_HEADER: 'maybe' }))).toBe('INVALID_PARAMETER_VALUE');
    expect(code(make({ MLFLOW_HTTP_REQUEST_MAX_RETRIES: '11' }))).toBe('INVALID_PARAMETER_VALUE');
    expect(code(make({ MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR: '0.5' }))).toBe('INVALID_PARAMETER_VALUE');
    expect(code(make({ MLFLOW_HTTP_REQUEST_TIMEOUT: 'soon' }))).toBe('INVALID_PARAMETER_VALUE');
    expect(code(make({ MLFLOW_TRACKING_INSECURE_TLS: 'true', MLFLOW_TRACKING_SERVER_CERT_PATH: '/ca.pem' }))).toBe('INVALID_PARAMETER_VALUE');
    expect(code(make({ MLFLOW_TRACKING_SERVER_CERT_PATH: '/does/not/exist.pem' }))).toBe('INVALID_PARAMETER_VALUE');
    expect(code(make({}, { baseUrl: 'sqlite:///x.db' }))).toBe('INVALID_PARAMETER_VALUE');
    // An explicit option wins, so a bad env value it overrides is never read.
    expect(code(make({ MLFLOW_HTTP_REQUEST_TIMEOUT: 'soon' }, { timeoutMs: 5 }))).toBe('ok');
    expect(code(make({ MLFLOW_TRACKING_INSECURE_TLS: '1', MLFLOW_HTTP_REQUEST_MAX_RETRIES: ' 3 ' }))).toBe('ok');
  });
});
