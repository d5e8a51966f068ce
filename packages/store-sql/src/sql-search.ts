import { createHash } from 'node:crypto';
import { sql, type RawBuilder } from 'kysely';
import { MlflowError, encodePageToken, experimentOrderClauses, pageTokenFields, type OrderByClause, type SearchComparison, type SearchRunsRequest } from '@mlstore/core';
import { asText, compareSql, FALSE, TRUE } from './dialect-sql.js';
import type { SqlContext } from './sql-context.js';
import { runPageColumnsSql, type RunRowToLoad } from './sql-run-data.js';
import type { SqlDialectName } from './sql-uri.js';

type Sql = RawBuilder<unknown>;

import { RUN_NAME_TAG } from '@mlstore/core';
const DATASET_CONTEXT_TAG = 'mlflow.data.context';

/** Run attribute → `runs` column (alias `r`). */
const RUN_COLUMNS: Record<string, string> = {
  run_id: 'run_uuid',
  run_name: 'name',
  status: 'status',
  user_id: 'user_id',
  start_time: 'start_time',
  end_time: 'end_time',
  artifact_uri: 'artifact_uri',
};
const NUMERIC_RUN_ATTRIBUTES = new Set(['start_time', 'end_time']);

function runColumn(key: string): Sql {
  const column = RUN_COLUMNS[key];
  if (!column) throw MlflowError.invalidParameter(`Invalid attribute key '${key}'`);
  return sql.ref(`r.${column}`);
}

/**
 * The run has a row of `table` (as `alias`) where `where` holds. On SQLite `r.run_uuid IN (…)`: its
 * planner then reads the matching child rows by their (key, run_uuid) index and probes `runs` once
 * per match, where a correlated EXISTS probes the child table once per run of the experiment (at
 * 1M runs a param filter took 1.7 s instead of 3.3–4.2 s). PostgreSQL and MariaDB plan the EXISTS
 * as a semi-join themselves. `correlated`: EXISTS on SQLite too, for a query that walks runs in
 * index order and stops early (a probe per run read, not the whole list built first).
 */
function runHas(dialect: SqlDialectName, table: 'params' | 'tags' | 'latest_metrics', alias: 'kv' | 'lm', where: Sql, correlated: boolean): Sql {
  const from = sql`${sql.table(table)} ${sql.raw(alias)}`;
  const runUuid = sql.ref(`${alias}.run_uuid`);
  if (dialect === 'sqlite' && !correlated) return sql`r.run_uuid IN (SELECT ${runUuid} FROM ${from} WHERE ${where})`;
  return sql`EXISTS (SELECT 1 FROM ${from} WHERE ${runUuid} = r.run_uuid AND ${where})`;
}

/** A filter on a key/value table of the run (params, tags). */
function keyValueExists(dialect: SqlDialectName, table: 'params' | 'tags', c: SearchComparison, correlated: boolean): Sql {
  const t = sql.table(table);
  if (c.comparator === 'IS NULL' || c.comparator === 'IS NOT NULL') {
    const exists = sql`EXISTS (SELECT 1 FROM ${t} kv WHERE kv.run_uuid = r.run_uuid AND ${compareSql(dialect, sql.ref('kv.key'), '=', c.key, true)})`;
    return c.comparator === 'IS NULL' ? sql`NOT ${exists}` : exists;
  }
  return runHas(dialect, table, 'kv', sql`${compareSql(dialect, sql.ref('kv.key'), '=', c.key, true)} AND ${compareSql(dialect, sql.ref('kv.value'), c.comparator, c.value, true)}`, correlated);
}

/**
 * WHERE conditions (over `runs r`), and on MariaDB the JOINs of metric filters, for a parsed run
 * filter, as MLflow's SqlAlchemyStore builds them: attributes on the row (run_name through the
 * `mlflow.runName` tag), metrics on `latest_metrics` (a NaN never satisfies a comparison except
 * `!=`), params/tags/datasets as semi-join subqueries ({@link runHas}).
 */
