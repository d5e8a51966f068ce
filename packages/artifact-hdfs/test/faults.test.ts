/**
 * Faults against test/services/hdfs.sh. A cuttable HTTP proxy (test/cut-proxy.ts) stands in front
 * of the namenode, the datanode and HttpFS: connections are cut mid-upload and mid-download, the
 * gateway disappears and comes back, a listener never answers. Every failure must be a clear,
 * retryable MlflowError within a bounded time, the next call must work, and no partial file may
 * appear at the destination (an older version survives). AbortSignal stops 1 GiB transfers within
 * a second. WebHDFS's RemoteException JSON from the real servers maps to MLflow codes; a bogus
 * delegation token and Kerberos without its optional peer give clear errors, a real delegation
 * token (issued by HttpFS) works.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { isMlflowError, type MlflowError } from '@mlstore/core';
import { bigStream, expectMlflowError, expectRetryableMlflowError, readAll, rejection } from '@mlstore/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HdfsArtifactRepository, loadKerberos, type HdfsArtifactRepositoryOptions } from '../src/index.js';
import { CutProxy } from './cut-proxy.js';
import { HDFS_PORT, HTTPFS_AUTHORITY, HTTPFS_URL, WEBHDFS_AUTHORITY, WEBHDFS_URL, hdfsReachable, requireHdfs } from './hdfs-server.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const DATANODE_URL = `http://127.0.0.1:${HDFS_PORT + 3}`;
const run = `mlstore-faults/${randomBytes(5).toString('hex')}`;
const opts: HdfsArtifactRepositoryOptions = { user: 'mlstore', env: {} };

function expectRetryable(error: unknown): MlflowError {
  const e = expectRetryableMlflowError(error, /^@mlstore\/artifact-hdfs: .*gateway connection failed/);
  expect(e.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
  return e;
}

/** Every name under `dir` straight from the namenode, temp files included. */
async function rawNames(dir: string): Promise<string[]> {
  const res = await fetch(`${WEBHDFS_URL}/webhdfs/v1/${dir}?op=LISTSTATUS&user.name=mlstore`);
  if (res.status === 404) return [];
  const body = (await res.json()) as { FileStatuses: { FileStatus: { pathSuffix: string }[] } };
  return body.FileStatuses.FileStatus.map((s) => s.pathSuffix);
}

