import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import {
  MlflowError,
  TRACE_ANALYTICS_COLUMNS,
  TraceMetadataKey,
  TraceTagKey,
  analyticsColumnsFromMetadata,
  analyticsMetadataFromColumns,
  appendToUriPath,
  normalizeNewAssessment,
  notFullyExported,
  spansComplete,
  validateDeleteTracesRequest,
  validateLengthLimit,
  validateNewTraceId,
  validateTraceLinks,
  validateTraceName,
  validateTraceTag,
  type BatchGetTracesRequest,
  type DeleteTracesRequest,
  type Trace,
  type TraceInfo,
} from '@mlstore/core';
import type { Database, TraceInfoTable } from './db-types.js';
import { assessmentRow, toAssessment } from './sql-assessments.js';
import { groupBy, inTransaction, insertIgnore, loadInChunks, reading, upsert, type SqlContext } from './sql-context.js';
import { activeExperimentRow, experimentRow } from './sql-experiment-rows.js';
import { experimentIdParam, experimentIdParams } from './sql-experiment-id.js';
import { loadSpanRows, spansOf } from './sql-spans.js';
import { loadKeyValues, type KeyValues } from './sql-trace-key-values.js';
import type { SqlDialectName } from './sql-uri.js';

/** A `trace_info` row as read. */
export type TraceInfoRow = Selectable<TraceInfoTable>;

/** Metadata MLflow 3.18 keeps in `trace_info` columns instead of `trace_request_metadata`. */
const SESSION = TraceMetadataKey.TRACE_SESSION;
const ANALYTICS_KEYS = Object.keys(TRACE_ANALYTICS_COLUMNS);
export const PROMOTED_METADATA = new Set([SESSION, ...ANALYTICS_KEYS]);
/** `MAX_CHARS_IN_TRACE_INFO_METADATA`: the session id column's width. */
const MAX_SESSION_ID_LENGTH = 250;

/** `_replace_nul`: NUL characters cannot be stored by PostgreSQL. */
const replaceNul = (s: string | null | undefined) => (s == null ? null : s.replaceAll('\u0000', ''));

/** MLflow's `analytics_columns_from_metadata`: the session id, token counts and costs as columns. */
export function analyticsColumns(metadata: Readonly<Record<string, string>>): Partial<Omit<TraceInfoTable, 'db_payload_generation'>> {
  const columns: Record<string, unknown> = {};
  if (Object.hasOwn(metadata, SESSION)) columns['session_id'] = validateLengthLimit('Session ID', MAX_SESSION_ID_LENGTH, metadata[SESSION]) ?? null;
  for (const key of ANALYTICS_KEYS) {
    if (!Object.hasOwn(metadata, key)) continue;
    for (const [column, value] of analyticsColumnsFromMetadata(key, metadata[key] as string)) columns[column] = value;
  }
  return columns as Partial<Omit<TraceInfoTable, 'db_payload_generation'>>;
}

/**
 * Full trace infos (tags, metadata, assessments) of `trace_info` rows, in their order
 * (`to_mlflow_entity`); `keyValues` when the rows' query selected their tags and metadata already.
 */
export async function loadTraceInfos(
  db: Kysely<Database>,
  dialect: SqlDialectName,
  rows: readonly TraceInfoRow[],
  keyValues?: { tags: KeyValues; metadata: KeyValues },
): Promise<TraceInfo[]> {
  const ids = rows.map((r) => r.request_id);
  if (ids.length === 0) return [];
  const [tags, metadata, assessmentRows] = await Promise.all([
    keyValues?.tags ?? loadKeyValues(db, dialect, 'trace_tags', ids),
    keyValues?.metadata ?? loadKeyValues(db, dialect, 'trace_request_metadata', ids),
    loadInChunks(ids, (c) =>
      db.selectFrom('assessments').selectAll().where('trace_id', 'in', c).orderBy('created_timestamp').orderBy('assessment_id').execute(),
    ),
  ]);
  const assessments = groupBy(assessmentRows, (a) => a.trace_id);
  return rows.map((r) => {
    const info: TraceInfo = {
      trace_id: r.request_id,
      trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: String(r.experiment_id) } },
      request_time: Number(r.timestamp_ms),
      state: r.status as TraceInfo['state'],
      trace_metadata: {},
      tags: {},
      assessments: (assessments.get(r.request_id) ?? []).map(toAssessment),
    };
    if (r.execution_time_ms != null) info.execution_duration = Number(r.execution_time_ms);
    if (r.client_request_id != null) info.client_request_id = r.client_request_id;
    if (r.request_preview != null) info.request_preview = r.request_preview;
    if (r.response_preview != null) info.response_preview = r.response_preview;
    const traceTags = tags.get(r.request_id);
    for (const key in traceTags) if (key !== TraceTagKey.TRACE_NAME) info.tags[key] = traceTags[key] ?? '';
    if (r.trace_name != null) info.tags[TraceTagKey.TRACE_NAME] = r.trace_name;
    const traceMetadata = metadata.get(r.request_id);
    for (const key in traceMetadata) if (!PROMOTED_METADATA.has(key)) info.trace_metadata[key] = traceMetadata[key] ?? '';
    if (r.session_id != null) info.trace_metadata[SESSION] = r.session_id;
    for (const key of ANALYTICS_KEYS) {
      const value = analyticsMetadataFromColumns(key, r as unknown as Record<string, unknown>);
      if (value !== undefined) info.trace_metadata[key] = value;
    }
    return info;
  });
}