export function runFilterSql(dialect: SqlDialectName, filter: readonly SearchComparison[], correlated = false): { joins: Sql[]; where: Sql[] } {
  const joins: Sql[] = [];
  const where = filter.map((c, i): Sql | null => {
    switch (c.type) {
      case 'attribute':
        if (c.key === 'run_name') {
          return keyValueExists(dialect, 'tags', { ...c, type: 'tag', key: RUN_NAME_TAG } as SearchComparison, correlated);
        }
        return compareSql(dialect, runColumn(c.key), c.comparator, c.value, !NUMERIC_RUN_ATTRIBUTES.has(c.key));
      case 'metric': {
        // MariaDB: an inner JOIN (at most one row joins: the key of latest_metrics is (key, run_uuid)),
        // which its planner runs faster than the semi-join it makes of EXISTS (57 against 67–73 ms
        // for a 5,000-run page query). MLflow's SqlAlchemyStore joins its filter subqueries too.
        const lm = dialect === 'mysql' ? `f${i}` : 'lm';
        const value = sql.ref(`${lm}.value`);
        const isNan = sql.ref(`${lm}.is_nan`);
        const valueCheck =
          c.comparator === '!='
            ? sql`(${compareSql(dialect, value, '!=', c.value, false)} OR ${isNan} = ${TRUE})`
            : sql`${compareSql(dialect, value, c.comparator, c.value, false)} AND ${isNan} = ${FALSE}`;
        const match = sql`${compareSql(dialect, sql.ref(`${lm}.key`), '=', c.key, true)} AND ${valueCheck}`;
        if (dialect !== 'mysql') return runHas(dialect, 'latest_metrics', 'lm', match, correlated);
        joins.push(sql`JOIN latest_metrics ${sql.raw(lm)} ON ${sql.ref(`${lm}.run_uuid`)} = r.run_uuid AND ${match}`);
        return null;
      }
      case 'parameter':
        return keyValueExists(dialect, 'params', c, correlated);
      case 'tag':
        return keyValueExists(dialect, 'tags', c, correlated);
      case 'dataset': {
        const base = sql`SELECT 1 FROM datasets d JOIN inputs i ON i.source_id = d.dataset_uuid AND i.source_type = 'DATASET'`;
        if (c.key === 'context') {
          return sql`EXISTS (${base} JOIN input_tags it ON it.input_uuid = i.input_uuid AND it.name = ${DATASET_CONTEXT_TAG} WHERE i.destination_type = 'RUN' AND i.destination_id = r.run_uuid AND ${compareSql(dialect, sql.ref('it.value'), c.comparator, c.value, true)})`;
        }
        return sql`EXISTS (${base} WHERE i.destination_type = 'RUN' AND i.destination_id = r.run_uuid AND ${compareSql(dialect, sql.ref(`d.${c.key}`), c.comparator, c.value, true)})`;
      }
    }
  });
  return { joins, where: where.filter((w): w is Sql => w !== null) };
}

/**
 * ORDER BY of search_runs: LEFT JOINs for metric/param/tag keys and the expressions, nulls (then NaN) last.
 * `head`: when the first clause is a metric, only the runs with a number for it (`lead`, the
 * condition joining `o0`; NaN left out; with `bound`, only up to that number) ordered by that number
 * first — the head of the full order, which an index on latest_metrics (key, is_nan, value) yields
 * in order (see {@link runPageRows}).
 */
