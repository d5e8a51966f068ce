/**
 * The trace scenario of test/sql-trace-interop.test.ts: one spec replayed by our SqlTrackingStore
 * ({@link applyTraceSpec}) or by MLflow's SqlAlchemyStore (traces_via_store.py `fill`), and read
 * back by either into the same neutral JSON ({@link dumpTraces} / traces_via_store.py `dump`).
 */
import type { AbstractStore, Assessment, JsonValue, Span, TraceInfo } from '@mlstore/core';

/** One assessment of the spec; `overrides` is the index of an earlier assessment. */
export interface SpecAssessment {
  trace_id: string;
  name: string;
  kind: 'feedback' | 'expectation';
  value: JsonValue;
  source_type: 'HUMAN' | 'LLM_JUDGE' | 'CODE';
  source_id: string;
  error?: { error_code: string; error_message: string };
  rationale?: string;
  metadata?: Record<string, string>;
  span_id?: string;
  overrides?: number;
}

export interface TraceQuery {
  filter?: string;
  order_by?: string[];
  max_results?: number;
}

/** One query_trace_metrics request (field names as MLflow's store method takes them). */
export interface MetricQuery {
  view_type: 'TRACES' | 'SPANS' | 'ASSESSMENTS';
  metric_name: string;
  aggregations: { aggregation_type: 'COUNT' | 'SUM' | 'AVG' | 'PERCENTILE' | 'MIN' | 'MAX'; percentile_value?: number }[];
  dimensions?: string[];
  filters?: string[];
  time_interval_seconds?: number;
  start_time_ms?: number;
  end_time_ms?: number;
}

/** One calculate_trace_filter_correlation request. */
export interface CorrelationQuery {
  filter_string1: string;
  filter_string2: string;
  base_filter?: string;
}

export interface TraceSpec {
  experiment_name: string;
  traces: (Omit<TraceInfo, 'trace_location' | 'assessments'>)[];
  set_tags: [string, string, string][];
  delete_tags: [string, string][];
  assessments: SpecAssessment[];
  update_assessments: [number, { name?: string; value?: JsonValue; rationale?: string; metadata?: Record<string, string> }][];
  link_to_run: string[];
  /** MLflow's writer also runs a traced function (spans in the `spans` table, through MLflow's client). */
  traced_call: boolean;
  /** log_spans calls (after the traces are started), each a list of `Span.to_dict()` spans, by both writers. */
  span_batches: Span[][];
  queries: TraceQuery[];
  metric_queries: MetricQuery[];
  correlations: CorrelationQuery[];
}

const id = (n: number) => `tr-${n.toString(16).padStart(32, '0')}`;

const T0 = 1_700_000_000_123_456_789n;
const MS = 1_000_000n;

/** A span of MLflow trace `traceId` in `Span.to_dict()` form (times as exact decimal text). */
function specSpan(traceId: string, spanHex: string, parentHex: string | null, name: string, start: bigint, end: bigint | null, attributes: Record<string, unknown>, status = 'STATUS_CODE_OK', message = ''): Span {
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  return {
    trace_id: b64(traceId.slice(3)),
    span_id: b64(spanHex),
    parent_span_id: parentHex ? b64(parentHex) : null,
    name,
    kind: 'SPAN_KIND_INTERNAL',
    start_time_unix_nano: start.toString(),
    end_time_unix_nano: end === null ? null : end.toString(),
    events: [{ name: 'ev', time_unix_nano: (start + 1n).toString(), attributes: { k: 'v' } }],
    status: { code: status, message },
    attributes: { 'mlflow.traceRequestId': JSON.stringify(traceId), ...Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, JSON.stringify(v)])) },
    links: [],
  };
}

/**
 * log_spans batches: a trace created by spans alone in two calls (a rollup root arriving after its
 * LLM child: token usage and cost over the tree, session, user, trace tags and name from the root,
 * previews from chat messages, non-ASCII text, an ERROR child), and spans added to started trace `a`
 * (start_trace's fields stay) and `d`.
 */
