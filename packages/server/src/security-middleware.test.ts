import { existsSync, mkdtempSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { MemoryTrackingStore } from '@mlstore/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startMlflowServer, type MlflowServerOptions, type RunningMlflowServer } from './mlflow-server.js';
import { CORS_BLOCKED_MESSAGE, DEFAULT_ALLOWED_HOSTS, INVALID_HOST_MESSAGE, securityOptionsFromFlags } from './security-middleware.js';

// Confirmed against the real MLflow 3.18.0 (`mlflow server` from .services/mlflow-venv, uvicorn,
// SQLite, probed with node:http requests carrying explicit Host/Origin headers), not only read
// from its source:
// - defaults: identical answers for --host 127.0.0.1 and --host 0.0.0.0 (the bind does not change
//   them); every host row of DEFAULT_HOST_CASES below; DEFAULT_ALLOWED_HOSTS equals
//   get_default_allowed_hosts(); `/health` and `/version` exempt, under --static-prefix only in
//   their prefixed form, and matched after percent-decoding (`/mlflow/%68ealth`);
// - refusals: 403 `text/plain` with the exact bodies, no other headers on a host refusal; a blocked
//   cross-origin change keeps the CORS headers (Allow-Credentials, Expose-Headers, Vary) but gets no
//   X-Frame-Options/nosniff; `https://localhost` and `null` origins, `/api/test`, non-API paths,
//   unprefixed artifact paths under a static prefix, `%61pi` decoding;
// - preflights: 200 `OK` / 400 `Disallowed CORS origin, method` / `private-network`, their
//   headers (methods list, Max-Age 600, credentials, mirrored request headers, the long Vary), no
//   security headers; an origin pattern (`https://*.corp.com`) is exempt from blocking yet fails
//   the preflight; wildcard `*` mode (Allow-Origin `*`, Starlette's eight methods, no blocking);
// - X-Frame-Options `deny` → `DENY`, `none` → absent; a custom list (exact with port, IP-shaped
//   pattern with port, `app-*`, `[[]fe80::1]:*`), uppercase hosts refused;
// - MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE=YES disables everything; `maybe` is a usage error.
// Helper-level checks (fnmatch translation of 30 patterns × 41 strings, host and origin tables)
// were compared with MLflow's own security_utils functions in its venv.

const servers: RunningMlflowServer[] = [];
afterEach(async () => {
  vi.unstubAllEnvs();
  for (const s of servers.splice(0)) await s.close();
});

async function start(options: Partial<MlflowServerOptions> = {}): Promise<{ port: number; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'mlstore-security-'));
  const server = await startMlflowServer({ trackingStore: new MemoryTrackingStore(), artifactsDestination: new LocalArtifactRepository(dir), port: 0, ...options });
  servers.push(server);
  return { port: (server.server.address() as { port: number }).port, dir };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One request to 127.0.0.1 with the headers as given (Host included: fetch cannot set it). */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const all = { host: `127.0.0.1:${port}`, ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) };
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers: all, setHost: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const SEARCH = '/api/2.0/mlflow/experiments/search?max_results=1';
const CREATE = '/api/2.0/mlflow/experiments/create';
const JSON_TYPE = { 'content-type': 'application/json' };

/** [Host header, allowed by MLflow's defaults]. */
const DEFAULT_HOST_CASES: [string, boolean][] = [
  ['localhost', true],
  ['localhost:1234', true],
  ['127.0.0.1:5000', true],
  ['[::1]', true],
  ['[::1]:5000', true],
  ['0.0.0.0:80', true],
  ['10.1.2.3:5000', true],
  ['192.168.1.1', true],
  ['172.16.0.1', true],
  ['172.31.255.255', true],
  ['fd00::1', true],
  ['evil.com', false],
  ['EVIL.com:80', false],
  ['LOCALHOST', false],
  ['::1', false],
  ['10.evil.com', false],
  ['010.1.2.3', false],
  ['172.32.0.1', false],
  ['[fd00::1]:5000', false],
  ['fd00::1%evil.com', false],
  ['203.0.113.5:5000', false],
  ['', false],
];