export function runOrderSql(dialect: SqlDialectName, orderBy: readonly OrderByClause[], head?: HeadOptions): { lead?: Sql; joins: Sql[]; order: Sql[] } {
  let lead: Sql | undefined;
  const joins: Sql[] = [];
  const order: Sql[] = [];
  const dir = (asc: boolean) => sql.raw(asc ? 'ASC' : 'DESC');
  const text = (col: Sql) => (dialect === 'mysql' ? sql`BINARY ${col}` : col);
  orderBy.forEach((o, i) => {
    if (o.type === 'attribute') {
      const col = runColumn(o.key);
      order.push(sql`CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END`, sql`${NUMERIC_RUN_ATTRIBUTES.has(o.key) ? col : text(col)} ${dir(o.ascending)}`);
      return;
    }
    const alias = sql.raw(`o${i}`);
    const table = sql.raw(o.type === 'metric' ? 'latest_metrics' : o.type === 'parameter' ? 'params' : 'tags');
    const value = sql.ref(`o${i}.value`);
    if (head && i === 0 && o.type === 'metric') {
      const from = head.from === undefined ? sql`` : sql` AND ${value} ${sql.raw(o.ascending ? '>=' : '<=')} ${head.from}`;
      const upTo = head.bound === undefined ? sql`` : sql` AND ${value} ${sql.raw(o.ascending ? '<=' : '>=')} ${head.bound}`;
      lead = sql`o0.run_uuid = r.run_uuid AND ${sql.ref('o0.key')} = ${o.key} AND o0.is_nan = ${FALSE}${from}${upTo}`;
      order.push(sql`${value} ${dir(o.ascending)}`);
      return;
    }
    joins.push(sql`LEFT JOIN ${table} ${alias} ON ${alias}.run_uuid = r.run_uuid AND ${sql.ref(`o${i}.key`)} = ${o.key}`);
    if (o.type === 'metric') {
      order.push(sql`CASE WHEN ${value} IS NULL THEN 2 WHEN ${alias}.is_nan = ${TRUE} THEN 1 ELSE 0 END`, sql`${value} ${dir(o.ascending)}`);
    } else {
      order.push(sql`CASE WHEN ${value} IS NULL THEN 1 ELSE 0 END`, sql`${text(value)} ${dir(o.ascending)}`);
    }
  });
  if (!orderBy.some((o) => o.type === 'attribute' && o.key === 'start_time')) {
    order.push(sql`CASE WHEN r.start_time IS NULL THEN 1 ELSE 0 END`, sql`r.start_time DESC`);
  }
  order.push(sql`r.run_uuid ASC`);
  return { lead, joins, order };
}

/** What a page of search_runs is cut from. */
export interface RunPageQuery {
  /** Conditions on `runs r` itself (experiments, lifecycle stages). */
  scope: Sql[];
  filter: readonly SearchComparison[];
  orderBy: readonly OrderByClause[];
  limit: number;
  offset: number;
  /**
   * With the metric-order index, where the previous page of the same search ended (its token's
   * cursor, {@link nextRunPageCursor}): the page is then read from that run on (keyset pagination)
   * instead of counting `offset` runs from the start.
   */
  after?: RunPageCursor;
}

/**
 * The last run of a page ordered by a metric first, when it has a number for that metric: its
 * number (`value`), and how many runs with that number the pages so far held (`ties`, it included).
 * The next page is the runs from that number on (at most it, descending), past those `ties` runs.
 */
export interface RunPageCursor {
  value: number;
  ties: number;
}

/** The head of a metric order (see {@link runOrderSql}): its rows, from `from` on and up to `bound` when given. */
export interface HeadOptions {
  from?: number;
  bound?: number;
}

/** The part of a metric order a statement reads: its head, or its tail (the runs without a number for the metric: NaN, then none). */
export type PagePart = HeadOptions | 'tail';

/**
 * Index entries of the ordered metric read per row the page asks for (offset + limit): the narrowest
 * and the widest window. Each window whose edge exists bounds a head query, and a head that fills
 * the page ends the search; one that does not tells what share of its runs match, which sizes the
 * next window (a quarter to spare, at most the widest). PostgreSQL and SQLite read a window in index
 * order and sort only ties of the value, so one wide window costs them no more than the rows the
 * page needs. MySQL/MariaDB sort every row of a window (its cost grows with its width), so they
 * start narrow: no filter fills the page at 2 ×, and a filter keeping half of the runs at 2 × or
 * 2.5 ×. bench:sql's first page, 1,001 of 5,000 matching runs among 10,000: 10 ms at 2 ×, 13 at
 * 3 ×, 16 at 4 ×, 35 for the full query.
 */
