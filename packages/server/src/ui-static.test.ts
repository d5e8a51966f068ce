import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryTrackingStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMlflowHandler, type MlflowHandlerOptions } from './mlflow-handler.js';
import { UI_INDEX_MISSING_TEXT, UI_NOT_CONFIGURED_HTML, UI_STATIC_MAX_AGE } from './ui-static.js';

// Expected answers are those of MLflow 3.18.0's `mlflow server` (Flask's send_from_directory) for
// the same requests on its own bundle.
const root = mkdtempSync(join(tmpdir(), 'mlstore-ui-static-'));
const bundle = join(root, 'build');
const INDEX = '<!doctype html><html><script defer src="static-files/static/js/main.js"></script></html>';
mkdirSync(join(bundle, 'static', 'js'), { recursive: true });
mkdirSync(join(bundle, 'static', 'css'), { recursive: true });
writeFileSync(join(bundle, 'index.html'), INDEX);
writeFileSync(join(bundle, 'static', 'js', 'main.js'), 'console.log(1)');
writeFileSync(join(bundle, 'static', 'css', 'main.css'), 'body{}');
writeFileSync(join(bundle, 'manifest.json'), '{}');
writeFileSync(join(bundle, 'favicon.ico'), Buffer.from([0, 0, 1, 0]));
writeFileSync(join(root, 'secret.txt'), 'outside the bundle');
const noIndex = join(root, 'no-index');
mkdirSync(noIndex);

