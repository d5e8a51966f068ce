/**
 * Fuzzed search requests for the three search RPCs: a filter from the generator plus fuzzed
 * experiment ids, view types, max_results, order_by and page tokens. Each request is generated once
 * (deterministic) and then written for a store: the server's JSON body with the server's ids, and
 * the same search as a call on another store with that store's ids, for the differential check.
 */
import type { AbstractStore, LoggedModelOrderBy, ViewType } from '@mlstore/core';
import { filterStream, pick, prng, substituteIds, type Rand } from './filter-generator.js';
import type { SeededIds } from './search-seed.js';

export type SearchKind = 'runs' | 'experiments' | 'models';

export const SEARCH_PATHS: Record<SearchKind, string> = {
  runs: '/api/2.0/mlflow/runs/search',
  experiments: '/api/2.0/mlflow/experiments/search',
  models: '/api/2.0/mlflow/logged-models/search',
};

const b64 = (s: string) => Buffer.from(s).toString('base64');
const PAGE_TOKENS: unknown[] = [
  b64('{"offset": 1}'), b64('{"offset": 3}'), b64('{"offset": -1}'), b64('{"offset": 1e20}'), b64('{"offset": 99999999999999999999}'),
  b64('{"offset": 9007199254740993}'), b64('{"offset": 2147483648}'), b64('{"offset": "1"}'), b64('{"offset": 1.5}'), b64('{"offset": null}'),
  b64('null'), b64('[]'), b64('{}'), b64('{"offset": 1, "x": "\'; DROP TABLE runs; --"}'), 'garbage!!', '%00', 'A'.repeat(10_000), b64("'; DROP TABLE runs; --"),
  b64('{"offset": NaN}'), b64('{"offset": Infinity}'), '====', '\u0000', 5, { offset: 1 },
];
const MAX_RESULTS: unknown[] = [0, -1, 1, 2, 50_000, 50_001, 1e12, 1.5, '10', null, 'x', 2 ** 53, -(2 ** 63)];
const VIEW_TYPES: unknown[] = ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL', 'NOPE', 'active_only', 2, ''];
const ORDER_KEYS: Record<SearchKind, string[]> = {
  runs: ['metrics.m', 'metrics.acc', 'metrics.`my metric`', 'params.p', 'params.o', 'tags.t', 'tags.k', 'attributes.start_time', 'start_time', 'end_time', 'attributes.run_name', 'status', 'user_id', 'created', 'run_id', 'artifact_uri', 'datasets.name', 'foo.bar', 'metrics.`m', "tags.`x' OR '1'='1`", 'metrics.m; DROP TABLE runs', `params.${'q'.repeat(500)}`],
  experiments: ['name', 'experiment_id', 'creation_time', 'last_update_time', 'attributes.name', 'tags.team', 'lifecycle_stage', 'name; DROP TABLE experiments', '`name`'],
  models: ['name', 'model_id', 'status', 'model_type', 'source_run_id', 'creation_timestamp', 'creation_time', 'last_updated_timestamp_ms', 'experiment_id', 'metrics.acc', 'metrics.nope', 'bogus', "name'; --", ''],
};
const DIRECTIONS = ['', ' ASC', ' DESC', ' asc', ' desc', ' DESCENDING', ' ASC DESC', ', name', ' NULLS FIRST', ' --'];

/** One generated search, before ids are substituted. */
export interface FuzzedSearch {
  kind: SearchKind;
  /** The body with placeholders (`§run:run-1§`, `§exp:fz-alpha§`, `§model:model-a§`). */
  template: Record<string, unknown>;
  /** True when every store must agree on this search's outcome and selected names. */
  differential: boolean;
}

function orderBy(rand: Rand, kind: SearchKind): unknown {
  const n = 1 + Math.floor(rand() * 2);
  if (kind === 'models') {
    if (rand() < 0.1) return pick(rand, ['name', [1], [{}], [null], { field_name: 'name' }]);
    return Array.from({ length: n }, () => {
      const o: Record<string, unknown> = { field_name: pick(rand, ORDER_KEYS.models) };
      if (rand() < 0.7) o['ascending'] = rand() < 0.9 ? rand() < 0.5 : pick(rand, ['yes', 1, null]);
      if (rand() < 0.2) o['dataset_name'] = pick(rand, ['ds1', 'nope', "'; --", 5]);
      if (rand() < 0.1) o['dataset_digest'] = pick(rand, ['abc', '']);
      return o;
    });
  }
  if (rand() < 0.1) return pick(rand, ['metrics.m', [1, 2], [null], {}, [['name']]]);
  return Array.from({ length: n }, () => pick(rand, ORDER_KEYS[kind]) + pick(rand, DIRECTIONS));
}

function experimentIds(rand: Rand): { value: unknown; valid: boolean } {
  if (rand() < 0.9) return { value: ['§exp:fz-alpha§', '§exp:fz-beta§'], valid: true };
  return { value: pick(rand, [['abc'], [], ['99999999999999999999'], ['§exp:fz-alpha§', '-1'], [123], 'x', [null], ['1 OR 1=1'], ["0'; DROP TABLE runs; --"]]), valid: false };
}

