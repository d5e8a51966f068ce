import { sql, type Kysely, type Selectable } from 'kysely';
import {
  MlflowError,
  SpanAttributeKey,
  SpansLocation,
  TraceMetadataKey,
  TraceTagKey,
  appendToUriPath,
  compareStoredSpans,
  parseJsonExact,
  requestOrder,
  spanAggregationNode,
  spanBatches,
  spansWriteConflict,
  traceInfoUpdate,
  translateLoadedSpan,
  type IngestedSpan,
  type Span,
  type SpanAggregationNode,
  type TraceSpanBatch,
} from '@mlstore/core';
import type { Database, TraceInfoTable } from './db-types.js';
import { inTransaction, loadInChunks, reading, upsert, type SqlContext } from './sql-context.js';
import { experimentRow } from './sql-experiment-rows.js';
import type { SqlDialectName } from './sql-uri.js';

const TRACE_USER = 'mlflow.trace.user';
const TOKEN_COLUMNS = ['input_tokens', 'output_tokens', 'total_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens', 'cache_creation_input_tokens_above_1hr'] as const;
const COST_COLUMNS = ['input_cost', 'output_cost', 'total_cost'] as const;

/** A span row as read back for get_trace: the stored JSON and what orders it. */
export interface StoredSpanRow {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  start: string;
  content: string;
}

/** Nanoseconds as each driver binds a BIGINT exactly (better-sqlite3 takes bigints; pg and mysql2 decimal text). */
const nsParam = (dialect: SqlDialectName, ns: bigint | null) => (ns === null ? null : dialect === 'sqlite' ? ns : ns.toString());

/** The `spans` row of an ingested span (MLflow's `SqlSpan` columns; `duration_ns` is generated). */
function spanRow(dialect: SqlDialectName, s: IngestedSpan, experimentId: TraceInfoTable['experiment_id']): Record<string, unknown> {
  return {
    trace_id: s.traceId,
    experiment_id: experimentId,
    span_id: s.spanId,
    parent_span_id: s.parentSpanId,
    name: s.name,
    type: s.type,
    status: s.status,
    start_time_unix_nano: nsParam(dialect, s.startNs),
    end_time_unix_nano: nsParam(dialect, s.endNs),
    content: s.content,
    input_cost: s.inputCost,
    output_cost: s.outputCost,
    total_cost: s.totalCost,
    model_name: s.modelName,
    model_provider: s.modelProvider,
  };
}

const SPAN_UPDATE_COLUMNS = ['experiment_id', 'parent_span_id', 'name', 'type', 'status', 'start_time_unix_nano', 'end_time_unix_nano', 'content', 'input_cost', 'output_cost', 'total_cost', 'model_name', 'model_provider'];

/** Span rows of `traceIds` stored before this call (not re-sent in it), as usage/cost nodes. */
async function storedNodes(tx: Kysely<Database>, traceIds: string[], batchKeys: Set<string>): Promise<Map<string, { usage: SpanAggregationNode[]; cost: SpanAggregationNode[] }>> {
  const out = new Map<string, { usage: SpanAggregationNode[]; cost: SpanAggregationNode[] }>();
  const rows = await loadInChunks(traceIds, (c) => tx.selectFrom('spans').select(['trace_id', 'span_id', 'parent_span_id', 'content']).where('trace_id', 'in', c).execute());
  for (const r of rows) {
    if (batchKeys.has(`${r.trace_id}\u0000${r.span_id}`)) continue;
    let attributes: Record<string, unknown>;
    try {
      attributes = ((JSON.parse(r.content) as { attributes?: Record<string, unknown> }).attributes ?? {}) as Record<string, unknown>;
    } catch {
      continue; // MLflow skips malformed stored content
    }
    const entry = out.get(r.trace_id) ?? { usage: [], cost: [] };
    entry.usage.push(spanAggregationNode(r.span_id, r.parent_span_id, attributes, SpanAttributeKey.CHAT_USAGE));
    entry.cost.push(spanAggregationNode(r.span_id, r.parent_span_id, attributes, SpanAttributeKey.LLM_COST));
    out.set(r.trace_id, entry);
  }
  return out;
}