export function headWindows(dialect: SqlDialectName): readonly [number, number] {
  return dialect === 'mysql' ? [2, 16] : [16, 16];
}

/** Comparators a NaN and a run without the metric never satisfy (`!=` keeps NaN). */
const NUMBER_COMPARATORS = new Set(['=', '<', '>', '<=', '>=']);

/**
 * The rows of one page of search_runs. Ordered by a metric first and with the metric-order index
 * on the database (`metricOrderIndex`), the page is first looked for among the runs that have a
 * number for that metric, which come first in the order, in windows of the index: the
 * {@link headWindows} × (offset + limit) best values (and their ties), read from the index alone. When
 * the page is full in one, it is exact (every run outside has a worse value) and costs a bounded number
 * of probes (3–30 ms instead of 1.1–1.7 s at 1M runs). When a window holds every number of the metric,
 * see {@link unbounded}. Otherwise — a filter too selective for the widest window — the full query
 * reads it.
 */
export async function runPageRows(ctx: SqlContext, q: RunPageQuery): Promise<RunRowToLoad[]> {
  const first = q.orderBy[0];
  const rows = async (query: RunPageQuery, part?: PagePart) => (await runPageSql(ctx.dialect, query, part).execute(ctx.db)).rows;
  if (!ctx.metricOrderIndex || first?.type !== 'metric') return rows(q);
  const { page, from } = fromCursor(q);
  const [narrowest, widest] = headWindows(ctx.dialect);
  const wanted = page.offset + page.limit;
  for (let window = narrowest; ; ) {
    const edge = (await metricWindowSql(ctx.dialect, first, Math.ceil(wanted * window), from).execute(ctx.db)).rows[0];
    // No edge: this window (and every wider one) holds every number of the metric.
    if (edge === undefined) return unbounded(ctx, q, rows);
    const head = await rows(page, { from, bound: Number(edge.value) });
    if (head.length === page.limit) return head;
    if (window >= widest) break;
    // The share of the window that matched (about offset + head of it) sizes the next one, with a
    // quarter to spare; one within a quarter of the widest (or none matched) is the widest.
    const next = (1.25 * window * wanted) / (page.offset + head.length);
    window = next * 1.25 >= widest ? widest : next;
  }
  return from === undefined ? rows(q) : unbounded(ctx, q, rows);
}

/** After a cursor, the page's head starts at the cursor's number (`from`) and its offset counts from the cursor's first tie. */
function fromCursor(q: RunPageQuery): { page: RunPageQuery; from?: number } {
  return q.after ? { page: { ...q, offset: q.after.ties }, from: q.after.value } : { page: q };
}

/**
 * What a cursor in a page token is bound to: a digest of the search's experiments, view, filter and
 * order (the request's own texts). A token used with another search — or one without a cursor, as
 * MLflow's — is read by its offset, as MLflow reads it.
 */
function searchDigest(request: SearchRunsRequest): string {
  const fields = [request.experimentIds, request.runViewType ?? null, request.filterString ?? '', request.orderBy ?? []];
  return createHash('sha256').update(JSON.stringify(fields)).digest('base64url').slice(0, 16);
}

/**
 * The cursor in the request's page token (its `after: [digest, value, ties]` beside MLflow's
 * `offset`), when it is one, made for this search, and counts no more ties than the runs shown
 * before (`offset`).
 */
export function runPageCursorOf(request: SearchRunsRequest, offset: number): RunPageCursor | undefined {
  const after = offset > 0 ? pageTokenFields(request.pageToken)['after'] : undefined;
  if (!Array.isArray(after) || after.length !== 3) return undefined;
  const [made, value, ties] = after as unknown[];
  if (typeof value !== 'number' || !Number.isFinite(value) || typeof ties !== 'number' || !Number.isInteger(ties) || ties < 1 || ties > offset) return undefined;
  return made === searchDigest(request) ? { value, ties } : undefined;
}

