import { expect } from 'vitest';
import { expectMlflowError } from '../../tracking/expect-error.js';
import type { ArtifactKitContext } from '../context.js';
import { TRAVERSAL_PAYLOADS, readAll, tempDir } from '../helpers.js';

const show = (p: string) => JSON.stringify(p).slice(1, -1);

/**
 * The CVE corpus (field-notes §3.6): every payload is refused with INVALID_PARAMETER_VALUE by
 * write, open, list, download and delete — also when prefixed by the run's root. With an
 * `outsideRootProbe`, a canary outside the root is checked to be untouched afterwards.
 */
export function defineTraversalCases(ctx: ArtifactKitContext): void {
  const refusedEverywhere = async (payload: string) => {
    const r = ctx.repo();
    const code = 'INVALID_PARAMETER_VALUE';
    await expectMlflowError(() => r.writeArtifact(payload, 'pwned'), code);
    await expectMlflowError(() => r.openArtifact(payload), code);
    await expectMlflowError(() => r.listArtifacts(payload), code);
    await expectMlflowError(async () => r.downloadArtifacts(payload, await tempDir()), code);
    await expectMlflowError(() => r.deleteArtifacts(payload), code);
  };
  for (const payload of TRAVERSAL_PAYLOADS) {
    ctx.it(`refuses "${show(payload)}" for write, open, list, download and delete`, () => refusedEverywhere(payload));
  }
  for (const payload of ['../../x', '..%2f..%2fx', '%252e%252e%252f%252e%252e%252fx', '..\\..\\x']) {
    ctx.it(`refuses "${show(payload)}" below the run prefix`, () => refusedEverywhere(`${ctx.p('t')}/${payload}`));
  }
  ctx.it('logArtifact refuses a traversal artifactPath', async () => {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const file = join(await tempDir(), 'f.txt');
    await writeFile(file, 'x');
    await expectMlflowError(() => ctx.repo().logArtifact(file, '../../escape'), 'INVALID_PARAMETER_VALUE');
    await expectMlflowError(() => ctx.repo().logArtifacts(join(file, '..'), '%2e%2e/escape'), 'INVALID_PARAMETER_VALUE');
  });
  ctx.it('the error message says "Invalid path"', async () => {
    await expectMlflowError(() => ctx.repo().openArtifact('../x'), 'INVALID_PARAMETER_VALUE', /Invalid path/);
  });
  ctx.it('legal names that merely look odd are accepted ("..." , "a..b", "%2e.txt")', async () => {
    for (const name of ['...', 'a..b', '..hidden', 'x%2e.txt']) {
      await ctx.repo().writeArtifact(ctx.p(`odd/${name}`), name);
      expect((await readAll(await ctx.repo().openArtifact(ctx.p(`odd/${name}`)))).toString()).toBe(name);
    }
  });
  ctx.it('the canary outside the root is never read, written or deleted', async () => {
    const probe = ctx.options.outsideRootProbe;
    if (!probe) return; // remote repositories cannot place a canary; payload refusal is still checked
    await probe.setup();
    for (const payload of TRAVERSAL_PAYLOADS) {
      const r = ctx.repo();
      await r.writeArtifact(payload, 'pwned').catch(() => undefined);
      await r.openArtifact(payload).then((s) => readAll(s)).catch(() => undefined);
      await r.listArtifacts(payload).catch(() => undefined);
      await r.deleteArtifacts(payload).catch(() => undefined);
    }
    await probe.verify();
  });
}
