import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import type { OrderByClause, SearchComparison } from './ast.js';
import {
  checkModelVersionMaxResults,
  checkRegisteredModelMaxResults,
  modelVersionMatches,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  registeredModelMatches,
  registryPromptScope,
  type RegistryFlavour,
} from './registry-filter.js';

/**
 * MLflow 3.18.0's own answers, recorded by fixtures/registry-search-mlflow.py: the same models and
 * versions written into a SQLite registry and a file registry, then every filter, order_by list and
 * max_results of the fixture run through each store's search.
 */
type Outcome = { result: string[] } | { error: [string, string]; eager?: boolean };
interface Fixture {
  models: Record<string, { tags: Record<string, string>; versions: { version: number; run_id: string | null; source: string; tags: Record<string, string> }[] }>;
  times: Record<RegistryFlavour, Record<string, [number, number]>>;
  registered_models: ({ filter: string } & Record<RegistryFlavour, Outcome>)[];
  model_versions: ({ filter: string } & Record<RegistryFlavour, Outcome>)[];
  rm_order_by: ({ order_by: string[] } & Record<RegistryFlavour, Outcome>)[];
  mv_order_by: ({ order_by: string[] } & Record<RegistryFlavour, Outcome>)[];
  max_results: { search: 'rm' | 'mv'; max_results: number | null; flavour: RegistryFlavour; result?: number; error?: [string, string] }[];
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/registry-search-mlflow.json', import.meta.url), 'utf8')) as Fixture;
const FLAVOURS: RegistryFlavour[] = ['SqlStore', 'FileStore'];
const kv = (tags: Record<string, string>) => Object.entries(tags).map(([key, value]) => ({ key, value }));
const models = Object.entries(fixture.models).map(([name, m]) => ({ name, tags: kv(m.tags) }));
const versions = Object.entries(fixture.models).flatMap(([name, m]) => m.versions.map((v) => ({ name, version: v.version, run_id: v.run_id, source: v.source, tags: kv(v.tags) })));
const isPrompt = (tags: readonly { key: string; value: string }[]) => tags.some((t) => t.key === 'mlflow.prompt.is_prompt' && t.value === 'true');

/** Python prints sets in hash order: compare their items sorted. */
function sortSets(message: string): string {
  return message.replace(/\{('[^']*'(?:, '[^']*')*)\}/g, (_, items: string) => `{${items.split(', ').sort().join(', ')}}`);
}
function outcome(fn: () => string[]): Outcome {
  try {
    return { result: fn() };
  } catch (e) {
    if (!isMlflowError(e)) throw e;
    return { error: [e.errorCode, sortSets(e.message)] };
  }
}
function expected(o: Outcome): Outcome {
  if (!('error' in o)) return o;
  // The file store's crash is a Python ValueError; we answer INTERNAL_ERROR with Python's words.
  return { error: [o.error[0], sortSets(o.error[1].replace(/^ValueError: /, ''))] };
}
function scoped<T extends { tags: readonly { key: string; value: string }[] }>(rows: T[], clauses: SearchComparison[], filter: string, flavour: RegistryFlavour, match: (row: T, c: SearchComparison[]) => boolean): T[] {
  const scope = registryPromptScope(clauses, filter, flavour);
  return rows.filter((r) => !(scope.prompts === 'exclude' && isPrompt(r.tags)) && match(r, scope.clauses));
}

describe.each(FLAVOURS)('registry filters against MLflow 3.18 (%s)', (flavour) => {
  it('replays a corpus of at least 150 filters', () => {
    expect(fixture.registered_models.length + fixture.model_versions.length).toBeGreaterThanOrEqual(150);
  });
  it.each(fixture.registered_models.map((c) => [c.filter, c] as const))('registered models: %s', (filter, c) => {
    const got = outcome(() => scoped(models, parseRegisteredModelFilter(filter, flavour), filter, flavour, registeredModelMatches).map((m) => m.name).sort());
    expect(got).toEqual(expected(c[flavour]));
  });
  it.each(fixture.model_versions.map((c) => [c.filter, c] as const))('model versions: %s', (filter, c) => {
    const got = outcome(() => scoped(versions, parseModelVersionFilter(filter, flavour), filter, flavour, modelVersionMatches).map((v) => `${v.name}/${v.version}`).sort());
    expect(got).toEqual(expected(c[flavour]));
  });
});

/** Sorts rows by the parsed ordering, with the fixture's timestamps for the flavour. */
function sortBy(keys: string[], order: OrderByClause[], flavour: RegistryFlavour, attrs: (k: string) => Record<string, string | number>): string[] {
  const t = fixture.times[flavour];
  const value = (k: string, key: string) => {
    if (key === 'creation_timestamp') return (t[k] as [number, number])[0];
    if (key === 'last_updated_timestamp') return (t[k] as [number, number])[1];
    return attrs(k)[key] as string | number;
  };
  return [...keys].sort((a, b) => {
    for (const o of order) {
      const x = value(a, o.key);
      const y = value(b, o.key);
      if (x !== y) return (x < y ? -1 : 1) * (o.ascending ? 1 : -1);
    }
    return 0;
  });
}

