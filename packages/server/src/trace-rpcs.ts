import {
  assessmentFromWire,
  assessmentToWire,
  MlflowError,
  spanToOtlpWire,
  traceInfoFromWire,
  traceInfoToV2Wire,
  traceInfoToWire,
  traceStateFromV2Status,
  type AggregationType,
  type MetricAggregation,
  type MetricViewType,
  type MlflowRpc,
  type Trace,
  type UpdateAssessmentRequest,
} from '@mlstore/core';
import type { RpcHandler } from './tracking-rpcs.js';

type Msg = Record<string, unknown>;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const strings = (v: unknown): string[] => (v as string[] | undefined) ?? [];
const kvMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const t of (v as { key?: string; value?: string }[] | undefined) ?? []) out[t.key ?? ''] = t.value ?? '';
  return out;
};

/** Tags the server manages (`_HANDLER_BLOCKED_TRACE_TAGS`): dropped from clients' traces, refused by the tag routes. */
const BLOCKED_TRACE_TAGS = new Set(['mlflow.artifactLocation', 'mlflow.trace.spansLocation', 'mlflow.trace.archiveLocation', 'mlflow.trace.archivalFailure']);
/** The one blocked tag a client may delete (clearing an archival failure). */
const DELETABLE_BLOCKED_TAG = 'mlflow.trace.archivalFailure';

function dropBlockedTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !BLOCKED_TRACE_TAGS.has(k)));
}

/** `_validate_trace_tag_handler_mutation`. @throws INVALID_PARAMETER_VALUE */
function checkTagMutation(key: string, operation: 'set' | 'deleted'): void {
  if (BLOCKED_TRACE_TAGS.has(key) && !(operation === 'deleted' && key === DELETABLE_BLOCKED_TAG)) {
    throw MlflowError.invalidParameter(`Tag '${key}' is immutable and cannot be ${operation} on a trace.`);
  }
}

const traceToWire = (t: Trace) => ({ trace_info: traceInfoToWire(t.info), spans: t.data.spans.map(spanToOtlpWire) });

