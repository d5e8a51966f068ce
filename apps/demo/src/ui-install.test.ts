import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, get as httpGet, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';
import { cachedUiDir } from './ui-bundle.js';
import { installUiBundle, UI_WHEEL_NAME } from './ui-install.js';

const root = mkdtempSync(join(tmpdir(), 'mlstore-ui-install-'));
const noPath = join(root, 'empty-path');
mkdirSync(noPath);

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (data: Buffer) => {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};

/** A stored (uncompressed) zip; `mode` sets an entry's unix mode (e.g. a symlink's 0o120777). */
function zip(entries: { name: string; data?: string; mode?: number }[]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const { name, data = '', mode = name.endsWith('/') ? 0o40755 : 0o100644 } of entries) {
    const body = Buffer.from(data);
    const fileName = Buffer.from(name);
    const crc = crc32(body);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(body.length, 22);
    local.writeUInt16LE(fileName.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE((3 << 8) | 20, 4);
    dir.writeUInt16LE(20, 6);
    dir.writeUInt16LE(0x0800, 8);
    dir.writeUInt32LE(crc, 16);
    dir.writeUInt32LE(body.length, 20);
    dir.writeUInt32LE(body.length, 24);
    dir.writeUInt16LE(fileName.length, 28);
    dir.writeUInt32LE((mode << 16) >>> 0, 38);
    dir.writeUInt32LE(offset, 42);
    locals.push(local, fileName, body);
    central.push(dir, fileName);
    offset += local.length + fileName.length + body.length;
  }
  const cd = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const BUILD = 'mlflow/server/js/build/';
const goodWheel = zip([
  { name: 'mlflow/__init__.py', data: 'print("no")' },
  { name: 'mlflow-3.18.0.dist-info/METADATA', data: 'Name: mlflow' },
  { name: BUILD },
  { name: `${BUILD}index.html`, data: '<html>ui</html>' },
  { name: `${BUILD}static/js/main.js`, data: 'console.log(1)' },
]);

/** What the local index serves: the wheel at /files/, PyPI's JSON at /pypi/…/json, a simple index at /simple/mlflow/. */
let wheel = goodWheel;
let advertisedSha = sha256(goodWheel);
const requests: string[] = [];
let server: Server;
let base: string;
beforeAll(async () => {
  server = createHttpServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === `/files/${UI_WHEEL_NAME}`) return res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(wheel);
    if (req.url === '/pypi/mlflow/json') {
      const releases = { '3.18.0': [{ filename: UI_WHEEL_NAME, url: `../../files/${UI_WHEEL_NAME}`, digests: { sha256: advertisedSha } }] };
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ info: { version: '3.18.0' }, urls: [], releases }));
    }
    if (req.url === '/mirror/pypi/mlflow/3.18.0/json') return res.writeHead(404).end();
    if (req.url === '/mirror/pypi/mlflow/json') return res.writeHead(302, { location: '/pypi/mlflow/json' }).end();
    if (req.url === '/pypi/mlflow/3.18.0/json') {
      const urls = [
        { filename: 'mlflow-3.18.0.tar.gz', url: '/files/mlflow-3.18.0.tar.gz', digests: { sha256: '0'.repeat(64) }, packagetype: 'sdist' },
        { filename: UI_WHEEL_NAME, url: `${base}/files/${UI_WHEEL_NAME}`, digests: { sha256: advertisedSha }, packagetype: 'bdist_wheel' },
      ];
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ info: { version: '3.18.0' }, urls }));
    }
    if (req.url === '/simple/mlflow/') {
      const html = `<!DOCTYPE html><html><body><a href="../../files/mlflow-3.17.0-py3-none-any.whl#sha256=${'1'.repeat(64)}">mlflow-3.17.0-py3-none-any.whl</a>
<a href="../../files/${UI_WHEEL_NAME}#sha256=${advertisedSha}" data-requires-python="&gt;=3.10">${UI_WHEEL_NAME}</a></body></html>`;
      return res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

let n = 0;
const freshCache = () => join(root, `cache-${++n}`);
const leftovers = (cache: string) => (existsSync(join(cache, 'ui')) ? readdirSync(join(cache, 'ui')).filter((f) => f.startsWith('.install-')) : []);

async function cli(argv: string[], env: NodeJS.ProcessEnv) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  const code = await main(argv, { stdout: out, stderr: err, env, cwd: root, logger: pino({ level: 'silent' }) });
  return { code, stdout, stderr };
}

