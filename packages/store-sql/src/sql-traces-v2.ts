import { randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  MlflowError,
  TraceTagKey,
  appendToUriPath,
  validateTraceName,
  type DeprecatedEndTraceV2Request,
  type DeprecatedStartTraceV2Request,
  type TraceInfo,
} from '@mlstore/core';
import type { Database } from './db-types.js';
import { inTransaction, upsert, type SqlContext } from './sql-context.js';
import { activeExperimentRow } from './sql-experiment-rows.js';
import { analyticsColumns, loadTraceInfos, PROMOTED_METADATA } from './sql-traces.js';

/** Key/value rows of one trace, keys sorted (MLflow writes metadata in key order to avoid deadlocks). */
function keyValueRows(requestId: string, values: Record<string, string>) {
  return Object.keys(values)
    .sort()
    .map((key) => ({ request_id: requestId, key, value: values[key] as string }));
}

/** Metadata without the keys MLflow keeps in `trace_info` columns. */
function unpromoted(metadata: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(metadata ?? {})) if (!PROMOTED_METADATA.has(key)) out[key] = value;
  return out;
}

async function upsertKeyValues(tx: Kysely<Database>, ctx: SqlContext, table: 'trace_tags' | 'trace_request_metadata', requestId: string, values: Record<string, string>): Promise<void> {
  const rows = keyValueRows(requestId, values);
  if (rows.length > 0) await upsert(tx, ctx.dialect, table, rows, ['key', 'request_id'], ['value']).execute();
}

async function infoIn(tx: Kysely<Database>, ctx: SqlContext, requestId: string): Promise<TraceInfo> {
  const row = await tx.selectFrom('trace_info').selectAll().where('request_id', '=', requestId).executeTakeFirst();
  if (!row) throw MlflowError.notFound(`Trace with ID '${requestId}' not found.`);
  return (await loadTraceInfos(tx, ctx.dialect, [row]))[0] as TraceInfo;
}

/**
 * MLflow's `SqlAlchemyStore.deprecated_start_trace_v2`, in one transaction: a uuid4-hex id,
 * IN_PROGRESS, no duration, the trace name in `trace_name`, promoted metadata (session, token
 * usage, cost) in their columns, the artifact location tag; no `mlflow.trace.infoFinalized`.
 * @throws RESOURCE_DOES_NOT_EXIST / INVALID_PARAMETER_VALUE (deleted experiment, trace name over 4096 characters)
 */
export function startTraceV2(ctx: SqlContext, request: DeprecatedStartTraceV2Request): Promise<TraceInfo> {
  const inputTags = request.tags ?? {};
  const traceName = validateTraceName(inputTags[TraceTagKey.TRACE_NAME]);
  return inTransaction(ctx, async (tx) => {
    const experiment = await activeExperimentRow(tx, ctx.dialect, request.experimentId);
    const requestId = randomUUID().replaceAll('-', '');
    const metadata = { ...(request.requestMetadata ?? {}) };
    await tx
      .insertInto('trace_info')
      .values({
        request_id: requestId,
        experiment_id: experiment.experiment_id,
        timestamp_ms: request.timestampMs,
        execution_time_ms: null,
        status: 'IN_PROGRESS',
        trace_name: traceName ?? null,
        ...analyticsColumns(metadata),
      })
      .execute();
    const tags: Record<string, string> = { ...inputTags };
    delete tags[TraceTagKey.TRACE_NAME];
    tags[TraceTagKey.ARTIFACT_LOCATION] = appendToUriPath(experiment.artifact_location ?? '', 'traces', requestId, 'artifacts');
    await upsertKeyValues(tx, ctx, 'trace_tags', requestId, tags);
    await upsertKeyValues(tx, ctx, 'trace_request_metadata', requestId, unpromoted(metadata));
    return infoIn(tx, ctx, requestId);
  });
}

/**
 * MLflow's `SqlAlchemyStore.deprecated_end_trace_v2`, in one transaction: duration = end − start,
 * the state, promoted metadata into their columns (only the keys given), the rest of the metadata
 * and the tags merged (the trace name into `trace_name`).
 * @throws RESOURCE_DOES_NOT_EXIST `Trace with ID '<id>' not found.`; INVALID_PARAMETER_VALUE (trace name)
 */
export function endTraceV2(ctx: SqlContext, requestId: string, request: DeprecatedEndTraceV2Request): Promise<TraceInfo> {
  return inTransaction(ctx, async (tx) => {
    const row = await tx.selectFrom('trace_info').select('timestamp_ms').where('request_id', '=', requestId).executeTakeFirst();
    if (!row) throw MlflowError.notFound(`Trace with ID '${requestId}' not found.`);
    const metadata = { ...(request.requestMetadata ?? {}) };
    const tags: Record<string, string> = { ...(request.tags ?? {}) };
    const named = Object.hasOwn(tags, TraceTagKey.TRACE_NAME);
    const traceName = named ? validateTraceName(tags[TraceTagKey.TRACE_NAME]) : undefined;
    delete tags[TraceTagKey.TRACE_NAME];
    await tx
      .updateTable('trace_info')
      .set({
        execution_time_ms: request.timestampMs - Number(row.timestamp_ms),
        status: request.status,
        ...analyticsColumns(metadata),
        ...(named ? { trace_name: traceName ?? null } : {}),
      })
      .where('request_id', '=', requestId)
      .execute();
    await upsertKeyValues(tx, ctx, 'trace_request_metadata', requestId, unpromoted(metadata));
    await upsertKeyValues(tx, ctx, 'trace_tags', requestId, tags);
    return infoIn(tx, ctx, requestId);
  });
}
