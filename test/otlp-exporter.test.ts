/**
 * OpenTelemetry's own JavaScript SDK and OTLP/protobuf exporter (`@opentelemetry/exporter-trace-otlp-proto`)
 * sending a nested trace to `mlstore server` (SQLite) at `/v1/traces`, the experiment in MLflow's
 * `x-mlflow-experiment-id` header; the MLflow 3.18.0 Python client then reads it back
 * (`mlflow.get_trace`, `mlflow.search_traces`). The same export goes to the real `mlflow server`
 * 3.18.0 on SQLite, and both read-backs must be identical (same trace and span ids: a fixed id
 * generator).
 *
 * Runs only in the integration profile or with MLSTORE_INTEROP=1 (it needs the MLflow venv).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { lastJsonLine, mlflowVenvProblem, runPythonCode, startMlflowServer, type MlflowServer } from './interop/mlflow-python.js';
import { startMlstoreServer, type MlstoreServer } from './interop/mlstore-server.js';
import { describeWithServices } from './interop/require-services.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const START_TIMEOUT_MS = 180_000;
const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const T0 = 1_700_000_000_000; // ms

/** Trace and span ids in a fixed order, so both servers receive the same ids. */
class FixedIds {
  private next = 0;
  generateTraceId(): string {
    return TRACE_ID;
  }
  generateSpanId(): string {
    this.next += 1;
    return this.next.toString(16).padStart(16, 'a');
  }
}

/** Exports the scenario's trace through the OTel SDK to `url` and waits until every span is sent. */
async function exportTrace(url: string, experimentId: string): Promise<void> {
  const exporter = new OTLPTraceExporter({ url: `${url}/v1/traces`, headers: { 'x-mlflow-experiment-id': experimentId } });
  // SimpleSpanProcessor: one export request per ended span, so the root arrives last, alone.
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)], idGenerator: new FixedIds() });
  const tracer = provider.getTracer('mlstore-otlp-test', '1.0.0');
  const under = (parent: Span) => trace.setSpan(ROOT_CONTEXT, parent);

  const root = tracer.startSpan('agent', {
    kind: SpanKind.SERVER,
    startTime: T0,
    attributes: {
      'mlflow.spanType': 'AGENT',
      'mlflow.spanInputs': JSON.stringify({ question: 'what is mlstore?' }),
      'mlflow.spanOutputs': JSON.stringify('a store'),
      'mlflow.traceTag.team': 'ml',
      'user.id': 'u-1',
      'app.version': 3,
      'app.ratio': 0.5,
      'app.flag': true,
      'app.labels': ['a', 'b'],
    },
  }, ROOT_CONTEXT);
  const retrieve = tracer.startSpan('retrieve', { startTime: T0 + 10, attributes: { 'mlflow.spanType': 'RETRIEVER', 'docs.count': 2 } }, under(root));
  retrieve.addEvent('cache-miss', { key: 'k1', attempt: 2 }, T0 + 12);
  const tool = tracer.startSpan(
    'tool',
    {
      startTime: T0 + 15,
      attributes: { 'mlflow.spanType': 'TOOL' },
      links: [{ context: { traceId: 'b'.repeat(32), spanId: 'c'.repeat(16), traceFlags: 1 }, attributes: { reason: 'retry-of', attempt: 2 } }],
    },
    under(retrieve),
  );
  tool.setStatus({ code: SpanStatusCode.OK });
  tool.end(T0 + 20);
  retrieve.end(T0 + 30);
  const llm = tracer.startSpan('llm', { kind: SpanKind.CLIENT, startTime: T0 + 40, attributes: { 'mlflow.spanType': 'LLM', 'gen_ai.request.model': 'gpt-x' } }, under(root));
  llm.addEvent('exception', { 'exception.type': 'Error', 'exception.message': 'boom' }, T0 + 45);
  llm.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  llm.end(T0 + 50);
  // OpenTelemetry GenAI semantic conventions only: MLflow derives type, inputs/outputs, usage, model.
  const chat = tracer.startSpan('chat', {
    kind: SpanKind.CLIENT,
    startTime: T0 + 60,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.request.model': 'acme-chat-1',
      'gen_ai.provider.name': 'acme',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 5,
      'gen_ai.input.messages': JSON.stringify([{ role: 'user', content: 'Grüezi' }]),
      'gen_ai.output.messages': JSON.stringify([{ role: 'assistant', content: 'Hoi' }]),
    },
  }, under(root));
  chat.end(T0 + 70);
  root.end(T0 + 100);
  await provider.forceFlush();
  await provider.shutdown();
}

