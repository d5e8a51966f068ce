import { expect } from 'vitest';
import { expectMlflowError } from '../../tracking/expect-error.js';
import type { ArtifactKitContext } from '../context.js';
import { canDelete, canDeleteFully } from '../context.js';
import { readAll } from '../helpers.js';

/** `deleteArtifacts` semantics. */
export function defineDeleteCases(ctx: ArtifactKitContext): void {
  const exists = async (p: string) => {
    try {
      await readAll(await ctx.repo().openArtifact(p));
      return true;
    } catch {
      return false;
    }
  };
  ctx.it(
    'deletes a file',
    async () => {
      await ctx.repo().writeArtifact(ctx.p('f.txt'), 'x');
      await ctx.repo().deleteArtifacts(ctx.p('f.txt'));
      await expectMlflowError(() => ctx.repo().openArtifact(ctx.p('f.txt')), 'RESOURCE_DOES_NOT_EXIST');
    },
    canDelete,
  );
  ctx.it(
    'deletes a directory recursively',
    async () => {
      await ctx.repo().writeArtifact(ctx.p('dir/a/b.txt'), 'b');
      await ctx.repo().writeArtifact(ctx.p('dir/c.txt'), 'c');
      await ctx.repo().deleteArtifacts(ctx.p('dir'));
      expect(await ctx.repo().listArtifacts(ctx.p('dir'))).toEqual([]);
      expect(await exists(ctx.p('dir/a/b.txt'))).toBe(false);
    },
    canDelete,
  );
  ctx.it(
    'removes the directory itself',
    async () => {
      await ctx.repo().writeArtifact(ctx.p('gone/x.txt'), 'x');
      await ctx.repo().deleteArtifacts(ctx.p('gone'));
      expect((await ctx.repo().listArtifacts(ctx.p())).map((f) => f.path)).not.toContain(ctx.p('gone'));
    },
    canDeleteFully,
  );
  ctx.it(
    'does not over-match a prefix (model vs model2/ and model.txt)',
    async () => {
      await ctx.repo().writeArtifact(ctx.p('pm/model/w.bin'), 'w');
      await ctx.repo().writeArtifact(ctx.p('pm/model2/w.bin'), 'w2');
      await ctx.repo().writeArtifact(ctx.p('pm/model.txt'), 't');
      await ctx.repo().deleteArtifacts(ctx.p('pm/model'));
      expect(await exists(ctx.p('pm/model/w.bin'))).toBe(false);
      expect(await exists(ctx.p('pm/model2/w.bin'))).toBe(true);
      expect(await exists(ctx.p('pm/model.txt'))).toBe(true);
    },
    canDelete,
  );
  ctx.it('deleting a missing path is a no-op', () => ctx.repo().deleteArtifacts(ctx.p('never/was/here')), canDelete);
  ctx.it(
    'deletes a file with a special name',
    async () => {
      const name = ctx.p("sp/🐂 !@$%^&()_+-=;',.txt");
      await ctx.repo().writeArtifact(name, 'x');
      await ctx.repo().deleteArtifacts(name);
      expect(await exists(name)).toBe(false);
    },
    canDelete,
  );
  ctx.it(
    'a write after delete works again',
    async () => {
      await ctx.repo().writeArtifact(ctx.p('again/f.txt'), '1');
      await ctx.repo().deleteArtifacts(ctx.p('again'));
      await ctx.repo().writeArtifact(ctx.p('again/f.txt'), '2');
      expect((await readAll(await ctx.repo().openArtifact(ctx.p('again/f.txt')))).toString()).toBe('2');
    },
    canDelete,
  );
}
