import { expect } from 'vitest';
import type { ArtifactKitContext } from '../context.js';
import { needs } from '../context.js';

/** `listArtifacts` semantics. */
export function defineListCases(ctx: ArtifactKitContext): void {
  const seed = async () => {
    const r = ctx.repo();
    await r.writeArtifact(ctx.p('tree/a.txt'), 'aaa');
    await r.writeArtifact(ctx.p('tree/b.txt'), '');
    await r.writeArtifact(ctx.p('tree/sub/c.txt'), 'cccc');
    await r.writeArtifact(ctx.p('tree/sub/deeper/d.txt'), 'd');
  };
  ctx.it('is non-recursive with root-relative paths', async () => {
    await seed();
    const paths = (await ctx.repo().listArtifacts(ctx.p('tree'))).map((f) => f.path).sort();
    expect(paths).toEqual([ctx.p('tree/a.txt'), ctx.p('tree/b.txt'), ctx.p('tree/sub')]);
  });
  ctx.it('gives file sizes (including 0) and no size for directories', async () => {
    await seed();
    const byPath = new Map((await ctx.repo().listArtifacts(ctx.p('tree'))).map((f) => [f.path, f]));
    expect(byPath.get(ctx.p('tree/a.txt'))).toEqual({ path: ctx.p('tree/a.txt'), is_dir: false, file_size: 3 });
    expect(byPath.get(ctx.p('tree/b.txt'))?.file_size).toBe(0);
    expect(byPath.get(ctx.p('tree/sub'))?.is_dir).toBe(true);
    expect(byPath.get(ctx.p('tree/sub'))?.file_size).toBeUndefined();
  });
  ctx.it('lists a nested directory relative to the root', async () => {
    await seed();
    const infos = await ctx.repo().listArtifacts(ctx.p('tree/sub'));
    expect(infos.map((f) => [f.path, f.is_dir])).toEqual(
      expect.arrayContaining([
        [ctx.p('tree/sub/c.txt'), false],
        [ctx.p('tree/sub/deeper'), true],
      ]),
    );
    expect(infos).toHaveLength(2);
  });
  ctx.it('accepts a trailing slash on the directory', async () => {
    await seed();
    expect((await ctx.repo().listArtifacts(`${ctx.p('tree')}/`)).length).toBe(3);
  });
  ctx.it('a missing directory lists as []', async () => {
    expect(await ctx.repo().listArtifacts(ctx.p('does/not/exist'))).toEqual([]);
  });
  ctx.it('a file path lists as []', async () => {
    await seed();
    expect(await ctx.repo().listArtifacts(ctx.p('tree/a.txt'))).toEqual([]);
  });
  ctx.it('the root listing contains the run prefix', async () => {
    await seed();
    const top = ctx.p().split('/')[0] as string;
    const root = await ctx.repo().listArtifacts();
    expect(root.find((f) => f.path === top)?.is_dir).toBe(true);
  });
  ctx.it(
    'is sorted by path',
    async () => {
      for (const n of ['zeta', 'alpha', 'Mid', 'beta/x']) await ctx.repo().writeArtifact(ctx.p(`sorted/${n}`), n);
      const paths = (await ctx.repo().listArtifacts(ctx.p('sorted'))).map((f) => f.path);
      expect(paths).toEqual([...paths].sort());
    },
    needs('sortedListing'),
  );
  ctx.it('lists many entries (more than a typical page)', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => ctx.repo().writeArtifact(ctx.p(`many/f${String(i).padStart(2, '0')}.txt`), `${i}`)));
    expect((await ctx.repo().listArtifacts(ctx.p('many'))).length).toBe(25);
  });
  ctx.it(
    'logArtifacts keeps empty directories',
    async () => {
      const { mkdtemp, mkdir } = await import('node:fs/promises');
      const { tmpdir } = await import('node:os');
      const { join } = await import('node:path');
      const local = await mkdtemp(join(tmpdir(), 'mlstore-kit-'));
      await mkdir(join(local, 'empty'));
      await ctx.repo().logArtifacts(local, ctx.p('withEmpty'));
      expect(await ctx.repo().listArtifacts(ctx.p('withEmpty'))).toEqual([{ path: ctx.p('withEmpty/empty'), is_dir: true }]);
    },
    needs('emptyDirectories'),
  );
}