/** Same message as MLflow's `get_trace_info`. */
const traceNotFound = (traceId: string) => MlflowError.notFound(`Trace with ID '${traceId}' not found.`);

/**
 * Traces on MLflow 3.18's tables (`trace_info`, `trace_tags`, `trace_request_metadata`, `spans`,
 * `assessments`, `entity_associations`), with its SqlAlchemyStore semantics: start/merge, reads,
 * tags, deletion and run links. Search is in sql-trace-search.ts, assessments in sql-assessments.ts.
 */
export class SqlTraces {
  constructor(private readonly ctx: SqlContext) {}

  /** @throws RESOURCE_DOES_NOT_EXIST / INVALID_PARAMETER_VALUE (experiment, trace id, name, merge across experiments) */
  /** `anyLifecycle`: into a deleted experiment too (an import; `start_trace` takes active ones only). */
  startTrace(input: TraceInfo, anyLifecycle = false): Promise<TraceInfo> {
    if (!input || typeof input !== 'object') throw MlflowError.invalidParameter("Missing value for required parameter 'trace_info'.");
    const inputTags = input.tags ?? {};
    const traceName = validateTraceName(inputTags[TraceTagKey.TRACE_NAME]);
    return inTransaction(this.ctx, async (tx) => {
      const experiment = await (anyLifecycle ? experimentRow : activeExperimentRow)(tx, this.ctx.dialect, input.trace_location?.mlflow_experiment?.experiment_id ?? '');
      const traceId = input.trace_id;
      validateNewTraceId(traceId);
      const metadata: Record<string, string> = { ...(input.trace_metadata ?? {}) };
      const analytics = analyticsColumns(metadata);
      for (const key of PROMOTED_METADATA) delete metadata[key];
      metadata[TraceMetadataKey.TRACE_INFO_FINALIZED] = 'true';
      const tags: Record<string, string> = { ...inputTags };
      delete tags[TraceTagKey.TRACE_NAME];
      tags[TraceTagKey.ARTIFACT_LOCATION] = appendToUriPath(experiment.artifact_location ?? '', 'traces', traceId, 'artifacts');
      const assessments = (input.assessments ?? []).map((a) => normalizeNewAssessment({ ...a, trace_id: traceId }, Date.now()));
      const fields = {
        timestamp_ms: input.request_time,
        execution_time_ms: input.execution_duration ?? null,
        status: input.state,
        client_request_id: input.client_request_id ?? null,
        ...analytics,
      };
      // Assessments are merged by id alone: one of another trace is refused, never moved here.
      const ids = assessments.map((a) => a.assessment_id as string);
      const foreign = ids.length === 0 ? undefined : await tx.selectFrom('assessments').select('assessment_id').where('assessment_id', 'in', ids).where('trace_id', '!=', traceId).executeTakeFirst();
      if (foreign) throw MlflowError.invalidParameter(`Assessment with ID '${foreign.assessment_id}' belongs to another trace.`);
      const existing = await tx.selectFrom('trace_info').select('experiment_id').where('request_id', '=', traceId).executeTakeFirst();
      if (!existing) {
        await tx
          .insertInto('trace_info')
          .values({
            request_id: traceId,
            experiment_id: experiment.experiment_id,
            ...fields,
            request_preview: replaceNul(input.request_preview),
            response_preview: replaceNul(input.response_preview),
            trace_name: traceName ?? null,
          })
          .execute();
      } else {
        // An existing id (e.g. spans logged first): merge, as MLflow does after its primary-key
        // conflict, but never across experiments.
        if (String(existing.experiment_id) !== String(experiment.experiment_id)) {
          throw MlflowError.invalidParameter(`Trace with ID '${traceId}' already exists in another experiment.`);
        }
        await tx
          .updateTable('trace_info')
          .set({
            ...fields,
            ...(traceName !== undefined && Object.hasOwn(inputTags, TraceTagKey.TRACE_NAME) ? { trace_name: traceName } : {}),
            ...(input.request_preview != null ? { request_preview: replaceNul(input.request_preview) } : {}),
            ...(input.response_preview != null ? { response_preview: replaceNul(input.response_preview) } : {}),
          })
          .where('request_id', '=', traceId)
          .execute();
        await tx.updateTable('assessments').set({ experiment_id: experiment.experiment_id, trace_timestamp_ms: input.request_time }).where('trace_id', '=', traceId).execute();
      }
      const kv = (values: Record<string, string>) => Object.entries(values).map(([key, value]) => ({ request_id: traceId, key, value }));
      await upsert(tx, this.ctx.dialect, 'trace_tags', kv(tags), ['key', 'request_id'], ['value']).execute();
      await upsert(tx, this.ctx.dialect, 'trace_request_metadata', kv(metadata), ['key', 'request_id'], ['value']).execute();
      const trace = { experiment_id: experiment.experiment_id, timestamp_ms: input.request_time };
      for (const a of assessments) {
        await tx.deleteFrom('assessments').where('assessment_id', '=', a.assessment_id as string).execute();
        await tx.insertInto('assessments').values(assessmentRow(a, trace)).execute();
      }
      return this.infoIn(tx, traceId);
    });
  }

