import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { cachedUiDir, hasIndexHtml, UI_MLFLOW_VERSION } from './ui-bundle.js';

/** The wheel whose `mlflow/server/js/build` folder is MLflow's UI. */
export const UI_WHEEL_NAME = `mlflow-${UI_MLFLOW_VERSION}-py3-none-any.whl`;
/** PyPI's JSON description of the pinned release (file URLs and their SHA-256). */
export const PYPI_RELEASE_JSON = `https://pypi.org/pypi/mlflow/${UI_MLFLOW_VERSION}/json`;
/** The folder of the wheel that is unpacked; nothing else is. */
export const UI_WHEEL_PREFIX = 'mlflow/server/js/build/';
/** Refuses a wheel whose bundle unpacks to more than this (a zip bomb); 3.18.0's is 28 MB. */
const MAX_UNPACKED_BYTES = 1024 ** 3;

/** Where the wheel is and what it must hash to. */
export interface WheelLocation {
  url: string;
  sha256: string;
}

async function getOk(url: string, signal: AbortSignal | undefined, accept: string): Promise<Response> {
  const res = await fetch(url, { headers: { accept }, redirect: 'follow', ...(signal ? { signal } : {}) });
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${url} answered ${res.status} ${res.statusText}`.trim());
  }
  return res;
}

const isSha256 = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/i.test(value);

/**
 * The pinned wheel's URL and SHA-256: from PyPI's JSON API (`jsonUrl`, default
 * {@link PYPI_RELEASE_JSON}), or, given `indexUrl` (pip's `--index-url`, `$PIP_INDEX_URL`), from a
 * simple repository's `mlflow/` page (PEP 691 JSON, else PEP 503 HTML with `#sha256=` links).
 *
 * @throws Error when the release lists no such wheel or no SHA-256 for it.
 */
export async function locateUiWheel(options: { jsonUrl?: string; indexUrl?: string; signal?: AbortSignal }): Promise<WheelLocation> {
  if (options.indexUrl) {
    const page = `${options.indexUrl.replace(/\/+$/, '')}/mlflow/`;
    const res = await getOk(page, options.signal, 'application/vnd.pypi.simple.v1+json, text/html;q=0.1');
    const base = res.url || page;
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      const body = (await res.json()) as { files?: { filename?: string; url?: string; hashes?: Record<string, unknown> }[] };
      const file = body.files?.find((f) => f.filename === UI_WHEEL_NAME);
      if (file?.url && isSha256(file.hashes?.['sha256'])) return { url: new URL(file.url, base).href, sha256: file.hashes['sha256'].toLowerCase() };
    } else {
      for (const [, href] of (await res.text()).matchAll(/<a\s[^>]*href\s*=\s*["']([^"']+)["'][^>]*>/gi)) {
        const link = new URL(href!.replace(/&amp;/g, '&'), base);
        const sha = /(?:^#|&)sha256=([0-9a-f]{64})/i.exec(link.hash)?.[1];
        if (decodeURIComponent(link.pathname.slice(link.pathname.lastIndexOf('/') + 1)) !== UI_WHEEL_NAME || !sha) continue;
        link.hash = '';
        return { url: link.href, sha256: sha.toLowerCase() };
      }
    }
    throw new Error(`${page} lists no ${UI_WHEEL_NAME} with a sha256 hash.`);
  }
  const jsonUrl = options.jsonUrl ?? PYPI_RELEASE_JSON;
  type PypiFile = { filename?: string; url?: string; digests?: Record<string, unknown> };
  let res = await fetch(jsonUrl, { headers: { accept: 'application/json' }, ...(options.signal ? { signal: options.signal } : {}) });
  let files: (body: { urls?: PypiFile[]; releases?: Record<string, PypiFile[]> }) => PypiFile[] | undefined = (body) => body.urls;
  // Some PyPI mirrors serve only the project's JSON (`/pypi/mlflow/json`): its `releases` list the
  // files of every version.
  if (res.status === 404 && jsonUrl.endsWith(`/${UI_MLFLOW_VERSION}/json`)) {
    await res.body?.cancel();
    res = await getOk(jsonUrl.replace(`/${UI_MLFLOW_VERSION}/json`, '/json'), options.signal, 'application/json');
    files = (body) => body.releases?.[UI_MLFLOW_VERSION];
  } else if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`GET ${jsonUrl} answered ${res.status} ${res.statusText}`.trim());
  }
  const file = files((await res.json()) as { urls?: PypiFile[]; releases?: Record<string, PypiFile[]> })?.find((f) => f.filename === UI_WHEEL_NAME);
  if (!file?.url || !isSha256(file.digests?.['sha256'])) throw new Error(`${jsonUrl} lists no ${UI_WHEEL_NAME} with a sha256 digest.`);
  return { url: new URL(file.url, res.url || jsonUrl).href, sha256: file.digests['sha256'].toLowerCase() };
}

/**
 * Streams `url` into `file`, hashing on the way.
 *
 * @throws Error when the download's SHA-256 is not `sha256` (the file is then removed).
 */
export async function downloadVerified(url: string, file: string, sha256: string, signal?: AbortSignal): Promise<number> {
  const res = await getOk(url, signal, 'application/octet-stream, */*');
  if (!res.body) throw new Error(`GET ${url} answered no body`);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), tap, createWriteStream(file), ...(signal ? [{ signal }] : []));
  const got = hash.digest('hex');
  if (got !== sha256.toLowerCase()) {
    await rm(file, { force: true });
    throw new Error(`${url}: SHA-256 mismatch (expected ${sha256}, got ${got}); nothing was installed.`);
  }
  return bytes;
}