function spanBatchesSpec(a: string, d: string): Span[][] {
  const f = id(6);
  const root = '00000000000000f1';
  return [
    [
      specSpan(f, '00000000000000f2', root, 'llm', T0 + 20n * MS, T0 + 70n * MS, { 'mlflow.spanType': 'LLM', 'mlflow.chat.tokenUsage': { input_tokens: 3, output_tokens: 4, total_tokens: 7 }, 'mlflow.llm.cost': { input_cost: 0.001, output_cost: 0.002, total_cost: 0.003 }, 'mlflow.llm.model': 'gpt-4o', 'mlflow.llm.provider': 'openai' }),
      specSpan(f, '00000000000000f3', root, 'tool', T0 + 80n * MS, T0 + 90n * MS, { 'mlflow.spanType': 'TOOL', 'mlflow.spanInputs': { city: 'Zürich' } }, 'STATUS_CODE_ERROR', 'tool failed'),
      specSpan(a, '00000000000000a1', null, 'root-a', T0, T0 + 5n * MS, { 'mlflow.spanType': 'CHAIN', 'mlflow.spanInputs': 'ignored', 'session.id': 'other' }),
    ],
    [
      specSpan(f, root, null, 'agent', T0, T0 + 100n * MS, {
        'mlflow.spanType': 'AGENT',
        'mlflow.spanInputs': { messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'Grüezi, what is MLflow?' }] },
        'mlflow.spanOutputs': { choices: [{ message: { role: 'assistant', content: 'A platform ✓' } }] },
        'mlflow.chat.tokenUsage': { input_tokens: 30, output_tokens: 40, total_tokens: 70 },
        'session.id': 'session-9',
        'user.id': 'user-9',
        'mlflow.traceTag.team': 'genai',
        'mlflow.traceTag.mlflow.traceName': 'agent-run',
      }),
      specSpan(d, '00000000000000d1', null, 'root-d', T0 + 5n * MS, null, { 'mlflow.spanType': 'CHAIN' }, 'STATUS_CODE_UNSET'),
      // OpenTelemetry GenAI / OpenInference attributes that MLflow translates when it stores spans
      // (span type, inputs/outputs, token usage feeding the trace's usage, model, provider), and links.
      specSpan(d, '00000000000000d2', '00000000000000d1', 'chat', T0 + 6n * MS, T0 + 9n * MS, {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'acme-chat-1',
        'gen_ai.provider.name': 'acme',
        'gen_ai.usage.input_tokens': 12,
        'gen_ai.usage.output_tokens': 5,
        'gen_ai.input.messages': [{ role: 'user', content: 'Grüezi' }],
        'gen_ai.output.messages': [{ role: 'assistant', content: 'Hoi ✓' }],
      }),
      {
        ...specSpan(d, '00000000000000d3', '00000000000000d1', 'retrieve-oi', T0 + 7n * MS, T0 + 8n * MS, { 'mlflow.spanType': 'UNKNOWN', 'openinference.span.kind': 'RETRIEVER', 'input.value': 'q', 'llm.token_count.total': 3 }),
        links: [{ trace_id: a, span_id: '00000000000000a1', attributes: { relation: 'follows', n: 2 } }],
      },
    ],
  ];
}

/** The spec: five traces covering every stored field, tags, metadata (session, token usage, cost), assessments and a run link. */
const COUNT = [{ aggregation_type: 'COUNT' as const }];
const DISTRIBUTION = [{ aggregation_type: 'AVG' as const }, { aggregation_type: 'MIN' as const }, { aggregation_type: 'MAX' as const }, { aggregation_type: 'PERCENTILE' as const, percentile_value: 50 }, { aggregation_type: 'PERCENTILE' as const, percentile_value: 90 }];

