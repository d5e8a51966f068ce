import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Run } from '../entities.js';
import { isMlflowError } from '../errors.js';
import { experimentMatches, loggedModelMatches, runMatches } from './evaluate.js';
import { INT64_MAX, INT64_MIN, finiteDouble, integerComparison, type NumericComparator } from './integer-comparison.js';
import { parseExperimentFilter, parseLoggedModelFilter, parseRunFilter } from './search-filters.js';

const OPS: NumericComparator[] = ['=', '!=', '<', '<=', '>', '>='];
const TWO_53 = 2n ** 53n;

/** The sign of v − x, computed exactly (the oracle: no rewrite, only the definition of the numbers). */
function sign(v: bigint, x: bigint | number): number {
  if (typeof x === 'bigint') return v < x ? -1 : v > x ? 1 : 0;
  if (x === Infinity) return -1;
  if (x === -Infinity) return 1;
  if (Number.isInteger(x)) return sign(v, BigInt(x));
  // A fractional double lies within ±2^52, so beyond ±2^53 the sign is v's; within, both are exact doubles.
  if (v > TWO_53) return 1;
  if (v < -TWO_53) return -1;
  return Number(v) < x ? -1 : 1;
}

function holds(op: NumericComparator, s: number): boolean {
  return { '=': s === 0, '!=': s !== 0, '<': s < 0, '<=': s <= 0, '>': s > 0, '>=': s >= 0 }[op];
}

const int64 = fc.bigInt({ min: INT64_MIN, max: INT64_MAX });
const edges = fc.constantFrom(INT64_MIN, INT64_MIN + 1n, -TWO_53 - 1n, -TWO_53, -1n, 0n, 1n, TWO_53, TWO_53 + 1n, INT64_MAX - 1n, INT64_MAX);
const value = fc.oneof(int64, edges);
const literal = fc.oneof(
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }),
  edges,
  fc.constantFrom(INT64_MAX + 1n, INT64_MIN - 1n, 10n ** 20n, -(10n ** 20n)),
  fc.double({ noNaN: true }),
  fc.constantFrom(1.5, -1.5, 0.5, -0.5, 1e30, -1e30, 2 ** 63, -(2 ** 63), 9007199254740991.5, Infinity, -Infinity, -0),
);

describe('integerComparison', () => {
  it('selects exactly the int64 values the original comparison selects, with a bound inside int64', () => {
    fc.assert(
      fc.property(value, literal, fc.constantFrom(...OPS), (v, x, op) => {
        const rewritten = integerComparison(op, x);
        const bound = BigInt(rewritten.value);
        expect(bound >= INT64_MIN && bound <= INT64_MAX).toBe(true);
        // A number bound is always exact; beyond 2^53 it is a bigint.
        if (typeof rewritten.value === 'number') expect(Number.isSafeInteger(rewritten.value)).toBe(true);
        expect(holds(rewritten.comparator, sign(v, bound))).toBe(holds(op, sign(v, x)));
      }),
      { numRuns: 20_000, seed: 4242 },
    );
  });

  it.each<[NumericComparator, bigint | number, NumericComparator, number | bigint]>([
    ['=', 1.5, '<', INT64_MIN],
    ['!=', 1.5, '>=', INT64_MIN],
    ['>', 1.5, '>', 1],
    ['>=', 1.5, '>=', 2],
    ['<', 1.5, '<', 2],
    ['<=', 1.5, '<=', 1],
    ['>', 10n ** 20n, '<', INT64_MIN],
    ['<', 10n ** 20n, '>=', INT64_MIN],
    ['=', 9007199254740993n, '=', 9007199254740993n],
    ['<=', 2000, '<=', 2000],
    ['<', Infinity, '>=', INT64_MIN],
  ])('%s %s → %s %s', (op, x, expectedOp, expectedValue) => {
    expect(integerComparison(op, x)).toEqual({ comparator: expectedOp, value: expectedValue });
  });

  it('finiteDouble clamps only the infinities', () => {
    expect([finiteDouble(Infinity), finiteDouble(-Infinity), finiteDouble(1.5)]).toEqual([Number.MAX_VALUE, -Number.MAX_VALUE, 1.5]);
  });
});

