import { sql, type RawBuilder } from 'kysely';
import {
  MlflowError,
  TRACE_ANALYTICS_COLUMNS,
  TraceMetadataKey,
  TraceTagKey,
  analyticsFilterColumns,
  canonicalAnalyticsFilterValue,
  decodePageToken,
  encodePageToken,
  parseTraceFilter,
  parseTraceSearchOrderBy,
  resolveTraceLocations,
  resolveTraceMaxResults,
  spanAttributeContentClause,
  traceOrderClauses,
  type PagedList,
  type SearchTracesRequest,
  type TraceInfo,
  type TraceOrderByClause,
  type TraceSearchComparison,
} from '@mlstore/core';
import { compareSql, TRUE } from './dialect-sql.js';
import { reading, type SqlContext } from './sql-context.js';
import { experimentIdParams, type ExperimentIdValue } from './sql-experiment-id.js';
import { keyValueColumns, keyValuesOfRows, type TraceInfoRowWithKeyValues } from './sql-trace-key-values.js';
import { loadTraceInfos, type TraceInfoRow } from './sql-traces.js';
import type { SqlDialectName } from './sql-uri.js';

type Sql = RawBuilder<unknown>;

const SESSION = TraceMetadataKey.TRACE_SESSION;
const SOURCE_RUN = TraceMetadataKey.SOURCE_RUN;
const LINKED_PROMPTS = 'mlflow.linkedPrompts';
/** MLflow narrows span rows to those starting at most this long before a `timestamp_ms >`/`>=` bound. */
const SPAN_SEARCH_TOLERANCE_MS = 10_000n;

/**
 * Trace attribute → expression over `trace_info ti`; `notNull` when MLflow's schema makes it NOT NULL
 * (`request_id`, `experiment_id`, `timestamp_ms`, `status`, and `end_time_ms` built from them).
 */
function attributeColumn(key: string): { col: Sql; isString: boolean; notNull: boolean } {
  switch (key) {
    case 'timestamp_ms':
      return { col: sql.ref('ti.timestamp_ms'), isString: false, notNull: true };
    case 'execution_time_ms':
      return { col: sql.ref('ti.execution_time_ms'), isString: false, notNull: false };
    case 'end_time_ms':
      return { col: sql`(ti.timestamp_ms + COALESCE(ti.execution_time_ms, 0))`, isString: false, notNull: true };
    case 'experiment_id':
      return { col: sql.ref('ti.experiment_id'), isString: false, notNull: true };
    case 'status':
      return { col: sql.ref('ti.status'), isString: true, notNull: true };
    case 'client_request_id':
      return { col: sql.ref('ti.client_request_id'), isString: true, notNull: false };
    default:
      return { col: sql.ref('ti.request_id'), isString: true, notNull: true };
  }
}

