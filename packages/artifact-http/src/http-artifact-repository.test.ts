/**
 * Client-side behaviours that MLflow's own proxy (exercised by test/artifact-http-interop.test.ts)
 * cannot show: a server that ignores `Range`, a destination that lists a file as itself, a
 * multipart-capable destination (MLflow's local destination answers NOT_IMPLEMENTED) and
 * presigned part URLs. The peer is a small node:http server speaking the proxy's wire protocol.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlflowError } from '@mlstore/core';
import { afterEach, describe, expect, it } from 'vitest';
import { HttpArtifactRepository } from './http-artifact-repository.js';

interface Seen {
  method: string;
  url: string;
  body: Buffer;
  headers: IncomingMessage['headers'];
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function peer(handler: (req: Seen, res: ServerResponse, base: string) => void): Promise<{ url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  let base = '';
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const s = { method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks), headers: req.headers };
      seen.push(s);
      handler(s, res, base);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  server.on('connection', (s) => cleanups.push(async () => void s.destroy()));
  return { url: base, seen };
}

const send = (res: ServerResponse, status: number, body: string | Buffer, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
};

function repo(uri: string, options: ConstructorParameters<typeof HttpArtifactRepository>[1] = {}): HttpArtifactRepository {
  const r = new HttpArtifactRepository(uri, { env: {}, clientOptions: { maxRetries: 0 }, ...options });
  cleanups.push(() => r.close());
  return r;
}

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isMlflowError(e) ? e.errorCode : String(e)));

describe('HttpArtifactRepository client-side behaviours', () => {
  it('cuts the requested range itself when the server ignores Range', async () => {
    const data = Buffer.from('0123456789abcdefghij');
    const p = await peer((_req, res) => send(res, 200, data));
    const r = repo(`${p.url}/api/2.0/mlflow-artifacts/artifacts/root`);
    expect((await readAll(await r.openArtifact('f.bin', { start: 3, end: 7 }))).toString()).toBe('34567');
    expect((await readAll(await r.openArtifact('f.bin', { start: 15 }))).toString()).toBe('fghij');
    expect(p.seen[0]?.headers.range).toBe('bytes=3-7');
  });

  it('re-joins, validates and sorts listings; a size-less file is 0 bytes; a file listed as itself is []', async () => {
    const p = await peer((req, res) => {
      const path = new URL(req.url, 'http://x').searchParams.get('path');
      const files: Record<string, unknown[]> = {
        'root/d': [{ path: 'z.txt', is_dir: false, file_size: 4 }, { path: 'e.txt', is_dir: false }, { path: 'sub', is_dir: true }],
        'root/f': [{ path: 'f', is_dir: false, file_size: 1 }],
        root: [{ path: 'f', is_dir: false, file_size: 1 }],
        'root/bad': [{ path: '../escape', is_dir: false }],
        'root/big': Array.from({ length: 3000 }, (_, i) => ({ path: `file-${String(i).padStart(5, '0')}-${'x'.repeat(40)}.bin`, is_dir: false, file_size: i })),
      };
      send(res, 200, JSON.stringify(path && files[path] ? { files: files[path] } : {}));
    });
    const r = repo(`${p.url}/api/2.0/mlflow-artifacts/artifacts/root`);
    expect(await r.listArtifacts('d')).toEqual([
      { path: 'd/e.txt', is_dir: false, file_size: 0 },
      { path: 'd/sub', is_dir: true },
      { path: 'd/z.txt', is_dir: false, file_size: 4 },
    ]);
    expect(await r.listArtifacts('f')).toEqual([]);
    expect(await code(r.listArtifacts('bad'))).toBe('INVALID_PARAMETER_VALUE');
    expect(await r.listArtifacts('missing')).toEqual([]);
    const big = await r.listArtifacts('big'); // a reply far above 64 KiB
    expect(big).toHaveLength(3000);
    expect(big[2999]).toEqual({ path: `big/file-02999-${'x'.repeat(40)}.bin`, is_dir: false, file_size: 2999 });
  });

  it('maps non-JSON error replies by status and refuses to list a URL outside the artifact service', async () => {
    const p = await peer((req, res) => (req.method === 'DELETE' ? send(res, 503, 'Service Unavailable') : send(res, 403, '<html>no</html>')));
    const r = repo(`${p.url}/api/2.0/mlflow-artifacts/artifacts/root`);
    expect(await code(r.deleteArtifacts('x'))).toBe('TEMPORARILY_UNAVAILABLE');
    expect(await code(r.openArtifact('x'))).toBe('PERMISSION_DENIED');
    expect(await code(repo(`${p.url}/files/root`).listArtifacts())).toBe('INVALID_PARAMETER_VALUE');
    expect(await code(repo(`${p.url}/files/root`).writeArtifact('a.txt', 'a'))).toBe('PERMISSION_DENIED');
  });

  it('uploads large files in parts through a multipart-capable proxy (create → presigned PUTs → complete)', async () => {
    const stored = new Map<number, Buffer>();
    const p = await peer((req, res, base) => {
      if (req.url.startsWith('/api/2.0/mlflow-artifacts/mpu/create/root/models')) {
        const { num_parts: n } = JSON.parse(req.body.toString()) as { num_parts: number };
        const credentials = Array.from({ length: n }, (_, i) => ({ url: `${base}/storage/part?n=${i + 1}&sig=s3cr3t`, part_number: i + 1, headers: { 'x-amz-test': 'h' } }));
        return send(res, 200, JSON.stringify({ upload_id: 'up-1', credentials }));
      }
      if (req.url.startsWith('/storage/part')) {
        const n = Number(new URL(req.url, base).searchParams.get('n'));
        stored.set(n, req.body);
        return send(res, 200, '', { etag: `"etag-${n}"` });
      }
      return send(res, 200, '{}');
    });
    const local = join(await mkdtemp(join(tmpdir(), 'mlstore-mpu-')), 'w.bin');
    const data = Buffer.from(Array.from({ length: 2500 }, (_, i) => i % 251));
    await writeFile(local, data);
    const r = repo(`${p.url}/api/2.0/mlflow-artifacts/artifacts/root`, { proxyMultipartUpload: true, multipartMinimumFileSize: 1000, multipartChunkSize: 1000 });
    await r.logArtifact(local, 'models');
    expect(Buffer.concat([1, 2, 3].map((n) => stored.get(n)!)).equals(data)).toBe(true);
    expect(p.seen[0]?.url).toBe('/api/3.0/mlflow/server-info'); // presigned-only mode is checked first, as MLflow does
    const create = JSON.parse(p.seen.find((s) => s.url.includes('/mpu/create/'))!.body.toString()) as unknown;
    expect(create).toEqual({ path: 'w.bin', num_parts: 3 });
    expect(p.seen.filter((s) => s.url.startsWith('/storage')).every((s) => s.headers['x-amz-test'] === 'h')).toBe(true);
    const complete = p.seen.find((s) => s.url.includes('/mpu/complete/root/models'))!;
    expect(JSON.parse(complete.body.toString())).toEqual({
      path: 'w.bin',
      upload_id: 'up-1',
      parts: [1, 2, 3].map((n) => ({ part_number: n, etag: `"etag-${n}"`, url: `${p.url}/storage/part?n=${n}&sig=s3cr3t` })),
    });
    expect(p.seen.some((s) => s.method === 'PUT' && s.url.startsWith('/api/2.0/mlflow-artifacts/artifacts'))).toBe(false);
  });

  it('aborts the multipart upload when a part fails, and never falls back then', async () => {
    const p = await peer((req, res, base) => {
      if (req.url.includes('/mpu/create/')) {
        return send(res, 200, JSON.stringify({ upload_id: 'up-2', credentials: [1, 2].map((n) => ({ url: `${base}/storage/${n}`, part_number: n, headers: {} })) }));
      }
      if (req.url === '/storage/2') return send(res, 403, 'denied');
      return send(res, 200, '{}', { etag: '"e"' });
    });
    const local = join(await mkdtemp(join(tmpdir(), 'mlstore-mpu-')), 'w.bin');
    await writeFile(local, Buffer.alloc(1500, 1));
    const r = repo(`${p.url}/api/2.0/mlflow-artifacts/artifacts/root`, { proxyMultipartUpload: true, multipartMinimumFileSize: 1, multipartChunkSize: 1000 });
    expect(await code(r.logArtifact(local))).toBe('PERMISSION_DENIED');
    const abort = p.seen.find((s) => s.url === '/api/2.0/mlflow-artifacts/mpu/abort/root');
    expect(JSON.parse(abort!.body.toString())).toEqual({ path: 'w.bin', upload_id: 'up-2' });
    expect(p.seen.some((s) => s.url.includes('/mpu/complete/'))).toBe(false);
    expect(p.seen.some((s) => s.url === '/api/2.0/mlflow-artifacts/artifacts/root/w.bin')).toBe(false);
  });

  it('falls back to one PUT on the "Multipart upload is not supported" reply of older servers', async () => {
    const p = await peer((req, res) => {
      if (req.url.includes('/mpu/create/')) {
        return send(res, 500, JSON.stringify({ error_code: 'INTERNAL_ERROR', message: 'Multipart upload is not supported for the current artifact repository' }));
      }
      return send(res, 200, '{}');
    });
    const local = join(await mkdtemp(join(tmpdir(), 'mlstore-mpu-')), 'model.json');
    await writeFile(local, '{"a":1}');
    const r = repo(`${p.url}/api/2.0/mlflow-artifacts/artifacts/root`, { proxyMultipartUpload: true, multipartMinimumFileSize: 1 });
    await r.logArtifact(local, 'dir');
    const put = p.seen.find((s) => s.method === 'PUT')!;
    expect(put.url).toBe('/api/2.0/mlflow-artifacts/artifacts/root/dir/model.json');
    expect(put.headers['content-type']).toBe('text/plain');
    expect(put.body.toString()).toBe('{"a":1}');
  });
});