/** The token of the page after `page` (the rows shown of the page `q` read for `request`): MLflow's offset, and the cursor if there is one. */
export function nextRunPageToken(ctx: SqlContext, request: SearchRunsRequest, q: RunPageQuery, page: readonly RunRowToLoad[]): string {
  const cursor = nextRunPageCursor(ctx, q, page);
  return encodePageToken(q.offset + page.length, cursor && { after: [searchDigest(request), cursor.value, cursor.ties] });
}

/** Whether a page row has a number for the ordered metric (its `order_value`, {@link runPageSql}). */
const numbered = (row: RunRowToLoad) => row.order_value !== null && row.order_value !== undefined && !Number(row.order_is_nan);

/**
 * The cursor after `page` (the rows shown of a page read by {@link runPageRows} for `q`), or none
 * when its last run has no number for the metric, or when the page is all ties of one number and
 * it is not known how many came before (a page after the first, read without a cursor).
 */
function nextRunPageCursor(ctx: SqlContext, q: RunPageQuery, page: readonly RunRowToLoad[]): RunPageCursor | undefined {
  // (Where runPageRows reads no cursor, none is given: it would chain ties it did not count.)
  if (!ctx.metricOrderIndex || q.orderBy[0]?.type !== 'metric') return undefined;
  const last = page.at(-1);
  if (last === undefined || !numbered(last)) return undefined;
  const value = Number(last.order_value);
  if (!Number.isFinite(value)) return undefined;
  let ties = 0;
  for (let i = page.length - 1; i >= 0 && numbered(page[i]!) && Number(page[i]!.order_value) === value; i--) ties++;
  if (ties < page.length) return { value, ties };
  // The whole page has one number: the runs before it with that number are the cursor's ties, if any.
  if (q.after) return { value, ties: ties + (q.after.value === value ? q.after.ties : 0) };
  return q.offset === 0 ? { value, ties } : undefined;
}

/**
 * The page when every number of the ordered metric (from `from` on) is in the window. PostgreSQL and
 * SQLite still read them in index order and sort only ties (incremental sort), from the cursor
 * ({@link fromCursor}); MySQL/MariaDB would sort them all and scan every run for the tail, as the
 * full query does, so they run that, by the search's offset. The head then holds every numbered
 * match from the offset on: short of a page, the tail query completes it (unless the page starts
 * past them without a cursor, or the filter needs a number for the metric).
 */
async function unbounded(ctx: SqlContext, q: RunPageQuery, rows: (query: RunPageQuery, part?: PagePart) => Promise<RunRowToLoad[]>): Promise<RunRowToLoad[]> {
  if (ctx.dialect === 'mysql') return rows(q);
  const { page, from } = fromCursor(q);
  const head = await rows(page, { from });
  if (head.length === page.limit) return head;
  // (After a cursor — a run with a number — every numbered match before the page is known to be shown.)
  if (head.length === 0 && from === undefined) return rows(q);
  const first = q.orderBy[0]!;
  const numbersOnly = q.filter.some((c) => c.type === 'metric' && c.key === first.key && NUMBER_COMPARATORS.has(c.comparator));
  if (numbersOnly) return head;
  return [...head, ...(await rows({ ...q, limit: q.limit - head.length, offset: 0 }, 'tail'))];
}

/** The value at position `window` of a metric's numbers in order, from `from` on (no row: fewer than that), read from the index alone. */
export function metricWindowSql(dialect: SqlDialectName, clause: OrderByClause, window: number, from?: number): RawBuilder<{ value: number }> {
  const direction = sql.raw(clause.ascending ? 'ASC' : 'DESC');
  const start = from === undefined ? sql`` : sql` AND value ${sql.raw(clause.ascending ? '>=' : '<=')} ${from}`;
  return sql<{ value: number }>`SELECT value FROM latest_metrics WHERE ${sql.ref('key')} = ${clause.key} AND is_nan = ${FALSE}${start} ORDER BY value ${direction} LIMIT 1 OFFSET ${window - 1}`;
}