/** query_trace_metrics requests both stores answer over the scenario (every view, dimension kind, filter kind, time buckets, percentiles). */
const METRIC_QUERIES: MetricQuery[] = [
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT },
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT, dimensions: ['trace_status'] },
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT, dimensions: ['trace_name', 'trace_status'] },
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT, time_interval_seconds: 1, start_time_ms: 1_700_000_000_000, end_time_ms: 1_700_000_000_250 },
  { view_type: 'TRACES', metric_name: 'latency', aggregations: DISTRIBUTION },
  { view_type: 'TRACES', metric_name: 'latency', aggregations: DISTRIBUTION, dimensions: ['trace_name'] },
  { view_type: 'TRACES', metric_name: 'session_count', aggregations: COUNT },
  { view_type: 'TRACES', metric_name: 'total_tokens', aggregations: [{ aggregation_type: 'SUM' }, { aggregation_type: 'AVG' }] },
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT, filters: ["trace.status = 'OK'", "trace.tag.env = 'prod'"] },
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT, filters: ["trace.metadata.`mlflow.sourceRun` = 'run-from-metadata'"] },
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT, filters: ["trace.metadata.`mlflow.trace.session` = 'session-1'"] },
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT, filters: ["trace.tag.`mlflow.traceName` = 'chat'"] },
  { view_type: 'SPANS', metric_name: 'span_count', aggregations: COUNT, dimensions: ['span_type'] },
  { view_type: 'SPANS', metric_name: 'span_count', aggregations: COUNT, dimensions: ['span_status', 'span_model_name'] },
  { view_type: 'SPANS', metric_name: 'latency', aggregations: DISTRIBUTION, dimensions: ['span_name'] },
  { view_type: 'SPANS', metric_name: 'total_cost', aggregations: [{ aggregation_type: 'SUM' }, { aggregation_type: 'MAX' }], dimensions: ['span_model_name'] },
  { view_type: 'SPANS', metric_name: 'span_count', aggregations: COUNT, filters: ["span.type = 'LLM'", "trace.tag.env = 'prod'"] },
  { view_type: 'SPANS', metric_name: 'span_count', aggregations: COUNT, time_interval_seconds: 60, start_time_ms: 0, end_time_ms: 4_000_000_000_000 },
  { view_type: 'ASSESSMENTS', metric_name: 'assessment_count', aggregations: COUNT, dimensions: ['assessment_name', 'assessment_value'] },
  { view_type: 'ASSESSMENTS', metric_name: 'assessment_value', aggregations: DISTRIBUTION, dimensions: ['assessment_name'] },
  { view_type: 'ASSESSMENTS', metric_name: 'assessment_count', aggregations: COUNT, filters: ["assessment.type = 'feedback'", "trace.status = 'OK'"] },
  { view_type: 'TRACES', metric_name: 'span_count', aggregations: COUNT },
  { view_type: 'TRACES', metric_name: 'trace_count', aggregations: COUNT, filters: ["span.name = 'x'"] },
];

