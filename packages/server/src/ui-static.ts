import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { isMlflowError } from '@mlstore/core';
import { sendText } from './http-io.js';
import { validatePathIsSafe } from './safe-path.js';

// MLflow 3.18 serves its React bundle from Flask (mlflow/server/__init__.py): `/` answers the
// bundle's index.html (send_from_directory, no max_age: `Cache-Control: no-cache`), and
// `/static-files/<path>` the bundle's files with max_age 2419200 (28 days: the file names are
// content hashes). index.html and the JS address everything relatively (`static-files/...`,
// `new URL("ajax-api/...", location.href)`), so under `--static-prefix` nothing is rewritten: the
// routes move below the prefix and the browser follows.

/** `max_age` MLflow passes to `send_from_directory` for `/static-files/…` (28 days). */
export const UI_STATIC_MAX_AGE = 2_419_200;

/** MLflow's answer (text/plain, 200) at `/` when its bundle has no index.html. */
export const UI_INDEX_MISSING_TEXT = `
Unable to display MLflow UI - landing page (index.html) not found.

You are very likely running the MLflow server using a source installation of the Python MLflow
package.

If you are a developer making MLflow source code changes and intentionally running a source
installation of MLflow, you can view the UI by running the Javascript dev server:
https://github.com/mlflow/mlflow/blob/master/CONTRIBUTING.md#running-the-javascript-dev-server

Otherwise, uninstall MLflow via 'pip uninstall mlflow', reinstall an official MLflow release
from PyPI via 'pip install mlflow', and rerun the MLflow server.
`;

/** The page at `/` when no UI bundle is configured: where to get MLflow's UI (mlstore does not ship it). */
export const UI_NOT_CONFIGURED_HTML = `<!doctype html>
<html lang=en>
<meta charset=utf-8>
<title>mlstore: MLflow UI not installed</title>
<h1>The MLflow UI is not installed</h1>
<p>This mlstore server speaks MLflow 3.18.0's REST API, but it has no copy of MLflow's web UI
(the <code>mlflow/server/js/build</code> folder of the <code>mlflow</code> 3.18.0 wheel). Any one of these gives it one:</p>
<ul>
<li><code>mlstore ui install</code> downloads it once from PyPI into mlstore's cache folder;</li>
<li><code>pip install mlflow==3.18.0</code> in the Python environment the server is started from;</li>
<li><code>mlstore server --ui-dir &lt;dir&gt;</code> (or the <code>uiDir</code> option of <code>createMlflowHandler</code>) serves an unpacked bundle from <code>&lt;dir&gt;</code>.</li>
</ul>
<p>Then restart the server. The API is served either way.</p>
`;

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  mjs: 'text/javascript; charset=utf-8',
  cjs: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  txt: 'text/plain; charset=utf-8',
  json: 'application/json',
  map: 'application/json',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
  ico: 'image/vnd.microsoft.icon',
  woff: 'font/woff',
  woff2: 'font/woff2',
  ttf: 'font/ttf',
  eot: 'application/vnd.ms-fontobject',
  wasm: 'application/wasm',
};

/** The Content-Type Flask sends for a bundle file (Python's mimetypes; text types with `charset=utf-8`). */
export function uiContentType(name: string): string {
  const dot = name.lastIndexOf('.');
  return (dot > 0 && TYPES[name.slice(dot + 1).toLowerCase()]) || 'application/octet-stream';
}

/** What a file answer carries besides the file: its cache policy. */
interface CachePolicy {
  /** Seconds, or undefined for `Cache-Control: no-cache` (index.html). */
  maxAge: number | undefined;
}

/** Whether `If-None-Match` (a list of entity tags, weak or strong, or `*`) names `etag`. */
function etagMatches(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}

/** Werkzeug's rule: If-None-Match decides when present, else If-Modified-Since (second precision). */
function notModified(req: IncomingMessage, etag: string, mtimeMs: number): boolean {
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch !== undefined) return etagMatches(ifNoneMatch, etag);
  const since = Date.parse(req.headers['if-modified-since'] ?? '');
  return Number.isFinite(since) && Math.floor(mtimeMs / 1000) * 1000 <= since;
}