/** What the MLflow 3.18 Python client reads back: the trace, its spans, and two searches. */
const READ_BACK = `
import json, sys, mlflow
uri, exp, tid = sys.argv[1:4]
mlflow.set_tracking_uri(uri)
t = mlflow.get_trace(tid)
info = t.info
spans = [{
  "name": s.name, "span_id": s.span_id, "parent_id": s.parent_id, "span_type": s.span_type,
  "status": [s.status.status_code.value, s.status.description], "inputs": s.inputs, "outputs": s.outputs,
  "attributes": s.attributes, "start": s.start_time_ns, "end": s.end_time_ns,
  "events": [{"name": e.name, "timestamp": e.timestamp, "attributes": e.attributes} for e in s.events],
  "links": [l.to_dict() for l in s.links],
} for s in t.data.spans]
def ids(**kw):
  return [x.info.trace_id for x in mlflow.search_traces(locations=[exp], return_type="list", **kw)]
print(json.dumps({
  "trace_id": info.trace_id, "state": str(info.state), "request_time": info.request_time,
  "execution_duration": info.execution_duration, "request_preview": info.request_preview,
  "response_preview": info.response_preview,
  "tags": {k: v for k, v in info.tags.items() if k != "mlflow.artifactLocation"},
  "metadata": info.trace_metadata, "spans": spans,
  "search_all": ids(), "search_span_name": ids(filter_string="span.name = 'llm'"),
  "search_tag": ids(filter_string="tags.team = 'ml'"), "search_none": ids(filter_string="tags.team = 'other'"),
}, sort_keys=True))
`;

type ReadBack = {
  trace_id: string;
  state: string;
  spans: { name: string; span_id: string; parent_id: string | null; span_type: string; status: [string, string]; inputs: unknown; outputs: unknown; attributes: Record<string, unknown>; events: { name: string; attributes: Record<string, unknown> }[]; links: unknown[] }[];
  tags: Record<string, string>;
  [k: string]: unknown;
};

async function readBack(url: string, experimentId: string, cwd: string): Promise<ReadBack> {
  return lastJsonLine<ReadBack>(await runPythonCode(READ_BACK, [url, experimentId, `tr-${TRACE_ID}`], { cwd, timeoutMs: 120_000 }));
}