/** Python `json.dumps` of a string (ASCII only, as MLflow writes assessment values). */
function pyJsonString(s: string): string {
  return JSON.stringify(s).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * `compareSql` plus `RLIKE` and `IS [NOT] NULL` for one column, with MLflow's per-dialect regex
 * operators (SQLite: the `regexp` function the store registers, PostgreSQL `~`, MySQL binary REGEXP).
 */
function compareAny(dialect: SqlDialectName, col: Sql, c: Pick<TraceSearchComparison, 'comparator' | 'value'>, isString = true): Sql {
  switch (c.comparator) {
    case 'IS NULL':
      return sql`${col} IS NULL`;
    case 'IS NOT NULL':
      return sql`${col} IS NOT NULL`;
    case 'RLIKE':
      if (dialect === 'postgresql') return sql`${col} ~ ${c.value}`;
      if (dialect === 'mysql') return sql`(CAST(${col} AS BINARY) REGEXP BINARY ${c.value})`;
      return sql`${col} REGEXP ${c.value}`;
    default:
      return compareSql(dialect, col, c.comparator, c.value, isString);
  }
}

/** EXISTS over a key/value table of the trace (`trace_tags`, `trace_request_metadata`). */
function keyValueSql(dialect: SqlDialectName, table: 'trace_tags' | 'trace_request_metadata', c: TraceSearchComparison): Sql {
  const base = sql`SELECT 1 FROM ${sql.table(table)} kv WHERE kv.request_id = ti.request_id AND ${compareSql(dialect, sql.ref('kv.key'), '=', c.key, true)}`;
  if (c.comparator === 'IS NULL') return sql`NOT EXISTS (${base})`;
  if (c.comparator === 'IS NOT NULL') return sql`EXISTS (${base})`;
  return sql`EXISTS (${base} AND ${compareAny(dialect, sql.ref('kv.value'), c)})`;
}

/** `metadata.mlflow.trace.tokenUsage` / `.cost`: compared through their columns (`get_trace_analytics_metadata_filter`). */
export function analyticsSql(c: TraceSearchComparison): Sql {
  const columns = TRACE_ANALYTICS_COLUMNS[c.key] ?? [];
  const exists = sql`(${sql.join(columns.map((col) => sql`${sql.ref(`ti.${col}`)} IS NOT NULL`), sql` OR `)})`;
  if (c.comparator === 'IS NULL') return sql`NOT ${exists}`;
  if (c.comparator === 'IS NOT NULL') return exists;
  const canonical = canonicalAnalyticsFilterValue(c.key, c.value as string);
  let matches: Sql = sql`1 = 0`;
  if (canonical !== undefined) {
    const wanted = analyticsFilterColumns(c.key, canonical);
    matches = sql`(${sql.join(
      columns.map((col) => (wanted.has(col) ? sql`${sql.ref(`ti.${col}`)} = ${wanted.get(col)}` : sql`${sql.ref(`ti.${col}`)} IS NULL`)),
      sql` AND `,
    )})`;
  }
  return c.comparator === '=' ? matches : sql`(${exists} AND NOT ${matches})`;
}

function metadataSql(dialect: SqlDialectName, c: TraceSearchComparison): Sql {
  if (c.key === SESSION) return compareAny(dialect, sql.ref('ti.session_id'), c);
  if (Object.hasOwn(TRACE_ANALYTICS_COLUMNS, c.key)) return analyticsSql(c);
  const kv = keyValueSql(dialect, 'trace_request_metadata', c);
  if (c.key === SOURCE_RUN && c.comparator === '=') {
    // `run_id = '…'` also finds traces linked to the run with link_traces_to_run.
    return sql`(${kv} OR EXISTS (SELECT 1 FROM entity_associations ea WHERE ea.source_type = 'trace' AND ea.source_id = ti.request_id AND ea.destination_type = 'run' AND ea.destination_id = ${c.value}))`;
  }
  return kv;
}

/** One span clause on the span row `s` (`span.attributes.<name>` matches inside the stored JSON). */
function spanClauseSql(dialect: SqlDialectName, c: TraceSearchComparison): Sql {
  if (!c.key.startsWith('attributes.')) {
    const col = sql.ref(c.key === 'content' ? 's.content' : `s.${c.key}`);
    return compareAny(dialect, col, c);
  }
  return compareAny(dialect, sql.ref('s.content'), spanAttributeContentClause(c));
}

/** The value test of an assessment clause on the assessment row `a`. */
function assessmentValueSql(dialect: SqlDialectName, c: TraceSearchComparison): Sql {
  switch (c.comparator) {
    case 'IS NULL':
    case 'IS NOT NULL':
      return sql`1 = 1`;
    case '<':
    case '<=':
    case '>':
    case '>=':
      return sql`(a.is_numeric_value = ${TRUE} AND ${compareSql(dialect, sql.ref('a.aggregate_value'), c.comparator, c.value, false)})`;
    case '=':
    case '!=': {
      const v = c.value as string;
      const equal = sql`(${compareSql(dialect, sql.ref('a.value'), '=', v, true)} OR ${compareSql(dialect, sql.ref('a.value'), '=', pyJsonString(v), true)})`;
      return c.comparator === '=' ? equal : sql`NOT ${equal}`;
    }
    default:
      return compareAny(dialect, sql.ref('a.value'), c);
  }
}

/**
 * Traces an assessment clause selects, as MLflow's SQL store does: a matching valid assessment on
 * the trace, or a matching session-scoped one (its metadata names `mlflow.trace.session`) on any
 * trace of the same session within the searched experiments.
 */
function assessmentSql(dialect: SqlDialectName, c: TraceSearchComparison, scope: Sql): Sql {
  const test = c.comparator === 'IS NULL' ? { ...c, comparator: 'IS NOT NULL' as const } : c;
  const match = sql`a.assessment_type = ${c.type} AND ${compareSql(dialect, sql.ref('a.name'), '=', c.key, true)} AND a.valid = ${TRUE} AND ${assessmentValueSql(dialect, test)}`;
  const direct = sql`EXISTS (SELECT 1 FROM assessments a WHERE a.trace_id = ti.request_id AND ${match})`;
  const session = sql`(ti.session_id IS NOT NULL AND ti.session_id IN (SELECT t2.session_id FROM assessments a JOIN trace_info t2 ON t2.request_id = a.trace_id WHERE ${match} AND t2.session_id IS NOT NULL AND a.assessment_metadata LIKE ${'%"mlflow.trace.session"%'} AND ${scope}))`;
  const selected = sql`(${direct} OR ${session})`;
  return c.comparator === 'IS NULL' ? sql`NOT ${selected}` : selected;
}

/** WHERE conditions (over `trace_info ti`) of a parsed trace filter. */
export function traceFilterSql(dialect: SqlDialectName, filter: readonly TraceSearchComparison[], scope: Sql): Sql[] {
  const out: Sql[] = [];
  const spanClauses: Sql[] = [];
  let lowerBound: bigint | undefined;
  for (const c of filter) {
    switch (c.type) {
      case 'attribute': {
        const { col, isString } = attributeColumn(c.key);
        if (c.quotedNumber && dialect === 'postgresql') {
          // PostgreSQL has no bigint-to-text comparison; MLflow's query fails there with BAD_REQUEST.
          throw new MlflowError(
            `@mlstore/store-sql: PostgreSQL cannot compare the integer attribute '${c.key}' with a quoted value (operator does not exist: bigint ${c.comparator} character varying); write the number unquoted.`,
            'BAD_REQUEST',
          );
        }
        if (c.key === 'timestamp_ms' && (c.comparator === '>' || c.comparator === '>=')) {
          const v = BigInt(c.value as number | bigint);
          lowerBound = lowerBound === undefined || v > lowerBound ? v : lowerBound;
        }
        out.push(compareAny(dialect, col, c, isString));
        break;
      }
      case 'tag':
        if (c.key === LINKED_PROMPTS) {
          out.push(sql`EXISTS (SELECT 1 FROM entity_associations ea WHERE ea.source_type = 'trace' AND ea.source_id = ti.request_id AND ea.destination_type = 'prompt_version' AND ea.destination_id = ${c.value})`);
        } else if (c.key === TraceTagKey.TRACE_NAME) {
          out.push(compareAny(dialect, sql.ref('ti.trace_name'), c));
        } else {
          out.push(keyValueSql(dialect, 'trace_tags', c));
        }
        break;
      case 'request_metadata':
        out.push(metadataSql(dialect, c));
        break;
      case 'span':
        spanClauses.push(spanClauseSql(dialect, c));
        break;
      case 'feedback':
      case 'expectation':
        out.push(assessmentSql(dialect, c, scope));
        break;
      case 'issue':
        out.push(sql`EXISTS (SELECT 1 FROM assessments a WHERE a.trace_id = ti.request_id AND a.assessment_type = 'issue' AND ${compareSql(dialect, sql.ref('a.name'), '=', c.value, true)})`);
        break;
    }
  }
  if (spanClauses.length > 0) {
    if (lowerBound !== undefined) spanClauses.push(sql`s.start_time_unix_nano >= ${(lowerBound - SPAN_SEARCH_TOLERANCE_MS) * 1_000_000n}`);
    out.push(sql`EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = ti.request_id AND ${sql.join(spanClauses, sql` AND `)})`);
  }
  return out;
}

/**
 * ORDER BY of search_traces: the clauses then MLflow's defaults, missing values last. Strings order
 * by the column's collation, as MLflow's query does (case-insensitive on MySQL/MariaDB by default).
 */
export function traceOrderSql(orderBy: readonly TraceOrderByClause[]): { joins: Sql[]; order: Sql[] } {
  const joins: Sql[] = [];
  const order: Sql[] = [];
  traceOrderClauses(orderBy).forEach((o, i) => {
    let col: Sql;
    let notNull = false;
    if (o.type === 'attribute') ({ col, notNull } = attributeColumn(o.key));
    else if (o.type === 'tag' && o.key === TraceTagKey.TRACE_NAME) col = sql.ref('ti.trace_name');
    else if (o.type === 'request_metadata' && o.key === SESSION) col = sql.ref('ti.session_id');
    else {
      const alias = `o${i}`;
      const table = o.type === 'tag' ? 'trace_tags' : 'trace_request_metadata';
      joins.push(sql`LEFT JOIN ${sql.table(table)} ${sql.raw(alias)} ON ${sql.ref(`${alias}.request_id`)} = ti.request_id AND ${sql.ref(`${alias}.key`)} = ${o.key}`);
      col = sql.ref(`${alias}.value`);
    }
    // The nulls-last key is constant on NOT NULL columns and would keep every dialect from reading
    // `timestamp_ms` in the order of MLflow's (experiment_id, timestamp_ms) index: left out there.
    if (!notNull) order.push(sql`CASE WHEN ${col} IS NULL THEN 1 ELSE 0 END`);
    order.push(sql`${col} ${sql.raw(o.ascending ? 'ASC' : 'DESC')}`);
  });
  return { joins, order };
}

/** The page query of a search: `SELECT ti.*` with one row more than the page, or none for no experiment. */
export interface TraceSearchQuery {
  query: RawBuilder<TraceInfoRow>;
  maxResults: number;
  offset: number;
}

/**
 * The SQL of search_traces: the experiments (or every one), the shared grammar's clauses as WHERE
 * conditions, ORDER BY, and offset page tokens (one extra row tells whether a next page exists).
 * @throws INVALID_PARAMETER_VALUE for a bad filter, order, page token or max_results
 */
export function traceSearchQuery(dialect: SqlDialectName, request: SearchTracesRequest = {}): TraceSearchQuery | undefined {
  const locations = resolveTraceLocations(request.experimentIds, request.locations);
  const maxResults = resolveTraceMaxResults(request.maxResults);
  const orderBy = parseTraceSearchOrderBy(request.orderBy);
  const filter = parseTraceFilter(request.filterString);
  const offset = decodePageToken(request.pageToken);
  let experiments: ExperimentIdValue[] | undefined;
  if (locations) {
    experiments = experimentIdParams(dialect, locations);
    if (experiments.length === 0) return undefined;
  }
  const inScope = (alias: string) =>
    experiments ? sql`${sql.ref(`${alias}.experiment_id`)} IN (${sql.join(experiments.map((e) => sql`${e}`))})` : sql`1 = 1`;
  const where = [inScope('ti'), ...traceFilterSql(dialect, filter, inScope('t2'))];
  const { joins, order } = traceOrderSql(orderBy);
  // SQLite and PostgreSQL: each page row brings its tags and metadata (correlated subqueries,
  // evaluated for the rows selected only), saving two statements and their id lists per page.
  const keyValues = keyValueColumns(dialect);
  const columns = keyValues ? sql`ti.*, ${keyValues}` : sql`ti.*`;
  const query = sql<TraceInfoRow>`SELECT ${columns} FROM trace_info ti ${joins.length > 0 ? sql.join(joins, sql` `) : sql``} WHERE ${sql.join(where, sql` AND `)} ORDER BY ${sql.join(order)} LIMIT ${maxResults + 1} OFFSET ${offset}`;
  return { query, maxResults, offset };
}

/** search_traces: one page of full trace infos ({@link traceSearchQuery}, then their tags, metadata and assessments). */
export async function searchTraces(ctx: SqlContext, request: SearchTracesRequest = {}): Promise<PagedList<TraceInfo>> {
  const search = traceSearchQuery(ctx.dialect, request);
  if (!search) return { items: [] };
  const { query, maxResults, offset } = search;
  return reading(async () => {
    const rows = (await query.execute(ctx.db)).rows;
    const page = rows.length > maxResults ? rows.slice(0, maxResults) : rows;
    const keyValues = keyValueColumns(ctx.dialect) ? keyValuesOfRows(page as TraceInfoRowWithKeyValues[]) : undefined;
    const result: PagedList<TraceInfo> = { items: await loadTraceInfos(ctx.db, ctx.dialect, page, keyValues) };
    if (rows.length > maxResults) result.nextPageToken = encodePageToken(offset + maxResults);
    return result;
  });
}