  private async infoIn(db: Kysely<Database>, traceId: string): Promise<TraceInfo> {
    const row = await db.selectFrom('trace_info').selectAll().where('request_id', '=', traceId).executeTakeFirst();
    if (!row) throw traceNotFound(traceId);
    return (await loadTraceInfos(db, this.ctx.dialect, [row]))[0] as TraceInfo;
  }

  /** @throws RESOURCE_DOES_NOT_EXIST `Trace with ID '<id>' not found.` */
  getTraceInfo(traceId: string): Promise<TraceInfo> {
    return reading(() => this.infoIn(this.ctx.db, traceId));
  }

  /** Known ids only, in request order, scoped to `experimentIds` when given. */
  batchGetTraceInfos(request: BatchGetTracesRequest): Promise<TraceInfo[]> {
    const ids = [...new Set(request?.traceIds ?? [])];
    const experiments = request?.experimentIds ? experimentIdParams(this.ctx.dialect, request.experimentIds) : undefined;
    if (ids.length === 0 || (experiments && experiments.length === 0)) return Promise.resolve([]);
    return reading(async () => {
      const rows = await loadInChunks(ids, (c) => {
        let q = this.ctx.db.selectFrom('trace_info').selectAll().where('request_id', 'in', c);
        if (experiments) q = q.where('experiment_id', 'in', experiments);
        return q.execute();
      });
      const byId = new Map(rows.map((r) => [r.request_id, r]));
      return loadTraceInfos(this.ctx.db, this.ctx.dialect, ids.flatMap((id) => byId.get(id) ?? []));
    });
  }

  /**
   * The trace with its spans from the `spans` table (root first, then by start time); only traces
   * whose spans are in the store (`mlflow.trace.spansLocation = TRACKING_STORE`) have them here.
   * Without `allowPartial`, a trace with no spans or fewer than its `mlflow.trace.sizeStats` announce
   * is not fully exported yet (RESOURCE_DOES_NOT_EXIST, as MLflow answers after its retries).
   * @throws RESOURCE_DOES_NOT_EXIST; INTERNAL_ERROR when the spans are in the artifact repository
   */
  async getTrace(traceId: string, allowPartial = false): Promise<Trace> {
    const infos = await this.batchGetTraceInfos({ traceIds: [traceId] });
    if (infos.length === 0) throw MlflowError.notFound(`Trace with ID ${traceId} is not found.`);
    const [trace] = await this.withSpans(infos, allowPartial);
    if (!trace) throw notFullyExported(traceId);
    return trace;
  }

  /** Complete traces (with spans) of the known ids among `request.traceIds`, as MLflow's batch_get_traces. */
  async batchGetTraces(request: BatchGetTracesRequest): Promise<Trace[]> {
    const infos = await this.batchGetTraceInfos(request);
    return this.withSpans(infos, false);
  }

  private async withSpans(infos: TraceInfo[], allowPartial: boolean): Promise<Trace[]> {
    for (const info of infos) {
      if (info.tags[TraceTagKey.SPANS_LOCATION] !== 'TRACKING_STORE') throw new MlflowError('Trace data not stored in tracking store', 'INTERNAL_ERROR');
    }
    const spans = groupBy(await loadSpanRows(this.ctx, infos.map((i) => i.trace_id)), (r) => r.trace_id);
    return infos.flatMap((info) => {
      const list = spansOf(spans.get(info.trace_id) ?? []);
      return allowPartial || spansComplete(info.trace_metadata, list.length) ? [{ info, data: { spans: list } }] : [];
    });
  }

