import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment, newRunId } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

const INVALID_NAMES: { label: string; name: unknown }[] = [
  { label: 'empty', name: '' },
  { label: 'blank', name: '   ' },
  { label: '501 characters', name: 'n'.repeat(501) },
  { label: 'a number', name: 123 },
  { label: 'null', name: null },
  { label: 'an object', name: { name: 'x' } },
];

/** Experiments: create, get, get by name, rename, delete/restore with run cascades. */
export const experimentsGroup: TrackingCaseGroup = {
  name: 'experiments',
  define(ctx) {
    const s = () => ctx.store();

    ctx.it('default experiment "0" exists, is named Default and active', async () => {
      const exp = await s().getExperiment('0');
      expect(exp.experiment_id).toBe('0');
      expect(exp.name).toBe('Default');
      expect(exp.lifecycle_stage).toBe('active');
    });

    ctx.it('getExperimentByName finds the default experiment', async () => {
      const exp = await s().getExperimentByName('Default');
      expect(exp?.experiment_id).toBe('0');
    });

    ctx.it('createExperiment returns a string id that getExperiment resolves', async () => {
      const name = ctx.uniq('exp');
      const id = await s().createExperiment(name);
      expect(typeof id).toBe('string');
      const exp = await s().getExperiment(id);
      expect(exp).toMatchObject({ experiment_id: id, name, lifecycle_stage: 'active' });
    });

    ctx.it('a new experiment has creation_time and last_update_time close to now', async () => {
      const before = Date.now();
      const id = await newExperiment(ctx);
      const exp = await s().getExperiment(id);
      expect(exp.creation_time).toBeGreaterThanOrEqual(before - 1000);
      expect(exp.creation_time).toBeLessThanOrEqual(Date.now() + 1000);
      expect(exp.last_update_time).toBe(exp.creation_time);
    });

    ctx.it('a new experiment without tags has an empty tag list', async () => {
      const exp = await s().getExperiment(await newExperiment(ctx));
      expect(exp.tags).toEqual([]);
    });

    ctx.it('createExperiment stores the given tags', async () => {
      const id = await s().createExperiment(ctx.uniq('exp'), undefined, [
        { key: 'team', value: 'a' },
        { key: 'k2', value: '' },
      ]);
      const exp = await s().getExperiment(id);
      expect(exp.tags).toEqual(expect.arrayContaining([{ key: 'team', value: 'a' }, { key: 'k2', value: '' }]));
      expect(exp.tags).toHaveLength(2);
    });

    ctx.it('createExperiment keeps an explicit remote artifact location verbatim', async () => {
      const loc = `s3://bucket/${ctx.uniq('loc')}`;
      const id = await s().createExperiment(ctx.uniq('exp'), loc);
      expect((await s().getExperiment(id)).artifact_location).toBe(loc);
    });

    ctx.it('the default artifact location is non-empty and ends with the experiment id', async () => {
      const id = await newExperiment(ctx);
      const loc = (await s().getExperiment(id)).artifact_location;
      expect(loc.length).toBeGreaterThan(0);
      expect(loc.replace(/\/+$/, '').endsWith(`/${id}`)).toBe(true);
    });

    ctx.each(
      [{ loc: 'runs:/abc/artifacts' }, { loc: 'runs:' }, { loc: 'runs:/0123456789abcdef/model' }],
      'createExperiment refuses artifact location $loc',
      async ({ loc }) => {
        await expectMlflowError(s().createExperiment(ctx.uniq('exp'), loc), 'INVALID_PARAMETER_VALUE', /runs:/);
      },
    );

    ctx.each(INVALID_NAMES, 'createExperiment refuses a name that is $label', async ({ name }) => {
      await expectMlflowError(s().createExperiment(name as string), 'INVALID_PARAMETER_VALUE');
    });

    ctx.each(
      [
        { label: '256 characters', make: (u: string) => u + 'n'.repeat(256 - u.length) },
        { label: 'spaces and punctuation', make: (u: string) => `${u} my/exp: (v1) it's "quoted"` },
        { label: 'non-ASCII characters', make: (u: string) => `${u}-实验-ü-🚀` },
      ],
      'createExperiment accepts a name with $label',
      async ({ make }) => {
        const name = make(ctx.uniq('e'));
        const id = await s().createExperiment(name);
        expect((await s().getExperiment(id)).name).toBe(name);
        expect((await s().getExperimentByName(name))?.experiment_id).toBe(id);
      },
    );

    ctx.it('createExperiment with an existing name fails with RESOURCE_ALREADY_EXISTS', async () => {
      const name = ctx.uniq('exp');
      await s().createExperiment(name);
      await expectMlflowError(s().createExperiment(name), 'RESOURCE_ALREADY_EXISTS');
    });

    ctx.it('the name of a deleted experiment stays reserved', async () => {
      const name = ctx.uniq('exp');
      const id = await s().createExperiment(name);
      await s().deleteExperiment(id);
      await expectMlflowError(s().createExperiment(name), 'RESOURCE_ALREADY_EXISTS');
    });

    ctx.it('experiment ids are unique', async () => {
      const ids = await Promise.all([newExperiment(ctx), newExperiment(ctx), newExperiment(ctx)]);
      expect(new Set(ids).size).toBe(3);
    });

    ctx.it(
      'experiment ids increase sequentially',
      async () => {
        const a = await newExperiment(ctx);
        const b = await newExperiment(ctx);
        expect(Number(b)).toBeGreaterThan(Number(a));
      },
      ['sequentialExperimentIds'],
    );

    ctx.it('getExperiment of an unknown id fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().getExperiment('987654321012'), 'RESOURCE_DOES_NOT_EXIST', /987654321012/);
    });

    ctx.it('getExperiment of a malformed id fails with a coded error', async () => {
      await expectMlflowError(s().getExperiment('not-an-id'), ['INVALID_PARAMETER_VALUE', 'RESOURCE_DOES_NOT_EXIST']);
    });

    ctx.it('getExperimentByName of an unknown name returns null', async () => {
      expect(await s().getExperimentByName(ctx.uniq('missing'))).toBeNull();
    });

    ctx.it('getExperimentByName is exact (no prefix or case-insensitive match)', async () => {
      const name = ctx.uniq('Exp');
      await s().createExperiment(name);
      expect(await s().getExperimentByName(name.toLowerCase())).toBeNull();
      expect(await s().getExperimentByName(name.slice(0, -1))).toBeNull();
    });

    ctx.it('deleteExperiment marks it deleted; get and getByName still return it', async () => {
      const name = ctx.uniq('exp');
      const id = await s().createExperiment(name);
      await s().deleteExperiment(id);
      expect((await s().getExperiment(id)).lifecycle_stage).toBe('deleted');
      expect((await s().getExperimentByName(name))?.lifecycle_stage).toBe('deleted');
    });

    ctx.it('deleteExperiment bumps last_update_time', async () => {
      const id = await newExperiment(ctx);
      const before = (await s().getExperiment(id)).last_update_time ?? 0;
      await new Promise((r) => setTimeout(r, 5));
      await s().deleteExperiment(id);
      expect((await s().getExperiment(id)).last_update_time).toBeGreaterThan(before);
    });

    ctx.it('deleting a deleted experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await newExperiment(ctx);
      await s().deleteExperiment(id);
      await expectMlflowError(s().deleteExperiment(id), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('deleting an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().deleteExperiment('987654321013'), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('restoreExperiment makes it active again', async () => {
      const id = await newExperiment(ctx);
      await s().deleteExperiment(id);
      await s().restoreExperiment(id);
      expect((await s().getExperiment(id)).lifecycle_stage).toBe('active');
    });

    ctx.it('restoring an active experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await newExperiment(ctx);
      await expectMlflowError(s().restoreExperiment(id), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('restoring an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().restoreExperiment('987654321014'), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('deleteExperiment marks its active runs deleted', async () => {
      const id = await newExperiment(ctx);
      const a = await newRunId(ctx, id);
      const b = await newRunId(ctx, id);
      await s().deleteExperiment(id);
      expect((await s().getRun(a)).info.lifecycle_stage).toBe('deleted');
      expect((await s().getRun(b)).info.lifecycle_stage).toBe('deleted');
    });

    ctx.it('deleteExperiment leaves runs of other experiments alone', async () => {
      const id = await newExperiment(ctx);
      const other = await newRunId(ctx);
      await newRunId(ctx, id);
      await s().deleteExperiment(id);
      expect((await s().getRun(other)).info.lifecycle_stage).toBe('active');
    });

    ctx.it('restoreExperiment re-activates all its deleted runs, even ones deleted earlier', async () => {
      const id = await newExperiment(ctx);
      const early = await newRunId(ctx, id);
      const late = await newRunId(ctx, id);
      await s().deleteRun(early);
      await s().deleteExperiment(id);
      await s().restoreExperiment(id);
      expect((await s().getRun(early)).info.lifecycle_stage).toBe('active');
      expect((await s().getRun(late)).info.lifecycle_stage).toBe('active');
    });

    ctx.it('runs of a restored experiment accept writes again', async () => {
      const id = await newExperiment(ctx);
      const run = await newRunId(ctx, id);
      await s().deleteExperiment(id);
      await s().restoreExperiment(id);
      await s().logParam(run, { key: 'p', value: 'v' });
      expect((await s().getRun(run)).data.params).toEqual([{ key: 'p', value: 'v' }]);
    });

    ctx.it('renameExperiment changes the name; the old name no longer resolves', async () => {
      const old = ctx.uniq('old');
      const id = await s().createExperiment(old);
      const renamed = ctx.uniq('new');
      await s().renameExperiment(id, renamed);
      expect((await s().getExperiment(id)).name).toBe(renamed);
      expect((await s().getExperimentByName(renamed))?.experiment_id).toBe(id);
      expect(await s().getExperimentByName(old)).toBeNull();
    });

    ctx.it('renameExperiment frees the old name for a new experiment', async () => {
      const old = ctx.uniq('old');
      const id = await s().createExperiment(old);
      await s().renameExperiment(id, ctx.uniq('new'));
      const again = await s().createExperiment(old);
      expect(again).not.toBe(id);
    });

    ctx.it('renameExperiment bumps last_update_time', async () => {
      const id = await newExperiment(ctx);
      const before = (await s().getExperiment(id)).last_update_time ?? 0;
      await new Promise((r) => setTimeout(r, 5));
      await s().renameExperiment(id, ctx.uniq('new'));
      expect((await s().getExperiment(id)).last_update_time).toBeGreaterThan(before);
    });

    ctx.it('renaming a deleted experiment fails with INVALID_STATE', async () => {
      const id = await newExperiment(ctx);
      await s().deleteExperiment(id);
      await expectMlflowError(s().renameExperiment(id, ctx.uniq('new')), 'INVALID_STATE', /non-active/);
    });

    ctx.it('renaming an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().renameExperiment('987654321015', ctx.uniq('new')), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('renaming onto an existing name fails and keeps both names', async () => {
      const taken = ctx.uniq('taken');
      await s().createExperiment(taken);
      const mine = ctx.uniq('mine');
      const id = await s().createExperiment(mine);
      await expectMlflowError(s().renameExperiment(id, taken), ['RESOURCE_ALREADY_EXISTS', 'BAD_REQUEST']);
      expect((await s().getExperiment(id)).name).toBe(mine);
    });

    ctx.each(INVALID_NAMES, 'renameExperiment refuses a new name that is $label', async ({ name }) => {
      const id = await newExperiment(ctx);
      await expectMlflowError(s().renameExperiment(id, name as string), 'INVALID_PARAMETER_VALUE');
    });

    ctx.it('createRun without an experiment id creates the run in experiment "0"', async () => {
      const run = await s().createRun({ userId: 'kit', startTime: Date.now() });
      expect(run.info.experiment_id).toBe('0');
    });

    ctx.it('createRun in an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().createRun({ experimentId: '987654321016', startTime: 1 }), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('createRun in a deleted experiment is refused', async () => {
      const id = await newExperiment(ctx);
      await s().deleteExperiment(id);
      await expectMlflowError(s().createRun({ experimentId: id, startTime: 1 }), ['INVALID_PARAMETER_VALUE', 'INVALID_STATE'], /active/);
    });
  },
};
