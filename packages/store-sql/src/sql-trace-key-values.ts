import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './db-types.js';
import { loadInChunks } from './sql-context.js';
import type { TraceInfoRow } from './sql-traces.js';
import type { SqlDialectName } from './sql-uri.js';

/** Tags or metadata of each trace, keys in order (null-prototype objects: any key is data). */
export type KeyValues = Map<string, Record<string, string | null>>;

/**
 * SQLite's BINARY order of two keys (their UTF-8 bytes, i.e. code points), what `ORDER BY key`
 * returns: UTF-16 code units order the same except surrogates, which stand for code points above
 * every other unit's.
 */
export function compareKeys(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}
const SURROGATE = /[\ud800-\udfff]/;
const codePointRank = (unit: number) => (unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit);

/** UTF-16 order of the pairs' keys: SQLite's order while no key holds a surrogate. */
const byUnits = (a: KeyValuePair, b: KeyValuePair) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
const byCodePoints = (a: KeyValuePair, b: KeyValuePair) => compareKeys(a[0], b[0]);
type KeyValuePair = [string, string | null];

/** `json_group_array(json_array(key, value))` of one trace's rows ({@link KEY_VALUE_PAIRS}). */
const keyValuePairs = (alias: string) =>
  sql`json_group_array(json_array(${sql.ref(`${alias}.key`)}, CAST(${sql.ref(`${alias}.value`)} AS TEXT)))`;

/**
 * A trace's `[key, value]` pairs as JSON (`json_group_array(json_array(key, value))`) as a
 * null-prototype object with the keys in `ORDER BY key` order. Pairs, not `json_group_object`:
 * SQLite's json_group_object cuts an object key at a NUL, which MLflow keeps in a key as any
 * other character (hex-encoding the keys instead cost a search page ~0.6 ms). Sorting the ten-odd
 * keys of a trace here is cheaper than SQLite's sorter per group.
 */
export function keyValuesFromJson(text: string | KeyValuePair[] | null | undefined): Record<string, string | null> {
  const out = Object.create(null) as Record<string, string | null>;
  if (!text) return out;
  // PostgreSQL's driver hands `json` over parsed, and `json_agg(… ORDER BY key)` sorted by the column's collation.
  if (Array.isArray(text)) {
    for (const [key, value] of text) out[key] = value ?? null;
    return out;
  }
  const pairs = JSON.parse(text) as KeyValuePair[];
  pairs.sort(pairs.some((p) => SURROGATE.test(p[0])) ? byCodePoints : byUnits);
  for (const [key, value] of pairs) out[key] = value ?? null;
  return out;
}

/** PostgreSQL: `json_agg(json_build_array(key, value) ORDER BY key)` of one trace's rows. */
const pgKeyValuePairs = (alias: string) => sql`json_agg(json_build_array(${sql.ref(`${alias}.key`)}, ${sql.ref(`${alias}.value`)}) ORDER BY ${sql.ref(`${alias}.key`)})`;

/**
 * SQLite and PostgreSQL: the tags and the metadata of the `trace_info ti` row as two JSON arrays of
 * pairs (`tags_kv`, `metadata_kv`), selected with a page query so that its rows need no second and
 * third statement (PostgreSQL evaluates them after the sort and limit, for the page's rows only).
 * Undefined for MySQL/MariaDB, whose pages load them with two more statements.
 */
export function keyValueColumns(dialect: SqlDialectName): RawBuilder<unknown> | undefined {
  const pairs = dialect === 'sqlite' ? keyValuePairs : dialect === 'postgresql' ? pgKeyValuePairs : undefined;
  if (!pairs) return undefined;
  return sql`(SELECT ${pairs('t')} FROM trace_tags t WHERE t.request_id = ti.request_id) AS tags_kv, (SELECT ${pairs('m')} FROM trace_request_metadata m WHERE m.request_id = ti.request_id) AS metadata_kv`;
}

/** Page rows that carry {@link keyValueColumns}. */
export type TraceInfoRowWithKeyValues = TraceInfoRow & { tags_kv: string | KeyValuePair[] | null; metadata_kv: string | KeyValuePair[] | null };

/** The tags and metadata a page query selected with its rows ({@link keyValueColumns}). */
export function keyValuesOfRows(rows: readonly TraceInfoRowWithKeyValues[]): { tags: KeyValues; metadata: KeyValues } {
  const tags: KeyValues = new Map();
  const metadata: KeyValues = new Map();
  for (const r of rows) {
    tags.set(r.request_id, keyValuesFromJson(r.tags_kv));
    metadata.set(r.request_id, keyValuesFromJson(r.metadata_kv));
  }
  return { tags, metadata };
}

/**
 * The key/value rows of `ids` in one statement per chunk. On SQLite, one JSON array of pairs per
 * trace (keys sorted here): ten times fewer rows for the driver to materialise, the
 * costliest step of a search page. Elsewhere the rows, grouped here.
 */
export async function loadKeyValues(db: Kysely<Database>, dialect: SqlDialectName, table: 'trace_tags' | 'trace_request_metadata', ids: readonly string[]): Promise<KeyValues> {
  const out: KeyValues = new Map();
  if (dialect === 'sqlite') {
    const rows = await loadInChunks(ids, async (c) => {
      const query = sql<{ request_id: string; kv: string }>`SELECT kv.request_id, ${keyValuePairs('kv')} AS kv FROM ${sql.table(table)} kv WHERE kv.request_id IN (${sql.join(c)}) GROUP BY kv.request_id`;
      return (await query.execute(db)).rows;
    });
    for (const r of rows) out.set(r.request_id, keyValuesFromJson(r.kv));
    return out;
  }
  const rows = await loadInChunks(ids, (c) => db.selectFrom(table).select(['request_id', 'key', 'value']).where('request_id', 'in', c).orderBy('key').execute());
  for (const r of rows) {
    let values = out.get(r.request_id);
    if (!values) out.set(r.request_id, (values = Object.create(null) as Record<string, string | null>));
    values[r.key] = r.value;
  }
  return out;
}