  /** MLflow's `_delete_traces`: by timestamp (oldest first up to `maxTraces`) or by ids, in one experiment. */
  async deleteTraces(experimentId: string, request: DeleteTracesRequest): Promise<number> {
    validateDeleteTracesRequest(request);
    const expId = experimentIdParam(this.ctx.dialect, experimentId);
    if (expId === undefined) return 0;
    const { maxTimestampMillis, maxTraces, traceIds } = request;
    return inTransaction(this.ctx, async (tx) => {
      const select = (ids?: string[]) => {
        let q = tx.selectFrom('trace_info').select('request_id').where('experiment_id', '=', expId);
        if (maxTimestampMillis !== undefined && maxTimestampMillis !== null) q = q.where('timestamp_ms', '<=', maxTimestampMillis);
        if (ids) q = q.where('request_id', 'in', ids);
        if (maxTraces !== undefined && maxTraces !== null) q = q.orderBy('timestamp_ms').orderBy('request_id').limit(maxTraces);
        return q.execute();
      };
      const rows = traceIds && traceIds.length > 0 ? await loadInChunks([...new Set(traceIds)], (c) => select(c)) : await select();
      const ids = rows.map((r) => r.request_id);
      await loadInChunks(ids, async (c) => {
        // The child tables cascade in MLflow's schema; deleting them first keeps SQLite files
        // opened without foreign keys consistent too.
        for (const table of ['trace_tags', 'trace_request_metadata'] as const) await tx.deleteFrom(table).where('request_id', 'in', c).execute();
        for (const table of ['assessments', 'spans'] as const) await tx.deleteFrom(table).where('trace_id', 'in', c).execute();
        await tx.deleteFrom('trace_info').where('request_id', 'in', c).execute();
        // Review-queue items point at traces without a foreign key; MLflow removes them too.
        await sql`DELETE FROM review_queue_items WHERE item_type = 'trace' AND item_id IN (${sql.join(c.map((id) => sql`${id}`))})`.execute(tx);
        return [];
      });
      return ids.length;
    });
  }

  /** @throws INVALID_PARAMETER_VALUE (key/value limits); RESOURCE_DOES_NOT_EXIST for an unknown trace */
  setTraceTag(traceId: string, key: string, value: string): Promise<void> {
    const tag = validateTraceTag(key, value, this.ctx.logger);
    if (tag.key === TraceTagKey.TRACE_NAME) tag.value = validateTraceName(tag.value) ?? '';
    return inTransaction(this.ctx, async (tx) => {
      await this.requireTrace(tx, traceId);
      if (tag.key === TraceTagKey.TRACE_NAME) {
        await tx.updateTable('trace_info').set({ trace_name: tag.value }).where('request_id', '=', traceId).execute();
      } else {
        await upsert(tx, this.ctx.dialect, 'trace_tags', [{ request_id: traceId, key: tag.key, value: tag.value }], ['key', 'request_id'], ['value']).execute();
      }
    });
  }

  /** @throws RESOURCE_DOES_NOT_EXIST when the trace or the tag does not exist */
  deleteTraceTag(traceId: string, key: string): Promise<void> {
    const missing = () => MlflowError.notFound(`No trace tag with key '${key}' for trace with ID '${traceId}'`);
    return inTransaction(this.ctx, async (tx) => {
      const row = await this.requireTrace(tx, traceId);
      if (key === TraceTagKey.TRACE_NAME) {
        if (row.trace_name == null) throw missing();
        await tx.updateTable('trace_info').set({ trace_name: null }).where('request_id', '=', traceId).execute();
        return;
      }
      const deleted = await tx.deleteFrom('trace_tags').where('request_id', '=', traceId).where('key', '=', key).executeTakeFirst();
      if (Number(deleted.numDeletedRows) === 0) throw missing();
    });
  }

  private async requireTrace(db: Kysely<Database>, traceId: string): Promise<Pick<TraceInfoRow, 'trace_name'>> {
    const row = await db.selectFrom('trace_info').select('trace_name').where('request_id', '=', traceId).executeTakeFirst();
    if (!row) throw traceNotFound(traceId);
    return row;
  }

  /** Entity associations trace → run (idempotent); neither side is checked, as MLflow's SQL store. */
  async linkTracesToRun(traceIds: string[], runId: string): Promise<void> {
    if (!traceIds || traceIds.length === 0) return;
    validateTraceLinks(traceIds);
    const now = Date.now();
    const rows = [...new Set(traceIds)].map((id) => ({
      association_id: randomUUID().replaceAll('-', ''),
      source_type: 'trace',
      source_id: id,
      destination_type: 'run',
      destination_id: runId,
      created_time: now,
    }));
    await inTransaction(this.ctx, (tx) =>
      insertIgnore(tx, this.ctx.dialect, 'entity_associations', rows, ['source_type', 'source_id', 'destination_type', 'destination_id']).execute(),
    );
  }
}
