import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder } from 'kysely';
import {
  LOGGED_MODEL_STATUS_NUMBERS,
  LoggedModelStatus,
  MlflowError,
  appendToUriPath,
  decodeLoggedModelPageToken,
  encodeLoggedModelPageToken,
  generateRandomName,
  parseLoggedModelFilter,
  validateLoggedModelName,
  validateMaxResults,
  validateTagName,
  type CreateLoggedModelRequest,
  type DatasetSummary,
  type LoggedModel,
  type LoggedModelDatasetFilter,
  type LoggedModelOrderBy,
  type LoggedModelParameter,
  type LoggedModelTag,
  type PagedList,
  type SearchLoggedModelsRequest,
} from '@mlstore/core';
import type { Database, ExperimentRow, LoggedModelsTable } from './db-types.js';
import { compareSql } from './dialect-sql.js';
import { experimentIdParams } from './sql-experiment-id.js';
import { groupBy, inTransaction, loadInChunks, upsert, type SqlContext } from './sql-context.js';

type Sql = RawBuilder<unknown>;

const STATUS_BY_NUMBER = new Map(Object.entries(LOGGED_MODEL_STATUS_NUMBERS).map(([name, n]) => [n, name as LoggedModelStatus]));
/** Short status names used in filters (`status = 'READY'`) → stored numbers. */
const STATUS_SHORT: Record<string, number> = { UNSPECIFIED: 0, PENDING: 1, READY: 2, FAILED: 3 };
const DATASET_CONTEXT_TAG = 'mlflow.data.context';
const MAX_DATASET_SUMMARIES = 1000;
/** Default page size of search_logged_models in MLflow's Python store. */
const SEARCH_DEFAULT = 100;

const ORDER_COLUMNS: Record<string, string> = {
  name: 'name',
  model_id: 'model_id',
  model_type: 'model_type',
  status: 'status',
  source_run_id: 'source_run_id',
  experiment_id: 'experiment_id',
  creation_timestamp: 'creation_timestamp_ms',
  creation_timestamp_ms: 'creation_timestamp_ms',
  creation_time: 'creation_timestamp_ms',
  last_updated_timestamp: 'last_updated_timestamp_ms',
  last_updated_timestamp_ms: 'last_updated_timestamp_ms',
};

/** Full models (tags, params, metrics) for `logged_models` rows of any lifecycle stage, in their order. */
export async function loadLoggedModels(db: Kysely<Database>, rows: readonly LoggedModelsTable[]): Promise<LoggedModel[]> {
  const ids = rows.map((r) => r.model_id);
  if (ids.length === 0) return [];
  const [tagRows, paramRows, metricRows] = await Promise.all([
    loadInChunks(ids, (c) => db.selectFrom('logged_model_tags').selectAll().where('model_id', 'in', c).orderBy('tag_key').execute()),
    loadInChunks(ids, (c) => db.selectFrom('logged_model_params').selectAll().where('model_id', 'in', c).orderBy('param_key').execute()),
    loadInChunks(ids, (c) => db.selectFrom('logged_model_metrics').selectAll().where('model_id', 'in', c).orderBy('metric_timestamp_ms').orderBy('metric_step').execute()),
  ]);
  const tags = groupBy(tagRows, (t) => t.model_id);
  const params = groupBy(paramRows, (p) => p.model_id);
  const metrics = groupBy(metricRows, (m) => m.model_id);
  return rows.map((r) => {
    const model: LoggedModel = {
      info: {
        model_id: r.model_id,
        experiment_id: String(r.experiment_id),
        name: r.name,
        creation_timestamp_ms: Number(r.creation_timestamp_ms),
        last_updated_timestamp_ms: Number(r.last_updated_timestamp_ms),
        artifact_uri: r.artifact_location,
        status: STATUS_BY_NUMBER.get(Number(r.status)) ?? LoggedModelStatus.UNSPECIFIED,
        tags: (tags.get(r.model_id) ?? []).map((t) => ({ key: t.tag_key, value: t.tag_value })),
      },
      data: {
        params: (params.get(r.model_id) ?? []).map((p) => ({ key: p.param_key, value: p.param_value })),
        metrics: (metrics.get(r.model_id) ?? []).map((m) => {
          const metric = {
            key: m.metric_name,
            value: Number(m.metric_value),
            timestamp: Number(m.metric_timestamp_ms),
            step: Number(m.metric_step),
            run_id: m.run_id,
            model_id: m.model_id,
          } as LoggedModel['data']['metrics'][number];
          if (m.dataset_name !== null) metric.dataset_name = m.dataset_name;
          if (m.dataset_digest !== null) metric.dataset_digest = m.dataset_digest;
          return metric;
        }),
      },
    };
    if (r.model_type !== null) model.info.model_type = r.model_type;
    if (r.source_run_id !== null) model.info.source_run_id = r.source_run_id;
    if (r.status_message !== null) model.info.status_message = r.status_message;
    return model;
  });
}

