/**
 * A seeded generator of search filters for the fuzzed-filter attack: clauses built from MLflow's
 * grammar (entities, keys, comparators, values — valid and not), then mutated (random atoms,
 * unbalanced quotes, huge numbers, NaN, Unicode, backticks, SQL fragments, very long identifiers).
 *
 * Ids differ between stores, so a filter names a seeded run, experiment or model by placeholder
 * (`§run:run-2§`); {@link substituteIds} puts each store's own id in before the filter is sent.
 */
import type { SeededIds } from './search-seed.js';

/** A small, fast, seeded PRNG (mulberry32); every CI run generates the same corpus. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type Rand = () => number;
export const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

/** Number literals: plain, fractional, beyond int64 and double, exponents, leading zeros, -0. */
export const NUMBERS = [
  '0', '1', '-1', '2', '1000', '1500', '2000', '2500', '5000', '5001', '99999', '0.5', '-1.5', '1.5', '2.5', '3', '7', '1e300', '-0', '.5', '5.',
  '1e-400', '1e400', '-1e400', '1e999', '1E3', '2e3', '99999999999999999999', '-99999999999999999999', '9223372036854775807', '9223372036854775808',
  '-9223372036854775808', '-9223372036854775809', '9007199254740992', '9007199254740993', '9007199254740991.5', '1999.5', '000123', '1.7976931348623157e308',
  '2147483648', '4294967296', '1' + '0'.repeat(400), '0.' + '0'.repeat(300) + '1',
];

/** Quoted string values (the quotes are part of the text): seed values, LIKE patterns, SQL and escapes. */
export const STRINGS = [
  "'apple'", "'Apple'", "'a%'", "'%a%'", "'a_b'", "'a\\_b'", "'%'", "'_'", "''", "'it''s'", "'it\\'s'", '"apple"', "'Red'", "'red'", "'r%d'", "'R%'",
  "'日本'", "'🐂'", "'%🐂%'", "'back\\\\slash'", "'back\\slash'", "'; DROP TABLE runs; --'", "''' OR ''1''=''1'", "'\\' OR 1=1 -- '", "'$$ OR 1=1 $$'",
  "'FINISHED'", "'RUNNING'", "'alice'", "'o''neil'", "'ds1'", "'abc'", "'train'", "'READY'", "'LOGGED_MODEL_READY'", "'PENDING'", "'sklearn'",
  "'model-a'", "'model-%'", "'fz-alpha'", "'fz-%'", "'core'", "'edge'", "'Edge'", "'!'", "'a!%'", "'[a]%'", "'\\%'", `'${'x'.repeat(500)}'`,
  `'${'x'.repeat(5000)}'`, "'0.1'", "'0.1'' OR 1=1'", "'é'", "'\u200b'", "'\t'", "' '", "'delta'", "'kiwi'", "'dash'", "'%'' --'",
];