async function expectHostRefused(port: number, host: string, path = SEARCH): Promise<void> {
  const res = await send(port, 'GET', path, { host });
  expect(res.status, host).toBe(403);
  expect(res.body).toBe(INVALID_HOST_MESSAGE);
  expect(res.headers['content-type']).toBe('text/plain');
  expect(res.headers['x-frame-options']).toBeUndefined();
  expect(res.headers.vary).toBeUndefined();
}

describe('host header allow-list (DNS rebinding)', () => {
  for (const bind of ['127.0.0.1', '0.0.0.0']) {
    it(`allows loopback names and private IPs by default, bound to ${bind} alike`, async () => {
      const { port } = await start({ host: bind });
      for (const [host, allowed] of DEFAULT_HOST_CASES) {
        if (allowed) expect((await send(port, 'GET', SEARCH, { host })).status, host).toBe(200);
        else await expectHostRefused(port, host);
      }
      for (const path of ['/health', '/version']) expect((await send(port, 'GET', path, { host: 'evil.com' })).status).toBe(200);
      await expectHostRefused(port, 'evil.com', '/no-such-page');
    });
  }

  it('takes exact hosts (port included, case-sensitive) and fnmatch patterns; IP-shaped patterns match IPs only', async () => {
    const { port } = await start({ security: { allowedHosts: ['mlflow.company.com', '192.168.*:5000', 'app-*.internal.com', '[[]fe80::1]:*', 'db:*'] } });
    for (const host of ['mlflow.company.com', '192.168.1.1:5000', 'app-1.internal.com', '[fe80::1]:5000', 'db:5432', 'db:x']) {
      expect((await send(port, 'GET', SEARCH, { host })).status, host).toBe(200);
    }
    for (const host of ['mlflow.company.com:443', 'MLFLOW.company.com', '192.168.1.1', '192.168.evil.com:5000', 'app-1.internal.com:8080', 'localhost', '127.0.0.1:5000']) {
      await expectHostRefused(port, host);
    }
  });

  it("'*' allows every host, even an empty one", async () => {
    const { port } = await start({ security: { allowedHosts: ['localhost', '*'] } });
    for (const host of ['evil.com', 'LOCALHOST', '']) expect((await send(port, 'GET', SEARCH, { host })).status).toBe(200);
  });

  it('exempts health paths only under the static prefix, matched after percent-decoding', async () => {
    const { port } = await start({ staticPrefix: '/mlflow' });
    for (const path of ['/mlflow/health', '/mlflow/version', '/mlflow/%68ealth']) expect((await send(port, 'GET', path, { host: 'evil.com' })).status, path).not.toBe(403);
    await expectHostRefused(port, 'evil.com', '/health');
  });
});

