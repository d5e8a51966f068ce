/**
 * The trace scenario of test/file-trace-interop.test.ts: the SQL interop spec (trace-scenario.ts)
 * without what MLflow's FileStore does not support (run links, logged spans), plus an expectation
 * update, an override deleted (its original restored) and queries on the in-memory search's own
 * rules. Replayed by our FileTrackingStore ({@link applyFileTraceSpec}) or by MLflow's FileStore
 * (traces_via_file_store.py `fill`), read back by either into the same JSON ({@link dumpFileTraces}
 * / traces_via_file_store.py `dump`).
 */
import type { AbstractStore, Assessment, TraceInfo } from '@mlstore/core';
import { buildTraceSpec, type SpecAssessment, type TraceQuery, type TraceSpec } from './trace-scenario.js';

export interface FileTraceSpec extends TraceSpec {
  /** Indices of assessments deleted after the updates. */
  delete_assessments: number[];
}

const id = (n: number) => `tr-${n.toString(16).padStart(32, '0')}`;

/** The spec (see the file comment). */
export function buildFileTraceSpec(): FileTraceSpec {
  const base = buildTraceSpec();
  const extra: TraceQuery[] = [
    { filter: "trace.status = 'TRACE_STATUS_UNSPECIFIED'" },
    { filter: "trace.status = 'STATE_UNSPECIFIED'" },
    { filter: "trace.status ILIKE 'ok'" },
    { filter: "trace.status IN ('OK', 'TRACE_STATUS_UNSPECIFIED')" },
    { filter: "tags.env IN ('prod')" },
    { filter: "trace.client_request_id LIKE 'client-%'" },
    { filter: `request_id IN ('${id(1)}', '${id(4)}')` },
    { filter: "trace.timestamp_ms = '1700000000100'" },
    { filter: 'trace.end_time_ms > 5' },
    { filter: "tags.env = 'nope' AND span.name = 'x'" },
    { filter: "tags.env = 'prod' AND feedback.relevance > 0.5" },
    { filter: "metadata.origin LIKE 'b%'" },
    { filter: "tags.`mlflow.artifactLocation` LIKE '%/traces/%'" },
    { order_by: ['timestamp ASC', 'timestamp_ms DESC'] },
    { order_by: ['execution_time ASC'] },
    { order_by: ['status DESC'] },
    { order_by: ['experiment_id ASC', 'request_id DESC'] },
    { order_by: ['request_id DESC'], max_results: 2 },
    { max_results: 0 },
    { max_results: 50001 },
  ];
  return {
    ...base,
    link_to_run: [],
    traced_call: false,
    update_assessments: [...base.update_assessments, [6, { value: { answer: 'changed', n: [1, 2.5] } }]],
    delete_assessments: [2],
    queries: [...base.queries, ...extra],
  };
}

/** Replays the spec on our store; returns the experiment id. */
export async function applyFileTraceSpec(store: AbstractStore, spec: FileTraceSpec): Promise<string> {
  const experimentId = await store.createExperiment(spec.experiment_name);
  for (const t of spec.traces) {
    await store.startTrace({ ...t, trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } }, assessments: [] });
  }
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
      ...(u.value !== undefined ? (a.kind === 'feedback' ? { feedback: { value: u.value } } : { expectation: { value: u.value } }) : {}),
      ...(u.rationale !== undefined ? { rationale: u.rationale } : {}),
      ...(u.metadata !== undefined ? { metadata: u.metadata } : {}),
    });
  }
  for (const index of spec.delete_assessments) {
    const a = spec.assessments[index] as SpecAssessment;
    await store.deleteAssessment(a.trace_id, created[index] as string);
  }
  return experimentId;
}

const sorted = (o: Record<string, string>) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));

/** One assessment as traces_via_file_store.py prints it (`valid` as read: absent on expectations). */
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
    valid: a.valid ?? null,
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

const byId = (x: Record<string, unknown>, y: Record<string, unknown>) => String(x['assessment_id']).localeCompare(String(y['assessment_id']));

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
    assessments: info.assessments.map(assessmentJson).sort(byId),
  };
}

async function searchIds(store: AbstractStore, experimentId: string, q: TraceQuery): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  let pages = 0;
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
    pages++;
  } while (pageToken && pages <= 50);
  return ids;
}

/** What traces_via_file_store.py `dump` prints, read through our store (no YAML byte check: Python makes it). */
export async function dumpFileTraces(store: AbstractStore, spec: FileTraceSpec, experimentId: string): Promise<{ traces: unknown[]; assessments: unknown[]; queries: unknown[] }> {
  const ids = await searchIds(store, experimentId, {});
  const queries: unknown[] = [];
  for (const q of spec.queries) {
    try {
      queries.push(await searchIds(store, experimentId, q));
    } catch (err) {
      queries.push({ error: (err as { errorCode?: string }).errorCode ?? String(err) });
    }
  }
  const infos: TraceInfo[] = [];
  for (const i of ids) infos.push(await store.getTraceInfo(i));
  const assessments: Record<string, unknown>[] = [];
  for (const info of infos) {
    for (const a of info.assessments) assessments.push(assessmentJson(await store.getAssessment(info.trace_id, a.assessment_id as string)));
  }
  return { traces: infos.map(infoJson), assessments: assessments.sort(byId), queries };
}