const RUN_KEYS = [
  'metrics.m', 'metric.m', 'metrics.acc', 'metrics.`my metric`', 'metrics."my metric"', 'metrics.nope', '`metrics`.m', 'params.p', 'param.p', 'parameters.o',
  'params.o', 'params.nope', 'tags.t', 'tag.k', 'tags.`a-b`', 'tags."a-b"', 'tags.mlflow.runName', 'tags.nope', 'attributes.start_time', 'attributes.end_time',
  'attributes.created', 'attributes.Created', 'start_time', 'end_time', 'attributes.status', 'status', 'attributes.user_id', 'attr.user_id', 'run.user_id',
  'attributes.run_name', 'run_name', 'attributes.`Run name`', 'attributes.run_id', 'datasets.name', 'dataset.digest', 'datasets.context',
];
const EXPERIMENT_KEYS = ['name', 'attribute.name', 'attributes.name', 'creation_time', 'last_update_time', 'experiment_id', 'tags.team', 'tag.team', 'tags.nope', 'tags.`team`'];
const MODEL_KEYS = [
  'name', 'attributes.name', 'status', 'model_type', 'model_id', 'source_run_id', 'creation_timestamp', 'creation_timestamp_ms', 'creation_time',
  'last_updated_timestamp', 'last_updated_timestamp_ms', 'metrics.acc', 'metrics.nope', 'params.lr', 'params.nope', 'tags.stage', 'tags.`stage`', 'experiment_id',
];
/** Keys no store knows (bad entities, bad attributes, SQL in identifiers, very long names). */
const BAD_KEYS = [
  'foo.bar', 'attributes.lifecycle_stage', 'attributes.experiment_id', 'metrics.', '`bogus`.m', 'metrics.`x` OR 1=1', "tags.\"x' OR '1'='1\"", "tags.`x' OR '1'='1`",
  'params.`; DROP TABLE runs; --`', 'tags."a""b"', 'tags.`a``b`', `metrics.${'k'.repeat(300)}`, `tags.\`${'y'.repeat(2000)}\``, 'metrics.`日本`', 'tags.🐂',
  'runs.run_uuid', 'r.run_uuid', 'lm.value', '1', 'NULL', 'metrics.m.n.o', 'metrics.`m', 'tags."t', 'metrics.m)', '(metrics.m',
];
const COMPARATORS = ['=', '!=', '<', '<=', '>', '>=', 'LIKE', 'ILIKE', 'like', 'ilike', 'IN', 'NOT IN', 'in', 'IS NULL', 'IS NOT NULL', 'is not null'];
const BAD_COMPARATORS = ['==', '<>', '~', 'BETWEEN', 'NOT LIKE', 'IS', 'IS NOT', '=>', '=<', '!', 'REGEXP', 'GLOB', '||', '@@'];
const JUNK_VALUES = ['NaN', 'nan', 'Infinity', '-Infinity', 'inf', 'NULL', 'TRUE', 'x', '`x`', '(SELECT 1)', '1; SELECT 1', '0x10', '1_000', '--1', '+1', '1e', '1.2.3', '$1', '?', ':x', '@x'];
/** Single atoms the mutator inserts or overwrites with. */
const ATOMS = [
  ' ', "'", '"', '`', '(', ')', ',', '.', '=', '!=', '<', '>', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'IS', 'NULL', '-', 'e', '%', '_', '\\', ';', '--', '/*', '*/',
  '\n', '\t', '\u00a0', '\u2028', '\u0000', '\ud800', 'é', '🐂', '日本', '’', '‘', '“', '”', 'ʼ', '＇', '$$', "' OR '1'='1", 'UNION SELECT', '; DROP TABLE runs', 'metrics',
  'params', 'tags', 'attributes', '99999999999999999999', '1e400', 'NaN', 'x'.repeat(1000),
];

/** A filter with placeholders; `differential` when it can be compared across stores (no artifact URIs, no raw id text). */
export interface GeneratedFilter {
  text: string;
  differential: boolean;
}

type Kind = 'runs' | 'experiments' | 'models';

function placeholder(rand: Rand, kind: Kind): string {
  if (kind === 'experiments') return `'§exp:${pick(rand, ['fz-alpha', 'fz-beta'])}§'`;
  if (kind === 'models') return `'§model:${pick(rand, ['model-a', 'model-b', 'model-c'])}§'`;
  return `'§run:run-${Math.floor(rand() * 9)}§'`;
}