describe('mlstore ui install', () => {
  it("installs only the wheel's mlflow/server/js/build into <cache>/ui/mlflow-3.18.0 (PyPI's JSON API)", async () => {
    wheel = goodWheel;
    advertisedSha = sha256(goodWheel);
    const cache = freshCache();
    const env = { MLSTORE_CACHE_DIR: cache };
    const { dir, installed } = await installUiBundle({ env, jsonUrl: `${base}/pypi/mlflow/3.18.0/json` });
    expect(installed).toBe(true);
    expect(dir).toBe(cachedUiDir(env));
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe('<html>ui</html>');
    expect(readFileSync(join(dir, 'static', 'js', 'main.js'), 'utf8')).toBe('console.log(1)');
    expect(readdirSync(dir).sort()).toEqual(['index.html', 'static']);
    expect(readdirSync(join(cache, 'ui'))).toEqual(['mlflow-3.18.0']);
    // Installed already: nothing is downloaded again unless forced.
    const before = requests.length;
    expect((await installUiBundle({ env, jsonUrl: `${base}/pypi/mlflow/3.18.0/json` })).installed).toBe(false);
    expect(requests.length).toBe(before);
  });

  it("takes the release's files from the project's JSON (relative URLs) where a mirror has no per-version JSON", async () => {
    wheel = goodWheel;
    advertisedSha = sha256(goodWheel);
    const env = { MLSTORE_CACHE_DIR: freshCache() };
    const { dir } = await installUiBundle({ env, jsonUrl: `${base}/mirror/pypi/mlflow/3.18.0/json` });
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toBe('<html>ui</html>');
    expect(requests).toContain(`/files/${UI_WHEEL_NAME}`);
  });

  it('refuses a wheel whose SHA-256 is not the advertised one, and leaves nothing behind', async () => {
    wheel = goodWheel;
    advertisedSha = sha256(Buffer.from('another wheel'));
    const cache = freshCache();
    await expect(installUiBundle({ env: { MLSTORE_CACHE_DIR: cache }, jsonUrl: `${base}/pypi/mlflow/3.18.0/json` })).rejects.toThrow(/SHA-256 mismatch/);
    expect(existsSync(cachedUiDir({ MLSTORE_CACHE_DIR: cache }))).toBe(false);
    expect(leftovers(cache)).toEqual([]);
  });

  it.each([
    ['a ../ entry (zip slip)', { name: `${BUILD}../../../../escaped.txt`, data: 'x' }, /invalid relative path|outside/],
    ['an absolute entry', { name: '/tmp/escaped.txt', data: 'x' }, /absolute path|outside/],
    ['a symbolic link', { name: `${BUILD}static/link`, data: '/etc/passwd', mode: 0o120777 }, /symbolic link/],
  ])('refuses a wheel with %s and installs nothing', async (_what, bad, message) => {
    wheel = zip([{ name: `${BUILD}index.html`, data: '<html>ui</html>' }, bad]);
    advertisedSha = sha256(wheel);
    const cache = freshCache();
    await expect(installUiBundle({ env: { MLSTORE_CACHE_DIR: cache }, jsonUrl: `${base}/pypi/mlflow/3.18.0/json` })).rejects.toThrow(message);
    expect(existsSync(cachedUiDir({ MLSTORE_CACHE_DIR: cache }))).toBe(false);
    expect(existsSync(join(root, 'escaped.txt'))).toBe(false);
    expect(leftovers(cache)).toEqual([]);
  });

  it('refuses a wheel without the bundle', async () => {
    wheel = zip([{ name: 'mlflow/__init__.py', data: '' }]);
    advertisedSha = sha256(wheel);
    await expect(installUiBundle({ env: { MLSTORE_CACHE_DIR: freshCache() }, jsonUrl: `${base}/pypi/mlflow/3.18.0/json` })).rejects.toThrow(/has no mlflow\/server\/js\/build\/index.html/);
  });

  it('from the command line through a simple index ($PIP_INDEX_URL), with --force replacing the copy; `ui where` then names it', async () => {
    wheel = goodWheel;
    advertisedSha = sha256(goodWheel);
    const cache = freshCache();
    const env = { MLSTORE_CACHE_DIR: cache, PIP_INDEX_URL: `${base}/simple/`, PATH: noPath };
    const first = await cli(['ui', 'install'], env);
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`Installed MLflow 3.18.0's UI in ${cachedUiDir(env)}`);
    expect(first.stderr).toContain(`Downloading ${base}/files/${UI_WHEEL_NAME}`);
    expect((await cli(['ui', 'install'], env)).stdout).toContain('already installed');
    expect((await cli(['ui', 'install', '--force'], env)).stdout).toContain('Installed');
    expect(leftovers(cache)).toEqual([]);
    expect((await cli(['ui', 'where'], env)).stdout).toBe(`${cachedUiDir(env)} ('mlstore ui install')\n`);
    expect(await cli(['ui'], env)).toMatchObject({ code: 2 });
  });

  it('mlstore server serves the installed copy at /', async () => {
    wheel = goodWheel;
    advertisedSha = sha256(goodWheel);
    const env = { MLSTORE_CACHE_DIR: freshCache(), PATH: noPath };
    await installUiBundle({ env, jsonUrl: `${base}/pypi/mlflow/3.18.0/json` });
    expect(await serverIndex([], env)).toEqual({ code: 0, body: '<html>ui</html>' });
  });

  it('mlstore server --ui-install installs the UI when none is found, and serves without it when the install fails', async () => {
    wheel = goodWheel;
    advertisedSha = sha256(goodWheel);
    const env = { MLSTORE_CACHE_DIR: freshCache(), PATH: noPath, PIP_INDEX_URL: `${base}/simple` };
    expect(await serverIndex(['--ui-install'], env)).toEqual({ code: 0, body: '<html>ui</html>' });
    expect(existsSync(join(cachedUiDir(env), 'index.html'))).toBe(true);
    const offline = await serverIndex(['--ui-install'], { MLSTORE_CACHE_DIR: freshCache(), PATH: noPath, PIP_INDEX_URL: `${base}/no-such-index` });
    expect(offline.code).toBe(0);
    expect(offline.body).toContain('mlstore ui install');
  });

  it('mlstore server --ui-dir serves that folder, and refuses one that does not exist', async () => {
    const mine = join(root, 'my-ui');
    mkdirSync(mine);
    writeFileSync(join(mine, 'index.html'), '<html>mine</html>');
    const env = { MLSTORE_CACHE_DIR: freshCache(), PATH: noPath };
    expect(await serverIndex(['--ui-dir', mine], env)).toEqual({ code: 0, body: '<html>mine</html>' });
    const missing = await cli(['server', '--ui-dir', join(root, 'nope')], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('is not a folder');
  });
});

