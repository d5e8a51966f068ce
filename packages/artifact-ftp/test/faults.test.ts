/**
 * Failure behaviour against the real server (test/services/ftp.sh), with a TCP proxy (ftp-proxy.ts)
 * that carries control and data connections so a test can cut them mid-transfer or make the
 * server look dead without touching the shared server: clear retryable errors, no hang, the pool
 * recovers for the next call, no partial file under the target name, aborts within a second, a
 * wrong password or an untrusted certificate said plainly with no secret in the message.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { bigStream, caughtMlflowError as caught, freePort, readAll, until } from '@mlstore/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpArtifactRepository } from '../src/index.js';
import { FTP_HOST, FTP_PASSWORD, FTP_PORT, FTP_USER, ftpBase, ftpCert, ftpReachable, ftpRootDir, requireFtp } from './ftp-server.js';
import { startFtpProxy, type FtpProxy } from './ftp-proxy.js';

const MiB = 1024 * 1024;
const run = `faults-${randomBytes(5).toString('hex')}`;

/** An endless body of 256 KiB chunks that counts what was read. */
const endless = () => bigStream(Infinity, { chunkSize: 256 * 1024 });

/** Files and dirs under the served `<run>/<dir>` on disk, temporaries included. */
const onDisk = (dir: string): string[] => {
  const full = join(ftpRootDir(), run, dir);
  return existsSync(full) ? readdirSync(full).sort() : [];
};

