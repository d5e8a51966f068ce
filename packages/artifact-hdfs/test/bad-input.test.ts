/**
 * Bad and awkward input against test/services/hdfs.sh: the traversal corpus on every method with a
 * canary beside the root; `..` and encoded separators in URIs; names with spaces, unicode, leading
 * dashes, `%`, `;`, `+` and quotes, checked on the server as raw HDFS names (percent-encoding in
 * the WebHDFS URL must be exact); a directory of 5,000 entries listed through LISTSTATUS_BATCH
 * pages of 7 (dfs.ls.limit) on WebHDFS and HttpFS, with unicode names across page boundaries; the
 * sibling-prefix and delete semantics (a deleted directory is emptied, as in MLflow).
 */
import { randomBytes } from 'node:crypto';
import { MlflowError, forEachBounded } from '@mlstore/core';
import { TRAVERSAL_PAYLOADS, expectMlflowError, readAll } from '@mlstore/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HdfsArtifactRepository, parseHdfsUri } from '../src/index.js';
import { CutProxy } from './cut-proxy.js';
import { HTTPFS_AUTHORITY, HTTPFS_URL, LS_LIMIT, WEBHDFS_AUTHORITY, WEBHDFS_URL, hdfsReachable, requireHdfs } from './hdfs-server.js';

const run = `/mlstore-bad-input/${randomBytes(5).toString('hex')}`;
const opts = { user: 'mlstore', env: {} };

/** Raw child names of an absolute HDFS directory, straight from the namenode. */
async function rawNames(abs: string): Promise<string[]> {
  const res = await fetch(`${WEBHDFS_URL}/webhdfs/v1${abs.split('/').map(encodeURIComponent).join('/')}?op=LISTSTATUS&user.name=mlstore`);
  if (res.status === 404) return [];
  const body = (await res.json()) as { FileStatuses: { FileStatus: { pathSuffix: string }[] } };
  return body.FileStatuses.FileStatus.map((s) => s.pathSuffix).sort();
}

describe('parseHdfsUri refuses traversal in URIs', () => {
  for (const uri of [
    'webhdfs://h:9870/a/../b',
    'webhdfs://h:9870/..',
    'webhdfs://h:9870/a/%2e%2e/b',
    'webhdfs://h:9870/a/%2E%2E',
    'hdfs://nn:8020/a/b/../../../etc',
    'webhdfs://h:9870/a%2F..%2Fb',
    'webhdfs://h:9870/a%00b',
  ]) {
    it(`refuses ${uri}`, () => {
      expect(() => parseHdfsUri(uri)).toThrow(MlflowError);
      expect(() => parseHdfsUri(uri)).toThrow(/Invalid|invalid HDFS URI/);
    });
  }
  it('keeps literal dots and decodes escapes once', () => {
    expect(parseHdfsUri('webhdfs://h:1/a/.../b..c/%2520/./x').path).toBe('/a/.../b..c/%20/x');
  });
});