/** GET with `Connection: close`, so the server's graceful stop has no keep-alive connection to wait for. */
function getOnce(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    httpGet(url, { agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

/** Starts `mlstore server <args>` on a free port, reads `/` once it serves, stops it. */
async function serverIndex(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; body: string }> {
  const port = await new Promise<number>((resolve) => {
    const s = createNetServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const controller = new AbortController();
  const argv = ['server', '--port', String(port), '--backend-store-uri', `sqlite:///${join(root, `db-${port}.db`)}`, '--artifacts-destination', join(root, `art-${port}`), ...args];
  const done = main(argv, { stdout: new PassThrough(), stderr: new PassThrough(), env, cwd: root, logger: pino({ level: 'silent' }), signal: controller.signal });
  let body: string | undefined;
  for (let i = 0; i < 200 && body === undefined; i++) {
    const res = await getOnce(`http://127.0.0.1:${port}/`).catch(() => undefined);
    if (res?.status === 200) body = res.body;
    else await new Promise((r) => setTimeout(r, 50));
  }
  controller.abort();
  return { code: await done, body: body ?? '' };
}

// Gated: downloads ~40 MB from PyPI.
describe.skipIf(process.env['MLSTORE_INTEROP'] !== '1')('mlstore ui install from PyPI (MLSTORE_INTEROP=1)', () => {
  it("installs MLflow 3.18.0's real bundle", { timeout: 300_000 }, async () => {
    const env = { MLSTORE_CACHE_DIR: freshCache() };
    const { dir } = await installUiBundle({ env });
    expect(readFileSync(join(dir, 'index.html'), 'utf8')).toContain('static-files/static/js/main.');
    expect(existsSync(join(dir, 'static'))).toBe(true);
  });
});