if (requireFtp(await ftpReachable(), 'artifact-ftp faults')) {
  let proxy: FtpProxy;
  const repos: FtpArtifactRepository[] = [];
  const viaProxy = (opts: ConstructorParameters<typeof FtpArtifactRepository>[1] = {}) => {
    const r = new FtpArtifactRepository(`ftp://${FTP_USER}:${FTP_PASSWORD}@${FTP_HOST}:${proxy.port}/${run}`, { timeoutMs: 10_000, ...opts });
    repos.push(r);
    return r;
  };
  beforeAll(async () => {
    proxy = await startFtpProxy(FTP_PORT);
  });
  afterAll(async () => {
    await Promise.all(repos.map((r) => r.close()));
    await proxy.close();
    const cleaner = new FtpArtifactRepository(`${ftpBase()}/${run}`);
    await cleaner.deleteArtifacts().catch(() => undefined);
    await cleaner.close();
  });

  describe('connections cut mid-transfer', () => {
    it('an upload cut mid-way → retryable TEMPORARILY_UNAVAILABLE, no file under the name, no temporary left, the pool recovers', async () => {
      const repo = viaProxy();
      await repo.writeArtifact('cut/kept.bin', 'old');
      const body = endless();
      const start = proxy.dataBytes;
      const pending = caught(repo.writeArtifact('cut/new.bin', body.stream));
      const kept = caught(repo.writeArtifact('cut/kept.bin', endless().stream));
      await until(() => proxy.dataBytes - start >= 8 * MiB, 30_000, '8 MiB through the data connections');
      proxy.cutAll();
      for (const err of [await pending, await kept]) {
        expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
        expect(err.retryable).toBe(true);
        expect(err.message).toMatch(/@mlstore\/artifact-ftp: write ftp:\/\/mlstore@127\.0\.0\.1:\d+\/.*cut\/(new|kept)\.bin failed/);
        expect(err.message).not.toContain(FTP_PASSWORD);
      }
      // The next calls get fresh connections.
      expect((await readAll(await repo.openArtifact('cut/kept.bin'))).toString()).toBe('old');
      expect(await repo.listArtifacts('cut')).toEqual([{ path: 'cut/kept.bin', is_dir: false, file_size: 3 }]);
      expect(onDisk('cut')).toEqual(['kept.bin']);
    });
    it('a download cut mid-way ends the stream with a retryable error, and the next read works', async () => {
      const repo = viaProxy();
      const data = randomBytes(24 * MiB);
      await repo.writeArtifact('dl/big.bin', data);
      const stream = await repo.openArtifact('dl/big.bin');
      let read = 0;
      const consume = (async () => {
        for await (const c of stream) {
          read += (c as Buffer).length;
          if (read >= 4 * MiB && read - (c as Buffer).length < 4 * MiB) proxy.cutAll();
        }
      })();
      const err = await caught(consume);
      expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
      expect(err.retryable).toBe(true);
      expect(read).toBeLessThan(data.length);
      expect((await readAll(await repo.openArtifact('dl/big.bin'))).equals(data)).toBe(true);
    });
    it('a dead server fails calls fast with a retryable error; once it is back the same repository works', async () => {
      const repo = viaProxy();
      await repo.writeArtifact('dead/a.txt', 'a');
      proxy.refuse = true;
      proxy.cutAll();
      try {
        for (const call of [() => repo.listArtifacts('dead'), () => repo.writeArtifact('dead/b.txt', 'b'), () => repo.openArtifact('dead/a.txt'), () => repo.deleteArtifacts('dead/a.txt')]) {
          const err = await caught(call());
          expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
          expect(err.retryable).toBe(true);
        }
      } finally {
        proxy.refuse = false;
      }
      expect(await repo.listArtifacts('dead')).toEqual([{ path: 'dead/a.txt', is_dir: false, file_size: 1 }]);
    });
    it('an idle pooled connection dropped by the server is replaced without an error', async () => {
      const repo = viaProxy();
      await repo.writeArtifact('idle/a.txt', 'a');
      proxy.cutAll(); // the pool's idle connection is now closed
      await new Promise((r) => setTimeout(r, 50));
      expect((await readAll(await repo.openArtifact('idle/a.txt'))).toString()).toBe('a');
      expect(await repo.listArtifacts('idle')).toHaveLength(1);
    });
  });

  describe('pooling', () => {
    it('reuses connections: 30 sequential calls open one control connection', async () => {
      const repo = viaProxy();
      const before = proxy.controlConnections;
      for (let i = 0; i < 10; i++) {
        await repo.writeArtifact(`pool/seq${i}.txt`, `${i}`);
        await repo.listArtifacts('pool');
        await readAll(await repo.openArtifact(`pool/seq${i}.txt`));
      }
      expect(proxy.controlConnections - before).toBe(1);
    });
    it('never opens more than maxConnections at once', async () => {
      const repo = viaProxy({ maxConnections: 2 });
      const before = proxy.controlConnections;
      let peak = 0;
      const timer = setInterval(() => (peak = Math.max(peak, proxy.openControlConnections)), 5);
      try {
        await Promise.all(Array.from({ length: 16 }, (_, i) => repo.writeArtifact(`pool/par${i}.bin`, randomBytes(100_000))));
      } finally {
        clearInterval(timer);
      }
      expect(proxy.controlConnections - before).toBeLessThanOrEqual(2);
      expect((await repo.listArtifacts('pool')).filter((f) => f.path.startsWith('pool/par'))).toHaveLength(16);
    });
  });

  describe('AbortSignal', () => {
    it('stops a large upload within a second, leaving nothing behind', async () => {
      const repo = new FtpArtifactRepository(`${ftpBase()}/${run}`);
      repos.push(repo);
      const ac = new AbortController();
      const body = endless();
      const pending = caught(repo.writeArtifact('abort/up.bin', body.stream, { signal: ac.signal }));
      await until(() => body.sent() >= 16 * MiB, 30_000, '16 MiB read from the body', 5);
      const t0 = Date.now();
      ac.abort();
      const err = await pending;
      const elapsed = Date.now() - t0;
      expect(err.errorCode).toBe('CANCELLED');
      expect(elapsed).toBeLessThan(1000);
      expect(onDisk('abort').filter((n) => n.includes('up.bin') || n.startsWith('.mlstore-upload-'))).toEqual([]);
      await repo.writeArtifact('abort/after.txt', 'ok'); // the pool still works
    });
    it('stops a large download within a second', async () => {
      const repo = new FtpArtifactRepository(`${ftpBase('ftps')}/${run}`, { ca: ftpCert() });
      repos.push(repo);
      await repo.writeArtifact('abort/down.bin', Buffer.alloc(64 * MiB, 1));
      const ac = new AbortController();
      const stream = await repo.openArtifact('abort/down.bin', { signal: ac.signal });
      let read = 0;
      let t0 = 0;
      const consume = (async () => {
        for await (const c of stream) {
          read += (c as Buffer).length;
          if (read >= 2 * MiB && t0 === 0) {
            t0 = Date.now();
            ac.abort();
          }
        }
      })();
      const err = await caught(consume);
      expect(err.errorCode).toBe('CANCELLED');
      expect(Date.now() - t0).toBeLessThan(1000);
      expect(read).toBeLessThan(64 * MiB);
      expect(await repo.listArtifacts('abort')).toContainEqual({ path: 'abort/down.bin', is_dir: false, file_size: 64 * MiB });
    });
    it('an aborted signal refuses list, read, delete and download at once', async () => {
      const repo = viaProxy();
      const signal = AbortSignal.abort();
      for (const call of [() => repo.listArtifacts('', { signal }), () => repo.openArtifact('x', { signal }), () => repo.deleteArtifacts('x', { signal }), () => repo.downloadArtifacts('x', undefined, { signal })]) {
        expect((await caught(call())).errorCode).toBe('CANCELLED');
      }
    });
  });

  describe('refused transfers (ftps)', () => {
    it('a directory removed behind the repository\'s back is made again on a new connection, and the next calls work', async () => {
      const { rmSync } = await import('node:fs');
      const repo = new FtpArtifactRepository(`${ftpBase('ftps')}/${run}`, { ca: ftpCert(), maxConnections: 1 });
      repos.push(repo);
      for (let i = 0; i < 8; i++) {
        await repo.writeArtifact(`gone/d${i}/a.txt`, 'a');
        rmSync(join(ftpRootDir(), run, 'gone', `d${i}`), { recursive: true }); // behind its back
        await repo.writeArtifact(`gone/d${i}/b.txt`, 'bb'); // STOR refused (550) → new connection, MKD, STOR
        expect(await repo.listArtifacts(`gone/d${i}`)).toEqual([{ path: `gone/d${i}/b.txt`, is_dir: false, file_size: 2 }]);
        expect((await readAll(await repo.openArtifact(`gone/d${i}/b.txt`))).toString()).toBe('bb');
      }
    });
  });

  describe('failing bodies', () => {
    it('a missing local file → RESOURCE_DOES_NOT_EXIST; a broken stream → INTERNAL_ERROR; nothing left, the pool still works', async () => {
      const repo = viaProxy();
      const missing = await caught(repo.logArtifact(join(ftpRootDir(), 'no-such-local-file.bin'), 'bodies'));
      expect(missing.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
      expect(missing.message).toMatch(/no such local file/);
      async function* broken() {
        yield randomBytes(1024 * 1024);
        throw new Error('source failed');
      }
      const failed = await caught(repo.writeArtifact('bodies/broken.bin', broken()));
      expect(failed.errorCode).toBe('INTERNAL_ERROR');
      expect(failed.message).toMatch(/the body stream failed: source failed/);
      expect(onDisk('bodies')).toEqual([]);
      await repo.writeArtifact('bodies/ok.txt', 'ok');
      expect(onDisk('bodies')).toEqual(['ok.txt']);
    });
  });

  describe('credentials and TLS', () => {
    it('a wrong password → UNAUTHENTICATED saying so, with no secret in the message', async () => {
      const secret = 'Wr0ng-S3cret/pass';
      const repo = new FtpArtifactRepository(`ftp://${FTP_USER}:${encodeURIComponent(secret)}@${FTP_HOST}:${FTP_PORT}/${run}`);
      repos.push(repo);
      const err = await caught(repo.listArtifacts());
      expect(err.errorCode).toBe('UNAUTHENTICATED');
      expect(err.retryable).toBe(false);
      expect(err.message).toMatch(/login failed, wrong user or password/);
      expect(err.message).not.toContain(secret);
      expect(err.message).not.toContain(encodeURIComponent(secret));
      expect(repo.artifactUri).not.toContain(encodeURIComponent(secret));
      expect(JSON.stringify(err.toJSON())).not.toContain(secret);
      // Recursive downloads report failures with the repository URI: still masked.
      const dl = await caught(repo.downloadArtifacts('missing/x.txt'));
      expect(dl.message).not.toContain(encodeURIComponent(secret));
    });
    it('ftps with an untrusted certificate → UNAUTHENTICATED naming the fix', async () => {
      const repo = new FtpArtifactRepository(`${ftpBase('ftps')}/${run}`, { env: {} });
      repos.push(repo);
      const err = await caught(repo.listArtifacts());
      expect(err.errorCode).toBe('UNAUTHENTICATED');
      expect(err.message).toMatch(/not trusted.*MLSTORE_FTPS_CA_FILE/);
      expect(err.message).not.toContain(FTP_PASSWORD);
    });
    it('ftps trusts a CA from MLSTORE_FTPS_CA_FILE', async () => {
      const { execFileSync } = await import('node:child_process');
      const certFile = execFileSync(join(import.meta.dirname, '../../../test/services/ftp.sh'), ['cert'], { encoding: 'utf8' }).trim();
      const repo = new FtpArtifactRepository(`${ftpBase('ftps')}/${run}`, { env: { MLSTORE_FTPS_CA_FILE: certFile } });
      repos.push(repo);
      await repo.writeArtifact('tls/env.txt', 'tls');
      expect((await readAll(await repo.openArtifact('tls/env.txt'))).toString()).toBe('tls');
    });
    it('no server on the port → TEMPORARILY_UNAVAILABLE at once', async () => {
      const port = await freePort();
      const repo = new FtpArtifactRepository(`ftp://127.0.0.1:${port}/x`);
      repos.push(repo);
      const err = await caught(repo.listArtifacts());
      expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
      expect(err.message).toMatch(/ECONNREFUSED/);
    });
  });
}