/** FieldMask JSON (`"assessmentName,feedback"`) as snake_case paths. */
function maskPaths(mask: string): string[] {
  return mask
    .split(',')
    .map((p) => p.trim().replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`))
    .filter(Boolean);
}

/**
 * MLflow 3.18's trace and assessment handlers (server/handlers.py): request message in, response
 * message out, through the store's `TraceStore` methods.
 */
export const TRACE_RPCS: Partial<Record<MlflowRpc, RpcHandler>> = {
  async startTraceV3(msg, { store, signal }) {
    const trace = msg['trace'] as Msg;
    const info = traceInfoFromWire(trace['trace_info']);
    info.tags = dropBlockedTags(info.tags);
    return { trace: { trace_info: traceInfoToWire(await store.startTrace(info, { signal })) } };
  },
  async getTraceInfoV3(msg, { store, signal }) {
    return { trace: { trace_info: traceInfoToWire(await store.getTraceInfo(str(msg['trace_id'])!, { signal })) } };
  },
  async getTrace(msg, { store, signal }) {
    const trace = await store.getTrace(str(msg['trace_id'])!, { allowPartial: msg['allow_partial'] === true }, { signal });
    return { trace: traceToWire(trace) };
  },
  async batchGetTraces(msg, { store, signal }) {
    const experimentIds = msg['experiment_ids'] === undefined ? undefined : strings(msg['experiment_ids']);
    const traces = await store.batchGetTraces({ traceIds: strings(msg['trace_ids']), experimentIds }, { signal });
    return { traces: traces.map(traceToWire) };
  },
  async batchGetTraceInfos(msg, { store, signal }) {
    const experimentIds = msg['experiment_ids'] === undefined ? undefined : strings(msg['experiment_ids']);
    const infos = await store.batchGetTraceInfos({ traceIds: strings(msg['trace_ids']), experimentIds }, { signal });
    return { trace_infos: infos.map(traceInfoToWire) };
  },
  async searchTracesV3(msg, { store, signal }) {
    const locations = ((msg['locations'] as Msg[] | undefined) ?? [])
      .map((l) => str((l['mlflow_experiment'] as Msg | undefined)?.['experiment_id']))
      .filter((id): id is string => id !== undefined);
    const page = await store.searchTraces(
      { locations, filterString: str(msg['filter']), maxResults: num(msg['max_results']), orderBy: strings(msg['order_by']), pageToken: str(msg['page_token']) || undefined },
      { signal },
    );
    return { traces: page.items.map(traceInfoToWire), next_page_token: page.nextPageToken || undefined };
  },
  async searchTracesV2(msg, { store, signal }) {
    const page = await store.searchTraces(
      { experimentIds: strings(msg['experiment_ids']), filterString: str(msg['filter']), maxResults: num(msg['max_results']), orderBy: strings(msg['order_by']), pageToken: str(msg['page_token']) || undefined },
      { signal },
    );
    return { traces: page.items.map(traceInfoToV2Wire), next_page_token: page.nextPageToken || undefined };
  },
  async getTraceInfoV2(msg, { store, signal }) {
    return { trace_info: traceInfoToV2Wire(await store.getTraceInfo(str(msg['request_id'])!, { signal })) };
  },
  async startTraceV2(msg, { store, signal }) {
    const info = await store.deprecatedStartTraceV2(
      { experimentId: str(msg['experiment_id']) ?? '', timestampMs: num(msg['timestamp_ms']) ?? 0, requestMetadata: kvMap(msg['request_metadata']), tags: dropBlockedTags(kvMap(msg['tags'])) },
      { signal },
    );
    return { trace_info: traceInfoToV2Wire(info) };
  },
  async endTraceV2(msg, { store, signal }) {
    // Legacy clients send back every tag, server-managed ones too: dropped, not refused (as MLflow).
    const info = await store.deprecatedEndTraceV2(
      str(msg['request_id'])!,
      {
        timestampMs: num(msg['timestamp_ms']) ?? 0,
        status: traceStateFromV2Status(msg['status'] ?? 'TRACE_STATUS_UNSPECIFIED'),
        requestMetadata: kvMap(msg['request_metadata']),
        tags: dropBlockedTags(kvMap(msg['tags'])),
      },
      { signal },
    );
    return { trace_info: traceInfoToV2Wire(info) };
  },
  async setTraceTag(msg, ctx) {
    return setTag(str(msg['request_id'])!, msg, ctx);
  },
  async setTraceTagV3(msg, ctx) {
    return setTag(str(msg['trace_id'])!, msg, ctx);
  },
  async deleteTraceTag(msg, ctx) {
    return deleteTag(str(msg['request_id'])!, msg, ctx);
  },
  async deleteTraceTagV3(msg, ctx) {
    return deleteTag(str(msg['trace_id'])!, msg, ctx);
  },
  deleteTraces,
  deleteTracesV3: deleteTraces,
  async linkTracesToRun(msg, { store, signal }) {
    await store.linkTracesToRun(strings(msg['trace_ids']), str(msg['run_id'])!, { signal });
    return {};
  },
  async createAssessment(msg, { store, signal }) {
    const assessment = assessmentFromWire(msg['assessment']);
    if (assessment.feedback === undefined && assessment.expectation === undefined) {
      throw MlflowError.invalidParameter('Unknown assessment type: None');
    }
    assessment.trace_id = str(msg['trace_id'])!;
    return { assessment: assessmentToWire(await store.createAssessment(assessment, { signal })) };
  },
  async getAssessment(msg, { store, signal }) {
    return { assessment: assessmentToWire(await store.getAssessment(str(msg['trace_id'])!, str(msg['assessment_id'])!, { signal })) };
  },
  async updateAssessment(msg, { store, signal }) {
    const wire = assessmentFromWire(msg['assessment']);
    const request: UpdateAssessmentRequest = {};
    for (const path of maskPaths(str(msg['update_mask']) ?? '')) {
      if (path === 'assessment_name') request.name = wire.assessment_name;
      else if (path === 'expectation') request.expectation = wire.expectation ?? {};
      else if (path === 'feedback') request.feedback = wire.feedback ?? {};
      else if (path === 'rationale') request.rationale = wire.rationale ?? '';
      else if (path === 'metadata') request.metadata = wire.metadata ?? {};
    }
    const updated = await store.updateAssessment(str(msg['trace_id'])!, str(msg['assessment_id'])!, request, { signal });
    return { assessment: assessmentToWire(updated) };
  },
  async queryTraceMetrics(msg, { store, signal }) {
    const aggregations = ((msg['aggregations'] as Msg[] | undefined) ?? []).map((a) => {
      const out: MetricAggregation = { aggregation_type: (str(a['aggregation_type']) ?? 'COUNT') as AggregationType };
      if (num(a['percentile_value']) !== undefined) out.percentile_value = num(a['percentile_value']);
      return out;
    });
    const dimensions = strings(msg['dimensions']);
    const filters = strings(msg['filters']);
    const page = await store.queryTraceMetrics(
      {
        experimentIds: strings(msg['experiment_ids']),
        viewType: str(msg['view_type']) as MetricViewType,
        metricName: str(msg['metric_name'])!,
        aggregations,
        ...(dimensions.length > 0 ? { dimensions } : {}),
        ...(filters.length > 0 ? { filters } : {}),
        // MLflow reads an interval of 0 as none (`if time_interval_seconds`).
        ...(num(msg['time_interval_seconds']) ? { timeIntervalSeconds: num(msg['time_interval_seconds']) } : {}),
        ...(num(msg['start_time_ms']) !== undefined ? { startTimeMs: num(msg['start_time_ms']) } : {}),
        ...(num(msg['end_time_ms']) !== undefined ? { endTimeMs: num(msg['end_time_ms']) } : {}),
        ...(num(msg['max_results']) !== undefined ? { maxResults: num(msg['max_results']) } : {}),
        ...(str(msg['page_token']) ? { pageToken: str(msg['page_token']) } : {}),
      },
      { signal },
    );
    // Empty maps are left out, as protobuf's JSON writes them (a point without dimensions has none).
    const points = page.items.map((p) => (Object.keys(p.dimensions).length > 0 ? p : { metric_name: p.metric_name, values: p.values }));
    return { data_points: points, next_page_token: page.nextPageToken || undefined };
  },
  async calculateTraceFilterCorrelation(msg, { store, signal }) {
    const result = await store.calculateTraceFilterCorrelation(
      {
        experimentIds: strings(msg['experiment_ids']),
        filterString1: str(msg['filter_string1'])!,
        filterString2: str(msg['filter_string2'])!,
        ...(str(msg['base_filter']) !== undefined ? { baseFilter: str(msg['base_filter']) } : {}),
      },
      { signal },
    );
    // NaN (undefined NPMI) is left out of the answer, as MLflow's to_proto does.
    const finite = (v: number | undefined) => (v === undefined || Number.isNaN(v) ? undefined : v);
    return {
      npmi: finite(result.npmi),
      npmi_smoothed: finite(result.npmi_smoothed),
      filter1_count: result.filter1_count,
      filter2_count: result.filter2_count,
      joint_count: result.joint_count,
      total_count: result.total_count,
    };
  },
  async deleteAssessment(msg, { store, signal }) {
    await store.deleteAssessment(str(msg['trace_id'])!, str(msg['assessment_id'])!, { signal });
    return {};
  },
};

const setTag: (traceId: string, ...rest: Parameters<RpcHandler>) => Promise<unknown> = async (traceId, msg, { store, signal }) => {
  const key = str(msg['key'])!;
  checkTagMutation(key, 'set');
  await store.setTraceTag(traceId, key, str(msg['value']) ?? '', { signal });
  return {};
};

const deleteTag: (traceId: string, ...rest: Parameters<RpcHandler>) => Promise<unknown> = async (traceId, msg, { store, signal }) => {
  const key = str(msg['key'])!;
  checkTagMutation(key, 'deleted');
  await store.deleteTraceTag(traceId, key, { signal });
  return {};
};

async function deleteTraces(msg: Msg, { store, signal }: Parameters<RpcHandler>[1]): Promise<unknown> {
  // Unset optional fields are null (not 0): max_traces 0 would mean "delete nothing".
  const deleted = await store.deleteTraces(
    str(msg['experiment_id'])!,
    { maxTimestampMillis: num(msg['max_timestamp_millis']), maxTraces: num(msg['max_traces']), traceIds: strings(msg['request_ids']) },
    { signal },
  );
  return { traces_deleted: deleted };
}