if (requireHdfs(await hdfsReachable(), 'artifact-hdfs faults')) {
  const direct = new HdfsArtifactRepository(`webhdfs://${WEBHDFS_AUTHORITY}/${run}`, opts);
  afterAll(() => direct.deleteArtifacts().catch(() => undefined));

  for (const gateway of ['webhdfs', 'httpfs'] as const) {
    describe(`artifact-hdfs faults through a cuttable proxy (${gateway})`, () => {
      const proxy = new CutProxy(gateway === 'webhdfs' ? [WEBHDFS_URL, DATANODE_URL] : [HTTPFS_URL]);
      let repo: HdfsArtifactRepository;
      const base = `${run}/${gateway}`;
      beforeAll(async () => {
        await proxy.start();
        const front = proxy.front(gateway === 'webhdfs' ? WEBHDFS_URL : HTTPFS_URL).replace('http://', '');
        repo = new HdfsArtifactRepository(`webhdfs://${front}/${base}`, opts);
      });
      afterAll(() => proxy.close());

      it('a connection cut mid-upload → retryable error, old version kept, no partial file, next call works', async () => {
        await repo.writeArtifact('up/model.bin', 'version 1');
        const gen = bigStream(256 * MiB, { at: { bytes: 24 * MiB, run: () => proxy.cut() } });
        const t0 = performance.now();
        const { error, at } = await rejection(repo.writeArtifact('up/model.bin', gen.stream));
        expectRetryable(error);
        expect(at - t0).toBeLessThan(30_000);
        expect(gen.sent()).toBeLessThan(256 * MiB);
        expect((await readAll(await direct.openArtifact(`${gateway}/up/model.bin`))).toString()).toBe('version 1');
        expect(await repo.listArtifacts('up')).toEqual([{ path: 'up/model.bin', is_dir: false, file_size: 9 }]);
        // The temporary upload was removed once the proxy answered again (it keeps listening).
        expect(await rawNames(`${base}/up`)).toEqual(['model.bin']);
        await repo.writeArtifact('up/model.bin', 'version 2');
        expect((await readAll(await repo.openArtifact('up/model.bin'))).toString()).toBe('version 2');
      });

      it('a connection cut mid-download → the stream fails retryably, the next read works', async () => {
        await direct.writeArtifact(`${gateway}/down/big.bin`, bigStream(48 * MiB).stream);
        const stream = await repo.openArtifact('down/big.bin');
        let read = 0;
        const consume = (async () => {
          for await (const c of stream) {
            read += (c as Buffer).length;
            if (read >= 8 * MiB) proxy.cut();
          }
        })();
        const { error } = await rejection(consume);
        expectRetryable(error);
        expect(read).toBeLessThan(48 * MiB);
        expect((await readAll(await repo.openArtifact('down/big.bin'))).length).toBe(48 * MiB);
      });

      it('a failed download leaves no local file; downloadArtifacts then works', async () => {
        const { mkdtemp, readdir } = await import('node:fs/promises');
        const { tmpdir } = await import('node:os');
        const { join } = await import('node:path');
        const dst = await mkdtemp(join(tmpdir(), 'mlstore-hdfs-faults-'));
        const timer = setInterval(() => proxy.cut(), 150);
        const { error } = await rejection(repo.downloadArtifacts('down/big.bin', dst).finally(() => clearInterval(timer)));
        if (isMlflowError(error)) {
          expect(error.retryable).toBe(true);
          expect(await readdir(join(dst, 'down')).catch(() => [])).toEqual([]);
        }
        const out = await repo.downloadArtifacts('down/big.bin', dst);
        await expect((await import('node:fs/promises')).stat(out)).resolves.toMatchObject({ size: 48 * MiB });
      });

      it('gateway gone → every method fails fast and retryably; back → works again', async () => {
        await proxy.close();
        for (const call of [
          () => repo.listArtifacts('up'),
          () => repo.openArtifact('up/model.bin'),
          () => repo.writeArtifact('gone/x.txt', 'x'),
          () => repo.deleteArtifacts('up'),
        ]) {
          const t0 = performance.now();
          const { error, at } = await rejection(call());
          expectRetryable(error);
          expect(at - t0).toBeLessThan(15_000);
        }
        await proxy.reopen();
        expect((await repo.listArtifacts('up')).map((f) => f.path)).toEqual(['up/model.bin']);
        expect(await direct.listArtifacts(`${gateway}/gone`)).toEqual([]);
      });
    });
  }

  describe('artifact-hdfs: a listener that never answers', () => {
    let silent: Server;
    const held: Socket[] = [];
    let port = 0;
    beforeAll(async () => {
      silent = createServer((s) => void held.push(s));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      port = (silent.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => silent.close(() => r()));
    });
    it('fails after the idle timeout with a retryable error (no hang)', async () => {
      const repo = new HdfsArtifactRepository(`webhdfs://127.0.0.1:${port}/x`, { ...opts, idleTimeoutMs: 400 });
      const { error } = await rejection(repo.listArtifacts());
      expectRetryable(error);
      expect((error as Error).message).toMatch(/ETIMEDOUT/);
    });
  });

  describe('artifact-hdfs: AbortSignal stops 1 GiB transfers within a second (WebHDFS)', () => {
    it('upload: CANCELLED within 1 s of abort(), no file left (temp included)', async () => {
      const ac = new AbortController();
      let t0 = 0;
      const gen = bigStream(GiB, { at: { bytes: 32 * MiB, run: () => ((t0 = performance.now()), ac.abort()) } });
      const { error, at } = await rejection(direct.writeArtifact('abort/big.bin', gen.stream, { signal: ac.signal }));
      await expectMlflowError(Promise.reject(error), 'CANCELLED');
      expect(at - t0).toBeLessThan(1000);
      expect(gen.sent()).toBeLessThan(GiB);
      expect(await rawNames(`${run}/abort`)).toEqual([]);
    });
    it('download: the stream fails with CANCELLED within 1 s of abort()', async () => {
      await direct.writeArtifact('abort/read.bin', bigStream(64 * MiB).stream);
      const ac = new AbortController();
      const stream = await direct.openArtifact('abort/read.bin', { signal: ac.signal });
      let t0 = 0;
      let read = 0;
      const { error, at } = await rejection(
        (async () => {
          for await (const c of stream) {
            read += (c as Buffer).length;
            if (read >= 4 * MiB && !ac.signal.aborted) {
              t0 = performance.now();
              ac.abort();
            }
          }
        })(),
      );
      await expectMlflowError(Promise.reject(error), 'CANCELLED');
      expect(at - t0).toBeLessThan(1000);
      expect(read).toBeLessThan(64 * MiB);
    });
  });

  describe("artifact-hdfs: WebHDFS's RemoteException JSON from the real servers", () => {
    it('FileNotFoundException → RESOURCE_DOES_NOT_EXIST', async () => {
      const e = await expectMlflowError(() => direct.openArtifact('no/such/file.txt'), 'RESOURCE_DOES_NOT_EXIST');
      expect(e.message).toMatch(/FileNotFoundException/);
    });
    it('FileAlreadyExistsException (CREATE without overwrite) → RESOURCE_ALREADY_EXISTS', async () => {
      await direct.client.create(`/${run}/exists.txt`, Buffer.from('1'), false);
      const e = await expectMlflowError(() => direct.client.create(`/${run}/exists.txt`, Buffer.from('2'), false), 'RESOURCE_ALREADY_EXISTS');
      expect(e.message).toMatch(/FileAlreadyExistsException/);
    });
    it('ParentNotDirectoryException (a file as a parent) → INVALID_PARAMETER_VALUE', async () => {
      await direct.writeArtifact('pfile', 'x');
      const e = await expectMlflowError(() => direct.writeArtifact('pfile/child.txt', 'y'), 'INVALID_PARAMETER_VALUE');
      expect(e.message).toMatch(/ParentNotDirectoryException|not a directory/i);
    });
    it('PathIsNotEmptyDirectoryException (non-recursive DELETE) → INVALID_STATE', async () => {
      await direct.writeArtifact('full/a.txt', 'a');
      const e = await expectMlflowError(() => direct.client.delete(`/${run}/full`, false), 'INVALID_STATE');
      expect(e.message).toMatch(/PathIsNotEmptyDirectoryException|non-empty|not empty/i);
    });
    it('IllegalArgumentException (unknown op) → INVALID_PARAMETER_VALUE', async () => {
      const res = await direct.client.transport.send(direct.client.transport.opUrl('/', 'NO_SUCH_OP'), 'GET', { what: 'probe' });
      const { webHdfsHttpError } = await import('../src/index.js');
      const { readText } = await import('../src/webhdfs-transport.js');
      expect(webHdfsHttpError('probe', res.statusCode ?? 0, await readText(res)).errorCode).toBe('INVALID_PARAMETER_VALUE');
    });
    it('HttpFS: a bogus delegation token → UNAUTHENTICATED, and the token is not echoed', async () => {
      const repo = new HdfsArtifactRepository(`webhdfs://${HTTPFS_AUTHORITY}/${run}`, { env: {}, delegationToken: 'SECRET-bogus-token' });
      const e = await expectMlflowError(() => repo.listArtifacts(), 'UNAUTHENTICATED');
      expect(e.message).not.toContain('SECRET-bogus-token');
    });
    it('HttpFS: a real delegation token authenticates as its owner (no user.name sent)', async () => {
      const res = await fetch(`${HTTPFS_URL}/webhdfs/v1/?op=GETDELEGATIONTOKEN&user.name=token-owner`);
      const token = ((await res.json()) as { Token: { urlString: string } }).Token.urlString;
      const repo = new HdfsArtifactRepository(`webhdfs://${HTTPFS_AUTHORITY}/${run}/dt`, { env: { MLSTORE_HDFS_DELEGATION_TOKEN: token } });
      expect(repo.settings.auth.kind).toBe('delegation');
      await repo.writeArtifact('by-token.txt', 'hello');
      expect((await readAll(await repo.openArtifact('by-token.txt'))).toString()).toBe('hello');
      const st = await direct.client.status(`/${run}/dt/by-token.txt`);
      expect(st).toMatchObject({ type: 'FILE', length: 5 });
      expect((st as unknown as { owner: string }).owner).toBe('token-owner');
    });
  });

  describe('artifact-hdfs: Kerberos (SPNEGO) without a usable optional peer', () => {
    it('a peer that is not installed → FEATURE_DISABLED naming what to install', async () => {
      const repo = new HdfsArtifactRepository(`webhdfs://${WEBHDFS_AUTHORITY}/${run}`, {
        env: { MLFLOW_KERBEROS_TICKET_CACHE: '/tmp/krb5cc_mlstore_test' },
        kerberosModule: 'mlstore-kerberos-not-installed',
      });
      expect(repo.settings.auth.kind).toBe('kerberos');
      const e = await expectMlflowError(() => repo.listArtifacts(), 'FEATURE_DISABLED');
      expect(e.message).toMatch(/Kerberos .* requested, but the optional peer dependency 'mlstore-kerberos-not-installed' is not installed\. Install it with `npm install kerberos`/);
    });
    it("the installed 'kerberos' peer: unusable here (addon not built) → FEATURE_DISABLED, else no ticket → UNAUTHENTICATED", async () => {
      const repo = new HdfsArtifactRepository(`webhdfs://${WEBHDFS_AUTHORITY}/${run}`, { env: {}, auth: 'kerberos', kerberosTicketCache: '/nonexistent/krb5cc' });
      const loads = await loadKerberos().then(
        () => true,
        () => false,
      );
      const e = await expectMlflowError(() => repo.writeArtifact('k.txt', 'x'), loads ? 'UNAUTHENTICATED' : 'FEATURE_DISABLED');
      if (!loads) expect(e.message).toMatch(/'kerberos' is installed but could not be loaded|'kerberos' is not installed/);
      expect(await direct.listArtifacts()).not.toContainEqual(expect.objectContaining({ path: 'k.txt' }));
    });
  });
}