describe.each(FLAVOURS)('registry order_by against MLflow 3.18 (%s)', (flavour) => {
  const rmKeys = models.filter((m) => !isPrompt(m.tags)).map((m) => m.name);
  const mvKeys = versions.filter((v) => !isPrompt(v.tags)).map((v) => `${v.name}/${v.version}`);
  it('replays at least 40 order_by lists', () => {
    expect(fixture.rm_order_by.length + fixture.mv_order_by.length).toBeGreaterThanOrEqual(40);
  });
  it.each(fixture.rm_order_by.map((c) => [JSON.stringify(c.order_by), c] as const))('registered models: %s', (_, c) => {
    const got = outcome(() => sortBy(rmKeys, parseRegisteredModelOrderBy(c.order_by, flavour), flavour, (k) => ({ name: k })));
    expect(got).toEqual(expected(c[flavour]));
  });
  it.each(fixture.mv_order_by.map((c) => [JSON.stringify(c.order_by), c] as const))('model versions: %s', (_, c) => {
    const got = outcome(() =>
      sortBy(mvKeys, parseModelVersionOrderBy(c.order_by, flavour), flavour, (k) => ({ name: k.slice(0, k.lastIndexOf('/')), version_number: Number(k.slice(k.lastIndexOf('/') + 1)) })),
    );
    expect(got).toEqual(expected(c[flavour]));
  });
});

describe('registry max_results against MLflow 3.18', () => {
  it.each(fixture.max_results.map((c) => [`${c.search} ${c.max_results} ${c.flavour}`, c] as const))('%s', (_, c) => {
    const check = () => {
      const n = c.max_results ?? undefined;
      return c.search === 'rm' ? checkRegisteredModelMaxResults(n, c.flavour) : checkModelVersionMaxResults(n, c.flavour);
    };
    if (c.error) {
      expect(outcome(() => [String(check())])).toEqual({ error: c.error });
      return;
    }
    const limit = check();
    const total = c.search === 'rm' ? models.filter((m) => !isPrompt(m.tags)).length : versions.filter((v) => !isPrompt(v.tags)).length;
    // MLflow's SQL store queries LIMIT n + 1 and keeps [:n] (SQLite reads a negative LIMIT as none).
    const rows = Array.from({ length: total }, (_, i) => i);
    const fetched = limit + 1 < 0 ? rows : rows.slice(0, limit + 1);
    expect(fetched.slice(0, limit).length).toBe(c.result);
  });
});

describe('registry clauses', () => {
  it.each([
    ["name = 'a' AND tags.`x y` LIKE 'b%'", 'SqlStore', [{ type: 'attribute', key: 'name', comparator: '=', value: 'a' }, { type: 'tag', key: 'x y', comparator: 'LIKE', value: 'b%' }]],
    ["name in ('a', \"b\")", 'FileStore', [{ type: 'attribute', key: 'name', comparator: 'IN', value: ['a', 'b'] }]],
  ] as const)('%s (%s)', (filter, flavour, clauses) => {
    expect(parseRegisteredModelFilter(filter, flavour)).toEqual(clauses);
  });
  it.each([
    ["version_number >= '2' AND source_path ILIKE 's3%'", 'SqlStore', [{ type: 'attribute', key: 'version_number', comparator: '>=', value: 2 }, { type: 'attribute', key: 'source_path', comparator: 'ILIKE', value: 's3%' }]],
    ['version_number = 2.9', 'FileStore', [{ type: 'attribute', key: 'version_number', comparator: '=', value: 2 }]],
  ] as const)('%s (%s)', (filter, flavour, clauses) => {
    expect(parseModelVersionFilter(filter, flavour)).toEqual(clauses);
  });
  it('documents each prompt scope', () => {
    const only = parseRegisteredModelFilter("tags.`mlflow.prompt.is_prompt` != 'FALSE'", 'SqlStore');
    expect(registryPromptScope(only, undefined, 'SqlStore').prompts).toBe('only');
    const dropped = parseRegisteredModelFilter("tags.`mlflow.prompt.is_prompt` LIKE 't%' AND name = 'a'", 'SqlStore');
    expect(registryPromptScope(dropped, undefined, 'SqlStore')).toEqual({ clauses: [dropped[1]], prompts: 'exclude' });
    expect(registryPromptScope([], "name = 'mlflow.prompt.is_prompt'", 'FileStore').prompts).toBe('as-filtered');
  });
});