if (requireHdfs(await hdfsReachable(), 'artifact-hdfs bad input')) {
  const root = `${run}/root`;
  const repo = new HdfsArtifactRepository(`webhdfs://${WEBHDFS_AUTHORITY}${root}`, opts);
  const outside = new HdfsArtifactRepository(`webhdfs://${WEBHDFS_AUTHORITY}${run}`, opts);
  afterAll(() => outside.client.delete(run, true).catch(() => undefined));

  describe('artifact-hdfs: the traversal corpus on every method, a canary beside the root', () => {
    beforeAll(async () => {
      await outside.writeArtifact('canary.txt', 'canary');
      await repo.writeArtifact('inside.txt', 'inside');
    });
    for (const payload of TRAVERSAL_PAYLOADS) {
      it(`refuses ${JSON.stringify(payload)}`, async () => {
        for (const call of [
          () => repo.writeArtifact(payload, 'evil'),
          () => repo.openArtifact(payload),
          () => repo.listArtifacts(payload),
          () => repo.downloadArtifacts(payload),
          () => repo.deleteArtifacts(payload),
          () => repo.logArtifacts('/nonexistent-dir', payload),
        ]) {
          await expectMlflowError(call, 'INVALID_PARAMETER_VALUE');
        }
      });
    }
    it('the canary and the tree outside the root are untouched', async () => {
      expect((await readAll(await outside.openArtifact('canary.txt'))).toString()).toBe('canary');
      expect(await rawNames(run)).toEqual(['canary.txt', 'root']);
      expect(await rawNames(root)).toEqual(['inside.txt']);
    });
  });

  describe('artifact-hdfs: awkward names reach HDFS verbatim', () => {
    const names = [
      'with space.txt',
      '-leading-dash',
      '--help',
      '-rf',
      'ünïcödé-日本語-🚀.txt',
      '100%25.txt',
      'semi;colon.txt',
      'plus+sign.txt',
      "quote'and\"dq.txt",
      'amp&eq=.txt',
      'tilde~star*paren().txt',
      '...',
    ];
    for (const gateway of ['webhdfs', 'httpfs'] as const) {
      it(`${gateway}: writes, lists, reads and deletes every name; the server stores the raw names`, async () => {
        const sub = `names-${gateway}`;
        const r = new HdfsArtifactRepository(`webhdfs://${gateway === 'webhdfs' ? WEBHDFS_AUTHORITY : HTTPFS_AUTHORITY}${root}`, opts);
        for (const n of names) await r.writeArtifact(`${sub}/${n}`, n);
        expect(await rawNames(`${root}/${sub}`)).toEqual([...names].sort());
        expect((await r.listArtifacts(sub)).map((f) => f.path)).toEqual(names.map((n) => `${sub}/${n}`).sort());
        for (const n of names) expect((await readAll(await r.openArtifact(`${sub}/${n}`))).toString()).toBe(n);
        for (const n of names) await r.deleteArtifacts(`${sub}/${n}`);
        expect(await rawNames(`${root}/${sub}`)).toEqual([]);
      });
    }
    it('refuses names MLflow refuses (#, ?, backslash, NUL)', async () => {
      for (const n of ['a#b.txt', 'a?b.txt', 'a\\b.txt', 'a\0b.txt']) await expectMlflowError(() => repo.writeArtifact(`refused/${n}`, 'x'), 'INVALID_PARAMETER_VALUE');
      expect(await rawNames(`${root}/refused`)).toEqual([]);
    });
  });

  describe('artifact-hdfs: a directory of 5,000 entries through LISTSTATUS_BATCH pages', () => {
    const COUNT = 5000;
    const names = Array.from({ length: COUNT }, (_, i) => {
      const n = String(i).padStart(4, '0');
      // Unicode and odd names spread over many pages, so `startAfter` carries them too.
      return i % 5 === 0 ? `ü-${n}` : i % 7 === 0 ? `日本-${n}` : i % 11 === 0 ? `-dash ${n}` : `e${n}`;
    });
    const big = `${root}/big`;
    beforeAll(async () => {
      // 4,990 directories by MKDIRS (one request each) and 10 files written by the repository.
      await forEachBounded(names, 16, async (n) => {
        const i = names.indexOf(n);
        if (i % 500 === 0) await repo.writeArtifact(`big/${n}`, n);
        else await repo.client.mkdirs(`${big}/${n}`);
      });
    }, 600_000);

    for (const gateway of ['webhdfs', 'httpfs'] as const) {
      it(`${gateway}: lists all ${COUNT} entries once each, sorted, in pages of ${LS_LIMIT}`, async () => {
        const proxy = await new CutProxy([gateway === 'webhdfs' ? WEBHDFS_URL : HTTPFS_URL]).start();
        try {
          const front = proxy.front(gateway === 'webhdfs' ? WEBHDFS_URL : HTTPFS_URL).replace('http://', '');
          const r = new HdfsArtifactRepository(`webhdfs://${front}${root}`, opts);
          const listed = await r.listArtifacts('big');
          expect(listed.length).toBe(COUNT);
          expect(listed.map((f) => f.path)).toEqual(names.map((n) => `big/${n}`).sort());
          expect(listed.filter((f) => !f.is_dir).length).toBe(10);
          const pages = proxy.requests.filter((l) => l.includes('op=LISTSTATUS_BATCH'));
          if (gateway === 'webhdfs') {
            expect(pages.length).toBe(Math.ceil(COUNT / LS_LIMIT));
            expect(pages.filter((l) => l.includes('startAfter=%C3%BC-')).length).toBeGreaterThan(0);
            expect(pages.filter((l) => l.includes('startAfter=%E6%97%A5%E6%9C%AC-')).length).toBeGreaterThan(0);
          } else {
            // HttpFS's own DFS client pages the namenode internally and answers one batch here.
            expect(pages.length).toBeGreaterThanOrEqual(1);
          }
        } finally {
          await proxy.close();
        }
      }, 300_000);
    }
    it('plain LISTSTATUS (listBatch: false) gives the same listing', async () => {
      const r = new HdfsArtifactRepository(`webhdfs://${WEBHDFS_AUTHORITY}${root}`, { ...opts, listBatch: false });
      expect((await r.listArtifacts('big')).map((f) => f.path)).toEqual(names.map((n) => `big/${n}`).sort());
    }, 120_000);
  });

  describe('artifact-hdfs: prefixes and delete semantics', () => {
    it('keeps sibling prefixes apart (a/b vs a/bc, a/b.txt); deleting a/b empties it', async () => {
      await repo.writeArtifact('sib/a/b/x.txt', 'x');
      await repo.writeArtifact('sib/a/bc/y.txt', 'y');
      await repo.writeArtifact('sib/a/b.txt', 'z');
      expect((await repo.listArtifacts('sib/a/b')).map((f) => f.path)).toEqual(['sib/a/b/x.txt']);
      await repo.deleteArtifacts('sib/a/b');
      expect(await repo.listArtifacts('sib/a')).toEqual([
        { path: 'sib/a/b', is_dir: true },
        { path: 'sib/a/b.txt', is_dir: false, file_size: 1 },
        { path: 'sib/a/bc', is_dir: true },
      ]);
      expect(await repo.listArtifacts('sib/a/b')).toEqual([]);
      expect((await readAll(await repo.openArtifact('sib/a/bc/y.txt'))).toString()).toBe('y');
    });
    it('deleting the root empties it and keeps it', async () => {
      const r = new HdfsArtifactRepository(`webhdfs://${HTTPFS_AUTHORITY}${run}/emptied`, opts);
      await r.writeArtifact('d/f.txt', 'f');
      await r.writeArtifact('g.txt', 'g');
      await r.deleteArtifacts();
      expect(await r.listArtifacts()).toEqual([]);
      expect(await rawNames(run)).toContain('emptied');
    });
    it('writing a file over a directory is refused and the directory kept', async () => {
      await repo.writeArtifact('dirx/inner.txt', 'i');
      for (const r of [repo, new HdfsArtifactRepository(`${HTTPFS_URL.replace('http', 'webhdfs')}${root}`, opts)]) {
        await expect(r.writeArtifact('dirx', 'file over dir')).rejects.toBeInstanceOf(MlflowError);
        expect((await readAll(await r.openArtifact('dirx/inner.txt'))).toString()).toBe('i');
      }
      expect(await rawNames(`${root}/dirx`)).toEqual(['inner.txt']);
    });
  });
}