describe('numeric literals in filters', () => {
  const run = (start: number, end?: number, m?: number): Run => ({
    info: { run_id: 'r', run_uuid: 'r', run_name: 'r', experiment_id: '1', user_id: 'u', status: 'RUNNING', start_time: start, ...(end === undefined ? {} : { end_time: end }), artifact_uri: '', lifecycle_stage: 'active' },
    data: { metrics: m === undefined ? [] : [{ key: 'm', value: m, timestamp: 1, step: 0 }], params: [], tags: [] },
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
  });
  const matches = (r: Run, filter: string) => runMatches(r, parseRunFilter(filter));

  it('binds an int64 attribute clause to an integer, never a fraction or a number beyond int64', () => {
    expect(parseRunFilter('attributes.end_time = 1.5')).toEqual([{ type: 'attribute', key: 'end_time', comparator: '<', value: INT64_MIN }]);
    expect(parseRunFilter('attributes.end_time > 99999999999999999999')).toEqual([{ type: 'attribute', key: 'end_time', comparator: '<', value: INT64_MIN }]);
    expect(parseRunFilter('attributes.start_time >= 1999.5')).toEqual([{ type: 'attribute', key: 'start_time', comparator: '>=', value: 2000 }]);
    expect(parseLoggedModelFilter('creation_time < 1e400')).toEqual([{ type: 'attribute', key: 'creation_timestamp_ms', comparator: '>=', value: INT64_MIN }]);
    expect(parseExperimentFilter('creation_time != 99999999999999999999')).toEqual([{ type: 'attribute', key: 'creation_time', comparator: '>=', value: INT64_MIN }]);
  });

  it('reads an integer literal exactly, as int(token), and a decimal one as float(token)', () => {
    const big = run(2 ** 53);
    expect(matches(big, 'attributes.start_time = 9007199254740993')).toBe(false);
    expect(matches(big, 'attributes.start_time < 9007199254740993')).toBe(true);
    expect(matches(big, 'attributes.start_time = 9007199254740992')).toBe(true);
    expect(matches(run(2000), 'attributes.start_time = 2000.0000000000001')).toBe(true);
  });

  it('a run without an end time matches no end_time clause, even one that holds for every value', () => {
    expect(matches(run(1), 'attributes.end_time != 1.5')).toBe(false);
    expect(matches(run(1, 5), 'attributes.end_time != 1.5')).toBe(true);
    expect(matches(run(1, 5), 'attributes.end_time < 1e400')).toBe(true);
  });

  it('compares infinite metrics as SQL stores hold them', () => {
    expect(matches(run(1, 1, Infinity), 'metrics.m > 1e400')).toBe(false);
    expect(matches(run(1, 1, Infinity), 'metrics.m = 1e400')).toBe(true);
    expect(matches(run(1, 1, -Infinity), 'metrics.m < -1.7976931348623157e308')).toBe(false);
    expect(parseRunFilter('metrics.m < 1e999')).toEqual([{ type: 'metric', key: 'm', comparator: '<', value: Number.MAX_VALUE }]);
    const model = { info: { model_id: 'm', creation_timestamp_ms: 5, last_updated_timestamp_ms: 5, tags: [] }, data: { params: [], metrics: [{ key: 'acc', value: Infinity, timestamp: 1, step: 0 }] } };
    expect(loggedModelMatches(model as never, parseLoggedModelFilter('metrics.acc >= 1e400 AND creation_timestamp_ms > 4.5'))).toBe(true);
  });

  it('search_experiments refuses a float literal for a time and compares experiment_id as an integer', () => {
    for (const filter of ['creation_time > 1.5', 'last_update_time = 1e3', "experiment_id LIKE '1%'", "experiment_id = 'abc'", "experiment_id IN ('1', 'x')"]) {
      expect(() => parseExperimentFilter(filter), filter).toThrow(expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }));
    }
    const exp = { experiment_id: '7', name: 'e', artifact_location: '', lifecycle_stage: 'active' as const, tags: [] };
    expect(experimentMatches(exp, parseExperimentFilter("experiment_id = '007'"))).toBe(true);
    expect(experimentMatches(exp, parseExperimentFilter("experiment_id IN (' +7 ', '99999999999999999999')"))).toBe(true);
    expect(experimentMatches(exp, parseExperimentFilter("experiment_id != '7'"))).toBe(false);
  });

  it.each(["tags.t = 'a\u0000b'", "params.p = '\ud800'", "tags.t = '\udc00x'", 'metrics.`\u0000` > 1'])('refuses %j: no store compares NUL or a lone surrogate the same way', (filter) => {
    let err: unknown;
    try {
      parseRunFilter(filter);
    } catch (e) {
      err = e;
    }
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it('keeps a well-formed surrogate pair', () => {
    expect(parseRunFilter("tags.t = '🐂'")).toEqual([{ type: 'tag', key: 't', comparator: '=', value: '🐂' }]);
  });
});
