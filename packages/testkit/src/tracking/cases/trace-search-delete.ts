import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment, newRunId } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';
import { newTrace, TRACES } from './trace-fixtures.js';

/** Traces in `experimentId` at the given request times; returns their ids in the same order. */
async function tracesAt(ctx: Parameters<TrackingCaseGroup['define']>[0], experimentId: string, times: number[]): Promise<string[]> {
  const ids: string[] = [];
  for (const t of times) ids.push(await newTrace(ctx, experimentId, { request_time: t, execution_duration: t % 7 }));
  return ids;
}

/** search_traces (order, pages, scope), delete_traces and link_traces_to_run, gated on `traces`. */
export const traceSearchDeleteGroup: TrackingCaseGroup = {
  name: 'trace-search-delete',
  define(ctx) {
    const s = () => ctx.store();
    const it = (name: string, fn: () => Promise<void>) => ctx.it(name, fn, [...TRACES]);
    const ids = async (experimentIds: string[], orderBy?: string[]) =>
      (await s().searchTraces({ locations: experimentIds, ...(orderBy ? { orderBy } : {}) })).items.map((t) => t.trace_id);

    it('searchTraces orders by request time descending, then trace id', async () => {
      const exp = await newExperiment(ctx);
      const [a, b, c, d] = await tracesAt(ctx, exp, [100, 300, 200, 300]);
      const tied = [b, d].sort() as string[];
      expect(await ids([exp])).toEqual([...tied, c, a]);
    });

    it('searchTraces honours order_by (timestamp_ms ASC, execution_time DESC, tag)', async () => {
      const exp = await newExperiment(ctx);
      const [a, b, c] = await tracesAt(ctx, exp, [100, 300, 200]);
      expect(await ids([exp], ['timestamp_ms ASC'])).toEqual([a, c, b]);
      expect(await ids([exp], ['attributes.timestamp ASC'])).toEqual([a, c, b]);
      // execution durations are t % 7: 100 → 2, 300 → 6, 200 → 4
      expect(await ids([exp], ['execution_time DESC'])).toEqual([b, c, a]);
      await s().setTraceTag(a as string, 'rank', '2');
      await s().setTraceTag(c as string, 'rank', '1');
      // traces without the tag come last
      expect(await ids([exp], ['tags.rank ASC'])).toEqual([c, a, b]);
    });

    it('searchTraces pages with max_results and page tokens; the last page has no token', async () => {
      const exp = await newExperiment(ctx);
      const all = await tracesAt(ctx, exp, [1, 2, 3, 4, 5]);
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await s().searchTraces({ locations: [exp], maxResults: 2, ...(token ? { pageToken: token } : {}) });
        seen.push(...page.items.map((t) => t.trace_id));
        token = page.nextPageToken;
        pages++;
      } while (token && pages < 10);
      expect(pages).toBe(3);
      expect(seen).toEqual([...all].reverse());
      const exact = await s().searchTraces({ locations: [exp], maxResults: 5 });
      expect(exact.items).toHaveLength(5);
      expect(exact.nextPageToken ?? undefined).toBeUndefined();
    });

    it('searchTraces is scoped to its experiments (experiment_ids or locations); unknown ones give nothing', async () => {
      const a = await newExperiment(ctx);
      const b = await newExperiment(ctx);
      const [ta] = await tracesAt(ctx, a, [1]);
      const [tb] = await tracesAt(ctx, b, [2]);
      expect(await ids([a])).toEqual([ta]);
      expect((await s().searchTraces({ experimentIds: [a, b] })).items.map((t) => t.trace_id)).toEqual([tb, ta]);
      expect(await ids(['987654321019'])).toEqual([]);
    });

    it('searchTraces returns the assessments with each trace', async () => {
      const exp = await newExperiment(ctx);
      const id = await newTrace(ctx, exp);
      await s().createAssessment({ assessment_name: 'q', trace_id: id, source: { source_type: 'HUMAN', source_id: 'me' }, feedback: { value: 1 } });
      const [found] = (await s().searchTraces({ locations: [exp] })).items;
      expect(found?.assessments.map((a) => a.assessment_name)).toEqual(['q']);
    });

    it('searchTraces filters on attributes, tags, metadata and feedback (the shared trace grammar)', async () => {
      const exp = await newExperiment(ctx);
      const [a, b, c] = await tracesAt(ctx, exp, [100, 200, 300]);
      await s().setTraceTag(a as string, 'env', 'prod');
      const d = await newTrace(ctx, exp, { request_time: 400, state: 'ERROR', trace_metadata: { origin: 'batch' } });
      await s().createAssessment({ assessment_name: 'correct', trace_id: b as string, source: { source_type: 'HUMAN', source_id: 'me' }, feedback: { value: 'yes' } });
      const found = async (filterString: string) => (await s().searchTraces({ locations: [exp], filterString })).items.map((t) => t.trace_id);
      expect(await found("tags.env = 'prod'")).toEqual([a]);
      expect(await found("trace.status = 'ERROR'")).toEqual([d]);
      expect(await found("metadata.origin = 'batch'")).toEqual([d]);
      expect(await found('trace.timestamp_ms >= 200 AND trace.timestamp_ms < 400')).toEqual([c, b]);
      expect(await found("feedback.correct = 'yes'")).toEqual([b]);
    });

    it('searchTraces refuses both experiment_ids and locations, and non-experiment locations', async () => {
      const exp = await newExperiment(ctx);
      await expectMlflowError(s().searchTraces({ experimentIds: [exp], locations: [exp] }), 'INVALID_PARAMETER_VALUE', /`experiment_ids` is deprecated/);
      await expectMlflowError(s().searchTraces({ locations: ['catalog.schema'] }), 'INVALID_PARAMETER_VALUE', /Locations must be a list of experiment IDs/);
    });

    for (const maxResults of [0, -1, 50001]) {
      it(`searchTraces refuses max_results ${maxResults}`, async () => {
        const exp = await newExperiment(ctx);
        await expectMlflowError(s().searchTraces({ locations: [exp], maxResults }), 'INVALID_PARAMETER_VALUE', /max_results/);
      });
    }

    it('searchTraces refuses a malformed page token', async () => {
      const exp = await newExperiment(ctx);
      await expectMlflowError(s().searchTraces({ locations: [exp], pageToken: 'zzz' }), 'INVALID_PARAMETER_VALUE', /Invalid page token/);
    });

    it('searchTraces refuses an unknown order_by attribute', async () => {
      const exp = await newExperiment(ctx);
      await expectMlflowError(s().searchTraces({ locations: [exp], orderBy: ['foo ASC'] }), 'INVALID_PARAMETER_VALUE', /Invalid attribute key 'foo'/);
    });

    const deleteErrors: { what: string; request: Parameters<ReturnType<typeof s>['deleteTraces']>[1]; message: RegExp }[] = [
      { what: 'neither timestamp nor ids', request: {}, message: /Either `max_timestamp_millis` or `trace_ids` must be specified/ },
      { what: 'an empty id list', request: { traceIds: [] }, message: /Either `max_timestamp_millis` or `trace_ids` must be specified/ },
      { what: 'both timestamp and ids', request: { maxTimestampMillis: 1, traceIds: ['a'] }, message: /Only one of `max_timestamp_millis` and `trace_ids`/ },
      { what: 'max_traces with ids', request: { maxTraces: 1, traceIds: ['a'] }, message: /`max_traces` can't be specified if `trace_ids` is specified/ },
      { what: 'max_traces 0', request: { maxTimestampMillis: 1, maxTraces: 0 }, message: /`max_traces` must be a positive integer, received 0/ },
    ];
    ctx.each(deleteErrors, 'deleteTraces refuses $what', async ({ request, message }) => {
      const exp = await newExperiment(ctx);
      await expectMlflowError(s().deleteTraces(exp, request), 'INVALID_PARAMETER_VALUE', message);
    });

    it('deleteTraces by timestamp deletes traces at or before it, oldest first up to max_traces', async () => {
      const exp = await newExperiment(ctx);
      const [t100, t200a, t200b, t300] = await tracesAt(ctx, exp, [100, 200, 200, 300]);
      const [first, second] = [t200a, t200b].sort() as string[];
      expect(await s().deleteTraces(exp, { maxTimestampMillis: 200, maxTraces: 2 })).toBe(2);
      expect((await ids([exp])).sort()).toEqual([second, t300].sort());
      await expectMlflowError(s().getTraceInfo(t100 as string), 'RESOURCE_DOES_NOT_EXIST');
      await expectMlflowError(s().getTraceInfo(first as string), 'RESOURCE_DOES_NOT_EXIST');
      expect(await s().deleteTraces(exp, { maxTimestampMillis: 200 })).toBe(1);
      expect(await ids([exp])).toEqual([t300]);
    });

    it('deleteTraces by ids deletes only the experiment\'s traces and ignores unknown ids', async () => {
      const exp = await newExperiment(ctx);
      const other = await newExperiment(ctx);
      const [a, b] = await tracesAt(ctx, exp, [1, 2]);
      const [c] = await tracesAt(ctx, other, [3]);
      expect(await s().deleteTraces(exp, { traceIds: [a as string, c as string, 'tr-ffffffffffffffffffffffffffffffff'] })).toBe(1);
      expect(await ids([exp])).toEqual([b]);
      expect(await ids([other])).toEqual([c]);
    });

    it('deleteTraces removes the trace\'s assessments and tags with it', async () => {
      const exp = await newExperiment(ctx);
      const id = await newTrace(ctx, exp, { tags: { k: 'v' } });
      const a = await s().createAssessment({ assessment_name: 'q', trace_id: id, source: { source_type: 'CODE', source_id: 'x' }, feedback: { value: true } });
      expect(await s().deleteTraces(exp, { traceIds: [id] })).toBe(1);
      await expectMlflowError(s().getAssessment(id, a.assessment_id as string), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('deleteTraces with a non-integer experiment id fails with INVALID_PARAMETER_VALUE', async () => {
      await expectMlflowError(s().deleteTraces('abc', { traceIds: ['x'] }), 'INVALID_PARAMETER_VALUE');
    });

    it('linkTracesToRun links traces; a run_id filter finds linked traces and traces with the source-run metadata', async () => {
      const exp = await newExperiment(ctx);
      const run = await newRunId(ctx, exp);
      const [linked] = await tracesAt(ctx, exp, [1, 2]);
      const sourced = await newTrace(ctx, exp, { request_time: 3, trace_metadata: { 'mlflow.sourceRun': run } });
      await s().linkTracesToRun([linked as string], run);
      await s().linkTracesToRun([linked as string], run); // idempotent
      await s().linkTracesToRun([], run);
      const found = await s().searchTraces({ locations: [exp], filterString: `run_id = '${run}'` });
      expect(found.items.map((t) => t.trace_id)).toEqual([sourced, linked]);
    });

    it('linkTracesToRun refuses more than 100 trace ids', async () => {
      const run = await newRunId(ctx);
      const many = Array.from({ length: 101 }, (_, i) => `tr-${i}`);
      await expectMlflowError(s().linkTracesToRun(many, run), 'INVALID_PARAMETER_VALUE', /Cannot link more than 100 traces to a run in a single request. Provided 101 traces./);
    });
  },
};