describe('CORS preflight', () => {
  const preflight = (port: number, origin: string, method = 'POST', extra: Record<string, string> = {}) =>
    send(port, 'OPTIONS', CREATE, { host: 'localhost', origin, 'access-control-request-method': method, ...extra });

  it('answers an allowed origin 200 OK with the allowed methods, credentials and the requested headers', async () => {
    const { port } = await start();
    const res = await preflight(port, 'http://localhost:3000', 'POST', { 'access-control-request-headers': 'content-type,x-foo' });
    expect(res.status).toBe(200);
    expect(res.body).toBe('OK');
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'http://localhost:3000',
      'access-control-allow-methods': 'GET, POST, PUT, DELETE, OPTIONS, PATCH',
      'access-control-allow-credentials': 'true',
      'access-control-allow-headers': 'content-type,x-foo',
      'access-control-max-age': '600',
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers, Access-Control-Request-Private-Network',
      'content-type': 'text/plain; charset=utf-8',
    });
    expect(res.headers['x-frame-options']).toBeUndefined();
    expect((await preflight(port, 'http://[::1]:8080')).status).toBe(200);
    expect((await send(port, 'OPTIONS', '/health', { host: 'localhost', origin: 'http://127.0.0.1', 'access-control-request-method': 'GET' })).body).toBe('OK');
  });

  it('answers 400 with what was disallowed: origin, method, private network', async () => {
    const { port } = await start();
    const refused = await preflight(port, 'https://evil.com');
    expect([refused.status, refused.body]).toEqual([400, 'Disallowed CORS origin']);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    expect((await preflight(port, 'https://localhost:3000')).body).toBe('Disallowed CORS origin');
    expect((await preflight(port, 'http://localhost:3000', 'TRACE')).body).toBe('Disallowed CORS method');
    expect((await preflight(port, 'https://evil.com', 'TRACE')).body).toBe('Disallowed CORS origin, method');
    expect((await preflight(port, 'http://localhost:3000', 'POST', { 'access-control-request-private-network': 'true' })).body).toBe('Disallowed CORS private-network');
  });

  it('checks the host first, and allows configured origins exactly (patterns only exempt from blocking)', async () => {
    const { port } = await start({ security: { corsAllowedOrigins: ['https://app.company.com', 'https://*.corp.com'] } });
    expect((await send(port, 'OPTIONS', CREATE, { host: 'evil.com', origin: 'http://localhost:3000', 'access-control-request-method': 'POST' })).body).toBe(INVALID_HOST_MESSAGE);
    expect((await preflight(port, 'https://app.company.com')).headers['access-control-allow-origin']).toBe('https://app.company.com');
    expect((await preflight(port, 'https://x.corp.com')).body).toBe('Disallowed CORS origin');
    const post = await send(port, 'POST', CREATE, { host: 'localhost', origin: 'https://x.corp.com', ...JSON_TYPE }, '{"name":"p"}');
    expect(post.status).toBe(200);
  });
});

describe('cross-origin requests', () => {
  it('blocks state-changing API requests from other origins with 403, keeping only the CORS headers', async () => {
    const { port, dir } = await start();
    const res = await send(port, 'POST', CREATE, { host: 'localhost', origin: 'https://evil.com', ...JSON_TYPE }, '{"name":"x"}');
    expect(res.status).toBe(403);
    expect(res.body).toBe(CORS_BLOCKED_MESSAGE);
    expect(res.headers).toMatchObject({ 'content-type': 'text/plain', 'access-control-allow-credentials': 'true', 'access-control-expose-headers': '*', vary: 'Origin' });
    expect(res.headers['x-frame-options']).toBeUndefined();
    for (const origin of ['null', 'https://evil.com']) {
      expect((await send(port, 'POST', '/ajax-api/2.0/mlflow/experiments/create', { host: 'localhost', origin, ...JSON_TYPE }, '{}')).status).toBe(403);
    }
    expect((await send(port, 'PUT', '/api/2.0/mlflow-artifacts/artifacts/a.txt', { host: 'localhost', origin: 'https://evil.com' }, 'x')).status).toBe(403);
    expect(existsSync(join(dir, 'a.txt'))).toBe(false);
  });

  it('lets through reads, localhost origins of any scheme, non-API paths and /api/test', async () => {
    const { port } = await start();
    const read = await send(port, 'GET', SEARCH, { host: 'localhost', origin: 'https://evil.com' });
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
    expect(read.headers['access-control-allow-credentials']).toBe('true');
    const local = await send(port, 'POST', CREATE, { host: 'localhost', origin: 'http://localhost:3000', ...JSON_TYPE }, '{"name":"l"}');
    expect(local.status).toBe(200);
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:3000');
    const https = await send(port, 'POST', CREATE, { host: 'localhost', origin: 'https://localhost', ...JSON_TYPE }, '{"name":"h"}');
    expect(https.status).toBe(200);
    expect(https.headers['access-control-allow-origin']).toBeUndefined();
    for (const path of ['/no-such-page', '/api/test']) expect((await send(port, 'POST', path, { host: 'localhost', origin: 'https://evil.com' }, '{}')).status).toBe(404);
  });

  it("'*' allows every origin without credentials and blocks nothing", async () => {
    const { port } = await start({ security: { corsAllowedOrigins: ['*'] } });
    const post = await send(port, 'POST', CREATE, { host: 'localhost', origin: 'https://evil.com', ...JSON_TYPE }, '{"name":"w"}');
    expect(post.status).toBe(200);
    expect(post.headers['access-control-allow-origin']).toBe('*');
    expect(post.headers['access-control-allow-credentials']).toBeUndefined();
    const pre = await send(port, 'OPTIONS', CREATE, { host: 'localhost', origin: 'https://evil.com', 'access-control-request-method': 'QUERY' });
    expect(pre.status).toBe(200);
    expect(pre.headers['access-control-allow-methods']).toBe('DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, QUERY');
  });
});