const openZip = (file: string) =>
  new Promise<yauzl.ZipFile>((ok, fail) => yauzl.open(file, { lazyEntries: true, autoClose: true, validateEntrySizes: true }, (err, zip) => (err ? fail(err) : ok(zip))));

/**
 * Unpacks the wheel's `mlflow/server/js/build/**` (and nothing else) into `target`, which the
 * prefix maps to. Entries that would leave `target` (`..`, absolute paths: zip slip), symlinks and
 * a bundle over 1 GiB are refused.
 *
 * @throws Error on any refused entry or a broken zip; `target` may then be partly written.
 */
export async function unpackUiBundle(wheel: string, target: string): Promise<number> {
  const zip = await openZip(wheel);
  const root = resolve(target);
  let files = 0;
  let total = 0;
  await new Promise<void>((done, fail) => {
    const failAll = (err: Error) => {
      zip.close();
      fail(err);
    };
    zip.on('error', failAll);
    zip.on('end', () => done());
    zip.on('entry', (entry: yauzl.Entry) => {
      const name = entry.fileName;
      if (!name.startsWith(UI_WHEEL_PREFIX)) return zip.readEntry();
      const rel = name.slice(UI_WHEEL_PREFIX.length);
      const dest = resolve(root, rel);
      const parts = rel.split('/');
      if (rel.includes('\\') || rel.includes('\0') || parts.includes('..') || (dest !== root && !dest.startsWith(root + sep))) {
        return failAll(new Error(`refused wheel entry '${name}': it points outside ${UI_WHEEL_PREFIX}`));
      }
      if ((((entry.externalFileAttributes >>> 16) & 0o170000) === 0o120000)) return failAll(new Error(`refused wheel entry '${name}': a symbolic link`));
      if (name.endsWith('/')) {
        mkdir(dest, { recursive: true }).then(() => zip.readEntry(), failAll);
        return;
      }
      total += entry.uncompressedSize;
      if (total > MAX_UNPACKED_BYTES) return failAll(new Error(`refused wheel: ${UI_WHEEL_PREFIX} unpacks to more than 1 GiB`));
      mkdir(dirname(dest), { recursive: true })
        .then(
          () =>
            new Promise<void>((ok, bad) =>
              zip.openReadStream(entry, (err, stream) => (err ? bad(err) : pipeline(stream, createWriteStream(dest, { flags: 'wx' })).then(ok, bad))),
            ),
        )
        .then(() => {
          files++;
          zip.readEntry();
        }, failAll);
    });
    zip.readEntry();
  });
  return files;
}

/** What {@link installUiBundle} takes. */
export interface InstallUiOptions {
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Replace an installed bundle (default: keep it and do nothing). */
  force?: boolean;
  /** A simple repository to download from instead of PyPI (default `$PIP_INDEX_URL`). */
  indexUrl?: string;
  /** PyPI's JSON for the release (default {@link PYPI_RELEASE_JSON}). */
  jsonUrl?: string;
  signal?: AbortSignal;
  /** Progress lines. */
  log?: (line: string) => void;
}

/**
 * `mlstore ui install`: downloads the pinned `mlflow` wheel, checks its SHA-256 while streaming,
 * and unpacks its UI bundle into `<cache>/ui/mlflow-3.18.0` atomically: into a temporary folder
 * beside it, then one rename, so the server never sees half a bundle.
 *
 * @returns the bundle's folder and whether it was there already.
 * @throws Error on a failed download, a hash mismatch or a refused wheel (nothing is installed).
 */
export async function installUiBundle(options: InstallUiOptions): Promise<{ dir: string; installed: boolean }> {
  const log = options.log ?? (() => {});
  const dir = cachedUiDir(options.env, options.cwd);
  if (!options.force && hasIndexHtml(dir)) return { dir, installed: false };
  const indexUrl = options.indexUrl ?? (options.env['PIP_INDEX_URL'] || undefined);
  const wheel = await locateUiWheel({ jsonUrl: options.jsonUrl, indexUrl, signal: options.signal });
  await mkdir(dirname(dir), { recursive: true });
  const work = await mkdtemp(join(dirname(dir), '.install-'));
  try {
    log(`Downloading ${wheel.url}`);
    const bytes = await downloadVerified(wheel.url, join(work, UI_WHEEL_NAME), wheel.sha256, options.signal);
    log(`Verified ${UI_WHEEL_NAME} (${(bytes / 1024 ** 2).toFixed(1)} MiB, sha256 ${wheel.sha256})`);
    const staged = join(work, 'build');
    await mkdir(staged);
    const files = await unpackUiBundle(join(work, UI_WHEEL_NAME), staged);
    if (!hasIndexHtml(staged)) throw new Error(`${UI_WHEEL_NAME} has no ${UI_WHEEL_PREFIX}index.html; nothing was installed.`);
    // Swap in one rename; an older bundle moves aside first and goes with the work folder.
    await rename(dir, join(work, 'old')).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err;
    });
    await rename(staged, dir);
    log(`Unpacked ${files} files into ${dir}`);
    return { dir, installed: true };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