export function buildTraceSpec(): TraceSpec {
  const [a, b, c, d, e] = [1, 2, 3, 4, 5].map(id) as [string, string, string, string, string];
  return {
    experiment_name: 'trace-interop',
    traces: [
      {
        trace_id: a,
        request_time: 1_700_000_000_100,
        execution_duration: 250,
        state: 'OK',
        request_preview: '{"question": "What is MLflow?"}',
        response_preview: '"An open source platform"',
        client_request_id: 'client-a',
        trace_metadata: {
          'mlflow.trace.session': 'session-1',
          'mlflow.trace.tokenUsage': '{"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}',
          'mlflow.trace.cost': '{"input_cost": 0.001, "total_cost": 0.003}',
          'mlflow.sourceRun': 'run-from-metadata',
          origin: 'batch',
        },
        tags: { 'mlflow.traceName': 'chat', env: 'prod', 'ünïcode': 'välue' },
      },
      {
        trace_id: b,
        request_time: 1_700_000_000_200,
        execution_duration: 1000,
        state: 'ERROR',
        request_preview: '{"question": "Why?"}',
        trace_metadata: { 'mlflow.trace.session': 'session-1', origin: 'online' },
        tags: { 'mlflow.traceName': 'Chat', env: 'dev' },
      },
      { trace_id: c, request_time: 1_700_000_000_200, state: 'IN_PROGRESS', trace_metadata: {}, tags: {} },
      {
        trace_id: d,
        request_time: 1_700_000_000_050,
        execution_duration: 5,
        state: 'OK',
        client_request_id: 'client-d',
        trace_metadata: { 'mlflow.trace.session': 'session-2' },
        tags: { 'mlflow.traceName': 'retrieval', env: 'prod', rank: '2' },
      },
      { trace_id: e, request_time: 1_700_000_000_300, execution_duration: 0, state: 'STATE_UNSPECIFIED', trace_metadata: { origin: 'batch' }, tags: { rank: '1' } },
    ],
    set_tags: [
      [c, 'env', 'staging'],
      [a, 'note', 'x'.repeat(300)],
      [e, 'mlflow.traceName', 'renamed'],
      [d, 'tmp', 'gone'],
    ],
    delete_tags: [[d, 'tmp']],
    assessments: [
      { trace_id: a, name: 'relevance', kind: 'feedback', value: 0.9, source_type: 'LLM_JUDGE', source_id: 'gpt', rationale: 'on topic', metadata: { judge: 'v1' } },
      { trace_id: b, name: 'relevance', kind: 'feedback', value: 0.4, source_type: 'LLM_JUDGE', source_id: 'gpt' },
      { trace_id: b, name: 'relevance', kind: 'feedback', value: 0.7, source_type: 'HUMAN', source_id: 'me@example.com', overrides: 1 },
      { trace_id: a, name: 'correct', kind: 'feedback', value: 'yes', source_type: 'HUMAN', source_id: 'me@example.com', span_id: 'span-1' },
      { trace_id: d, name: 'correct', kind: 'feedback', value: true, source_type: 'CODE', source_id: 'check.py' },
      { trace_id: d, name: 'judge', kind: 'feedback', value: null, source_type: 'LLM_JUDGE', source_id: 'gpt', error: { error_code: 'RATE_LIMIT', error_message: 'slow down' } },
      { trace_id: c, name: 'expected', kind: 'expectation', value: { answer: ['a', 1, true, null], 'ünï': 'ok' }, source_type: 'HUMAN', source_id: 'me@example.com' },
      { trace_id: a, name: 'session_quality', kind: 'feedback', value: 'good', source_type: 'HUMAN', source_id: 'me', metadata: { 'mlflow.trace.session': 'session-1' } },
    ],
    update_assessments: [[0, { name: 'relevance', value: 0.95, rationale: 'even better', metadata: { judge: 'v2', extra: '1' } }]],
    link_to_run: [c, e],
    traced_call: true,
    span_batches: spanBatchesSpec(a, d),
    metric_queries: METRIC_QUERIES,
    correlations: [
      { filter_string1: "tags.env = 'prod'", filter_string2: "trace.status = 'OK'" },
      { filter_string1: "metadata.`mlflow.trace.session` = 'session-1'", filter_string2: 'feedback.relevance > 0.5' },
      { filter_string1: "tags.env = 'prod'", filter_string2: "span.type = 'LLM'", base_filter: 'trace.timestamp_ms > 1700000000060' },
      { filter_string1: "tags.env = 'staging'", filter_string2: "tags.env = 'dev'" },
      { filter_string1: "bogus.x = 'y'", filter_string2: "tags.env = 'dev'" },
    ],
    queries: [
      {},
      { order_by: ['timestamp_ms ASC'] },
      { order_by: ['execution_time DESC'] },
      { order_by: ['tags.rank ASC'] },
      { order_by: ['name DESC'] },
      { order_by: ['status ASC', 'request_id DESC'] },
      { order_by: ['metadata.origin DESC'] },
      { max_results: 2 },
      { filter: "tags.env = 'prod'" },
      { filter: "tags.env != 'prod'" },
      { filter: "tags.env IS NULL" },
      { filter: "tags.env LIKE 'pr%'" },
      { filter: "tags.env ILIKE 'PR%'" },
      { filter: "tags.env RLIKE '^(prod|dev)$'" },
      { filter: "name = 'chat'" },
      { filter: "name ILIKE 'chat'" },
      { filter: "trace.status = 'ERROR'" },
      { filter: "trace.status IN ('OK', 'ERROR')" },
      { filter: "trace.status NOT IN ('OK')" },
      { filter: 'trace.timestamp_ms >= 1700000000200 AND trace.timestamp_ms < 1700000000300' },
      { filter: 'trace.execution_time_ms > 100' },
      { filter: 'trace.end_time_ms <= 1700000000300' },
      { filter: "trace.client_request_id = 'client-d'" },
      { filter: "request_id = '" + a + "'" },
      { filter: "metadata.origin = 'batch'" },
      { filter: "metadata.origin IS NOT NULL" },
      { filter: "metadata.`mlflow.trace.session` = 'session-1'" },
      { filter: "metadata.`mlflow.trace.tokenUsage` IS NOT NULL" },
      { filter: 'metadata.`mlflow.trace.tokenUsage` = \'{"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}\'' },
      { filter: "metadata.`mlflow.trace.cost` != '{}'" },
      { filter: "run_id = 'run-from-metadata'" },
      { filter: 'feedback.relevance > 0.5' },
      { filter: 'feedback.relevance <= 0.5' },
      { filter: "feedback.correct = 'yes'" },
      { filter: "feedback.correct = 'true'" },
      { filter: 'feedback.correct IS NULL' },
      { filter: 'feedback.session_quality IS NOT NULL' },
      { filter: "feedback.judge LIKE '%'" },
      { filter: "expectation.expected LIKE '%answer%'" },
      { filter: "span.name = 'x'" },
      { filter: "span.name = 'retrieve'" },
      { filter: "span.name IN ('fails', 'llm')" },
      { filter: "span.name LIKE 'ret%' AND span.type = 'RETRIEVER'" },
      { filter: "span.name = 'retrieve' AND span.type = 'LLM'" },
      { filter: "span.type != 'CHAIN'" },
      { filter: "span.status = 'ERROR'" },
      { filter: "span.attributes.model LIKE '%gpt%'" },
      { filter: "span.attributes.model ILIKE '%GPT-4%'" },
      { filter: "span.attributes.model RLIKE 'gpt-[0-9]$'" },
      { filter: "span.attributes.top_k = '2'" },
      { filter: "trace.text ILIKE '%mlflow%'" },
      { filter: "trace.text LIKE '%doc-2%'" },
      { filter: 'trace.timestamp_ms > 1700000000000 AND span.name = \'llm\'' },
      { filter: "tags.env = 'prod' AND feedback.relevance > 0.5" },
      { filter: 'trace.nope = 1' },
      { order_by: ['run_id ASC'] },
      { order_by: ['experiment_id DESC', 'end_time ASC'] },
      { order_by: ['metadata.`mlflow.trace.session` ASC'] },
      { order_by: ['tags.`ünïcode` DESC', 'timestamp ASC'] },
      { filter: "trace.status != 'OK'" },
      { filter: 'trace.execution_time_ms = 250' },
      { filter: 'trace.timestamp_ms != 1700000000200' },
      { filter: "trace.timestamp_ms > '1700000000100'" },
      { filter: 'trace.timestamp_ms < 1700000000200.5' },
      { filter: "name IN ('chat', 'retrieval')" },
      { filter: "name != 'chat'" },
      { filter: "name RLIKE '^[cC]'" },
      { filter: "request_id LIKE 'tr-0000%'" },
      { filter: "metadata.origin RLIKE 'b.t'" },
      { filter: "metadata.origin != 'batch'" },
      { filter: "metadata.`mlflow.trace.session` LIKE 'session-%'" },
      { filter: "metadata.`mlflow.trace.session` IS NULL" },
      { filter: "metadata.`mlflow.trace.cost` = '{\"total_cost\": 0.003, \"input_cost\": 0.001}'" },
      { filter: "metadata.`mlflow.trace.cost` = '{\"input_cost\": 0.001, \"total_cost\": 0.003}'" },
      { filter: "metadata.`mlflow.trace.tokenUsage` IS NULL" },
      { filter: "run_id = 'some-other-run'" },
      { filter: "feedback.relevance != '0.95'" },
      { filter: "feedback.relevance = '0.95'" },
      { filter: 'feedback.relevance IS NULL' },
      { filter: 'feedback.session_quality IS NULL' },
      { filter: "feedback.session_quality = 'good'" },
      { filter: "feedback.correct RLIKE 'ye'" },
      { filter: "feedback.correct ILIKE '%YES%'" },
      { filter: 'expectation.expected IS NOT NULL' },
      { filter: "expectation.expected = '1'" },
      { filter: "issue.id = 'iss-1'" },
      { filter: "prompt = 'my-prompt/1'" },
      { filter: "tags.`ünïcode` = 'välue'" },
      { filter: "tags.env = 'prod' OR tags.env = 'dev'" },
      { filter: "tags.env = 'prod'", order_by: ['timestamp_ms ASC'], max_results: 1 },
    ],
  };
}