function value(rand: Rand, kind: Kind, key: string, comparator: string): string {
  const r = rand();
  const idKey = /(^|\.)(run_id|experiment_id|model_id|source_run_id)$/.test(key);
  if (comparator.toUpperCase().includes('IN') && !comparator.toUpperCase().includes('LIKE')) {
    const n = 1 + Math.floor(rand() * 3);
    const items = Array.from({ length: n }, () => (idKey && rand() < 0.7 ? placeholder(rand, key === 'source_run_id' ? 'runs' : kind) : rand() < 0.8 ? pick(rand, STRINGS) : pick(rand, NUMBERS)));
    return rand() < 0.9 ? `(${items.join(', ')})` : pick(rand, ['()', `(${items.join(' ')})`, items.join(', '), `(${items.join(', ')},)`]);
  }
  if (idKey && r < 0.6) return placeholder(rand, key === 'source_run_id' ? 'runs' : kind);
  if (r < 0.45) return pick(rand, NUMBERS);
  if (r < 0.9) return pick(rand, STRINGS);
  return pick(rand, JUNK_VALUES);
}

type KeyType = 'number' | 'integer' | 'string' | 'keyvalue' | 'id';

/** Well-typed keys of each search, with the comparators and values their type takes. */
const TYPED_KEYS: Record<Kind, [string, KeyType][]> = {
  runs: [
    ['metrics.m', 'number'], ['metrics.acc', 'number'], ['metrics.`my metric`', 'number'], ['metrics.nope', 'number'], ['attributes.start_time', 'number'],
    ['attributes.end_time', 'number'], ['attributes.created', 'number'], ['start_time', 'number'], ['params.p', 'keyvalue'], ['params.o', 'keyvalue'],
    ['params.nope', 'keyvalue'], ['tags.t', 'keyvalue'], ['tags.k', 'keyvalue'], ['tags.`a-b`', 'keyvalue'], ['tags.mlflow.runName', 'keyvalue'],
    ['attributes.status', 'string'], ['attributes.user_id', 'string'], ['attributes.run_name', 'string'], ['run_name', 'string'], ['attributes.run_id', 'id'],
    ['datasets.name', 'string'], ['datasets.digest', 'string'], ['datasets.context', 'string'],
  ],
  experiments: [
    ['name', 'string'], ['attributes.name', 'string'], ['creation_time', 'integer'], ['last_update_time', 'integer'], ['experiment_id', 'id'],
    ['tags.team', 'keyvalue'], ['tags.nope', 'keyvalue'],
  ],
  models: [
    ['name', 'string'], ['status', 'string'], ['model_type', 'string'], ['model_id', 'id'], ['source_run_id', 'id'], ['creation_timestamp_ms', 'number'],
    ['creation_time', 'number'], ['last_updated_timestamp', 'number'], ['metrics.acc', 'number'], ['metrics.nope', 'number'], ['params.lr', 'string'],
    ['tags.stage', 'string'],
  ],
};
const TYPED_COMPARATORS: Record<KeyType, string[]> = {
  number: ['=', '!=', '<', '<=', '>', '>='],
  integer: ['=', '!=', '<', '<=', '>', '>='],
  string: ['=', '!=', 'LIKE', 'ILIKE', 'IN', 'NOT IN'],
  keyvalue: ['=', '!=', 'LIKE', 'ILIKE', 'IS NULL', 'IS NOT NULL'],
  id: ['=', '!=', 'IN', 'NOT IN'],
};
const INTEGERS = NUMBERS.filter((n) => /^-?\d+$/.test(n));

function typedValue(rand: Rand, kind: Kind, key: string, type: KeyType, comparator: string): string {
  const one = (): string => {
    if (type === 'number') return pick(rand, NUMBERS);
    if (type === 'integer') return pick(rand, INTEGERS);
    if (type === 'id') return placeholder(rand, key === 'source_run_id' ? 'runs' : kind);
    return pick(rand, STRINGS);
  };
  if (comparator === 'IN' || comparator === 'NOT IN') return `(${Array.from({ length: 1 + Math.floor(rand() * 3) }, one).join(', ')})`;
  return one();
}

