// The trace side of the server bench: the bodies MLflow 3.18's client sends for a trace (the
// `StartTraceV3` trace info, the OTLP/protobuf `ExportTraceServiceRequest` of its spans), the
// 10,000-trace search data set, and the `search_traces` request. Everything is deterministic in the
// request number, so every server gets byte-identical bodies and the same trace ids.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { OTLP_EXPORT_TRACE_REQUEST, OTLP_TRACE_SCHEMA } from '../../packages/core/src/rest/otlp-trace-schema.ts';
import { BASE_TS } from '../shared/writes.ts';

export const TRACES_API = '/api/3.0/mlflow/traces';
export const OTLP_PATH = '/v1/traces';
export const EXPERIMENT_HEADER = 'x-mlflow-experiment-id';

/** Sizes of the trace workloads. */
export interface TraceSpec {
  /** Traces of the search data set (each written with `StartTraceV3`). */
  searchTraces: number;
  /** Every `spanEvery`-th search trace also gets spans ({@link FIXTURE_SPANS} each, through OTLP). */
  spanEvery: number;
  /** Traces per OTLP request while writing the search data set's spans. */
  spanBatchTraces: number;
  searchFilter: string;
  searchOrderBy: string[];
  searchMaxResults: number;
  /** Spans per trace of the otlp-ingest workload (one trace per request). */
  ingestSpans: number;
}

// protobufjs and its `long` come from @mlstore/server's dependencies (the bench has no protobuf
// runtime of its own); the schema is the one our server decodes with, so a wrong field number would
// show as MLflow refusing or misreading the bodies.
interface ProtoType {
  fromObject(o: object): unknown;
  encode(m: unknown): { finish(): Uint8Array };
}
let requestType: ProtoType | undefined;
function exportRequestType(): ProtoType {
  if (!requestType) {
    const require = createRequire(join(import.meta.dirname, '../../packages/server/package.json'));
    const protobuf = require('protobufjs/light.js') as { Root: { fromJSON(j: object): { lookupType(n: string): ProtoType } } };
    requestType = protobuf.Root.fromJSON(OTLP_TRACE_SCHEMA).lookupType(OTLP_EXPORT_TRACE_REQUEST);
  }
  return requestType;
}

/** 16 bytes of a trace id: a family byte (which workload) and the request number. */
function traceIdBytes(family: number, n: number): Buffer {
  const b = Buffer.alloc(16);
  b[0] = family;
  b.writeUInt32BE(0x6d6c7374, 4); // "mlst"
  b.writeBigUInt64BE(BigInt(n), 8);
  return b;
}
const spanIdBytes = (family: number, n: number, k: number): Buffer => {
  const b = Buffer.alloc(8);
  b[0] = family;
  b.writeUIntBE(n, 1, 6);
  b[7] = k + 1;
  return b;
};
/** MLflow's trace id of an OTel trace id (`tr-` + hex). */
const mlflowTraceId = (id: Buffer) => `tr-${id.toString('hex')}`;

type AnyValue = { string_value: string } | { int_value: number } | { kvlist_value: { values: { key: string; value: AnyValue }[] } } | { array_value: { values: AnyValue[] } };
const s = (v: string): AnyValue => ({ string_value: v });
const kv = (o: Record<string, AnyValue>): AnyValue => ({ kvlist_value: { values: Object.entries(o).map(([key, value]) => ({ key, value })) } });
const arr = (xs: AnyValue[]): AnyValue => ({ array_value: { values: xs } });

