import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';
import { attr, newTrace, newTraceId, ns, span, TRACES } from './trace-fixtures.js';

const T0 = 1_700_000_000_123_456_789n;
const MS = 1_000_000n;
const usage = (i: number, o: number) => attr({ input_tokens: i, output_tokens: o, total_tokens: i + o });

/** A root span with two children (one an LLM call with usage and cost) of trace `id`. */
function threeSpans(id: string) {
  return [
    span(id, { id: '00000000000000a2', parent: '00000000000000a1', name: 'llm', start: T0 + 20n * MS, end: T0 + 60n * MS, attributes: { 'mlflow.spanType': attr('LLM'), 'mlflow.chat.tokenUsage': usage(3, 4), 'mlflow.llm.cost': attr({ input_cost: 0.25, output_cost: 0.5, total_cost: 0.75 }), 'mlflow.llm.model': attr('gpt-4') } }),
    span(id, {
      id: '00000000000000a1',
      name: 'root',
      start: T0,
      end: T0 + 100n * MS,
      attributes: { 'mlflow.spanType': attr('CHAIN'), 'mlflow.spanInputs': attr({ q: 'héllo' }), 'mlflow.spanOutputs': attr('done'), 'session.id': attr('s-1'), 'user.id': attr('u-1'), 'mlflow.traceTag.team': attr('ml'), 'mlflow.traceTag.mlflow.traceName': attr('pipeline') },
    }),
    span(id, { id: '00000000000000a3', parent: '00000000000000a1', name: 'retrieve', start: T0 + 10n * MS, end: T0 + 15n * MS, attributes: { 'mlflow.spanType': attr('RETRIEVER') } }),
  ];
}

