import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SMALL_FILE_BYTES } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../../tracking/expect-error.js';
import type { ArtifactKitContext } from '../context.js';
import { randomContent, readAll, sha256, tempDir } from '../helpers.js';

/** `downloadArtifacts`, `logArtifact` and `logArtifacts`. */
export function defineDownloadLogCases(ctx: ArtifactKitContext): void {
  ctx.it('downloads a single file into dst (content by SHA-256)', async () => {
    const data = randomContent();
    await ctx.repo().writeArtifact(ctx.p('dl/file.bin'), data);
    const dst = await tempDir();
    const out = await ctx.repo().downloadArtifacts(ctx.p('dl/file.bin'), dst);
    expect(out).toBe(join(dst, ...ctx.p('dl/file.bin').split('/')));
    expect(sha256(await readFile(out))).toBe(sha256(data));
  });
  ctx.it('downloads a directory recursively', async () => {
    const files: Record<string, Buffer> = { 'a.bin': randomContent(), 'x/b.bin': randomContent(50_000), 'x/y/z/c.bin': randomContent(1000), 'e.txt': Buffer.alloc(0) };
    for (const [n, d] of Object.entries(files)) await ctx.repo().writeArtifact(ctx.p(`dldir/${n}`), d);
    const dst = await tempDir();
    const out = await ctx.repo().downloadArtifacts(ctx.p('dldir'), dst, { concurrency: 2 });
    for (const [n, d] of Object.entries(files)) expect(sha256(await readFile(join(out, ...n.split('/'))))).toBe(sha256(d));
  });
  ctx.it('downloads without dst into a new local directory', async () => {
    await ctx.repo().writeArtifact(ctx.p('dltmp/f.txt'), 'tmp');
    const out = await ctx.repo().downloadArtifacts(ctx.p('dltmp/f.txt'));
    expect(await readFile(out, 'utf8')).toBe('tmp');
  });
  ctx.it('downloading a missing path → RESOURCE_DOES_NOT_EXIST', async () => {
    await expectMlflowError(() => ctx.repo().downloadArtifacts(ctx.p('nope/missing.bin'), undefined), 'RESOURCE_DOES_NOT_EXIST');
  });
  ctx.it('a missing dst → RESOURCE_DOES_NOT_EXIST', async () => {
    await ctx.repo().writeArtifact(ctx.p('dlx/f.txt'), 'f');
    const dst = join(await tempDir(), 'absent');
    await expectMlflowError(() => ctx.repo().downloadArtifacts(ctx.p('dlx/f.txt'), dst), 'RESOURCE_DOES_NOT_EXIST');
  });
  ctx.it('a dst that is a file → INVALID_PARAMETER_VALUE', async () => {
    await ctx.repo().writeArtifact(ctx.p('dly/f.txt'), 'f');
    const file = join(await tempDir(), 'file');
    await writeFile(file, 'x');
    await expectMlflowError(() => ctx.repo().downloadArtifacts(ctx.p('dly/f.txt'), file), 'INVALID_PARAMETER_VALUE');
  });
  ctx.it('many files download with concurrency 1 and 8 alike', async () => {
    await Promise.all(Array.from({ length: 12 }, (_, i) => ctx.repo().writeArtifact(ctx.p(`dlmany/f${i}.txt`), `v${i}`)));
    for (const concurrency of [1, 8]) {
      const out = await ctx.repo().downloadArtifacts(ctx.p('dlmany'), await tempDir(), { concurrency });
      expect((await readdir(out)).length).toBe(12);
      expect(await readFile(join(out, 'f7.txt'), 'utf8')).toBe('v7');
    }
  });
  ctx.it('logArtifact uploads under artifactPath with the local basename', async () => {
    const dir = await tempDir();
    const data = randomContent();
    await writeFile(join(dir, 'model.pkl'), data);
    await ctx.repo().logArtifact(join(dir, 'model.pkl'), ctx.p('logged'));
    expect(sha256(await readAll(await ctx.repo().openArtifact(ctx.p('logged/model.pkl'))))).toBe(sha256(data));
  });
  ctx.it('logArtifact uploads a file above the small-file size (streamed or by path)', async () => {
    const dir = await tempDir();
    const data = randomBytes(SMALL_FILE_BYTES + 777_777);
    await writeFile(join(dir, 'big.bin'), data);
    await ctx.repo().logArtifact(join(dir, 'big.bin'), ctx.p('logged-big'));
    expect(sha256(await readAll(await ctx.repo().openArtifact(ctx.p('logged-big/big.bin'))))).toBe(sha256(data));
    await ctx.repo().logArtifact(join(dir, 'big.bin'), ctx.p('logged-big'));
    expect((await ctx.repo().listArtifacts(ctx.p('logged-big'))).map((f) => [f.path, f.file_size])).toEqual([[ctx.p('logged-big/big.bin'), data.length]]);
  });
  ctx.it('logArtifacts uploads the directory contents recursively', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'sub', 'deep'), { recursive: true });
    await writeFile(join(dir, 'top.txt'), 'top');
    await writeFile(join(dir, 'sub', 'deep', 'leaf.txt'), 'leaf');
    await ctx.repo().logArtifacts(dir, ctx.p('logdir'));
    expect((await readAll(await ctx.repo().openArtifact(ctx.p('logdir/sub/deep/leaf.txt')))).toString()).toBe('leaf');
    expect((await ctx.repo().listArtifacts(ctx.p('logdir'))).map((f) => f.path).sort()).toEqual([ctx.p('logdir/sub'), ctx.p('logdir/top.txt')]);
  });
  ctx.it('logArtifacts then downloadArtifacts round-trips a tree', async () => {
    const dir = await tempDir();
    await mkdir(join(dir, 'a', 'b'), { recursive: true });
    const data = randomContent();
    await writeFile(join(dir, 'a', 'b', 'w.bin'), data);
    await ctx.repo().logArtifacts(dir, ctx.p('rt'));
    const out = await ctx.repo().downloadArtifacts(ctx.p('rt'), await tempDir());
    expect(sha256(await readFile(join(out, 'a', 'b', 'w.bin')))).toBe(sha256(data));
    expect((await stat(join(out, 'a'))).isDirectory()).toBe(true);
  });
}