describe('X-Frame-Options and the disable switch', () => {
  it('sends SAMEORIGIN and nosniff by default, the upper-cased value given, none for NONE', async () => {
    const byDefault = await send((await start()).port, 'GET', '/health');
    expect(byDefault.headers).toMatchObject({ 'x-frame-options': 'SAMEORIGIN', 'x-content-type-options': 'nosniff', vary: 'Origin' });
    expect((await send((await start({ security: { xFrameOptions: 'deny' } })).port, 'GET', SEARCH)).headers['x-frame-options']).toBe('DENY');
    const none = await send((await start({ security: { xFrameOptions: 'none' } })).port, 'GET', SEARCH);
    expect(none.headers['x-frame-options']).toBeUndefined();
    expect(none.headers['x-content-type-options']).toBe('nosniff');
    vi.stubEnv('MLFLOW_SERVER_X_FRAME_OPTIONS', 'deny');
    expect((await send((await start()).port, 'GET', SEARCH)).headers['x-frame-options']).toBe('DENY');
  });

  it('is off with `security: false` or MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE, and reads the other env vars', async () => {
    for (const viaEnv of [false, true]) {
      if (viaEnv) vi.stubEnv('MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE', 'YES');
      const { port } = await start(viaEnv ? {} : { security: false });
      const res = await send(port, 'POST', CREATE, { host: 'evil.com', origin: 'https://evil.com', ...JSON_TYPE }, '{"name":"d"}');
      expect(res.status).toBe(200);
      expect(res.headers['x-frame-options']).toBeUndefined();
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    }
    vi.stubEnv('MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE', 'maybe');
    await expect(start()).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    vi.stubEnv('MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE', 'false');
    vi.stubEnv('MLFLOW_SERVER_ALLOWED_HOSTS', 'mlflow.example.com, other.example.com');
    const { port } = await start();
    expect((await send(port, 'GET', SEARCH, { host: 'other.example.com' })).status).toBe(200);
    await expectHostRefused(port, 'localhost');
  });

  it('resolves CLI flags as mlflow server does: a non-empty flag wins, lists split and trimmed', () => {
    const env = { MLFLOW_SERVER_ALLOWED_HOSTS: 'a.com', MLFLOW_SERVER_CORS_ALLOWED_ORIGINS: 'https://a.com', MLFLOW_SERVER_X_FRAME_OPTIONS: 'DENY' };
    expect(securityOptionsFromFlags({ allowedHosts: 'b.com, c.com:80' }, env)).toEqual({ allowedHosts: ['b.com', 'c.com:80'], corsAllowedOrigins: ['https://a.com'], xFrameOptions: 'DENY' });
    expect(securityOptionsFromFlags({ allowedHosts: '', xFrameOptions: 'none' }, env)).toMatchObject({ allowedHosts: ['a.com'], xFrameOptions: 'none' });
    expect(securityOptionsFromFlags({}, {})).toEqual({ allowedHosts: [...DEFAULT_ALLOWED_HOSTS], corsAllowedOrigins: [], xFrameOptions: 'SAMEORIGIN' });
    expect(securityOptionsFromFlags({ disableSecurityMiddleware: true }, { MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE: 'nonsense' })).toBe(false);
    for (const word of ['1', 'true', 'On', ' y ']) expect(securityOptionsFromFlags({}, { MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE: word })).toBe(false);
    expect(() => securityOptionsFromFlags({}, { MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE: 'constructor' })).toThrow('is not a valid boolean');
    for (const word of ['0', 'off', '']) expect(securityOptionsFromFlags({}, { MLFLOW_SERVER_DISABLE_SECURITY_MIDDLEWARE: word })).not.toBe(false);
  });
});