/** Logged models (MLflow 3) and dataset summaries of the SQL store. */
export class SqlLoggedModels {
  constructor(
    private readonly ctx: SqlContext,
    private readonly activeExperiment: (db: Kysely<Database>, id: unknown) => Promise<ExperimentRow>,
  ) {}

  private async requireRow(db: Kysely<Database>, modelId: unknown): Promise<LoggedModelsTable> {
    const row =
      typeof modelId === 'string'
        ? await db.selectFrom('logged_models').selectAll().where('model_id', '=', modelId).where('lifecycle_stage', '=', 'active').executeTakeFirst()
        : undefined;
    if (!row) throw MlflowError.notFound(`Logged model with ID '${String(modelId)}' not found.`);
    return row;
  }

  private load(db: Kysely<Database>, rows: readonly LoggedModelsTable[]): Promise<LoggedModel[]> {
    return loadLoggedModels(db, rows);
  }

  /** A visible model. */
  async get(modelId: string): Promise<LoggedModel> {
    return (await this.load(this.ctx.db, [await this.requireRow(this.ctx.db, modelId)]))[0] as LoggedModel;
  }

  /** Creates a PENDING model under an active experiment. */
  async create(request: CreateLoggedModelRequest): Promise<LoggedModel> {
    validateLoggedModelName(request?.name);
    for (const t of request?.tags ?? []) validateTagName(t?.key);
    return inTransaction(this.ctx, async (tx) => {
      const exp = await this.activeExperiment(tx, request?.experimentId);
      const modelId = `m-${randomUUID().replaceAll('-', '')}`;
      const now = Date.now();
      const row: LoggedModelsTable = {
        model_id: modelId,
        experiment_id: exp.experiment_id,
        name: request.name || generateRandomName(),
        artifact_location: appendToUriPath(exp.artifact_location ?? '', 'models', modelId, 'artifacts'),
        creation_timestamp_ms: now,
        last_updated_timestamp_ms: now,
        status: LOGGED_MODEL_STATUS_NUMBERS[LoggedModelStatus.PENDING],
        lifecycle_stage: 'active',
        model_type: request.modelType ?? null,
        source_run_id: request.sourceRunId || null,
        status_message: null,
      };
      await tx.insertInto('logged_models').values(row).execute();
      const tags = new Map((request.tags ?? []).map((t) => [t.key, t.value]));
      if (tags.size) await tx.insertInto('logged_model_tags').values([...tags].map(([tag_key, tag_value]) => ({ model_id: modelId, experiment_id: exp.experiment_id, tag_key, tag_value }))).execute();
      const params = new Map((request.params ?? []).map((p) => [p.key, p.value]));
      if (params.size) await tx.insertInto('logged_model_params').values([...params].map(([param_key, param_value]) => ({ model_id: modelId, experiment_id: exp.experiment_id, param_key, param_value }))).execute();
      return (await this.load(tx, [row]))[0] as LoggedModel;
    });
  }