/**
 * The statement of a page; `part`: of the head of a metric order only (see {@link runOrderSql}),
 * driven from latest_metrics in index order — SQLite and MySQL are told so (CROSS JOIN and
 * SELECT STRAIGHT_JOIN keep the written order of the tables), and SQLite probes each run's filters
 * (EXISTS) instead of building their lists first — or of its tail (no number for its first metric).
 */
export function runPageSql(dialect: SqlDialectName, q: RunPageQuery, part?: PagePart): RawBuilder<RunRowToLoad> {
  const head = part === 'tail' ? undefined : part;
  const filter = runFilterSql(dialect, q.filter, head !== undefined);
  const { lead, joins, order } = runOrderSql(dialect, q.orderBy, head);
  const tail = part === 'tail' ? [sql`(o0.run_uuid IS NULL OR o0.is_nan = ${TRUE})`] : [];
  const from = !lead ? sql`runs r` : sql`latest_metrics o0 ${sql.raw(dialect === 'sqlite' ? 'CROSS JOIN' : 'JOIN')} runs r ON ${lead}`;
  const select = sql.raw(lead && dialect === 'mysql' ? 'SELECT STRAIGHT_JOIN' : 'SELECT');
  const rest = sql`FROM ${from} ${sql.join([...filter.joins, ...joins], sql` `)} WHERE ${sql.join([...q.scope, ...filter.where, ...tail], sql` AND `)}`;
  // Ordered by a metric first: its number on each row too, for the page's cursor (nextRunPageCursor).
  const orderValue = q.orderBy[0]?.type === 'metric' ? sql`, o0.value AS order_value, o0.is_nan AS order_is_nan` : sql``;
  return sql<RunRowToLoad>`${select} ${runPageColumnsSql(dialect)}${orderValue} ${rest} ORDER BY ${sql.join(order)} LIMIT ${q.limit} OFFSET ${q.offset}`;
}

const EXPERIMENT_COLUMNS = new Set(['name', 'experiment_id', 'creation_time', 'last_update_time']);

/** WHERE conditions (over `experiments e`) for a parsed experiment filter. */
export function experimentFilterSql(dialect: SqlDialectName, filter: readonly SearchComparison[]): Sql[] {
  return filter.map((c) => {
    if (c.type === 'tag') {
      const keyEq = compareSql(dialect, sql.ref('et.key'), '=', c.key, true);
      if (c.comparator === 'IS NULL' || c.comparator === 'IS NOT NULL') {
        const exists = sql`EXISTS (SELECT 1 FROM experiment_tags et WHERE et.experiment_id = e.experiment_id AND ${keyEq})`;
        return c.comparator === 'IS NULL' ? sql`NOT ${exists}` : exists;
      }
      return sql`EXISTS (SELECT 1 FROM experiment_tags et WHERE et.experiment_id = e.experiment_id AND ${keyEq} AND ${compareSql(dialect, sql.ref('et.value'), c.comparator, c.value, true)})`;
    }
    if (!EXPERIMENT_COLUMNS.has(c.key)) throw MlflowError.invalidParameter(`Invalid attribute key '${c.key}'`);
    const col = sql.ref(`e.${c.key}`);
    if (c.key === 'experiment_id') return compareSql(dialect, asText(dialect, col), c.comparator, c.value, true);
    return compareSql(dialect, col, c.comparator, c.value, c.key === 'name');
  });
}

/** ORDER BY of search_experiments: the clauses (default creation_time DESC, experiment_id ASC), then experiment_id DESC. */
export function experimentOrderSql(dialect: SqlDialectName, orderBy: readonly OrderByClause[]): Sql[] {
  const clauses = experimentOrderClauses(orderBy);
  return clauses.flatMap((c) => {
    if (!EXPERIMENT_COLUMNS.has(c.key)) throw MlflowError.invalidParameter(`Invalid order_by key '${c.key}'`);
    const col = sql.ref(`e.${c.key}`);
    const value = c.key === 'name' && dialect === 'mysql' ? sql`BINARY ${col}` : col;
    return [sql`CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END`, sql`${value} ${sql.raw(c.ascending ? 'ASC' : 'DESC')}`];
  });
}