/** Replays the spec on our store; returns the experiment and run ids. */
export async function applyTraceSpec(store: AbstractStore, spec: TraceSpec): Promise<{ experimentId: string; runId: string }> {
  const experimentId = await store.createExperiment(spec.experiment_name);
  const run = await store.createRun({ experimentId, userId: 'interop', startTime: 0, tags: [], runName: 'linked' });
  for (const t of spec.traces) {
    await store.startTrace({ ...t, trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }, assessments: [] });
  }
  for (const batch of spec.span_batches) await store.logSpans(experimentId, batch);
  for (const [traceId, key, value] of spec.set_tags) await store.setTraceTag(traceId, key, value);
  for (const [traceId, key] of spec.delete_tags) await store.deleteTraceTag(traceId, key);
  const created: string[] = [];
  for (const a of spec.assessments) {
    const input: Assessment = { assessment_name: a.name, trace_id: a.trace_id, source: { source_type: a.source_type, source_id: a.source_id } };
    if (a.kind === 'feedback') {
      input.feedback = { value: a.value, ...(a.error ? { error: a.error } : {}) };
      if (a.rationale !== undefined) input.rationale = a.rationale;
      if (a.overrides !== undefined) input.overrides = created[a.overrides] as string;
    } else {
      input.expectation = { value: a.value };
    }
    if (a.metadata) input.metadata = a.metadata;
    if (a.span_id) input.span_id = a.span_id;
    created.push((await store.createAssessment(input)).assessment_id as string);
  }
  for (const [index, u] of spec.update_assessments) {
    const a = spec.assessments[index] as SpecAssessment;
    await store.updateAssessment(a.trace_id, created[index] as string, {
      ...(u.name !== undefined ? { name: u.name } : {}),
      ...(u.value !== undefined ? { feedback: { value: u.value } } : {}),
      ...(u.rationale !== undefined ? { rationale: u.rationale } : {}),
      ...(u.metadata !== undefined ? { metadata: u.metadata } : {}),
    });
  }
  await store.linkTracesToRun(spec.link_to_run, run.info.run_id);
  return { experimentId, runId: run.info.run_id };
}