  /** Soft-deletes a model. */
  async delete(modelId: string): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      const row = await this.requireRow(tx, modelId);
      await tx.updateTable('logged_models').set({ lifecycle_stage: 'deleted', last_updated_timestamp_ms: Date.now() }).where('model_id', '=', row.model_id).execute();
    });
  }

  /** Sets the final status. */
  async finalize(modelId: string, status: LoggedModelStatus): Promise<LoggedModel> {
    const number = LOGGED_MODEL_STATUS_NUMBERS[status];
    if (number === undefined) throw MlflowError.invalidParameter(`Invalid value ${JSON.stringify(status)} for parameter 'status' supplied.`);
    return inTransaction(this.ctx, async (tx) => {
      const row = await this.requireRow(tx, modelId);
      const now = Date.now();
      await tx.updateTable('logged_models').set({ status: number, last_updated_timestamp_ms: now }).where('model_id', '=', row.model_id).execute();
      return (await this.load(tx, [{ ...row, status: number, last_updated_timestamp_ms: now }]))[0] as LoggedModel;
    });
  }

  /** Upserts tags. */
  async setTags(modelId: string, tags: readonly LoggedModelTag[]): Promise<void> {
    for (const t of tags) validateTagName(t?.key);
    await inTransaction(this.ctx, async (tx) => {
      const row = await this.requireRow(tx, modelId);
      const unique = new Map(tags.map((t) => [t.key, t.value]));
      if (unique.size) {
        const rows = [...unique].map(([tag_key, tag_value]) => ({ model_id: row.model_id, experiment_id: row.experiment_id, tag_key, tag_value }));
        await upsert(tx, this.ctx.dialect, 'logged_model_tags', rows, ['model_id', 'tag_key'], ['tag_value']).execute();
      }
      await tx.updateTable('logged_models').set({ last_updated_timestamp_ms: Date.now() }).where('model_id', '=', row.model_id).execute();
    });
  }

  /** Deletes a tag; RESOURCE_DOES_NOT_EXIST when absent. */
  async deleteTag(modelId: string, key: string): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      const row = await this.requireRow(tx, modelId);
      const res = await tx.deleteFrom('logged_model_tags').where('model_id', '=', row.model_id).where('tag_key', '=', key).executeTakeFirst();
      if (Number(res.numDeletedRows) === 0) throw MlflowError.notFound(`No tag with key '${key}' found for model with ID '${modelId}'.`);
    });
  }

  /** Upserts params. */
  async logParams(modelId: string, params: readonly LoggedModelParameter[]): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      const row = await this.requireRow(tx, modelId);
      const unique = new Map(params.map((p) => [p.key, p.value]));
      if (unique.size === 0) return;
      const rows = [...unique].map(([param_key, param_value]) => ({ model_id: row.model_id, experiment_id: row.experiment_id, param_key, param_value }));
      await upsert(tx, this.ctx.dialect, 'logged_model_params', rows, ['model_id', 'param_key'], ['param_value']).execute();
    });
  }

  /** The latest value of a model metric (highest step, then timestamp, then value), optionally on datasets. */
  private latestMetric(key: string, datasets: readonly LoggedModelDatasetFilter[] | undefined): Sql {
    return sql`(SELECT lmm.metric_value FROM logged_model_metrics lmm WHERE lmm.model_id = m.model_id AND lmm.metric_name = ${key}${this.datasetCondition(datasets)}
      ORDER BY lmm.metric_step DESC, lmm.metric_timestamp_ms DESC, lmm.metric_value DESC LIMIT 1)`;
  }

  private datasetCondition(datasets: readonly LoggedModelDatasetFilter[] | undefined): Sql {
    if (!datasets || datasets.length === 0) return sql``;
    const any = datasets.map((d) =>
      d.dataset_digest === undefined ? sql`lmm.dataset_name = ${d.dataset_name}` : sql`(lmm.dataset_name = ${d.dataset_name} AND lmm.dataset_digest = ${d.dataset_digest})`,
    );
    return sql` AND (${sql.join(any, sql` OR `)})`;
  }

  /** Filters, orders and pages visible models of the experiments in SQL. */
  async search(request: SearchLoggedModelsRequest): Promise<PagedList<LoggedModel>> {
    const maxResults = request?.maxResults ?? SEARCH_DEFAULT;
    validateMaxResults(maxResults);
    for (const d of request.datasets ?? []) {
      if (!d?.dataset_name) throw MlflowError.invalidParameter('`dataset_name` in the `datasets` clause must be specified.');
    }
    const ids = experimentIdParams(this.ctx.dialect, request.experimentIds ?? []);
    const filter = parseLoggedModelFilter(request.filterString);
    const order = this.orderSql(request.orderBy);
    const offset = decodeLoggedModelPageToken(request.pageToken, request);
    if (ids.length === 0) return { items: [] };
    const d = this.ctx.dialect;
    const conditions: Sql[] = [sql`m.experiment_id IN (${sql.join(ids)})`, sql`m.lifecycle_stage = 'active'`];
    if (request.datasets && request.datasets.length > 0) {
      conditions.push(sql`EXISTS (SELECT 1 FROM logged_model_metrics lmm WHERE lmm.model_id = m.model_id${this.datasetCondition(request.datasets)})`);
    }
    for (const c of filter) {
      if (c.type === 'metric') {
        conditions.push(compareSql(d, this.latestMetric(c.key, request.datasets), c.comparator, c.value, false));
      } else if (c.type === 'parameter' || c.type === 'tag') {
        const [table, k, v] = c.type === 'parameter' ? ['logged_model_params', 'param_key', 'param_value'] : ['logged_model_tags', 'tag_key', 'tag_value'];
        conditions.push(
          sql`EXISTS (SELECT 1 FROM ${sql.table(table)} kv WHERE kv.model_id = m.model_id AND ${compareSql(d, sql.ref(`kv.${k}`), '=', c.key, true)} AND ${compareSql(d, sql.ref(`kv.${v}`), c.comparator, c.value, true)})`,
        );
      } else if (c.key === 'status') {
        // The parser lets only =, !=, IN and NOT IN with MLflow's status names through.
        const toNumber = (s: string) => STATUS_SHORT[s] as number;
        const value = Array.isArray(c.value) ? c.value.map(toNumber) : toNumber(String(c.value));
        conditions.push(compareSql(d, sql.ref('m.status'), c.comparator, value, false));
      } else {
        const numeric = c.key === 'creation_timestamp_ms' || c.key === 'last_updated_timestamp_ms';
        const col = sql.ref(`m.${c.key}`);
        conditions.push(compareSql(d, c.key === 'experiment_id' ? sql`CAST(${col} AS CHAR(20))` : col, c.comparator, c.value, !numeric));
      }
    }
    const { rows } = await sql<LoggedModelsTable>`SELECT m.* FROM logged_models m WHERE ${sql.join(conditions, sql` AND `)}
      ORDER BY ${sql.join(order)} LIMIT ${maxResults + 1} OFFSET ${offset}`.execute(this.ctx.db);
    const items = await this.load(this.ctx.db, rows.slice(0, maxResults));
    return rows.length > maxResults ? { items, nextPageToken: encodeLoggedModelPageToken(request, offset + maxResults) } : { items };
  }

  private orderSql(orderBy: readonly LoggedModelOrderBy[] | undefined): Sql[] {
    const out: Sql[] = [];
    const text = (col: Sql) => (this.ctx.dialect === 'mysql' ? sql`BINARY ${col}` : col);
    for (const o of orderBy ?? []) {
      if (typeof o?.field_name !== 'string' || o.field_name === '') throw MlflowError.invalidParameter('order_by field_name is required');
      const dir = sql.raw(o.ascending === false ? 'DESC' : 'ASC');
      let value: Sql;
      if (o.field_name.startsWith('metrics.')) {
        const ds = o.dataset_name ? [{ dataset_name: o.dataset_name, ...(o.dataset_digest !== undefined ? { dataset_digest: o.dataset_digest } : {}) }] : undefined;
        value = this.latestMetric(o.field_name.slice('metrics.'.length), ds);
      } else {
        const column = ORDER_COLUMNS[o.field_name];
        if (!column) throw MlflowError.invalidParameter(`Invalid order by field name: ${o.field_name}`);
        const ref = sql.ref(`m.${column}`);
        value = ['name', 'model_id', 'model_type', 'source_run_id'].includes(column) ? text(ref) : ref;
      }
      out.push(sql`CASE WHEN ${value} IS NULL THEN 1 ELSE 0 END`, sql`${value} ${dir}`);
    }
    out.push(sql`m.creation_timestamp_ms DESC`, sql`m.model_id ASC`);
    return out;
  }

  /** Distinct (experiment, name, digest, context) of the experiments' dataset inputs, at most 1000. */
  async searchDatasets(experimentIds: readonly string[]): Promise<DatasetSummary[]> {
    const ids = experimentIdParams(this.ctx.dialect, experimentIds);
    if (ids.length === 0) return [];
    const { rows } = await sql<{ experiment_id: number; name: string; digest: string; context: string | null }>`
      SELECT DISTINCT d.experiment_id, d.name, d.digest, it.value AS context
      FROM datasets d
      JOIN inputs i ON i.source_id = d.dataset_uuid AND i.source_type = 'DATASET' AND i.destination_type = 'RUN'
      LEFT JOIN input_tags it ON it.input_uuid = i.input_uuid AND it.name = ${DATASET_CONTEXT_TAG}
      WHERE d.experiment_id IN (${sql.join(ids)})
      LIMIT ${MAX_DATASET_SUMMARIES}`.execute(this.ctx.db);
    return rows.map((r) => {
      const s: DatasetSummary = { experiment_id: String(r.experiment_id), name: r.name, digest: r.digest };
      if (r.context !== null) s.context = r.context;
      return s;
    });
  }
}
