import { sql, type RawBuilder } from 'kysely';
import { MlflowError, PROMPT_TAG, type OrderByClause, type SearchComparison } from '@mlstore/core';
import { compareSql } from './dialect-sql.js';
import type { SqlDialectName } from './sql-uri.js';

type Sql = RawBuilder<unknown>;
/** Which rows of a search the prompt rule keeps (see core's `registryPromptScope`). */
export type PromptScope = 'only' | 'exclude' | 'as-filtered';

/** Registry search target: registered models (`rm`) or model versions (`mv`). */
type Target = 'rm' | 'mv';

const TAG_TABLE: Record<Target, string> = { rm: 'registered_model_tags', mv: 'model_version_tags' };

/** Version attributes of the filter grammar → `model_versions` columns (alias `mv`). */
const VERSION_COLUMNS: Record<string, { column: string; isString: boolean }> = {
  name: { column: 'name', isString: true },
  run_id: { column: 'run_id', isString: true },
  source_path: { column: 'source', isString: true },
  version_number: { column: 'version', isString: false },
};

/** The tag rows of the current row: same workspace and name (and version, for versions). */
function ownTags(target: Target, alias: string): Sql {
  const a = (c: string) => sql.ref(`${alias}.${c}`);
  const own = sql`${a('workspace')} = ${sql.ref(`${target}.workspace`)} AND ${a('name')} = ${sql.ref(`${target}.name`)}`;
  return target === 'mv' ? sql`${own} AND ${a('version')} = ${sql.ref('mv.version')}` : own;
}

/**
 * WHERE conditions (over `registered_models rm` or `model_versions mv`) for a parsed registry
 * filter, as MLflow's SqlAlchemyStore builds them: attributes on the row; tag clauses grouped by
 * key, each key needing one tag row that satisfies all of its clauses (MLflow's per-key subquery
 * with `HAVING count = #keys`, written as one EXISTS per key); the prompt rule last.
 */
export function registryFilterSql(dialect: SqlDialectName, target: Target, clauses: readonly SearchComparison[], prompts: PromptScope): Sql[] {
  const out: Sql[] = [];
  const byKey = new Map<string, SearchComparison[]>();
  for (const c of clauses) {
    if (c.type === 'tag') {
      byKey.set(c.key, [...(byKey.get(c.key) ?? []), c]);
      continue;
    }
    if (c.type !== 'attribute') throw MlflowError.invalidParameter(`Invalid token type: ${c.type}`);
    const col = target === 'rm' ? (c.key === 'name' ? { column: 'name', isString: true } : undefined) : VERSION_COLUMNS[c.key];
    if (!col) throw MlflowError.invalidParameter(`Invalid attribute name: ${c.key}`);
    out.push(compareSql(dialect, sql.ref(`${target}.${col.column}`), c.comparator, c.value, col.isString));
  }
  const table = sql.table(TAG_TABLE[target]);
  for (const [key, list] of byKey) {
    const checks = list.map((c) => compareSql(dialect, sql.ref('t.value'), c.comparator, c.value, true));
    out.push(sql`EXISTS (SELECT 1 FROM ${table} t WHERE ${ownTags(target, 't')} AND ${compareSql(dialect, sql.ref('t.key'), '=', key, true)} AND ${sql.join(checks, sql` AND `)})`);
  }
  const promptKey = compareSql(dialect, sql.ref('p.key'), '=', PROMPT_TAG, true);
  if (prompts === 'exclude') {
    // MLflow's anti-join matches prompt tags on (workspace, name) only, for versions too: a model
    // any of whose versions is tagged a prompt has all its versions left out.
    const sameModel = sql`p.workspace = ${sql.ref(`${target}.workspace`)} AND p.name = ${sql.ref(`${target}.name`)}`;
    out.push(sql`NOT EXISTS (SELECT 1 FROM ${table} p WHERE ${sameModel} AND ${promptKey} AND ${compareSql(dialect, sql.ref('p.value'), '=', 'true', true)})`);
  }
  // 'only' and 'as-filtered': the clauses as written (MLflow's SQL store adds nothing).
  return out;
}

const ORDER_COLUMNS: Record<string, string> = {
  name: 'name',
  creation_timestamp: 'creation_time',
  last_updated_timestamp: 'last_updated_time',
  timestamp: 'last_updated_time',
  version_number: 'version',
};

/** ORDER BY items for parsed registry order_by clauses (tie-breakers already appended by the parser). */
export function registryOrderSql(target: Target, orderBy: readonly OrderByClause[]): Sql[] {
  return orderBy.map((o) => {
    const column = ORDER_COLUMNS[o.key];
    if (!column) throw MlflowError.invalidParameter(`Invalid order by key '${o.key}' specified.`);
    return sql`${sql.ref(`${target}.${column}`)} ${sql.raw(o.ascending ? 'ASC' : 'DESC')}`;
  });
}