/** log_spans (MLflow 3.18's span ingest into the tracking store) and reading spans back, gated on `traces` + `traceSpans`. */
export const traceSpansGroup: TrackingCaseGroup = {
  name: 'trace spans',
  define(ctx) {
    const s = () => ctx.store();
    const it = (name: string, fn: () => Promise<void>) => ctx.it(name, fn, [...TRACES, 'traceSpans']);

    it('logSpans creates the trace info from the spans (times, state, previews, tags, session, user, token usage, cost)', async () => {
      const exp = await newExperiment(ctx);
      const loc = (await s().getExperiment(exp)).artifact_location.replace(/\/+$/, '');
      const id = newTraceId();
      const spans = threeSpans(id);
      expect(await s().logSpans(exp, spans)).toEqual(spans);
      const info = await s().getTraceInfo(id);
      expect(info).toEqual({
        trace_id: id,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
        request_time: Number(T0 / MS),
        execution_duration: 100,
        state: 'OK',
        request_preview: '{"q": "héllo"}',
        response_preview: '"done"',
        trace_metadata: {
          'mlflow.trace.session': 's-1',
          'mlflow.trace.user': 'u-1',
          'mlflow.trace.tokenUsage': '{"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}',
          'mlflow.trace.cost': '{"input_cost": 0.25, "output_cost": 0.5, "total_cost": 0.75}',
        },
        tags: { 'mlflow.trace.spansLocation': 'TRACKING_STORE', 'mlflow.artifactLocation': `${loc}/traces/${id}/artifacts`, team: 'ml', 'mlflow.traceName': 'pipeline' },
        assessments: [],
      });
    });

    it('getTrace returns the spans as Span.to_dict() renders them, root first then by start time', async () => {
      const exp = await newExperiment(ctx);
      const id = newTraceId();
      const [llm, root, retrieve] = threeSpans(id);
      await s().logSpans(exp, [llm!, root!, retrieve!]);
      const trace = await s().getTrace(id);
      expect(trace.data.spans).toEqual([root, retrieve, llm]);
      expect(trace.info).toEqual(await s().getTraceInfo(id));
      expect(await s().batchGetTraces({ traceIds: [id] })).toEqual([trace]);
    });

    it('logSpans fills what Span.from_dict defaults (kind, events, links, status message only on ERROR, ids re-encoded)', async () => {
      const exp = await newExperiment(ctx);
      const id = newTraceId();
      const full = span(id, { id: '0000000000000001', name: 'r', start: 5n, status: 'STATUS_CODE_OK' });
      const sparse: Record<string, unknown> = { ...full, kind: undefined, events: undefined, links: undefined, status: { code: 'OK', message: 'dropped' }, start_time_unix_nano: '5', end_time_unix_nano: 0 };
      for (const k of ['kind', 'events', 'links']) delete sparse[k];
      const [logged] = await s().logSpans(exp, [sparse as never]);
      expect(logged).toEqual(full);
      expect((await s().getTrace(id)).data.spans).toEqual([full]);
      const info = await s().getTraceInfo(id);
      expect(info).toMatchObject({ request_time: 0, state: 'OK' });
      expect(info.execution_duration).toBeUndefined();
    });

    it('logSpans stores OpenTelemetry GenAI / OpenInference spans translated (type, inputs/outputs, usage, model) with their links, and returns them as logged', async () => {
      const exp = await newExperiment(ctx);
      const id = newTraceId();
      const link = { trace_id: `tr-${'0a'.repeat(16)}`, span_id: '0b'.repeat(8), attributes: { relation: 'follows', n: 2 } };
      const chat = span(id, {
        id: '00000000000000c1',
        name: 'chat',
        start: T0,
        end: T0 + 10n * MS,
        attributes: {
          'gen_ai.operation.name': attr('chat'),
          'gen_ai.request.model': attr('acme-chat-1'),
          'gen_ai.provider.name': attr('acme'),
          'gen_ai.usage.input_tokens': '12',
          'gen_ai.usage.output_tokens': '5',
          'gen_ai.input.messages': '[{"role": "user", "content": "hi"}]',
        },
      });
      const retriever = { ...span(id, { id: '00000000000000c2', parent: '00000000000000c1', name: 'oi', start: T0 + MS, end: T0 + 2n * MS, attributes: { 'mlflow.spanType': attr('UNKNOWN'), 'openinference.span.kind': attr('RETRIEVER'), 'output.value': attr('docs') } }), links: [link] };
      expect(await s().logSpans(exp, [chat, retriever])).toEqual([chat, retriever]);
      const trace = await s().getTrace(id);
      expect(trace.data.spans).toEqual([
        {
          ...chat,
          attributes: {
            ...chat.attributes,
            'mlflow.spanType': attr('CHAT_MODEL'),
            'mlflow.spanInputs': '[{"role": "user", "content": "hi"}]',
            'mlflow.chat.tokenUsage': attr({ input_tokens: 12, output_tokens: 5, total_tokens: 17 }),
            'mlflow.llm.model': attr('acme-chat-1'),
            'mlflow.llm.provider': attr('acme'),
          },
        },
        { ...retriever, attributes: { ...retriever.attributes, 'mlflow.spanType': attr('RETRIEVER'), 'mlflow.spanOutputs': attr('docs') } },
      ]);
      expect(trace.info).toMatchObject({ request_preview: '[{"role": "user", "content": "hi"}]', trace_metadata: { 'mlflow.trace.tokenUsage': attr({ input_tokens: 12, output_tokens: 5, total_tokens: 17 }) } });
    });

    it('a second logSpans call adds spans, replaces re-sent ones, widens the time range and recomputes token usage over the tree', async () => {
      const exp = await newExperiment(ctx);
      const id = newTraceId();
      const [llm, root, retrieve] = threeSpans(id);
      await s().logSpans(exp, [llm!]);
      let info = await s().getTraceInfo(id);
      expect(info).toMatchObject({ state: 'IN_PROGRESS', request_time: Number((T0 + 20n * MS) / MS), execution_duration: 40 });
      expect(info.request_preview).toBeUndefined();
      // The root carries rollup usage of its subtree: the child's usage must not be added again.
      const rollupRoot = { ...root!, attributes: { ...root!.attributes, 'mlflow.chat.tokenUsage': usage(30, 40) } };
      const llm2 = { ...llm!, name: 'llm-renamed' };
      await s().logSpans(exp, [rollupRoot, retrieve!, llm2]);
      info = await s().getTraceInfo(id);
      expect(info).toMatchObject({ state: 'OK', request_time: Number(T0 / MS), execution_duration: 100, request_preview: '{"q": "héllo"}', response_preview: '"done"' });
      expect(info.trace_metadata['mlflow.trace.tokenUsage']).toBe('{"input_tokens": 30, "output_tokens": 40, "total_tokens": 70}');
      expect((await s().getTrace(id)).data.spans).toEqual([rollupRoot, retrieve, llm2]);
    });

    it('startTrace after logSpans: its fields win, the spans and the spans location stay', async () => {
      const exp = await newExperiment(ctx);
      const id = newTraceId();
      await s().logSpans(exp, threeSpans(id));
      await s().startTrace({
        trace_id: id,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
        request_time: 42,
        execution_duration: 7,
        state: 'ERROR',
        request_preview: 'req',
        trace_metadata: { 'mlflow.trace.tokenUsage': '{"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}' },
        tags: { extra: 'x' },
        assessments: [],
      });
      const info = await s().getTraceInfo(id);
      expect(info).toMatchObject({ request_time: 42, execution_duration: 7, state: 'ERROR', request_preview: 'req', response_preview: '"done"' });
      expect(info.trace_metadata).toMatchObject({ 'mlflow.trace.infoFinalized': 'true', 'mlflow.trace.session': 's-1', 'mlflow.trace.user': 'u-1', 'mlflow.trace.tokenUsage': '{"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}' });
      expect(info.tags).toMatchObject({ 'mlflow.trace.spansLocation': 'TRACKING_STORE', extra: 'x', team: 'ml' });
      expect((await s().getTrace(id)).data.spans).toHaveLength(3);
    });

    it('startTrace before logSpans: finalized times, state and token usage stay, missing session and cost are filled', async () => {
      const exp = await newExperiment(ctx);
      const id = await newTrace(ctx, exp, { request_time: 5, execution_duration: 1, state: 'IN_PROGRESS', trace_metadata: { 'mlflow.trace.tokenUsage': '{"input_tokens": 9}' } });
      await s().logSpans(exp, threeSpans(id));
      const info = await s().getTraceInfo(id);
      expect(info).toMatchObject({ request_time: 5, execution_duration: 1, state: 'OK', request_preview: '{"q": "hi"}', response_preview: '"hello"' });
      expect(info.trace_metadata).toMatchObject({
        'mlflow.trace.tokenUsage': '{"input_tokens": 9}',
        'mlflow.trace.cost': '{"input_cost": 0.25, "output_cost": 0.5, "total_cost": 0.75}',
        'mlflow.trace.session': 's-1',
      });
      expect(info.tags['mlflow.trace.spansLocation']).toBe('TRACKING_STORE');
      expect((await s().searchTraces({ locations: [exp], filterString: "span.name = 'retrieve'" })).items.map((t) => t.trace_id)).toEqual([id]);
    });

    it('startTrace before logSpans without usage, cost or session: the spans still widen the time range (MLflow checks the finalized flag only for those)', async () => {
      const exp = await newExperiment(ctx);
      const startMs = Number(T0 / MS);
      const id = await newTrace(ctx, exp, { request_time: startMs + 10, execution_duration: 0 });
      await s().logSpans(exp, [span(id, { id: '00000000000000b1', name: 'root', start: T0, end: T0 + 40n * MS, attributes: { 'mlflow.spanType': attr('CHAIN') } })]);
      expect(await s().getTraceInfo(id)).toMatchObject({ request_time: startMs, execution_duration: 40 });
    });

    it('getTrace refuses a trace whose spans are not all logged (mlflow.trace.sizeStats) unless allowPartial; batchGetTraces leaves it out', async () => {
      const exp = await newExperiment(ctx);
      const id = await newTrace(ctx, exp, { trace_metadata: { 'mlflow.trace.sizeStats': '{"total_size_bytes": 1, "num_spans": 3}' } });
      const [llm, root] = threeSpans(id);
      await s().logSpans(exp, [llm!, root!]);
      await expectMlflowError(s().getTrace(id), 'RESOURCE_DOES_NOT_EXIST', /is not fully exported yet/);
      expect((await s().getTrace(id, { allowPartial: true })).data.spans).toEqual([root, llm]);
      expect(await s().batchGetTraces({ traceIds: [id] })).toEqual([]);
    });

    it('logSpans groups a batch by trace; an empty batch does nothing', async () => {
      const exp = await newExperiment(ctx);
      const [a, b] = [newTraceId(), newTraceId()];
      const spans = [span(a, { id: '0000000000000001', name: 'a', start: T0, end: T0 + MS }), span(b, { id: '0000000000000001', name: 'b', start: T0, end: T0 + 2n * MS, status: 'STATUS_CODE_ERROR', message: 'boom' })];
      expect(await s().logSpans(exp, spans)).toEqual(spans);
      expect((await s().getTraceInfo(a)).state).toBe('OK');
      expect(await s().getTraceInfo(b)).toMatchObject({ state: 'ERROR', execution_duration: 2 });
      expect((await s().getTrace(b)).data.spans).toEqual([spans[1]]);
      expect(await s().logSpans(exp, [])).toEqual([]);
    });

    it('bad input: malformed spans, unknown experiment, another experiment\'s trace, spans stored elsewhere; a failed call leaves nothing', async () => {
      const exp = await newExperiment(ctx);
      const other = await newExperiment(ctx);
      const fresh = newTraceId();
      const good = span(fresh, { id: '0000000000000001', name: 'ok', start: T0, end: T0 + MS });
      const noRequestId = { ...good, attributes: {} };
      await expectMlflowError(s().logSpans(exp, [good, noRequestId]), 'INVALID_PARAMETER_VALUE', /Failed to create a Span object from the given dictionary/);
      await expectMlflowError(s().logSpans(exp, [good, { ...good, status: { code: 'NOPE' } }]), 'INVALID_PARAMETER_VALUE', /Failed to create a Span object/);
      await expectMlflowError(s().getTraceInfo(fresh), 'RESOURCE_DOES_NOT_EXIST');
      await expectMlflowError(s().logSpans('987654321', [good]), 'RESOURCE_DOES_NOT_EXIST', /No Experiment with id=987654321 exists/);
      const theirs = await newTrace(ctx, other);
      await expectMlflowError(s().logSpans(exp, [good, span(theirs, { id: '0000000000000002', name: 'x', start: T0 })]), 'INVALID_PARAMETER_VALUE', new RegExp(`Trace with ID '${theirs}' already exists in another experiment`));
      await expectMlflowError(s().getTraceInfo(fresh), 'RESOURCE_DOES_NOT_EXIST');
      const elsewhere = await newTrace(ctx, exp, { tags: { 'mlflow.trace.spansLocation': 'ARTIFACT_REPO' } });
      await expectMlflowError(s().logSpans(exp, [span(elsewhere, { id: '0000000000000003', name: 'y', start: T0 })]), 'INVALID_STATE', new RegExp(`unavailable for DB-backed span writes: other='${elsewhere}'`));
      const tooLong = span(fresh, { id: '0000000000000001', name: 'ok', start: T0, attributes: { 'session.id': attr('s'.repeat(251)) } });
      await expectMlflowError(s().logSpans(exp, [tooLong]), 'INVALID_PARAMETER_VALUE', /Session ID/);
      await expectMlflowError(s().getTraceInfo(fresh), 'RESOURCE_DOES_NOT_EXIST');
      expect(ns(T0)).toBe(T0.toString());
    });
  },
};
