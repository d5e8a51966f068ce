/**
 * The JSON shapes shared by the dumps of a tracking store ({@link dumpStore}) and by what MLflow's
 * Python client reads (the interop tests' `dump_via_client.py`): numbers that JSON cannot spell,
 * key/value pairs, datasets, and the searches both readers run.
 */

/** A double as it travels in JSON: finite numbers as themselves, the rest (and -0) as strings. */
export type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity' | '-0';

/** A tag or param as the dumps hold it. */
export interface ScenarioKeyValue {
  key: string;
  value: string;
}

/** A dataset as the dumps hold it (`schema`/`profile` only when non-empty). */
export interface ScenarioDataset {
  name: string;
  digest: string;
  source_type: string;
  source: string;
  schema?: string;
  profile?: string;
}

/** MLflow's view types by name. */
export type ViewTypeName = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

/** A search_runs call; experiments by name. `max_results` is the page size (readers follow tokens). */
export interface RunQuery {
  name: string;
  experiments: string[];
  filter: string;
  order_by: string[];
  view: ViewTypeName;
  max_results: number;
}

/** A search_experiments call; readers follow page tokens. */
export interface ExperimentQuery {
  name: string;
  filter: string;
  order_by: string[];
  view: ViewTypeName;
  max_results: number;
}

/** The searches a dump records. */
export interface Queries {
  runs: RunQuery[];
  experiments: ExperimentQuery[];
}

/** A double for JSON: NaN, ±Infinity and -0 as strings. */
export function encodeNumber(value: number): JsonNumber {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return 'Infinity';
  if (value === -Infinity) return '-Infinity';
  if (Object.is(value, -0)) return '-0'; // JSON.stringify(-0) is "0"
  return value;
}

/** The inverse of {@link encodeNumber}. */
export function decodeNumber(value: JsonNumber): number {
  return typeof value === 'number' ? value : Number(value);
}
