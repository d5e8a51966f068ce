import type { AbstractStore, CallOptions } from './abstract-store.js';
import { MlflowError, isMlflowError } from './errors.js';
import type { ImportOutcome, PortableStore } from './maintenance.js';
import { appendToUriPath } from './uri.js';
import { SpansLocation } from './traces/span-ingest.js';
import { TraceMetadataKey, TraceTagKey, type Span, type TraceInfo } from './traces/trace-entities.js';

/** Page size of {@link exportTraces}. */
const PAGE = 500;

/** Whether the store takes part in trace migration (it stores traces). */
export function storesTraces(store: AbstractStore): boolean {
  return store.capabilities.traces === true;
}

/**
 * Every trace of the experiment (infos with tags, metadata and assessments), oldest first, paged
 * through `searchTraces`. Nothing for a store without traces.
 */
export async function* exportTraces(store: AbstractStore, experimentId: string, call: CallOptions = {}): AsyncIterable<TraceInfo> {
  if (!storesTraces(store)) return;
  let pageToken: string | undefined;
  do {
    const page = await store.searchTraces({ locations: [experimentId], maxResults: PAGE, orderBy: ['timestamp_ms ASC'], ...(pageToken ? { pageToken } : {}) }, call);
    yield* page.items;
    pageToken = page.nextPageToken || undefined;
  } while (pageToken);
}

/** Whether the trace's spans live in its store (`log_spans`), rather than in `traces.json` among its artifacts. */
function spansInStore(store: AbstractStore, info: TraceInfo): boolean {
  return store.capabilities.traceSpans === true && info.tags?.[TraceTagKey.SPANS_LOCATION] === SpansLocation.TRACKING_STORE;
}

/** The spans a store holds for the trace (none when they live among its artifacts). */
export async function storedSpans(store: AbstractStore, info: TraceInfo, call: CallOptions = {}): Promise<Span[]> {
  if (!spansInStore(store, info)) return [];
  return (await store.getTrace(info.trace_id, { allowPartial: true }, call)).data.spans;
}

async function targetInfo(target: AbstractStore, traceId: string, call: CallOptions): Promise<TraceInfo | undefined> {
  try {
    return await target.getTraceInfo(traceId, call);
  } catch (err) {
    if (isMlflowError(err) && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
    throw err;
  }
}

/** Where a trace's artifacts (`traces.json`, attachments) live, as its store recorded it. */
export function traceArtifactUri(info: TraceInfo): string | undefined {
  return info.tags?.[TraceTagKey.ARTIFACT_LOCATION];
}

/**
 * Copies one trace into the target: its info with tags, metadata and assessments (`importTrace`, which
 * keeps ids and times, into an active or deleted experiment), then its spans when the source holds them (`logSpans`, which upserts by
 * span id). Idempotent: a trace the target has is `exists`, and only its missing spans are logged
 * again (a run interrupted between the two steps is completed on the next one).
 * `copyArtifacts(from, to)` copies the trace's artifact tree first when the target keeps it elsewhere.
 *
 * @throws INVALID_PARAMETER_VALUE when the source holds spans and the target cannot store them
 *   (MLflow's FileStore has no `log_spans`)
 */
export async function importTrace(
  source: AbstractStore,
  target: PortableStore,
  info: TraceInfo,
  call: CallOptions,
  copyArtifacts?: (from: string, to: string) => Promise<void>,
  targetExperimentLocation?: string,
): Promise<ImportOutcome> {
  const spans = await storedSpans(source, info, call);
  if (spans.length > 0 && target.capabilities.traceSpans !== true) {
    throw MlflowError.invalidParameter(
      `Trace '${info.trace_id}' has ${spans.length} spans in the source store, and the target store cannot store spans (MLflow's FileStore keeps them in traces.json among a trace's artifacts); migrate it into a SQL store.`,
    );
  }
  const existing = await targetInfo(target, info.trace_id, call);
  if (!existing) {
    const from = traceArtifactUri(info);
    const experimentId = info.trace_location.mlflow_experiment?.experiment_id;
    if (copyArtifacts && from && targetExperimentLocation && experimentId) {
      await copyArtifacts(from, appendToUriPath(targetExperimentLocation, 'traces', info.trace_id, 'artifacts'));
    }
    await target.importTrace(withoutStoreTags(info), call);
  }
  if (spans.length > 0) {
    const have = existing ? await storedSpans(target, existing, call) : [];
    if (have.length < spans.length) await target.logSpans(info.trace_location.mlflow_experiment?.experiment_id ?? '', spans, call);
  }
  return existing ? 'exists' : 'created';
}

/** The info without the tags its target store sets itself (the artifact location, from the target experiment). */
function withoutStoreTags(info: TraceInfo): TraceInfo {
  const { [TraceTagKey.ARTIFACT_LOCATION]: _location, ...tags } = info.tags ?? {};
  return { ...info, tags };
}

/** What verification compares of a trace. */
export interface TraceDigest {
  state: string;
  requestTime: number;
  tags: number;
  /** Metadata entries, without the `mlflow.trace.infoFinalized` marker some stores add at start. */
  metadata: number;
  assessments: number;
  /** Spans held by the store (`null` when it keeps them among the trace's artifacts). */
  spans: number | null;
}

/** The trace's digest, its spans counted when the store holds them. */
export async function digestTrace(store: AbstractStore, info: TraceInfo, call: CallOptions): Promise<TraceDigest> {
  const metadata = Object.keys(info.trace_metadata ?? {}).filter((k) => k !== TraceMetadataKey.TRACE_INFO_FINALIZED);
  return {
    state: info.state,
    requestTime: Number(info.request_time),
    tags: Object.keys(info.tags ?? {}).length,
    metadata: metadata.length,
    assessments: (info.assessments ?? []).length,
    spans: spansInStore(store, info) ? (await storedSpans(store, info, call)).length : null,
  };
}