const servers: Server[] = [];
async function serve(options: Partial<MlflowHandlerOptions>): Promise<string> {
  const handler = createMlflowHandler({ trackingStore: new MemoryTrackingStore(), security: false, ...options });
  const server = createServer((req, res) => handler(req, res));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A GET with the path sent as written (fetch would normalise `..` and `%2e%2e`). */
function rawGet(base: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}/`, { path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

let url: string;
beforeAll(async () => {
  url = await serve({ uiDir: bundle });
});
afterAll(async () => {
  for (const s of servers) await new Promise((r) => s.close(r));
});

describe('UI bundle at / and /static-files/', () => {
  it('serves index.html at / with no-cache, an ETag and Last-Modified', async () => {
    const res = await fetch(`${url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-disposition')).toBe('inline; filename=index.html');
    expect(res.headers.get('etag')).toMatch(/^"[^"]+"$/);
    expect(res.headers.get('last-modified')).toMatch(/GMT$/);
    expect(await res.text()).toBe(INDEX);
    expect((await fetch(`${url}/index.html`)).status).toBe(404);
  });

  it('serves bundle files with 28 days of caching and their content types', async () => {
    const res = await fetch(`${url}/static-files/static/js/main.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe(`public, max-age=${UI_STATIC_MAX_AGE}`);
    expect(Date.parse(res.headers.get('expires')!)).toBeGreaterThan(Date.now() + (UI_STATIC_MAX_AGE - 3600) * 1000);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(res.headers.get('content-length')).toBe('14');
    expect(await res.text()).toBe('console.log(1)');
    const types = async (p: string) => (await fetch(`${url}/static-files/${p}`)).headers.get('content-type');
    expect(await types('static/css/main.css')).toBe('text/css; charset=utf-8');
    expect(await types('manifest.json')).toBe('application/json');
    expect(await types('favicon.ico')).toBe('image/vnd.microsoft.icon');
    // werkzeug decodes %2F before matching <path:path>
    expect((await fetch(`${url}/static-files/static%2Fcss%2Fmain.css`)).status).toBe(200);
  });

  it('answers a matching If-None-Match or If-Modified-Since with 304 and no body; the ETag decides when both are sent', async () => {
    const first = await fetch(`${url}/static-files/favicon.ico`);
    const etag = first.headers.get('etag')!;
    const modified = first.headers.get('last-modified')!;
    const byTag = await fetch(`${url}/static-files/favicon.ico`, { headers: { 'if-none-match': `"other", ${etag}` } });
    expect(byTag.status).toBe(304);
    expect(byTag.headers.get('etag')).toBe(etag);
    expect(byTag.headers.get('cache-control')).toBe(`public, max-age=${UI_STATIC_MAX_AGE}`);
    expect(await byTag.text()).toBe('');
    expect((await fetch(`${url}/static-files/favicon.ico`, { headers: { 'if-modified-since': modified } })).status).toBe(304);
    expect((await fetch(`${url}/static-files/favicon.ico`, { headers: { 'if-none-match': '"other"', 'if-modified-since': modified } })).status).toBe(200);
    expect((await fetch(`${url}/static-files/favicon.ico`, { headers: { 'if-modified-since': 'Thu, 01 Jan 1970 00:00:00 GMT' } })).status).toBe(200);
    const index = await fetch(`${url}/`);
    expect((await fetch(`${url}/`, { headers: { 'if-none-match': index.headers.get('etag')! } })).status).toBe(304);
  });

  it('answers HEAD with the headers and no body, and other methods with 405', async () => {
    const head = await fetch(`${url}/static-files/static/css/main.css`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('6');
    expect(await head.text()).toBe('');
    expect((await fetch(`${url}/static-files/static/css/main.css`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${url}/`, { method: 'POST' })).status).toBe(405);
  });

  it('answers 404 for missing files, folders and the bare /static-files/', async () => {
    for (const p of ['/static-files/nope.js', '/static-files/static', '/static-files/static/', '/static-files/', '/static-files']) {
      expect((await fetch(`${url}${p}`)).status, p).toBe(404);
    }
  });

  it('refuses every way out of the bundle with 404', async () => {
    for (const p of ['/static-files/../secret.txt', '/static-files/%2e%2e/secret.txt', '/static-files/static/..%2F..%2Fsecret.txt', '/static-files/%252e%252e/secret.txt', '/static-files/..%5Csecret.txt', `/static-files/${encodeURIComponent(join(root, 'secret.txt'))}`, '/static-files/%2Fetc%2Fpasswd', '/static-files/%E0%A4%A']) {
      expect(await rawGet(url, p), p).toBe(404);
    }
  });

  it("answers MLflow's text at / when the bundle has no index.html", async () => {
    const res = await fetch(`${await serve({ uiDir: noIndex })}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(await res.text()).toBe(UI_INDEX_MISSING_TEXT);
  });

  it('answers a page saying how to get the UI when no bundle is configured, and 404 below /static-files/', async () => {
    const base = await serve({});
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const page = await res.text();
    expect(page).toBe(UI_NOT_CONFIGURED_HTML);
    expect(page).toContain('mlstore ui install');
    expect(page).toContain('pip install mlflow==3.18.0');
    expect(page).toContain('--ui-dir');
    expect((await fetch(`${base}/static-files/favicon.ico`)).status).toBe(404);
  });

  it('serves the UI below --static-prefix, redirects the bare prefix to <prefix>/ and nothing outside it', async () => {
    const base = await serve({ uiDir: bundle, staticPrefix: '/mlflow' });
    expect(await (await fetch(`${base}/mlflow/`)).text()).toBe(INDEX);
    expect(await (await fetch(`${base}/mlflow/static-files/static/js/main.js`)).text()).toBe('console.log(1)');
    const bare = await fetch(`${base}/mlflow?x=1`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/mlflow/?x=1');
    expect((await fetch(`${base}/`)).status).toBe(404);
    expect((await fetch(`${base}/static-files/static/js/main.js`)).status).toBe(404);
  });

  it('serves the UI with the security middleware on (default options)', async () => {
    const base = await serve({ uiDir: bundle, security: undefined });
    expect((await fetch(`${base}/`)).status).toBe(200);
    expect((await fetch(`${base}/static-files/manifest.json`)).headers.get('x-content-type-options')).toBe('nosniff');
  });
});