const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));

function assessmentJson(a: Assessment): Record<string, unknown> {
  const out: Record<string, unknown> = {
    assessment_id: a.assessment_id,
    name: a.assessment_name,
    trace_id: a.trace_id,
    source: { source_type: a.source.source_type, source_id: a.source.source_id },
    create_time: a.create_time,
    last_update_time: a.last_update_time,
    span_id: a.span_id ?? null,
    rationale: a.rationale ?? null,
    metadata: a.metadata && Object.keys(a.metadata).length > 0 ? a.metadata : null,
    overrides: a.overrides ?? null,
    valid: a.valid !== false,
    run_id: a.run_id ?? null,
  };
  if (a.feedback != null) {
    out['feedback'] = a.feedback.value ?? null;
    const e = a.feedback.error;
    out['error'] = e ? { error_code: e.error_code ?? null, error_message: e.error_message ?? null, stack_trace: e.stack_trace ?? null } : null;
  } else {
    out['expectation'] = a.expectation?.value ?? null;
  }
  return out;
}

function infoJson(info: TraceInfo): Record<string, unknown> {
  return {
    trace_id: info.trace_id,
    experiment_id: info.trace_location.mlflow_experiment?.experiment_id,
    request_time: info.request_time,
    execution_duration: info.execution_duration ?? null,
    state: info.state,
    request_preview: info.request_preview ?? null,
    response_preview: info.response_preview ?? null,
    client_request_id: info.client_request_id ?? null,
    tags: sorted(info.tags),
    trace_metadata: sorted(info.trace_metadata),
    assessments: info.assessments.map(assessmentJson).sort((x, y) => String(x['assessment_id']).localeCompare(String(y['assessment_id']))),
  };
}