/**
 * MLflow 3.18's `log_spans` on its tables, in one transaction (a failed call leaves nothing):
 * creates missing `trace_info` rows in experiment `location`, upserts `spans` rows, derives the
 * trace-level columns start_trace has not made final, tags the traces `spansLocation =
 * TRACKING_STORE` and advances `db_payload_generation`.
 * @throws INVALID_PARAMETER_VALUE, RESOURCE_DOES_NOT_EXIST, INVALID_STATE as MLflow
 */
export async function logSpans(ctx: SqlContext, location: string, spans: Span[]): Promise<Span[]> {
  if (!Array.isArray(spans)) throw MlflowError.invalidParameter('spans must be a list of spans.');
  if (spans.length === 0) return [];
  const batches = spanBatches(spans, ctx.logger);
  const ids = batches.map((b) => b.traceId);
  const batchKeys = new Set(batches.flatMap((b) => b.spans.map((s) => `${s.traceId}\u0000${s.spanId}`)));
  const { dialect } = ctx;
  await inTransaction(ctx, async (tx) => {
    let q = tx.selectFrom('trace_info').selectAll().where('request_id', 'in', ids).orderBy('request_id');
    if (dialect !== 'sqlite') q = q.forUpdate();
    const existing = new Map((await q.execute()).map((r) => [r.request_id, r]));
    const created = new Set<string>();
    const missing = batches.filter((b) => !existing.has(b.traceId));
    if (missing.length > 0) {
      const experiment = await experimentRow(tx, dialect, location);
      for (const b of missing) {
        const row = {
          request_id: b.traceId,
          experiment_id: experiment.experiment_id,
          timestamp_ms: b.minStartMs,
          execution_time_ms: b.maxEndMs ? b.maxEndMs - b.minStartMs : null,
          status: b.rootStatus ?? 'IN_PROGRESS',
          client_request_id: null,
        };
        await tx.insertInto('trace_info').values(row).execute();
        await tx.insertInto('trace_tags').values({ request_id: b.traceId, key: TraceTagKey.ARTIFACT_LOCATION, value: appendToUriPath(experiment.artifact_location ?? '', 'traces', b.traceId, 'artifacts') }).execute();
        existing.set(b.traceId, (await tx.selectFrom('trace_info').selectAll().where('request_id', '=', b.traceId).executeTakeFirstOrThrow()));
        created.add(b.traceId);
      }
    }
    const foreign = ids.filter((id) => String(existing.get(id)?.experiment_id) !== String(location)).sort();
    if (foreign.length > 0) throw MlflowError.invalidParameter(`Trace with ID '${foreign[0]}' already exists in another experiment.`);
    const blockedRows = await tx.selectFrom('trace_tags').select(['request_id', 'value']).where('request_id', 'in', ids).where('key', '=', TraceTagKey.SPANS_LOCATION).where('value', '!=', SpansLocation.TRACKING_STORE).execute();
    if (blockedRows.length > 0) throw spansWriteConflict(new Map(blockedRows.map((r) => [r.request_id, r.value ?? ''])));

    // Spans: one row per (trace, span), the last one sent winning.
    const rows = new Map<string, Record<string, unknown>>();
    for (const b of batches) for (const s of b.spans) rows.set(`${s.traceId}\u0000${s.spanId}`, spanRow(dialect, s, (existing.get(b.traceId) as { experiment_id: TraceInfoTable['experiment_id'] }).experiment_id));
    for (let i = 0, all = [...rows.values()]; i < all.length; i += 100) {
      await upsert(tx, dialect, 'spans', all.slice(i, i + 100), ['trace_id', 'span_id'], SPAN_UPDATE_COLUMNS).execute();
    }

    const metadata = await tx.selectFrom('trace_request_metadata').select(['request_id', 'key']).where('request_id', 'in', ids).where('key', 'in', [TraceMetadataKey.TRACE_INFO_FINALIZED, TRACE_USER]).execute();
    const has = (id: string, key: string) => metadata.some((m) => m.request_id === id && m.key === key);
    const needNodes = batches.filter((b) => !created.has(b.traceId) && (b.usage || b.cost)).map((b) => b.traceId);
    const nodes = needNodes.length > 0 ? await storedNodes(tx, needNodes, batchKeys) : new Map();
    for (const b of [...batches].sort((x, y) => (x.traceId < y.traceId ? -1 : x.traceId > y.traceId ? 1 : 0))) {
      await applyBatch(tx, dialect, b, existing.get(b.traceId) as Selectable<TraceInfoTable>, created.has(b.traceId), has, nodes.get(b.traceId));
    }
    await tx.updateTable('trace_info').set({ db_payload_generation: sql`db_payload_generation + 1` }).where('request_id', 'in', ids).execute();
  });
  return requestOrder(batches).map((s) => s.logged);
}

