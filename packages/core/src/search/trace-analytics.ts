import { pyFloatRepr } from '../rest/wire-json.js';
import { TRACE_TOKEN_USAGE_METADATA } from './trace-filter.js';

/** The items of `mlflow.trace.tokenUsage` and `mlflow.trace.cost` that MLflow 3.18 keeps as columns, in column order. */
const TOKEN_KEYS = ['input_tokens', 'output_tokens', 'total_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens', 'cache_creation_input_tokens_above_1hr'];
const COST_KEYS = ['input_cost', 'output_cost', 'total_cost'];
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** MLflow's `token_count_or_none`: an integral number inside int64 (given as a number or numeric text), else null. */
function tokenCount(value: unknown): bigint | null {
  if (typeof value === 'boolean' || value === null || value === undefined) return null;
  const text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : typeof value === 'string' ? value.trim() : '';
  const m = /^([-+]?)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const exp = Number(m[4] ?? 0);
  let digits = (m[2] ?? '') + (m[3] ?? '');
  let scale = (m[3] ?? '').length - exp;
  while (scale > 0 && digits.endsWith('0')) {
    digits = digits.slice(0, -1);
    scale--;
  }
  if (scale > 0 || -scale > 40) return null;
  const n = BigInt(digits || '0') * 10n ** BigInt(-scale) * (m[1] === '-' ? -1n : 1n);
  return n < INT64_MIN || n > INT64_MAX ? null : n;
}

/** MLflow's `finite_float_or_none`: a finite double (a number or numeric text), else null. */
function finiteFloat(value: unknown): number | null {
  if (typeof value === 'boolean' || value === null || value === undefined) return null;
  const x = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' && !/^0x/i.test(value.trim()) ? Number(value) : Number.NaN;
  return Number.isFinite(x) ? x : null;
}

function jsonObject(value: string): Record<string, unknown> | undefined {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The non-null columns as `json.dumps` writes them back (MLflow's `compatibility_metadata_from_columns`). */
function dumpColumns(key: string, columns: ReadonlyMap<string, bigint | number>): string {
  const token = key === TRACE_TOKEN_USAGE_METADATA;
  const parts = [...columns].map(([k, v]) => `${JSON.stringify(k)}: ${token ? String(v) : pyFloatRepr(v as number)}`);
  return `{${parts.join(', ')}}`;
}

function columnsOf(key: string, obj: Record<string, unknown>): Map<string, bigint | number> {
  const token = key === TRACE_TOKEN_USAGE_METADATA;
  const columns = new Map<string, bigint | number>();
  for (const k of token ? TOKEN_KEYS : COST_KEYS) {
    if (!Object.hasOwn(obj, k)) continue;
    const v = token ? tokenCount(obj[k]) : finiteFloat(obj[k]);
    if (v !== null) columns.set(k, v);
  }
  return columns;
}

/**
 * A trace's token-usage or cost metadata as MLflow 3.18 holds it (columns, not text): the canonical
 * JSON of its non-null columns, or undefined when none is set.
 */
export function analyticsMetadataValue(key: string, metadataValue: string | undefined): string | undefined {
  if (metadataValue === undefined) return undefined;
  const obj = jsonObject(metadataValue) ?? {};
  const columns = columnsOf(key, obj);
  return columns.size > 0 ? dumpColumns(key, columns) : undefined;
}

/**
 * The filter value of `metadata.\`mlflow.trace.tokenUsage\` = '…'` as MLflow compares it: only a JSON
 * object of known items already in canonical form can match; anything else matches nothing.
 */
export function canonicalAnalyticsFilterValue(key: string, value: string): string | undefined {
  const obj = jsonObject(value);
  const known = key === TRACE_TOKEN_USAGE_METADATA ? TOKEN_KEYS : COST_KEYS;
  if (!obj || !Object.keys(obj).every((k) => known.includes(k))) return undefined;
  const columns = columnsOf(key, obj);
  if (columns.size === 0) return undefined;
  const canonical = dumpColumns(key, columns);
  return canonical === value ? canonical : undefined;
}

/** The columns MLflow 3.18 keeps for `mlflow.trace.tokenUsage` (token counts) and `mlflow.trace.cost` (costs), in column order. */
export const TRACE_ANALYTICS_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  'mlflow.trace.tokenUsage': TOKEN_KEYS,
  'mlflow.trace.cost': COST_KEYS,
};

/**
 * MLflow's `analytics_columns_from_metadata` for one reserved key: the column values its metadata
 * value sets (an item that is not a valid count / finite cost becomes NULL; absent items are left out).
 */
export function analyticsColumnsFromMetadata(key: string, metadataValue: string): Map<string, bigint | number | null> {
  const obj = jsonObject(metadataValue) ?? {};
  const token = key === TRACE_TOKEN_USAGE_METADATA;
  const out = new Map<string, bigint | number | null>();
  for (const k of TRACE_ANALYTICS_COLUMNS[key] ?? []) {
    if (Object.hasOwn(obj, k)) out.set(k, token ? tokenCount(obj[k]) : finiteFloat(obj[k]));
  }
  return out;
}

/**
 * MLflow's `compatibility_metadata_from_columns` for one reserved key: the metadata value rebuilt
 * from the stored columns (`json.dumps` of the non-null ones), or undefined when all are NULL.
 */
export function analyticsMetadataFromColumns(key: string, row: Readonly<Record<string, unknown>>): string | undefined {
  const token = key === TRACE_TOKEN_USAGE_METADATA;
  const columns = new Map<string, bigint | number>();
  for (const k of TRACE_ANALYTICS_COLUMNS[key] ?? []) {
    const v = row[k];
    if (v === null || v === undefined) continue;
    if (token) {
      const n = tokenCount(typeof v === 'bigint' ? v.toString() : v);
      if (n !== null) columns.set(k, n);
    } else {
      columns.set(k, Number(v));
    }
  }
  return columns.size > 0 ? dumpColumns(key, columns) : undefined;
}

/** The column values a canonical filter value ({@link canonicalAnalyticsFilterValue}) stands for. */
export function analyticsFilterColumns(key: string, canonical: string): Map<string, bigint | number> {
  return columnsOf(key, jsonObject(canonical) ?? {});
}