/** True when order_by passes the server's schema (strings, or objects with string/boolean fields), so every store parses it alike. */
function wellTyped(order: unknown): boolean {
  if (order === undefined) return true;
  if (!Array.isArray(order)) return false;
  return order.every((o: unknown) => {
    if (typeof o === 'string') return true;
    if (typeof o !== 'object' || o === null || Array.isArray(o)) return false;
    const r = o as Record<string, unknown>;
    const optional = (v: unknown, type: string) => v === undefined || typeof v === type;
    return typeof r['field_name'] === 'string' && optional(r['ascending'], 'boolean') && optional(r['dataset_name'], 'string') && optional(r['dataset_digest'], 'string');
  });
}

/** `count` fuzzed searches of `kind`, the same for every run with the same seed. */
export function fuzzedSearches(seed: number, kind: SearchKind, count: number): FuzzedSearch[] {
  const rand = prng(seed);
  const nextFilter = filterStream(seed ^ 0x5bd1e995, kind);
  const out: FuzzedSearch[] = [];
  for (let i = 0; i < count; i++) {
    const filter = nextFilter();
    const template: Record<string, unknown> = {};
    let differential = filter.differential;
    if (rand() < 0.97) template['filter'] = filter.text;
    else {
      template['filter'] = pick(rand, [5, null, ['x'], { f: 1 }, true]);
      differential = false;
    }
    if (kind !== 'experiments') {
      const ids = experimentIds(rand);
      template['experiment_ids'] = ids.value;
      differential &&= ids.valid;
    }
    const viewKey = kind === 'runs' ? 'run_view_type' : 'view_type';
    if (kind !== 'models' && rand() < 0.5) {
      const view = rand() < 0.85 ? pick(rand, ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL']) : pick(rand, VIEW_TYPES);
      template[viewKey] = view;
      differential &&= typeof view === 'string' && ['ACTIVE_ONLY', 'DELETED_ONLY', 'ALL'].includes(view);
    }
    if (kind === 'models' && rand() < 0.2) {
      template['datasets'] = pick(rand, [[{ dataset_name: 'ds1' }], [{ dataset_name: 'ds1', dataset_digest: 'abc' }], [{ dataset_name: 'nope' }], [{}], [{ dataset_name: "'; --" }], 'ds1', [null]]);
      differential &&= Array.isArray(template['datasets']) && typeof (template['datasets'] as { dataset_name?: unknown }[])[0]?.dataset_name === 'string';
    }
    if (rand() < 0.15) {
      template['max_results'] = pick(rand, MAX_RESULTS);
      differential = false;
    } else {
      template['max_results'] = 1000;
    }
    if (rand() < 0.35) template['order_by'] = orderBy(rand, kind);
    differential &&= wellTyped(template['order_by']);
    if (rand() < 0.15) {
      template['page_token'] = pick(rand, PAGE_TOKENS);
      differential = false;
    }
    out.push({ kind, template, differential });
  }
  return out;
}

/** The request body with `ids` in place of the placeholders. */
export function bodyFor(search: FuzzedSearch, ids: SeededIds): Record<string, unknown> {
  return JSON.parse(JSON.stringify(search.template, (_, v: unknown) => (typeof v === 'string' ? substituteIds(v, ids) : v))) as Record<string, unknown>;
}

/** Names of what the search selects on `store` (a differential search only: well-typed fields, first page of up to 1000). */
export async function namesOn(store: AbstractStore, search: FuzzedSearch, ids: SeededIds): Promise<string[]> {
  const b = bodyFor(search, ids);
  const filterString = b['filter'] as string;
  if (search.kind === 'runs') {
    const page = await store.searchRuns({
      experimentIds: b['experiment_ids'] as string[],
      filterString,
      runViewType: (b['run_view_type'] as ViewType | undefined) ?? 'ACTIVE_ONLY',
      maxResults: 1000,
      orderBy: b['order_by'] as string[] | undefined,
    });
    return page.items.map((r) => r.info.run_name ?? '?').sort();
  }
  if (search.kind === 'experiments') {
    const page = await store.searchExperiments({ filterString, viewType: (b['view_type'] as ViewType | undefined) ?? 'ACTIVE_ONLY', maxResults: 1000, orderBy: b['order_by'] as string[] | undefined });
    return page.items.map((e) => e.name).sort();
  }
  const page = await store.searchLoggedModels({
    experimentIds: b['experiment_ids'] as string[],
    filterString: filterString || undefined,
    datasets: (b['datasets'] as { dataset_name: string }[] | undefined) ?? [],
    maxResults: 1000,
    orderBy: (b['order_by'] as LoggedModelOrderBy[] | undefined) ?? [],
  });
  return page.items.map((m) => m.info.name).sort();
}

/** Names in a 200 answer of the server. */
export function namesIn(kind: SearchKind, body: unknown): string[] {
  const b = (body ?? {}) as { runs?: { info: { run_name?: string } }[]; experiments?: { name: string }[]; models?: { info: { name: string } }[] };
  if (kind === 'runs') return (b.runs ?? []).map((r) => r.info.run_name ?? '?').sort();
  if (kind === 'experiments') return (b.experiments ?? []).map((e) => e.name).sort();
  return (b.models ?? []).map((m) => m.info.name).sort();
}
