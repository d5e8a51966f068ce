import { sql, type RawBuilder } from 'kysely';
import type { SearchComparison } from '@mlstore/core';
import type { SqlDialectName } from './sql-uri.js';

type Sql = RawBuilder<unknown>;

/** SQL's stand-ins for ±Infinity (MLflow stores the largest finite doubles). */
export const SQL_MAX_DOUBLE = 1.7976931348623157e308;

/** MLflow's `sanitize_metric_value`: NaN → 0 with the is_nan flag, ±Inf → ±max double. */
export function sanitizeMetricValue(value: number): { value: number; isNan: boolean } {
  if (Number.isNaN(value)) return { value: 0, isNan: true };
  if (value === Infinity) return { value: SQL_MAX_DOUBLE, isNan: false };
  if (value === -Infinity) return { value: -SQL_MAX_DOUBLE, isNan: false };
  return { value, isNan: false };
}

/** Reads a stored metric back: the is_nan flag wins over the stored placeholder. */
export function storedMetricValue(value: number | string | null, isNan: unknown): number {
  return isNan === true || isNan === 1 || isNan === '1' ? NaN : Number(value);
}

/**
 * One comparison of a column with a value, with MLflow's per-dialect semantics: LIKE is
 * case-sensitive everywhere (MySQL through BINARY), ILIKE case-insensitive, `=`/`!=`/IN on strings
 * case-sensitive on MySQL too. `%` and `_` are the only wildcards; every other character is literal.
 */
export function compareSql(dialect: SqlDialectName, column: Sql, comparator: SearchComparison['comparator'], value: unknown, isString: boolean): Sql {
  const mysqlString = dialect === 'mysql' && isString;
  switch (comparator) {
    case '=':
      return mysqlString ? sql`(${column} = ${value} AND BINARY ${column} = ${value})` : sql`${column} = ${value}`;
    case '!=':
      return mysqlString ? sql`(BINARY ${column} != ${value})` : sql`${column} <> ${value}`;
    case '>':
      return sql`${column} > ${value}`;
    case '>=':
      return sql`${column} >= ${value}`;
    case '<':
      return sql`${column} < ${value}`;
    case '<=':
      return sql`${column} <= ${value}`;
    case 'LIKE': {
      const pattern = escapeLike(dialect, String(value));
      if (dialect === 'mysql') return sql`(${column} LIKE ${pattern} AND BINARY ${column} LIKE ${pattern})`;
      return sql`${column} LIKE ${pattern} ESCAPE '!'`;
    }
    case 'ILIKE': {
      const pattern = escapeLike(dialect, String(value));
      if (dialect === 'postgresql') return sql`${column} ILIKE ${pattern} ESCAPE '!'`;
      if (dialect === 'mysql') return sql`LOWER(${column}) LIKE LOWER(${pattern})`;
      return sql`LOWER(${column}) LIKE LOWER(${pattern}) ESCAPE '!'`;
    }
    case 'IN':
    case 'NOT IN': {
      const list = value as string[];
      const items = sql.join(list.map((v) => sql`${v}`));
      const col = mysqlString ? sql`BINARY ${column}` : column;
      return comparator === 'IN' ? sql`${col} IN (${items})` : sql`${col} NOT IN (${items})`;
    }
    default:
      throw new Error(`unexpected comparator ${comparator}`);
  }
}

/**
 * Makes `\` (MySQL's escape character) and our own escape `!` literal; `%` and `_` stay wildcards.
 * MySQL keeps its default escape `\`, the others use `ESCAPE '!'`.
 */
function escapeLike(dialect: SqlDialectName, pattern: string): string {
  return dialect === 'mysql' ? pattern.replaceAll('\\', '\\\\') : pattern.replaceAll('!', '!!');
}

/** `TRUE`/`FALSE` literals every dialect accepts for boolean columns. */
export const TRUE = sql.raw('TRUE');
export const FALSE = sql.raw('FALSE');

/** A column cast to text, for string comparisons of integer ids. */
export function asText(dialect: SqlDialectName, column: Sql): Sql {
  return dialect === 'mysql' ? sql`CAST(${column} AS CHAR)` : sql`CAST(${column} AS TEXT)`;
}
