import { runInfoOf, type RunStatus } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment, newRun, newRunId, runTags } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

const RUN_NAME = 'mlflow.runName';
const UNKNOWN_RUN = '0123456789abcdef0123456789abcdef';
const STATUSES: { status: RunStatus }[] = ['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED'].map((s) => ({
  status: s as RunStatus,
}));

/** Runs: create, get, update_run_info, delete/restore, run names. */
export const runsGroup: TrackingCaseGroup = {
  name: 'runs',
  define(ctx) {
    const s = () => ctx.store();

    ctx.it('createRun returns an active RUNNING run with the given attributes', async () => {
      const exp = await newExperiment(ctx);
      const run = await s().createRun({ experimentId: exp, userId: 'alice', startTime: 1234 });
      expect(run.info).toMatchObject({ experiment_id: exp, user_id: 'alice', start_time: 1234, status: 'RUNNING', lifecycle_stage: 'active' });
      expect(run.info.end_time ?? undefined).toBeUndefined();
    });

    ctx.it('run ids are 32 lowercase hex characters and run_uuid mirrors run_id', async () => {
      const run = await newRun(ctx);
      expect(run.info.run_id).toMatch(/^[0-9a-f]{32}$/);
      expect(run.info.run_uuid).toBe(run.info.run_id);
    });

    ctx.it('run ids are unique', async () => {
      const exp = await newExperiment(ctx);
      const ids = await Promise.all([1, 2, 3, 4].map(() => newRunId(ctx, exp)));
      expect(new Set(ids).size).toBe(4);
    });

    ctx.it('the artifact uri is <experiment artifact location>/<run id>/artifacts', async () => {
      const exp = await newExperiment(ctx);
      const loc = (await s().getExperiment(exp)).artifact_location.replace(/\/+$/, '');
      const run = await newRun(ctx, exp);
      expect(run.info.artifact_uri).toBe(`${loc}/${run.info.run_id}/artifacts`);
    });

    ctx.it('a new run has no metrics, params, inputs or outputs', async () => {
      const run = await s().getRun((await newRun(ctx)).info.run_id);
      expect(run.data.metrics).toEqual([]);
      expect(run.data.params).toEqual([]);
      expect(run.inputs.dataset_inputs).toEqual([]);
      expect(run.inputs.model_inputs ?? []).toEqual([]);
      expect(run.outputs?.model_outputs ?? []).toEqual([]);
    });

    ctx.it('createRun stores the given tags', async () => {
      const exp = await newExperiment(ctx);
      const run = await s().createRun({ experimentId: exp, startTime: 1, tags: [{ key: 'a', value: '1' }, { key: 'b/c', value: '' }] });
      const tags = await runTags(s(), run.info.run_id);
      expect(tags).toMatchObject({ a: '1', 'b/c': '' });
    });

    ctx.it('run_name argument becomes run_name and the mlflow.runName tag', async () => {
      const exp = await newExperiment(ctx);
      const run = await s().createRun({ experimentId: exp, startTime: 1, runName: 'my-run' });
      expect(run.info.run_name).toBe('my-run');
      expect((await runTags(s(), run.info.run_id))[RUN_NAME]).toBe('my-run');
    });

    ctx.it('the mlflow.runName tag alone sets run_name', async () => {
      const exp = await newExperiment(ctx);
      const run = await s().createRun({ experimentId: exp, startTime: 1, tags: [{ key: RUN_NAME, value: 'from-tag' }] });
      expect(run.info.run_name).toBe('from-tag');
      expect((await s().getRun(run.info.run_id)).info.run_name).toBe('from-tag');
    });

    ctx.it('equal run_name argument and tag are accepted', async () => {
      const exp = await newExperiment(ctx);
      const run = await s().createRun({ experimentId: exp, startTime: 1, runName: 'same', tags: [{ key: RUN_NAME, value: 'same' }] });
      expect(run.info.run_name).toBe('same');
      const tags = (await s().getRun(run.info.run_id)).data.tags.filter((t) => t.key === RUN_NAME);
      expect(tags).toEqual([{ key: RUN_NAME, value: 'same' }]);
    });

    ctx.it('run_name argument differing from the tag fails with INVALID_PARAMETER_VALUE', async () => {
      const exp = await newExperiment(ctx);
      await expectMlflowError(
        s().createRun({ experimentId: exp, startTime: 1, runName: 'a', tags: [{ key: RUN_NAME, value: 'b' }] }),
        'INVALID_PARAMETER_VALUE',
        /run_name/,
      );
    });

    ctx.it('without a name the run gets a random non-empty name, also as tag', async () => {
      const run = await newRun(ctx);
      expect(run.info.run_name.length).toBeGreaterThan(0);
      expect((await runTags(s(), run.info.run_id))[RUN_NAME]).toBe(run.info.run_name);
    });

    ctx.it('getRun returns the same info as createRun', async () => {
      const run = await newRun(ctx);
      expect((await s().getRun(run.info.run_id)).info).toEqual(run.info);
    });

    ctx.it('getRun of an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().getRun(UNKNOWN_RUN), 'RESOURCE_DOES_NOT_EXIST', new RegExp(UNKNOWN_RUN));
    });

    ctx.it('runInfoOf (getRunInfo where the store has it) equals getRun().info, for a finished and a deleted run; unknown → RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await newRunId(ctx);
      await s().updateRunInfo(id, { status: 'FINISHED', endTime: 1_700_000_000_000 });
      expect(await runInfoOf(s(), id)).toEqual((await s().getRun(id)).info);
      await s().deleteRun(id);
      expect(await runInfoOf(s(), id)).toEqual((await s().getRun(id)).info);
      await expectMlflowError(runInfoOf(s(), UNKNOWN_RUN), 'RESOURCE_DOES_NOT_EXIST', new RegExp(UNKNOWN_RUN));
    });

    ctx.each(STATUSES, 'updateRunInfo sets status $status', async ({ status }) => {
      const id = await newRunId(ctx);
      const info = await s().updateRunInfo(id, { status });
      expect(info.status).toBe(status);
      expect((await s().getRun(id)).info.status).toBe(status);
    });

    ctx.it('updateRunInfo with status and end time returns and stores both', async () => {
      const id = await newRunId(ctx);
      const info = await s().updateRunInfo(id, { status: 'FINISHED', endTime: 99_999 });
      expect(info).toMatchObject({ status: 'FINISHED', end_time: 99_999, run_id: id });
      expect((await s().getRun(id)).info).toMatchObject({ status: 'FINISHED', end_time: 99_999 });
    });

    ctx.it('updateRunInfo with only a status keeps end time and name', async () => {
      const run = await newRun(ctx);
      const id = run.info.run_id;
      await s().updateRunInfo(id, { endTime: 5000 });
      await s().updateRunInfo(id, { status: 'FAILED' });
      expect((await s().getRun(id)).info).toMatchObject({ status: 'FAILED', end_time: 5000, run_name: run.info.run_name });
    });

    ctx.it('updateRunInfo with only an end time keeps the status', async () => {
      const id = await newRunId(ctx);
      await s().updateRunInfo(id, { endTime: 7000 });
      expect((await s().getRun(id)).info).toMatchObject({ status: 'RUNNING', end_time: 7000 });
    });

    ctx.it('updateRunInfo with an empty request changes nothing', async () => {
      const run = await newRun(ctx);
      await s().updateRunInfo(run.info.run_id, {});
      expect((await s().getRun(run.info.run_id)).info).toEqual(run.info);
    });

    ctx.it('updateRunInfo run_name renames the run and updates the mlflow.runName tag', async () => {
      const id = await newRunId(ctx);
      const info = await s().updateRunInfo(id, { runName: 'renamed' });
      expect(info.run_name).toBe('renamed');
      expect((await s().getRun(id)).info.run_name).toBe('renamed');
      expect((await runTags(s(), id))[RUN_NAME]).toBe('renamed');
    });

    ctx.it('updateRunInfo of an unknown run fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().updateRunInfo(UNKNOWN_RUN, { status: 'FINISHED' }), 'RESOURCE_DOES_NOT_EXIST');
    });

    ctx.it('setTag mlflow.runName renames the run', async () => {
      const id = await newRunId(ctx);
      await s().setTag(id, { key: RUN_NAME, value: 'via-tag' });
      expect((await s().getRun(id)).info.run_name).toBe('via-tag');
      expect((await runTags(s(), id))[RUN_NAME]).toBe('via-tag');
    });

    ctx.it('logBatch with an mlflow.runName tag renames the run', async () => {
      const id = await newRunId(ctx);
      await s().logBatch(id, { tags: [{ key: RUN_NAME, value: 'via-batch' }] });
      expect((await s().getRun(id)).info.run_name).toBe('via-batch');
    });

    ctx.it('deleteRun marks the run deleted; getRun still returns it', async () => {
      const id = await newRunId(ctx);
      await s().deleteRun(id);
      expect((await s().getRun(id)).info.lifecycle_stage).toBe('deleted');
    });

    ctx.it('deleteRun keeps the run status and data', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'p', value: '1' });
      await s().deleteRun(id);
      const run = await s().getRun(id);
      expect(run.info.status).toBe('RUNNING');
      expect(run.data.params).toEqual([{ key: 'p', value: '1' }]);
    });

    ctx.it('restoreRun makes a deleted run active', async () => {
      const id = await newRunId(ctx);
      await s().deleteRun(id);
      await s().restoreRun(id);
      expect((await s().getRun(id)).info.lifecycle_stage).toBe('active');
    });

    ctx.it('deleting a deleted run is accepted', async () => {
      const id = await newRunId(ctx);
      await s().deleteRun(id);
      await s().deleteRun(id);
      expect((await s().getRun(id)).info.lifecycle_stage).toBe('deleted');
    });

    ctx.it('restoring an active run keeps it active', async () => {
      const id = await newRunId(ctx);
      await s().restoreRun(id);
      expect((await s().getRun(id)).info.lifecycle_stage).toBe('active');
    });

    ctx.each(
      [{ op: 'deleteRun' as const }, { op: 'restoreRun' as const }],
      '$op of an unknown run fails with RESOURCE_DOES_NOT_EXIST',
      async ({ op }) => {
        await expectMlflowError(s()[op](UNKNOWN_RUN), 'RESOURCE_DOES_NOT_EXIST');
      },
    );

    ctx.it('deleting a run leaves sibling runs active', async () => {
      const exp = await newExperiment(ctx);
      const a = await newRunId(ctx, exp);
      const b = await newRunId(ctx, exp);
      await s().deleteRun(a);
      expect((await s().getRun(b)).info.lifecycle_stage).toBe('active');
    });

    ctx.it('recordLoggedModel appends to the mlflow.log-model.history tag', async () => {
      const id = await newRunId(ctx);
      await s().recordLoggedModel(id, { artifact_path: 'm1', run_id: id, flavors: {} });
      await s().recordLoggedModel(id, { artifact_path: 'm2', run_id: id, flavors: {} });
      const raw = (await runTags(s(), id))['mlflow.log-model.history'] ?? '[]';
      const history = JSON.parse(raw) as { artifact_path: string }[];
      expect(history.map((m) => m.artifact_path)).toEqual(['m1', 'm2']);
    });
  },
};
