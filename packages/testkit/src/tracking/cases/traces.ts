import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment, withEnv } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';
import { newTrace, TRACES, traceInfo } from './trace-fixtures.js';

const TRUNCATE = 'MLFLOW_TRUNCATE_LONG_VALUES';
const UNKNOWN_TRACE = 'tr-ffffffffffffffffffffffffffffffff';

/** Traces (MLflow 3): start/get, merge, tags and their limits, gated on the `traces` capability. */
export const tracesGroup: TrackingCaseGroup = {
  name: 'traces',
  define(ctx) {
    const s = () => ctx.store();
    const it = (name: string, fn: () => Promise<void>) => ctx.it(name, fn, [...TRACES]);

    it('startTrace stores every field, adds the artifact location tag and marks the info finalized', async () => {
      const exp = await newExperiment(ctx);
      const loc = (await s().getExperiment(exp)).artifact_location.replace(/\/+$/, '');
      const input = traceInfo(exp, {
        request_time: 1234,
        execution_duration: 56,
        state: 'ERROR',
        trace_metadata: { 'mlflow.sourceRun': 'r1', 'mlflow.trace.session': 's1', custom: 'm' },
        tags: { 'mlflow.traceName': 'my-trace', team: 'a' },
      });
      const started = await s().startTrace(input);
      const id = input.trace_id;
      expect(started).toMatchObject({
        trace_id: id,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
        request_time: 1234,
        execution_duration: 56,
        state: 'ERROR',
        request_preview: '{"q": "hi"}',
        response_preview: '"hello"',
        client_request_id: 'client-1',
      });
      expect(started.trace_metadata).toEqual({
        'mlflow.sourceRun': 'r1',
        'mlflow.trace.session': 's1',
        custom: 'm',
        'mlflow.trace.infoFinalized': 'true',
      });
      expect(started.tags).toEqual({
        'mlflow.traceName': 'my-trace',
        team: 'a',
        'mlflow.artifactLocation': `${loc}/traces/${id}/artifacts`,
      });
      expect(started.assessments).toEqual([]);
      expect(await s().getTraceInfo(id)).toEqual(started);
    });

    it('startTrace without a duration or previews leaves them absent', async () => {
      const exp = await newExperiment(ctx);
      const input = traceInfo(exp, { state: 'IN_PROGRESS' });
      delete input.execution_duration;
      delete input.request_preview;
      delete input.response_preview;
      delete input.client_request_id;
      const got = await s().getTraceInfo((await s().startTrace(input)).trace_id);
      expect(got.state).toBe('IN_PROGRESS');
      expect(got.execution_duration ?? undefined).toBeUndefined();
      expect(got.request_preview ?? undefined).toBeUndefined();
      expect(got.client_request_id ?? undefined).toBeUndefined();
    });

    it('startTrace again with the same id merges into the trace (tags and metadata kept, fields replaced)', async () => {
      const exp = await newExperiment(ctx);
      const first = traceInfo(exp, { tags: { a: '1' }, trace_metadata: { m: '1' }, state: 'IN_PROGRESS' });
      await s().startTrace(first);
      const again = await s().startTrace({ ...first, request_time: 2000, state: 'OK', tags: { b: '2' }, trace_metadata: { n: '2' } });
      expect(again.request_time).toBe(2000);
      expect(again.state).toBe('OK');
      expect(again.tags).toMatchObject({ a: '1', b: '2' });
      expect(again.trace_metadata).toMatchObject({ m: '1', n: '2' });
      expect(await s().getTraceInfo(first.trace_id)).toEqual(again);
    });

    it('startTrace in an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().startTrace(traceInfo('987654321019')), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('startTrace in a deleted experiment fails with INVALID_PARAMETER_VALUE', async () => {
      const exp = await newExperiment(ctx);
      await s().deleteExperiment(exp);
      await expectMlflowError(s().startTrace(traceInfo(exp)), 'INVALID_PARAMETER_VALUE', /active/);
    });

    for (const bad of ['a/b', '..', 'a?b', 'a#b', 'a%b', 'tr-x ']) {
      it(`startTrace refuses trace id ${JSON.stringify(bad)}`, async () => {
        const exp = await newExperiment(ctx);
        await expectMlflowError(s().startTrace(traceInfo(exp, { trace_id: bad })), 'INVALID_PARAMETER_VALUE', /trace_id/);
      });
    }

    it('startTrace refuses a trace name over 4096 characters (never truncated)', async () => {
      const exp = await newExperiment(ctx);
      await expectMlflowError(
        s().startTrace(traceInfo(exp, { tags: { 'mlflow.traceName': 'n'.repeat(4097) } })),
        'INVALID_PARAMETER_VALUE',
        /'Trace name' exceeds the maximum length of 4096 characters/,
      );
    });

    it('getTraceInfo of an unknown id fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().getTraceInfo(UNKNOWN_TRACE), 'RESOURCE_DOES_NOT_EXIST', /Trace with ID 'tr-f+' not found/);
    });

    it('setTraceTag sets and overwrites; deleteTraceTag removes', async () => {
      const id = await newTrace(ctx, await newExperiment(ctx));
      await s().setTraceTag(id, 'k', 'v1');
      await s().setTraceTag(id, 'k', 'v2');
      await s().setTraceTag(id, 'other', '');
      expect((await s().getTraceInfo(id)).tags).toMatchObject({ k: 'v2', other: '' });
      await s().deleteTraceTag(id, 'k');
      expect((await s().getTraceInfo(id)).tags).not.toHaveProperty('k');
    });

    it('the trace name is set and deleted through the tag methods', async () => {
      const id = await newTrace(ctx, await newExperiment(ctx), { tags: { 'mlflow.traceName': 'first' } });
      await s().setTraceTag(id, 'mlflow.traceName', 'second');
      expect((await s().getTraceInfo(id)).tags['mlflow.traceName']).toBe('second');
      await s().deleteTraceTag(id, 'mlflow.traceName');
      expect((await s().getTraceInfo(id)).tags).not.toHaveProperty('mlflow.traceName');
      await expectMlflowError(s().deleteTraceTag(id, 'mlflow.traceName'), 'RESOURCE_DOES_NOT_EXIST', /No trace tag with key 'mlflow.traceName'/);
    });

    it('deleteTraceTag of an unset key fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await newTrace(ctx, await newExperiment(ctx));
      await expectMlflowError(s().deleteTraceTag(id, 'nope'), 'RESOURCE_DOES_NOT_EXIST', new RegExp(`No trace tag with key 'nope' for trace with ID '${id}'`));
    });

    it('deleteTraceTag on an unknown trace fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().deleteTraceTag(UNKNOWN_TRACE, 'k'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('setTraceTag on an unknown trace fails (SQL: the foreign key, BAD_REQUEST)', async () => {
      await expectMlflowError(s().setTraceTag(UNKNOWN_TRACE, 'k', 'v'), ['RESOURCE_DOES_NOT_EXIST', 'BAD_REQUEST']);
    });

    for (const key of ['a//b', '/a', 'a/', '../x', '']) {
      it(`setTraceTag refuses key ${JSON.stringify(key)}`, async () => {
        const id = await newTrace(ctx, await newExperiment(ctx));
        await expectMlflowError(s().setTraceTag(id, key, 'v'), 'INVALID_PARAMETER_VALUE');
      });
    }

    it('setTraceTag refuses a key over 250 characters, even when truncation is on', async () => {
      const id = await newTrace(ctx, await newExperiment(ctx));
      await s().setTraceTag(id, 'k'.repeat(250), 'v');
      await expectMlflowError(s().setTraceTag(id, 'k'.repeat(251), 'v'), 'INVALID_PARAMETER_VALUE', /'key' exceeds the maximum length of 250 characters/);
    });

    it('setTraceTag refuses a trace name over 4096 characters', async () => {
      const id = await newTrace(ctx, await newExperiment(ctx));
      await expectMlflowError(s().setTraceTag(id, 'mlflow.traceName', 'n'.repeat(4097)), 'INVALID_PARAMETER_VALUE', /'Trace name'/);
    });

    it('setTraceTag refuses a value over 8000 characters [env MLFLOW_TRUNCATE_LONG_VALUES=false]', async () => {
      const id = await newTrace(ctx, await newExperiment(ctx));
      await withEnv(TRUNCATE, 'false', async () => {
        await s().setTraceTag(id, 'k', 'v'.repeat(8000));
        await expectMlflowError(s().setTraceTag(id, 'k', 'v'.repeat(8001)), 'INVALID_PARAMETER_VALUE', /'value' exceeds the maximum length of 8000 characters/);
      });
      expect((await s().getTraceInfo(id)).tags['k']).toHaveLength(8000);
    });

    it('setTraceTag truncates a value over 8000 characters [env MLFLOW_TRUNCATE_LONG_VALUES=true]', async () => {
      const id = await newTrace(ctx, await newExperiment(ctx));
      await withEnv(TRUNCATE, 'true', () => s().setTraceTag(id, 'k', 'v'.repeat(9000)));
      expect((await s().getTraceInfo(id)).tags['k']).toBe('v'.repeat(8000));
    });

    it('batchGetTraceInfos returns the known ids only, scoped to experiments when given', async () => {
      const a = await newExperiment(ctx);
      const b = await newExperiment(ctx);
      const t1 = await newTrace(ctx, a);
      const t2 = await newTrace(ctx, b);
      const all = await s().batchGetTraceInfos({ traceIds: [t1, UNKNOWN_TRACE, t2] });
      expect(all.map((t) => t.trace_id).sort()).toEqual([t1, t2].sort());
      const scoped = await s().batchGetTraceInfos({ traceIds: [t1, t2], experimentIds: [b] });
      expect(scoped.map((t) => t.trace_id)).toEqual([t2]);
    });

    it('getTrace of a trace whose spans are not in the store fails with INTERNAL_ERROR (the client reads artifacts)', async () => {
      const id = await newTrace(ctx, await newExperiment(ctx));
      await expectMlflowError(s().getTrace(id, { allowPartial: true }), 'INTERNAL_ERROR', /Trace data not stored in tracking store/);
    });

    it('getTrace of an unknown id fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().getTrace(UNKNOWN_TRACE, { allowPartial: true }), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    });
  },
};
