/**
 * Awkward input against the real server (test/services/ftp.sh): names with spaces, unicode,
 * leading dashes and spaces, names that look like FTP commands or options; traversal in artifact
 * paths and in the URI; a directory of 5,000 entries listed completely by MLSD, LIST and NLST, and
 * deleted. The kit's traversal corpus runs in conformance.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readAll } from '@mlstore/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { FtpArtifactRepository, type FtpListCommand } from '../src/index.js';
import { ftpBase, ftpReachable, ftpRootDir, requireFtp } from './ftp-server.js';

const run = `bad-input-${randomBytes(5).toString('hex')}`;

if (requireFtp(await ftpReachable(), 'artifact-ftp bad input')) {
  const repos: FtpArtifactRepository[] = [];
  const repo = (listCommand: FtpListCommand = 'auto') => {
    const r = new FtpArtifactRepository(`${ftpBase()}/${run}`, { listCommand });
    repos.push(r);
    return r;
  };
  afterAll(async () => {
    await repo().deleteArtifacts();
    await Promise.all(repos.map((r) => r.close()));
  });

  describe('names', () => {
    const names = ['-rf', '--help.txt', '-a', ' leading space.txt', 'trailing space ', 'a  b', 'ünïcödé 日本語 🚀.bin', 'LIST -a', 'x;DELE y', "q'uote\"d", '*', '[ab]', '~home', '100%25.txt'];
    for (const listCommand of ['auto', 'list', 'nlst'] as const) {
      it(`round-trips, lists (${listCommand}) and deletes names with dashes, spaces, unicode and command-like text`, async () => {
        const r = repo(listCommand);
        const dir = `names-${listCommand}/-dash dir`;
        for (const n of names) await r.writeArtifact(`${dir}/${n}`, n);
        const listed = await r.listArtifacts(dir);
        expect(listed.map((f) => f.path).sort()).toEqual(names.map((n) => `${dir}/${n}`).sort());
        for (const f of listed) expect(f.file_size).toBe(Buffer.byteLength(f.path.slice(dir.length + 1)));
        for (const n of names) expect((await readAll(await r.openArtifact(`${dir}/${n}`))).toString()).toBe(n);
        await r.deleteArtifacts(`${dir}/-rf`);
        expect((await r.listArtifacts(dir)).length).toBe(names.length - 1);
        await r.deleteArtifacts(dir);
        expect(await r.listArtifacts(dir)).toEqual([]);
      });
    }
  });

  describe('traversal', () => {
    it.each(['../x', 'a/../../x', '..%2fx', '%252e%252e/x', '/etc/passwd', 'a\\..\\x', 'a/\r\nDELE x', 'ftp://h/x'])('refuses %j before anything is sent', async (p) => {
      const r = repo();
      for (const call of [() => r.writeArtifact(p, 'x'), () => r.openArtifact(p), () => r.listArtifacts(p), () => r.deleteArtifacts(p)]) {
        await expect(call()).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
      }
    });
    it.each([`/${run}/../escape`, `/${run}/%2e%2e/escape`, '/a/..'])('refuses `..` in the URI path (%s)', (path) => {
      expect(() => new FtpArtifactRepository(`${ftpBase()}${path}`)).toThrow(/must not contain '\.\.'/);
    });
    it('the server root cannot be left even with a URI rooted at /', async () => {
      const r = new FtpArtifactRepository(ftpBase());
      repos.push(r);
      // pyftpdlib jails the user to the served folder; absolute paths resolve inside it.
      expect((await r.listArtifacts()).map((f) => f.path)).toContain(run);
    });
  });

  describe('a directory of 5,000 entries', () => {
    const count = 5000;
    const dir = 'big-dir';
    it('is listed completely with sizes by MLSD, LIST and NLST, then deleted', async () => {
      // Made on the server's disk directly: this case is about listing, not about 5,000 uploads.
      const full = join(ftpRootDir(), run, dir);
      mkdirSync(join(full, 'sub dir'), { recursive: true });
      for (let i = 0; i < count; i++) writeFileSync(join(full, `f-${String(i).padStart(5, '0')}.txt`), 'x'.repeat(i % 7));
      for (const listCommand of ['auto', 'list', 'nlst'] as const) {
        const listed = await repo(listCommand).listArtifacts(dir);
        expect(listed).toHaveLength(count + 1);
        expect(listed.filter((f) => f.is_dir)).toEqual([{ path: `${dir}/sub dir`, is_dir: true }]);
        expect(listed[0]).toEqual({ path: `${dir}/f-00000.txt`, is_dir: false, file_size: 0 });
        expect(listed.find((f) => f.path === `${dir}/f-04999.txt`)).toEqual({ path: `${dir}/f-04999.txt`, is_dir: false, file_size: 4999 % 7 });
        expect(listed.reduce((n, f) => n + (f.file_size ?? 0), 0)).toBe(Array.from({ length: count }, (_, i) => i % 7).reduce((a, b) => a + b, 0));
      }
      await repo().deleteArtifacts(dir);
      expect(existsSync(full)).toBe(false);
    }, 180_000);
  });
}