async function applyBatch(
  tx: Kysely<Database>,
  dialect: SqlDialectName,
  b: TraceSpanBatch,
  row: Selectable<TraceInfoTable>,
  created: boolean,
  has: (id: string, key: string) => boolean,
  stored: { usage: SpanAggregationNode[]; cost: SpanAggregationNode[] } | undefined,
): Promise<void> {
  const anySet = (cols: readonly string[]) => cols.some((c) => (row as unknown as Record<string, unknown>)[c] != null);
  const update = traceInfoUpdate(b, {
    created,
    finalized: has(b.traceId, TraceMetadataKey.TRACE_INFO_FINALIZED),
    request_time: Number(row.timestamp_ms),
    execution_duration: row.execution_time_ms == null ? null : Number(row.execution_time_ms),
    state: row.status,
    hasRequestPreview: row.request_preview != null,
    hasResponsePreview: row.response_preview != null,
    hasTokenUsage: anySet(TOKEN_COLUMNS),
    hasCost: anySet(COST_COLUMNS),
    hasSession: row.session_id != null,
    hasUser: has(b.traceId, TRACE_USER),
    storedUsageNodes: stored?.usage ?? [],
    storedCostNodes: stored?.cost ?? [],
  });
  const set: Record<string, unknown> = {};
  if (update.request_time !== undefined) set['timestamp_ms'] = update.request_time;
  if (update.execution_duration !== undefined) set['execution_time_ms'] = update.execution_duration;
  if (update.state !== undefined) set['status'] = update.state;
  if (update.request_preview != null) set['request_preview'] = update.request_preview;
  if (update.response_preview != null) set['response_preview'] = update.response_preview;
  if (update.trace_name !== undefined) set['trace_name'] = update.trace_name;
  for (const [column, value] of update.tokenColumns) set[column] = dialect === 'sqlite' ? value : String(value);
  for (const [column, value] of update.costColumns) set[column] = value;
  if (update.session_id !== undefined) set['session_id'] = update.session_id;
  if (Object.keys(set).length > 0) await tx.updateTable('trace_info').set(set as never).where('request_id', '=', b.traceId).execute();
  if (update.user !== undefined) await tx.insertInto('trace_request_metadata').values({ request_id: b.traceId, key: TRACE_USER, value: update.user }).execute();
  const tags = Object.entries(update.tags).map(([key, value]) => ({ request_id: b.traceId, key, value }));
  await upsert(tx, dialect, 'trace_tags', tags, ['key', 'request_id'], ['value']).execute();
  if (update.requestTimeMoved) await tx.updateTable('assessments').set({ trace_timestamp_ms: b.minStartMs }).where('trace_id', '=', b.traceId).execute();
}

/** Span rows of `traceIds` with live content (archival clears it to ''), exact start times as text. */
export function loadSpanRows(ctx: SqlContext, traceIds: readonly string[]): Promise<StoredSpanRow[]> {
  const type = sql.raw(ctx.dialect === 'mysql' ? 'char' : 'text');
  return reading(() =>
    loadInChunks([...traceIds], (c) =>
      ctx.db
        .selectFrom('spans')
        .select(['trace_id', 'span_id', 'parent_span_id', 'content', sql<string>`cast(start_time_unix_nano as ${type})`.as('start')])
        .where('trace_id', 'in', c)
        .where('content', '!=', '')
        .execute(),
    ),
  );
}

/** A trace's spans in MLflow's read order (root first, then start time), as stored, with `translate_loaded_span` applied. */
export function spansOf(rows: readonly StoredSpanRow[]): Span[] {
  return rows
    .map((r) => ({ parentSpanId: r.parent_span_id, startNs: BigInt(r.start), spanId: r.span_id, content: r.content }))
    .sort(compareStoredSpans)
    .map((r) => {
      const span = parseJsonExact(r.content) as Span;
      translateLoadedSpan(span);
      return span;
    });
}