/** A clause whose key, comparator and value agree (it may still be refused: a float for an experiment time). */
function typedClause(rand: Rand, kind: Kind): string {
  const [key, type] = pick(rand, TYPED_KEYS[kind]);
  const comparator = pick(rand, type === 'string' && kind === 'runs' && !key.startsWith('datasets') ? ['=', '!=', 'LIKE', 'ILIKE'] : TYPED_COMPARATORS[type]);
  if (comparator.endsWith('NULL')) return `${key} ${comparator}`;
  return `${key} ${comparator} ${typedValue(rand, kind, key, type, comparator)}`;
}

/** A clause: mostly well-typed, otherwise anything from the pools. */
function clause(rand: Rand, kind: Kind): string {
  if (rand() < 0.75) return typedClause(rand, kind);
  const keys = kind === 'runs' ? RUN_KEYS : kind === 'experiments' ? EXPERIMENT_KEYS : MODEL_KEYS;
  const key = rand() < 0.8 ? pick(rand, keys) : pick(rand, BAD_KEYS);
  const comparator = rand() < 0.9 ? pick(rand, COMPARATORS) : pick(rand, BAD_COMPARATORS);
  if (/NULL$/i.test(comparator)) return `${key} ${comparator}`;
  return `${key} ${comparator} ${value(rand, kind, key, comparator)}`;
}

/** A grammar-built filter of 1–3 clauses, sometimes joined with OR or lower-case `and`. */
function grammarFilter(rand: Rand, kind: Kind): string {
  const n = 1 + Math.floor(rand() * 3);
  const parts = Array.from({ length: n }, () => clause(rand, kind));
  return parts.reduce((acc, p) => `${acc} ${rand() < 0.9 ? 'AND' : pick(rand, ['and', 'OR', '', 'AND AND', ','])} ${p}`);
}

function mutate(rand: Rand, input: string): string {
  let s = input;
  const edits = 1 + Math.floor(rand() * 3);
  for (let i = 0; i < edits; i++) {
    const pos = Math.floor(rand() * (s.length + 1));
    const atom = pick(rand, ATOMS);
    const r = rand();
    if (r < 0.4) s = s.slice(0, pos) + atom + s.slice(pos);
    else if (r < 0.65) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rand() * 4));
    else if (r < 0.85) s = s.slice(0, pos) + atom + s.slice(pos + atom.length);
    else s = s.slice(0, pos);
  }
  return s;
}

/**
 * True when every store must select the same rows for the text: ids differ between stores, so an id
 * compared by pattern (`run_id LIKE '%a%'`) or an artifact URI (which holds ids) is store-specific;
 * an id compared by equality or IN names either a placeholder's row or no row, alike everywhere.
 */
function comparable(text: string): boolean {
  return !/artifact_uri/i.test(text) && !/(run_id|experiment_id|model_id|source_run_id)[`"]?\s*(I?LIKE)/i.test(text);
}

/** A seeded stream of filters for one search kind: 30% one well-typed clause, 30% grammar-built, 30% mutated, 10% random atoms. */
export function filterStream(seed: number, kind: Kind): () => GeneratedFilter {
  const rand = prng(seed);
  return () => {
    const r = rand();
    let text: string;
    if (r < 0.3) text = typedClause(rand, kind);
    else if (r < 0.6) text = grammarFilter(rand, kind);
    else if (r < 0.9) text = mutate(rand, grammarFilter(rand, kind));
    else text = Array.from({ length: Math.floor(rand() * 10) }, () => pick(rand, ATOMS)).join(rand() < 0.5 ? ' ' : '');
    return { text, differential: comparable(text) };
  };
}

/** `text` with each intact placeholder replaced by the store's id (broken ones stay as they are, alike everywhere). */
export function substituteIds(text: string, ids: SeededIds): string {
  return text.replace(/§(run|exp|model):([^§']*)§/g, (whole, kind: string, name: string) => {
    const table = kind === 'run' ? ids.runs : kind === 'exp' ? ids.experiments : ids.models;
    return table[name] ?? whole;
  });
}