async function createExperiment(url: string, name: string): Promise<string> {
  const res = await fetch(`${url}/api/2.0/mlflow/experiments/create`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  const body = (await res.json()) as { experiment_id: string };
  return body.experiment_id;
}

describeWithServices(
  {
    tag: 'otlp-exporter',
    title: 'OpenTelemetry JS OTLP/protobuf exporter → mlstore server, read by MLflow 3.18.0 (and the same against mlflow server)',
    needs: 'the MLflow venv',
    enabled,
    problem: enabled ? mlflowVenvProblem() : 'runs only with MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1',
  },
  () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-otlp-exporter-'));
    let ours: MlstoreServer | undefined;
    let theirs: MlflowServer | undefined;
    let oursRead: ReadBack;
    let theirsRead: ReadBack;

    beforeAll(async () => {
      [ours, theirs] = await Promise.all([
        startMlstoreServer(`sqlite:///${join(dir, 'ours.db')}`, { cwd: dir, artifactsDestination: join(dir, 'ours-artifacts'), timeoutMs: START_TIMEOUT_MS }),
        startMlflowServer(`sqlite:///${join(dir, 'theirs.db')}`, { cwd: dir, artifactsDestination: join(dir, 'theirs-artifacts'), timeoutMs: START_TIMEOUT_MS }),
      ]);
      const [oursExp, theirsExp] = await Promise.all([createExperiment(ours.url, 'otel-js'), createExperiment(theirs.url, 'otel-js')]);
      await exportTrace(ours.url, oursExp);
      await exportTrace(theirs.url, theirsExp);
      [oursRead, theirsRead] = await Promise.all([readBack(ours.url, oursExp, dir), readBack(theirs.url, theirsExp, dir)]);
    }, START_TIMEOUT_MS + 120_000);

    afterAll(async () => {
      await Promise.all([ours?.stop(), theirs?.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    it('the Python client reads the nested spans: names, parents, kinds of status, attributes, events', () => {
      const byName = Object.fromEntries(oursRead.spans.map((s) => [s.name, s]));
      expect(oursRead.spans.map((s) => s.name)).toEqual(['agent', 'retrieve', 'tool', 'llm', 'chat']);
      const id = (name: string) => byName[name]!.span_id;
      expect(Object.fromEntries(oursRead.spans.map((s) => [s.name, s.parent_id]))).toEqual({ agent: null, retrieve: id('agent'), tool: id('retrieve'), llm: id('agent'), chat: id('agent') });
      expect(byName['agent']).toMatchObject({
        span_type: 'AGENT',
        status: ['UNSET', ''],
        inputs: { question: 'what is mlstore?' },
        outputs: 'a store',
        attributes: expect.objectContaining({ 'user.id': 'u-1', 'app.version': 3, 'app.ratio': 0.5, 'app.flag': true, 'app.labels': ['a', 'b'], 'mlflow.traceRequestId': `tr-${TRACE_ID}` }),
      });
      expect(byName['retrieve']).toMatchObject({ span_type: 'RETRIEVER', attributes: expect.objectContaining({ 'docs.count': 2 }), events: [{ name: 'cache-miss', attributes: { key: 'k1', attempt: 2 } }] });
      expect(byName['tool']).toMatchObject({ span_type: 'TOOL', status: ['OK', ''], links: [{ trace_id: `tr-${'b'.repeat(32)}`, span_id: 'c'.repeat(16), attributes: { reason: 'retry-of', attempt: 2 } }] });
      expect(byName['chat']).toMatchObject({
        span_type: 'CHAT_MODEL',
        inputs: [{ role: 'user', content: 'Grüezi' }],
        outputs: [{ role: 'assistant', content: 'Hoi' }],
        attributes: expect.objectContaining({ 'mlflow.chat.tokenUsage': { input_tokens: 12, output_tokens: 5, total_tokens: 17 }, 'mlflow.llm.model': 'acme-chat-1', 'mlflow.llm.provider': 'acme' }),
      });
      expect(byName['llm']).toMatchObject({
        span_type: 'LLM',
        status: ['ERROR', 'boom'],
        attributes: expect.objectContaining({ 'gen_ai.request.model': 'gpt-x' }),
        events: [{ name: 'exception', attributes: { 'exception.type': 'Error', 'exception.message': 'boom' } }],
      });
    });

    it('the trace: id, root-span tag, resource tags, previews; search_traces finds it by span name and tag', () => {
      expect(oursRead).toMatchObject({
        trace_id: `tr-${TRACE_ID}`,
        request_time: T0,
        execution_duration: 100,
        request_preview: '{"question":"what is mlstore?"}',
        response_preview: '"a store"',
        search_all: [`tr-${TRACE_ID}`],
        search_span_name: [`tr-${TRACE_ID}`],
        search_tag: [`tr-${TRACE_ID}`],
        search_none: [],
      });
      expect(oursRead.tags).toMatchObject({ team: 'ml', 'mlflow.trace.spansLocation': 'TRACKING_STORE', 'service.name': expect.stringMatching(/^unknown_service/) });
    });

    it('reads back exactly what mlflow server 3.18.0 gives for the same export (GenAI translation, links, token usage)', () => {
      expect(theirsRead.spans.find((s) => s.name === 'llm')!.attributes['mlflow.llm.model']).toBe('gpt-x');
      expect((theirsRead['metadata'] as Record<string, string>)['mlflow.trace.tokenUsage']).toBe('{"input_tokens": 12, "output_tokens": 5, "total_tokens": 17}');
      expect(oursRead).toEqual(theirsRead);
    });
  },
);
