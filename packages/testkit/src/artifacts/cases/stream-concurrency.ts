import { randomBytes, randomInt } from 'node:crypto';
import { expect } from 'vitest';
import type { ArtifactKitContext } from '../context.js';
import { generatedStream, hashStream, randomContent, readAll, sha256 } from '../helpers.js';

const MiB = 1024 * 1024;

/** The large-file size: env `MLSTORE_LARGE_FILE_MB`, else the option, else 16 MiB; at most `cap`. */
export function largeFileBytes(option?: number, cap = Number.POSITIVE_INFINITY): number {
  const env = Number(process.env.MLSTORE_LARGE_FILE_MB);
  const size = Number.isFinite(env) && env > 0 ? Math.floor(env * MiB) : (option ?? 16 * MiB);
  return Math.min(size, cap);
}

/** Streamed large files and concurrent writers. */
export function defineStreamConcurrencyCases(ctx: ArtifactKitContext): void {
  ctx.it('streams a large generated file in and out with bounded memory', async () => {
    const size = largeFileBytes(ctx.options.largeFileBytes, ctx.options.largeFileCapBytes);
    const gen = generatedStream(size);
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const timer = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 25);
    try {
      await ctx.repo().writeArtifact(ctx.p('large.bin'), gen.stream);
      const back = await hashStream(await ctx.repo().openArtifact(ctx.p('large.bin')));
      expect(back.size).toBe(size);
      expect(back.hash).toBe(gen.hash());
      const listed = await ctx.repo().listArtifacts(ctx.p());
      expect(listed.find((f) => f.path === ctx.p('large.bin'))?.file_size).toBe(size);
    } finally {
      clearInterval(timer);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    // The issues' bound: under 150 MiB of growth whatever the file's size (SDKs keep a few parts
    // in flight, and the test runner's own allocations and GC timing make RSS noisy: an S3 form
    // once reached 131 MiB on a loaded CI box); a buffered implementation of a large file exceeds it.
    expect(peak - baseline).toBeLessThan(150 * MiB);
  }, undefined, 600_000);
  ctx.it('concurrent writers to different paths all land', async () => {
    const datas = Array.from({ length: 8 }, () => randomContent(200_000));
    await Promise.all(datas.map((d, i) => ctx.repo().writeArtifact(ctx.p(`conc/${i}.bin`), d)));
    for (const [i, d] of datas.entries()) expect(sha256(await readAll(await ctx.repo().openArtifact(ctx.p(`conc/${i}.bin`))))).toBe(sha256(d));
    expect((await ctx.repo().listArtifacts(ctx.p('conc'))).length).toBe(8);
  });
  ctx.it('concurrent writers to one path leave one complete version', async () => {
    const datas = Array.from({ length: 6 }, () => randomContent(500_000));
    await Promise.all(datas.map((d) => ctx.repo().writeArtifact(ctx.p('same/same.bin'), d)));
    const final = sha256(await readAll(await ctx.repo().openArtifact(ctx.p('same/same.bin'))));
    expect(datas.map((d) => sha256(d))).toContain(final);
    const listed = await ctx.repo().listArtifacts(ctx.p('same'));
    expect(listed.map((f) => f.path)).toEqual([ctx.p('same/same.bin')]);
  });
  ctx.it('readers during an overwrite see an old or a new complete version', async () => {
    // The new version is longer than the old, and readers keep re-reading until the write is
    // done, so one of them straddles the rename: a reader that sizes the file by one lookup and
    // reads another (a stat of the path, then an open after the rename) returns a cut-off copy.
    for (let round = 0; round < 2; round++) {
      const v1 = randomBytes(randomInt(1, 150_000));
      const v2 = randomBytes(randomInt(150_000, 300_000));
      await ctx.repo().writeArtifact(ctx.p('rw.bin'), v1);
      let written = false;
      const reader = async () => {
        const seen: string[] = [];
        for (let i = 0; i < 40 && (i === 0 || !written); i++) {
          try {
            seen.push(sha256(await readAll(await ctx.repo().openArtifact(ctx.p('rw.bin')))));
          } catch (error) {
            if (!(ctx.options.overwriteGap && (error as { errorCode?: unknown }).errorCode === 'RESOURCE_DOES_NOT_EXIST')) throw error;
          }
        }
        return seen;
      };
      const write = ctx.repo().writeArtifact(ctx.p('rw.bin'), v2).finally(() => (written = true));
      const [, ...seen] = await Promise.all([write, reader(), reader(), reader()]);
      for (const h of seen.flat()) expect([sha256(v1), sha256(v2)]).toContain(h);
    }
  });
  ctx.it('concurrent downloads of the same file agree', async () => {
    const data = randomContent();
    await ctx.repo().writeArtifact(ctx.p('cd.bin'), data);
    const hashes = await Promise.all(Array.from({ length: 4 }, async () => sha256(await readAll(await ctx.repo().openArtifact(ctx.p('cd.bin'))))));
    expect(new Set(hashes)).toEqual(new Set([sha256(data)]));
  });
}
