import {
  LifecycleStage,
  throwIfAborted,
  type CallOptions,
  type Experiment,
  type LoggedModelExport,
  type RunExport,
} from '@mlstore/core';
import type { ExperimentRow, RunsTable } from './db-types.js';
import { storedMetricValue } from './dialect-sql.js';
import { experimentIdParam } from './sql-experiment-id.js';
import { groupBy, loadInChunks, reading, type SqlContext } from './sql-context.js';
import { loadLoggedModels } from './sql-logged-models.js';
import { loadExperimentTags, loadRuns } from './sql-run-data.js';

/**
 * Export for `migrate` (PortableStore's `export*`): keyset-paged reads, so a large store is
 * streamed rather than loaded whole.
 */

/** Entities read per query while exporting (keyset pages, so memory stays bounded). */
const PAGE = 200;
const RUN_PAGE = 50;

/** Every experiment (any lifecycle stage, any workspace) with its tags, in id order. */
export async function* exportExperiments(ctx: SqlContext, opts?: CallOptions): AsyncIterable<Experiment> {
  let after: ExperimentRow['experiment_id'] | undefined;
  for (;;) {
    throwIfAborted(opts);
    const rows = await reading(() =>
      ctx.db.selectFrom('experiments').selectAll().$if(after !== undefined, (q) => q.where('experiment_id', '>', after as never)).orderBy('experiment_id').limit(PAGE).execute(),
    );
    if (rows.length === 0) return;
    const tags = await reading(() => loadExperimentTags(ctx, rows.map((r) => r.experiment_id)));
    for (const r of rows) {
      const e: Experiment = {
        experiment_id: String(r.experiment_id),
        name: r.name,
        artifact_location: r.artifact_location ?? '',
        lifecycle_stage: (r.lifecycle_stage ?? LifecycleStage.ACTIVE) as Experiment['lifecycle_stage'],
        tags: (tags.get(String(r.experiment_id)) ?? []).map((t) => ({ key: t.key, value: t.value ?? '' })),
      };
      if (r.creation_time !== null) e.creation_time = Number(r.creation_time);
      if (r.last_update_time !== null) e.last_update_time = Number(r.last_update_time);
      yield e;
    }
    after = rows[rows.length - 1]?.experiment_id;
  }
}

/** Every run of the experiment (active and deleted) with whole metric histories, in run id order. */
export async function* exportRuns(ctx: SqlContext, experimentId: string, opts?: CallOptions): AsyncIterable<RunExport> {
  const id = experimentIdParam(ctx.dialect, experimentId);
  if (id === undefined) return;
  let after = '';
  for (;;) {
    throwIfAborted(opts);
    const rows = await reading(() =>
      ctx.db.selectFrom('runs').selectAll().where('experiment_id', '=', id).where('run_uuid', '>', after).orderBy('run_uuid').limit(RUN_PAGE).execute(),
    );
    if (rows.length === 0) return;
    const ids = rows.map((r) => r.run_uuid);
    const [runs, metricRows] = await reading(() =>
      Promise.all([
        loadRuns(ctx.db, ctx.dialect, rows),
        loadInChunks(ids, (c) =>
          ctx.db
            .selectFrom('metrics')
            .select(['run_uuid', 'key', 'value', 'timestamp', 'step', 'is_nan'])
            .where('run_uuid', 'in', c)
            .orderBy('run_uuid')
            .orderBy('key')
            .orderBy('timestamp')
            .orderBy('step')
            .orderBy('value')
            .execute(),
        ),
      ]),
    );
    const metrics = groupBy(metricRows, (m) => m.run_uuid);
    for (const [i, run] of runs.entries()) {
      const row = rows[i] as RunsTable;
      const out: RunExport = {
        info: run.info,
        params: run.data.params,
        tags: run.data.tags,
        metrics: (metrics.get(row.run_uuid) ?? []).map((m) => ({ key: m.key, value: storedMetricValue(m.value, m.is_nan), timestamp: Number(m.timestamp), step: Number(m.step) })),
        inputs: run.inputs,
        outputs: run.outputs,
      };
      if (row.deleted_time !== null && row.deleted_time !== undefined) out.deletedTime = Number(row.deleted_time);
      yield out;
    }
    after = ids[ids.length - 1] as string;
  }
}

/** Every logged model of the experiment, deleted ones included, in id order. */
export async function* exportLoggedModels(ctx: SqlContext, experimentId: string, opts?: CallOptions): AsyncIterable<LoggedModelExport> {
  const id = experimentIdParam(ctx.dialect, experimentId);
  if (id === undefined) return;
  let after = '';
  for (;;) {
    throwIfAborted(opts);
    const rows = await reading(() =>
      ctx.db.selectFrom('logged_models').selectAll().where('experiment_id', '=', id).where('model_id', '>', after).orderBy('model_id').limit(PAGE).execute(),
    );
    if (rows.length === 0) return;
    const models = await reading(() => loadLoggedModels(ctx.db, rows));
    for (const [i, model] of models.entries()) yield { model, deleted: rows[i]?.lifecycle_stage === LifecycleStage.DELETED };
    after = rows[rows.length - 1]?.model_id as string;
  }
}