/** One span of a traced RAG agent as the 3.18 client exports it (`Span.to_otel_proto`). */
interface SpanShape {
  name: string;
  type: string;
  parent: number | null;
  inputs: AnyValue;
  outputs: AnyValue;
  extra?: Record<string, AnyValue>;
}
const QUESTION = 'How do I compare two runs in MLflow and export the metrics to a dataframe?';
const DOCS = arr([0, 1, 2].map((d) => kv({ page_content: s(`MLflow document ${d}: `.padEnd(240, 'lorem ipsum dolor sit amet ')), metadata: kv({ doc_uri: s(`https://mlflow.org/docs/${d}`), chunk_id: s(`${d}`) }) })));
const ANSWER = 'Use mlflow.search_runs with the run ids; it returns a pandas DataFrame of params and metrics.';
/** The agent's spans, parent before child: 10 spans, 4 levels deep. */
const AGENT_SPANS: SpanShape[] = [
  { name: 'predict', type: 'CHAIN', parent: null, inputs: kv({ question: s(QUESTION) }), outputs: s(ANSWER) },
  { name: 'plan', type: 'AGENT', parent: 0, inputs: kv({ question: s(QUESTION) }), outputs: kv({ steps: arr([s('retrieve'), s('rerank'), s('answer')]) }) },
  { name: 'retrieve', type: 'RETRIEVER', parent: 1, inputs: kv({ query: s(QUESTION) }), outputs: DOCS },
  { name: 'embed_query', type: 'EMBEDDING', parent: 2, inputs: kv({ text: s(QUESTION) }), outputs: kv({ dimensions: { int_value: 1536 } }) },
  { name: 'vector_search', type: 'TOOL', parent: 2, inputs: kv({ k: { int_value: 3 }, index: s('docs-v2') }), outputs: kv({ ids: arr([s('0'), s('1'), s('2')]) }) },
  { name: 'rerank', type: 'RERANKER', parent: 1, inputs: kv({ query: s(QUESTION), documents: DOCS }), outputs: DOCS },
  { name: 'build_prompt', type: 'PARSER', parent: 1, inputs: kv({ question: s(QUESTION) }), outputs: s(`Answer the question using the context.\n${QUESTION}`) },
  {
    name: 'chat',
    type: 'CHAT_MODEL',
    parent: 1,
    inputs: kv({ messages: arr([kv({ role: s('system'), content: s('You are a helpful assistant.') }), kv({ role: s('user'), content: s(QUESTION) })]), model: s('gpt-4o-mini') }),
    outputs: kv({ choices: arr([kv({ message: kv({ role: s('assistant'), content: s(ANSWER) }) })]) }),
    extra: { 'mlflow.chat.tokenUsage': kv({ input_tokens: { int_value: 812 }, output_tokens: { int_value: 64 }, total_tokens: { int_value: 876 } }) },
  },
  { name: 'guardrail', type: 'GUARDRAIL', parent: 0, inputs: kv({ text: s(ANSWER) }), outputs: kv({ passed: s('true') }) },
  { name: 'format_answer', type: 'PARSER', parent: 0, inputs: kv({ answer: s(ANSWER) }), outputs: s(ANSWER) },
];
/** Spans of each search-data-set trace that has spans (the first three of the agent). */
export const FIXTURE_SPANS = 3;

/** The OTLP `Span` messages of one trace: `count` agent spans, starting at `startMs`, lasting `durationMs`. */
function traceSpans(family: number, n: number, count: number, startMs: number, durationMs: number): object[] {
  const traceId = traceIdBytes(family, n);
  const requestId = mlflowTraceId(traceId);
  const t0 = BigInt(startMs) * 1_000_000n;
  const step = BigInt(Math.max(1, Math.floor((durationMs * 1_000_000) / (2 * count))));
  return AGENT_SPANS.slice(0, count).map((sp, k) => ({
    trace_id: traceId,
    span_id: spanIdBytes(family, n, k),
    ...(sp.parent === null ? {} : { parent_span_id: spanIdBytes(family, n, sp.parent) }),
    name: sp.name,
    kind: 'SPAN_KIND_INTERNAL',
    // Children start after and end before their parent: span k runs [k·step, duration − k·step].
    start_time_unix_nano: String(t0 + BigInt(k) * step),
    end_time_unix_nano: String(t0 + BigInt(durationMs) * 1_000_000n - BigInt(k) * step),
    attributes: Object.entries({
      'mlflow.traceRequestId': s(requestId),
      'mlflow.spanType': s(sp.type),
      'mlflow.spanFunctionName': s(sp.name),
      'mlflow.spanInputs': sp.inputs,
      'mlflow.spanOutputs': sp.outputs,
      'mlflow.spanLogLevel': { int_value: sp.parent === null ? 10 : 20 },
      ...sp.extra,
    }).map(([key, value]) => ({ key, value })),
    status: { code: 'STATUS_CODE_OK' },
  }));
}

/** An `ExportTraceServiceRequest` as the 3.18 client's `RestStore.log_spans` builds it: one resource (empty), one scope. */
function exportRequest(spans: object[]): Buffer {
  const type = exportRequestType();
  return Buffer.from(type.encode(type.fromObject({ resource_spans: [{ resource: { attributes: [] }, scope_spans: [{ spans }] }] })).finish());
}

const FAMILY = { search: 0x51, ingest: 0x1a, start: 0x57 } as const;

/** Body of otlp-ingest request n: one whole trace of `spans` spans (ids unique per n). */
export function otlpIngestBody(n: number, spans: number): Buffer {
  return exportRequest(traceSpans(FAMILY.ingest, n, spans, BASE_TS + n, 1_200));
}

/** Search data set, trace i: its request time, duration, state, tags and metadata. */
export function searchTraceInfo(i: number) {
  return {
    requestTime: BASE_TS + i * 1_000,
    // Never 0: the spans of a trace lie inside its [request time, request time + duration].
    durationMs: 1 + ((i * 37) % 5_000),
    state: i % 10 === 7 ? 'ERROR' : 'OK',
    tags: { 'mlflow.traceName': i % 2 ? 'predict' : 'chat', env: ['prod', 'staging', 'dev'][i % 3]!, model: `model-${i % 4}`, team: `team-${i % 7}` },
    user: `user${i % 10}`,
  };
}

