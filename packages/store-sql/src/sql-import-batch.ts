import type { Kysely } from 'kysely';
import { MlflowError, throwIfAborted, type CallOptions, type ImportOutcome, type RunExport } from '@mlstore/core';
import type { Database, ExperimentRow, RunsTable } from './db-types.js';
import { sanitizeMetricValue } from './dialect-sql.js';
import { experimentIdParam, experimentIdText } from './sql-experiment-id.js';
import { chunks, inTransaction, insertIgnore, loadInChunks, type SqlContext } from './sql-context.js';
import { newerMetric, writeEdges, writeInputs, type MetricRow } from './sql-run-data.js';
import { importedRunRow } from './sql-import.js';

/**
 * Bulk import for large migrations and benchmarks: many runs per transaction, each table written
 * with multi-row INSERTs, where `importRun` spends one transaction and ~6 statements per run.
 */

/** Rows per multi-row INSERT: 500 × at most 14 columns stays under every dialect's parameter limit. */
const ROWS_PER_INSERT = 500;

/**
 * Imports `runs` in one transaction with the same result, run by run, as `importRun`: a run whose
 * id is stored already (or repeated earlier in `runs`) is `exists` and left untouched; every other
 * run is inserted with its params, tags, metric history, `latest_metrics` (NaN as 0 with is_nan,
 * ±Inf clamped, as logBatch), dataset inputs and model edges. Outcomes follow the order of `runs`.
 * All runs of the call land or none does, so a caller resumes an interrupted load by importing the
 * same batch again.
 *
 * @throws INVALID_PARAMETER_VALUE when a run has no id
 * @throws RESOURCE_DOES_NOT_EXIST when a run's experiment is missing (nothing of the batch is written)
 */
export async function importRuns(ctx: SqlContext, runs: readonly RunExport[], opts?: CallOptions): Promise<ImportOutcome[]> {
  throwIfAborted(opts);
  for (const run of runs) {
    const id = run?.info?.run_id;
    if (typeof id !== 'string' || id === '') throw MlflowError.invalidParameter("Missing value for required parameter 'run_id'.");
  }
  if (runs.length === 0) return [];
  return inTransaction(ctx, async (tx) => {
    const ids = [...new Set(runs.map((r) => r.info.run_id))];
    const stored = new Set((await loadInChunks(ids, (c) => tx.selectFrom('runs').select('run_uuid').where('run_uuid', 'in', c).execute())).map((r) => r.run_uuid));
    const outcomes: ImportOutcome[] = [];
    const fresh: RunExport[] = [];
    for (const run of runs) {
      if (stored.has(run.info.run_id)) {
        outcomes.push('exists');
        continue;
      }
      stored.add(run.info.run_id);
      fresh.push(run);
      outcomes.push('created');
    }
    const experiments = await parentExperiments(ctx, tx, fresh);
    const rows = fresh.map((run) => importedRunRow(run, experiments.get(experimentIdText(run.info.experiment_id)) as ExperimentRow));
    // Every table's rows go in primary-key order: each index page is then visited once per batch
    // instead of once per row (random run ids otherwise rewrite the same pages over and over once
    // the tables outgrow the page cache), and concurrent importers lock rows in the same order.
    for (const batch of chunks([...rows].sort(byKeys('run_uuid')), ROWS_PER_INSERT)) await tx.insertInto('runs').values(batch).execute();
    for (const table of ['params', 'tags'] as const) {
      const kv = fresh.flatMap((run) => [...new Map((run[table] ?? []).map((p) => [p.key, p.value])).entries()].map(([key, value]) => ({ key, value, run_uuid: run.info.run_id })));
      for (const batch of chunks(kv.sort(byKeys('key', 'run_uuid')), ROWS_PER_INSERT)) await tx.insertInto(table).values(batch).execute();
    }
    const { metrics, latest } = metricRows(ctx, fresh);
    metrics.sort(byKeys('key', 'timestamp', 'step', 'run_uuid'));
    latest.sort(byKeys('key', 'run_uuid'));
    for (const batch of chunks(metrics, ROWS_PER_INSERT)) {
      await insertIgnore(tx, ctx.dialect, 'metrics', batch, ['key', 'timestamp', 'step', 'run_uuid', 'value', 'is_nan']).execute();
    }
    // The runs are new in this transaction, so their latest_metrics rows cannot exist yet.
    for (const batch of chunks(latest, ROWS_PER_INSERT)) await tx.insertInto('latest_metrics').values(batch).execute();
    for (const [i, run] of fresh.entries()) {
      const row = rows[i] as RunsTable;
      const datasets = run.inputs?.dataset_inputs ?? [];
      const models = run.inputs?.model_inputs ?? [];
      if (datasets.length > 0 || models.length > 0) await writeInputs(ctx, tx, row, datasets, models);
      const outputs = run.outputs?.model_outputs ?? [];
      if (outputs.length > 0) await writeEdges(ctx, tx, 'RUN_OUTPUT', row.run_uuid, 'MODEL_OUTPUT', outputs);
    }
    return outcomes;
  });
}

/** A comparator ordering rows by the given columns (strings by code unit, as the indexes' binary collation; numbers numerically). */
function byKeys<T>(...cols: (keyof T)[]): (a: T, b: T) => number {
  return (a, b) => {
    for (const c of cols) {
      if (a[c] !== b[c]) return a[c] < b[c] ? -1 : 1;
    }
    return 0;
  };
}

/** The experiment rows (any lifecycle stage) of the runs, by id text; one query per distinct id. */
async function parentExperiments(ctx: SqlContext, db: Kysely<Database>, runs: readonly RunExport[]): Promise<Map<string, ExperimentRow>> {
  const out = new Map<string, ExperimentRow>();
  for (const run of runs) {
    const text = experimentIdText(run.info.experiment_id);
    if (out.has(text)) continue;
    const id = experimentIdParam(ctx.dialect, run.info.experiment_id);
    const row = id === undefined ? undefined : await db.selectFrom('experiments').selectAll().where('experiment_id', '=', id).executeTakeFirst();
    if (!row) throw MlflowError.notFound(`No Experiment with id=${text} exists`);
    out.set(text, row);
  }
  return out;
}


/** Every run's metric rows (duplicates within a run dropped, as the primary key would) and its latest value per key. */
function metricRows(ctx: SqlContext, runs: readonly RunExport[]): { metrics: MetricRow[]; latest: MetricRow[] } {
  const metrics: MetricRow[] = [];
  const latest: MetricRow[] = [];
  for (const run of runs) {
    const runId = run.info.run_id;
    const unique = new Map<string, MetricRow>();
    for (const m of run.metrics ?? []) {
      const { value, isNan } = sanitizeMetricValue(m.value);
      // node-postgres sends numbers through toString(), which turns -0 into 0; MLflow keeps -0.
      const wire = ctx.dialect === 'postgresql' && Object.is(value, -0) ? ('-0' as unknown as number) : value;
      const row: MetricRow = { key: m.key, value: wire, timestamp: m.timestamp, step: m.step ?? 0, is_nan: isNan ? 1 : 0, run_uuid: runId };
      unique.set(JSON.stringify([row.key, row.timestamp, row.step, row.value, row.is_nan]), row);
    }
    const perKey = new Map<string, MetricRow>();
    for (const row of unique.values()) {
      metrics.push(row);
      const cur = perKey.get(row.key);
      if (!cur || newerMetric(row, cur)) perKey.set(row.key, row);
    }
    latest.push(...perKey.values());
  }
  return { metrics, latest };
}