async function searchIds(store: AbstractStore, experimentId: string, q: TraceQuery): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.searchTraces({
      locations: [experimentId],
      ...(q.filter !== undefined ? { filterString: q.filter } : {}),
      ...(q.order_by ? { orderBy: q.order_by } : {}),
      maxResults: q.max_results ?? 100,
      ...(pageToken ? { pageToken } : {}),
    });
    ids.push(...page.items.map((t) => t.trace_id));
    pageToken = page.nextPageToken;
  } while (pageToken);
  return ids;
}

/** Span times as exact decimal text on both sides (Python's ints exceed 2^53). */
function exactTimes(span: Span): Span {
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    ...span,
    start_time_unix_nano: text(span.start_time_unix_nano) as string,
    end_time_unix_nano: text(span.end_time_unix_nano),
    events: (span.events ?? []).map((e) => ({ ...e, time_unix_nano: text(e.time_unix_nano) as string })),
  };
}

/** The experiment's traces and the spec's query results, as traces_via_store.py `dump` prints them. */
/** The data points of each metric query (or the error code), as traces_via_store.py prints them. */
async function metricResults(store: AbstractStore, spec: TraceSpec, experimentId: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of spec.metric_queries) {
    try {
      const page = await store.queryTraceMetrics({
        experimentIds: [experimentId],
        viewType: q.view_type,
        metricName: q.metric_name,
        aggregations: q.aggregations,
        ...(q.dimensions ? { dimensions: q.dimensions } : {}),
        ...(q.filters ? { filters: q.filters } : {}),
        ...(q.time_interval_seconds ? { timeIntervalSeconds: q.time_interval_seconds } : {}),
        ...(q.start_time_ms !== undefined ? { startTimeMs: q.start_time_ms } : {}),
        ...(q.end_time_ms !== undefined ? { endTimeMs: q.end_time_ms } : {}),
      });
      out.push(page.items);
    } catch (err) {
      out.push({ error: (err as { errorCode?: string }).errorCode ?? String(err) });
    }
  }
  return out;
}

/** The counts and NPMI scores of each correlation query (NaN as null), or the error code. */
async function correlationResults(store: AbstractStore, spec: TraceSpec, experimentId: string): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const q of spec.correlations) {
    try {
      const r = await store.calculateTraceFilterCorrelation({ experimentIds: [experimentId], filterString1: q.filter_string1, filterString2: q.filter_string2, ...(q.base_filter ? { baseFilter: q.base_filter } : {}) });
      const score = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? null : v);
      out.push({ npmi: score(r.npmi), npmi_smoothed: score(r.npmi_smoothed), filter1_count: r.filter1_count, filter2_count: r.filter2_count, joint_count: r.joint_count, total_count: r.total_count });
    } catch (err) {
      out.push({ error: (err as { errorCode?: string }).errorCode ?? String(err) });
    }
  }
  return out;
}

export async function dumpTraces(
  store: AbstractStore,
  spec: TraceSpec,
  experimentId: string,
): Promise<{ traces: unknown[]; spans: unknown[]; queries: unknown[]; metrics: unknown[]; correlations: unknown[] }> {
  const ids = await searchIds(store, experimentId, {});
  const queries: unknown[] = [];
  for (const q of spec.queries) {
    try {
      queries.push(await searchIds(store, experimentId, q));
    } catch (err) {
      queries.push({ error: (err as { errorCode?: string }).errorCode ?? String(err) });
    }
  }
  const traces: unknown[] = [];
  const spans: unknown[] = [];
  for (const i of ids) {
    const info = await store.getTraceInfo(i);
    traces.push(infoJson(info));
    spans.push(
      info.tags['mlflow.trace.spansLocation'] === 'TRACKING_STORE'
        ? (await store.getTrace(i, { allowPartial: true })).data.spans.map(exactTimes).sort((x, y) => (x.span_id < y.span_id ? -1 : x.span_id > y.span_id ? 1 : 0))
        : null,
    );
  }
  return { traces, spans, queries, metrics: await metricResults(store, spec, experimentId), correlations: await correlationResults(store, spec, experimentId) };
}
