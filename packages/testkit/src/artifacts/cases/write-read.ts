import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { expect } from 'vitest';
import { expectMlflowError } from '../../tracking/expect-error.js';
import type { ArtifactKitContext } from '../context.js';
import { needs } from '../context.js';
import { randomContent, readAll, sha256 } from '../helpers.js';

/** Special names from OpenDAL's behaviour tests (`#` dropped: MLflow refuses it in paths). */
export const specialNames = (): string[] => [
  `nested/${randomUUID()} !@$%^&()_+-=;',.txt`,
  '🐂🍺中文.txt',
  '100%25.txt',
  'with space/and space.txt',
  'Français/😈🐅.bin',
];

/** Writes and reads back single files. */
export function defineWriteReadCases(ctx: ArtifactKitContext): void {
  const roundTrip = async (path: string, data: Buffer) => {
    await ctx.repo().writeArtifact(path, data);
    const back = await readAll(await ctx.repo().openArtifact(path));
    expect(sha256(back)).toBe(sha256(data));
  };

  ctx.it('writes and reads a random file (Buffer body)', () => roundTrip(ctx.p('buf.bin'), randomContent()));
  ctx.it('writes a string body as UTF-8', async () => {
    await ctx.repo().writeArtifact(ctx.p('str.txt'), 'héllo wörld');
    expect((await readAll(await ctx.repo().openArtifact(ctx.p('str.txt')))).toString('utf8')).toBe('héllo wörld');
  });
  ctx.it('writes a Readable body', async () => {
    const data = randomContent();
    await ctx.repo().writeArtifact(ctx.p('readable.bin'), Readable.from([data.subarray(0, 10), data.subarray(10)]));
    expect(sha256(await readAll(await ctx.repo().openArtifact(ctx.p('readable.bin'))))).toBe(sha256(data));
  });
  ctx.it('writes an async-iterable body', async () => {
    const data = randomContent(300_000);
    async function* gen() {
      for (let i = 0; i < data.length; i += 65_536) yield data.subarray(i, i + 65_536);
    }
    await ctx.repo().writeArtifact(ctx.p('iter.bin'), gen());
    expect(sha256(await readAll(await ctx.repo().openArtifact(ctx.p('iter.bin'))))).toBe(sha256(data));
  });
  ctx.it('writes an empty file', async () => {
    await ctx.repo().writeArtifact(ctx.p('empty.txt'), new Uint8Array(0));
    expect((await readAll(await ctx.repo().openArtifact(ctx.p('empty.txt')))).length).toBe(0);
    const listed = await ctx.repo().listArtifacts(ctx.p());
    expect(listed.find((f) => f.path === ctx.p('empty.txt'))).toMatchObject({ is_dir: false, file_size: 0 });
  });
  for (const [i, name] of specialNames().entries()) {
    ctx.it(`round-trips special name #${i + 1} (${name.replace(/^nested\/[0-9a-f-]+/, 'nested/<uuid>')})`, async () => {
      await roundTrip(ctx.p(name), randomContent(4096));
      const dir = ctx.p(name).split('/').slice(0, -1).join('/');
      const listed = await ctx.repo().listArtifacts(dir);
      expect(listed.map((f) => f.path)).toContain(ctx.p(name));
    });
  }
  ctx.it('writes deeply nested paths (parents created)', () => roundTrip(ctx.p('d1/d2/d3/d4/d5/d6/d7/d8/deep.bin'), randomContent(10_000)));
  ctx.it('overwrites an existing file', async () => {
    await ctx.repo().writeArtifact(ctx.p('over.txt'), 'first version, longer');
    await ctx.repo().writeArtifact(ctx.p('over.txt'), 'second');
    expect((await readAll(await ctx.repo().openArtifact(ctx.p('over.txt')))).toString()).toBe('second');
  });
  ctx.it('normalises ./ and duplicate slashes', async () => {
    await ctx.repo().writeArtifact(`./${ctx.p('norm')}//x.txt`, 'n');
    expect((await readAll(await ctx.repo().openArtifact(ctx.p('norm/x.txt')))).toString()).toBe('n');
  });
  ctx.it('open of a missing file → RESOURCE_DOES_NOT_EXIST', () =>
    expectMlflowError(() => ctx.repo().openArtifact(ctx.p('missing.txt')), 'RESOURCE_DOES_NOT_EXIST'),
  );
  ctx.it('open under a missing directory → RESOURCE_DOES_NOT_EXIST', () =>
    expectMlflowError(() => ctx.repo().openArtifact(ctx.p('no/such/dir/f.txt')), 'RESOURCE_DOES_NOT_EXIST'),
  );
  ctx.it(
    'reads a byte range',
    async () => {
      const data = randomContent(100_000);
      await ctx.repo().writeArtifact(ctx.p('range.bin'), data);
      const part = await readAll(await ctx.repo().openArtifact(ctx.p('range.bin'), { start: 10, end: 99 }));
      expect(part.equals(data.subarray(10, 100))).toBe(true);
    },
    needs('rangeRead'),
  );
  ctx.it('an aborted signal rejects the write with CANCELLED and leaves no file', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectMlflowError(() => ctx.repo().writeArtifact(ctx.p('aborted.txt'), 'x', { signal: ac.signal }), 'CANCELLED');
    await expectMlflowError(() => ctx.repo().openArtifact(ctx.p('aborted.txt')), 'RESOURCE_DOES_NOT_EXIST');
  });
  ctx.it('a failing body stream leaves no partial file', async () => {
    async function* broken() {
      yield Buffer.from('partial data');
      throw new Error('source failed');
    }
    await expect(ctx.repo().writeArtifact(ctx.p('broken.txt'), broken())).rejects.toBeTruthy();
    await expectMlflowError(() => ctx.repo().openArtifact(ctx.p('broken.txt')), 'RESOURCE_DOES_NOT_EXIST');
    expect((await ctx.repo().listArtifacts(ctx.p())).map((f) => f.path).filter((p) => p.includes('broken'))).toEqual([]);
  });
  ctx.it('write to the root path is refused', () =>
    expectMlflowError(() => ctx.repo().writeArtifact('', 'x'), 'INVALID_PARAMETER_VALUE'),
  );
}
