import type { AbstractStore, RunStatus } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { metric, newExperiment, newRunId } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

interface Write {
  write: string;
  /** Performs the write; `prepared` is the run after `prepare`. */
  run(store: AbstractStore, runId: string): Promise<unknown>;
  /** Creates what the write needs on an active run (e.g. the tag to delete). */
  prepare?(store: AbstractStore, runId: string): Promise<unknown>;
}

const DATASET = { name: 'ds', digest: 'abc123', source_type: 'local', source: '/tmp/ds' };

const WRITES: Write[] = [
  { write: 'logMetric', run: (s, id) => s.logMetric(id, metric('m', 1)) },
  { write: 'logParam', run: (s, id) => s.logParam(id, { key: 'p', value: 'v' }) },
  { write: 'setTag', run: (s, id) => s.setTag(id, { key: 't', value: 'v' }) },
  { write: 'deleteTag', prepare: (s, id) => s.setTag(id, { key: 'gone', value: 'x' }), run: (s, id) => s.deleteTag(id, 'gone') },
  { write: 'logBatch with a metric', run: (s, id) => s.logBatch(id, { metrics: [metric('m', 2)] }) },
  { write: 'logBatch with a param', run: (s, id) => s.logBatch(id, { params: [{ key: 'bp', value: 'v' }] }) },
  { write: 'logBatch with a tag', run: (s, id) => s.logBatch(id, { tags: [{ key: 'bt', value: 'v' }] }) },
  { write: 'updateRunInfo', run: (s, id) => s.updateRunInfo(id, { status: 'FINISHED', endTime: 10 }) },
  { write: 'updateRunInfo run name', run: (s, id) => s.updateRunInfo(id, { runName: 'renamed' }) },
  { write: 'logInputs', run: (s, id) => s.logInputs(id, { datasets: [{ tags: [], dataset: DATASET }] }) },
  { write: 'logOutputs', run: (s, id) => s.logOutputs(id, [{ model_id: 'm-0123456789abcdef0123456789abcdef', step: 0 }]) },
  { write: 'recordLoggedModel', run: (s, id) => s.recordLoggedModel(id, { artifact_path: 'model', run_id: id, flavors: {} }) },
];

const ENDED: { status: RunStatus }[] = [{ status: 'FINISHED' }, { status: 'FAILED' }, { status: 'KILLED' }];

/** Lifecycle gating: only `lifecycle_stage` blocks run writes, never the run status. */
export const lifecycleGroup: TrackingCaseGroup = {
  name: 'lifecycle',
  define(ctx) {
    const s = () => ctx.store();

    ctx.each(WRITES, '$write on a deleted run fails with INVALID_PARAMETER_VALUE', async (w) => {
      const id = await newRunId(ctx);
      await w.prepare?.(s(), id);
      await s().deleteRun(id);
      await expectMlflowError(w.run(s(), id), 'INVALID_PARAMETER_VALUE', /active/);
    });

    ctx.each(WRITES, '$write on a restored run succeeds', async (w) => {
      const id = await newRunId(ctx);
      await w.prepare?.(s(), id);
      await s().deleteRun(id);
      await s().restoreRun(id);
      await w.run(s(), id);
    });

    ctx.each(WRITES, '$write on a run of a deleted experiment fails with INVALID_PARAMETER_VALUE', async (w) => {
      const exp = await newExperiment(ctx);
      const id = await newRunId(ctx, exp);
      await w.prepare?.(s(), id);
      await s().deleteExperiment(exp);
      await expectMlflowError(w.run(s(), id), 'INVALID_PARAMETER_VALUE');
    });

    for (const { status } of ENDED) {
      ctx.each(
        WRITES.filter((w) => !w.write.startsWith('updateRunInfo')),
        `$write on a ${status} run succeeds`,
        async (w) => {
          const id = await newRunId(ctx);
          await w.prepare?.(s(), id);
          await s().updateRunInfo(id, { status, endTime: Date.now() });
          await w.run(s(), id);
        },
      );
    }

    ctx.it('a failed write on a deleted run leaves its data unchanged', async () => {
      const id = await newRunId(ctx);
      await s().logParam(id, { key: 'keep', value: '1' });
      await s().deleteRun(id);
      await expectMlflowError(s().logBatch(id, { params: [{ key: 'new', value: '2' }], metrics: [metric('m', 1)] }), 'INVALID_PARAMETER_VALUE');
      await s().restoreRun(id);
      const run = await s().getRun(id);
      expect(run.data.params).toEqual([{ key: 'keep', value: '1' }]);
      expect(run.data.metrics).toEqual([]);
    });

    ctx.it('a deleted run can be read with its data', async () => {
      const id = await newRunId(ctx);
      await s().logMetric(id, metric('m', 3));
      await s().deleteRun(id);
      const run = await s().getRun(id);
      expect(run.data.metrics.map((m) => m.value)).toEqual([3]);
      expect((await s().getMetricHistory(id, 'm')).items.map((m) => m.value)).toEqual([3]);
    });
  },
};