/** `StartTraceV3` body as the 3.18 client sends it (`message_to_json`: Timestamp and Duration as text). */
function startTraceBody(family: number, n: number, experimentId: string, t: ReturnType<typeof searchTraceInfo>): string {
  const sizeBytes = 2_000 + (n % 500);
  return JSON.stringify({
    trace: {
      trace_info: {
        trace_id: mlflowTraceId(traceIdBytes(family, n)),
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
        request_time: new Date(t.requestTime).toISOString(),
        execution_duration: `${(t.durationMs / 1000).toFixed(3)}s`,
        state: t.state,
        trace_metadata: {
          'mlflow.trace_schema.version': '3',
          'mlflow.user': t.user,
          'mlflow.source.name': 'agent.py',
          'mlflow.source.type': 'LOCAL',
          'mlflow.source.git.commit': 'a1b2c3d4e5f60718293a4b5c6d7e8f9012345678',
          'mlflow.traceInputs': JSON.stringify({ question: QUESTION }),
          'mlflow.traceOutputs': JSON.stringify(ANSWER),
          'mlflow.trace.sizeBytes': String(sizeBytes),
          'mlflow.trace.sizeStats': JSON.stringify({ total_size_bytes: sizeBytes, num_spans: 10, max: 621, p25: 180, p50: 240, p75: 420 }),
          'mlflow.trace.tokenUsage': JSON.stringify({ input_tokens: 812, output_tokens: 64, total_tokens: 876 }),
        },
        tags: t.tags,
        request_preview: JSON.stringify({ question: QUESTION }),
        response_preview: JSON.stringify(ANSWER),
      },
    },
  });
}

/** Body of start-trace request n (trace info of a finished trace, unique id per n). */
export const startTraceWorkloadBody = (n: number, experimentId: string) => startTraceBody(FAMILY.start, n, experimentId, searchTraceInfo(n));

/** POSTs a body; throws on a non-2xx answer. */
async function post(url: string, path: string, body: string | Buffer, headers: Record<string, string>): Promise<string> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  if (!res.ok) throw new Error(`POST ${path} → ${res.status}: ${text.slice(0, 500)}`);
  return text;
}

/** Rows the search data set writes (trace_info rows, spans rows). */
export const searchDataRows = (t: TraceSpec) => ({ traces: t.searchTraces, spans: Math.ceil(t.searchTraces / t.spanEvery) * FIXTURE_SPANS });

/**
 * The search data set, through the server's REST API: `searchTraces` traces with `StartTraceV3`
 * (tags, metadata, previews), then, for every `spanEvery`-th, {@link FIXTURE_SPANS} spans through
 * `/v1/traces`, `spanBatchTraces` traces per request (the spans of a trace already started).
 */
export async function writeTraceSearchData(url: string, experimentId: string, t: TraceSpec, pool: (n: number, fn: (i: number) => Promise<void>) => Promise<void>): Promise<void> {
  const json = { 'content-type': 'application/json' };
  await pool(t.searchTraces, async (i) => {
    await post(url, TRACES_API, startTraceBody(FAMILY.search, i, experimentId, searchTraceInfo(i)), json);
  });
  const withSpans = Array.from({ length: Math.ceil(t.searchTraces / t.spanEvery) }, (_, k) => k * t.spanEvery);
  const batches = Math.ceil(withSpans.length / t.spanBatchTraces);
  await pool(batches, async (b) => {
    const spans = withSpans.slice(b * t.spanBatchTraces, (b + 1) * t.spanBatchTraces).flatMap((i) => {
      const info = searchTraceInfo(i);
      return traceSpans(FAMILY.search, i, FIXTURE_SPANS, info.requestTime, info.durationMs);
    });
    await post(url, OTLP_PATH, exportRequest(spans), { 'content-type': 'application/x-protobuf', [EXPERIMENT_HEADER]: experimentId });
  });
}

/** `SearchTracesV3` body as the 3.18 client sends it for one experiment. */
export const searchTracesBody = (experimentId: string, t: TraceSpec) => ({
  locations: [{ type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }],
  filter: t.searchFilter,
  max_results: t.searchMaxResults,
  order_by: t.searchOrderBy,
});

/** The first page of the search workload: trace ids in order and whether a next page exists. */
export async function firstTracePage(url: string, experimentId: string, t: TraceSpec): Promise<{ traces: number; nextPageToken: boolean; ids: string[] }> {
  const page = JSON.parse(await post(url, `${TRACES_API}/search`, JSON.stringify(searchTracesBody(experimentId, t)), { 'content-type': 'application/json' })) as { traces?: { trace_id: string }[]; next_page_token?: string };
  return { traces: page.traces?.length ?? 0, nextPageToken: Boolean(page.next_page_token), ids: (page.traces ?? []).map((x) => x.trace_id) };
}