/**
 * Sends one file of the bundle as Flask's `send_from_directory` does: Content-Type, Content-Length,
 * `Content-Disposition: inline`, Last-Modified, an ETag (mtime, size), the cache policy, 304 for a
 * matching conditional GET, no body for HEAD; the body is streamed from disk.
 *
 * @returns false when `file` is not a regular file (the caller answers 404).
 */
async function sendFile(req: IncomingMessage, res: ServerResponse, file: string, name: string, cache: CachePolicy): Promise<boolean> {
  const info = await stat(file).catch(() => undefined);
  if (!info?.isFile()) return false;
  const etag = `"${Math.floor(info.mtimeMs).toString(16)}-${info.size.toString(16)}-${info.ino.toString(16)}"`;
  const headers: Record<string, string | number> = { 'Content-Disposition': `inline; filename=${encodeURIComponent(name)}` };
  if (cache.maxAge === undefined) headers['Cache-Control'] = 'no-cache';
  else {
    headers['Cache-Control'] = `public, max-age=${cache.maxAge}`;
    headers['Expires'] = new Date(Date.now() + cache.maxAge * 1000).toUTCString();
  }
  headers['ETag'] = etag;
  if (notModified(req, etag, info.mtimeMs)) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, 'Content-Type': uiContentType(name), 'Content-Length': info.size, 'Last-Modified': info.mtime.toUTCString() });
  if (req.method === 'HEAD') {
    res.end();
    return true;
  }
  await pipeline(createReadStream(file), res).catch((err: unknown) => {
    // A browser that navigates away mid-file is not a server fault.
    if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw err;
  });
  return true;
}

/**
 * The bundle's file for `/static-files/<rest>` (werkzeug decodes the URL once, `%2F` included),
 * or undefined when the path is empty or unsafe (MLflow's `validate_path_is_safe`, plus a
 * containment check of the joined path), which Flask's `safe_join` answers 404.
 */
export function uiStaticFile(uiDir: string, rest: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(rest).replace(/\/{2,}/g, '/');
    validatePathIsSafe(path);
  } catch (err) {
    if (err instanceof URIError || isMlflowError(err)) return undefined;
    throw err;
  }
  if (path === '' || path.endsWith('/')) return undefined;
  const root = resolve(uiDir);
  const file = resolve(join(root, path));
  return file.startsWith(root + sep) ? file : undefined;
}

/**
 * Answers MLflow's UI routes (below the static prefix): `/` and `/static-files/<path>`.
 * `uiDir` is the unpacked bundle (`mlflow/server/js/build`); without one `/` answers
 * {@link UI_NOT_CONFIGURED_HTML} and `/static-files/…` 404. Methods other than GET and HEAD get 405.
 *
 * @returns false when `path` is neither route or names no file (the caller answers 404).
 */
export async function handleUiStatic(path: string, req: IncomingMessage, res: ServerResponse, uiDir: string | undefined): Promise<boolean> {
  const isIndex = path === '/';
  if (!isIndex && !path.startsWith('/static-files/')) return false;
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') return sendText(res, 405, 'Method Not Allowed'), true;
  if (isIndex) {
    if (uiDir === undefined) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(UI_NOT_CONFIGURED_HTML), 'Cache-Control': 'no-cache' });
      res.end(method === 'HEAD' ? undefined : UI_NOT_CONFIGURED_HTML);
      return true;
    }
    if (await sendFile(req, res, join(uiDir, 'index.html'), 'index.html', { maxAge: undefined })) return true;
    sendText(res, 200, UI_INDEX_MISSING_TEXT);
    return true;
  }
  if (uiDir === undefined) return false;
  const file = uiStaticFile(uiDir, path.slice('/static-files/'.length));
  if (file === undefined) return false;
  return sendFile(req, res, file, file.slice(file.lastIndexOf(sep) + 1), { maxAge: UI_STATIC_MAX_AGE });
}
