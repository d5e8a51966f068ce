import { describe, expect, it } from 'vitest';
import type { Experiment, Run } from '../entities.js';
import { isMlflowError } from '../errors.js';
import { compareExperiments, compareRuns, experimentMatches, likeToRegExp, runMatches } from './evaluate.js';
import { decodePageToken, encodeLoggedModelPageToken, decodeLoggedModelPageToken, encodePageToken, pageTokenFields, paginate } from './page-token.js';
import { parseExperimentFilter, parseExperimentOrderBy, parseRunFilter, parseRunOrderBy } from './search-filters.js';

function run(id: string, start: number, data: { m?: Record<string, number>; p?: Record<string, string>; t?: Record<string, string> } = {}): Run {
  const kv = (o: Record<string, string> = {}) => Object.entries(o).map(([key, value]) => ({ key, value }));
  return {
    info: { run_id: id, run_uuid: id, run_name: `name-${id}`, experiment_id: '1', user_id: 'u', status: 'RUNNING', start_time: start, artifact_uri: `s3://b/${id}`, lifecycle_stage: 'active' },
    data: {
      metrics: Object.entries(data.m ?? {}).map(([key, value]) => ({ key, value, timestamp: 1, step: 0 })),
      params: kv(data.p),
      tags: kv(data.t),
    },
    inputs: { dataset_inputs: [{ tags: [{ key: 'mlflow.data.context', value: 'train' }], dataset: { name: 'ds', digest: 'abc', source_type: 'local', source: 'x' } }], model_inputs: [] },
    outputs: { model_outputs: [] },
  };
}

const runs = [
  run('a', 3, { m: { acc: 0.5, nan: NaN }, p: { lr: '0.1' }, t: { team: 'Red' } }),
  run('b', 2, { m: { acc: 0.9 }, p: { lr: '0.01' }, t: { team: 'red' } }),
  run('c', 1, { m: {}, p: {}, t: {} }),
  run('d', 3, { m: { acc: -1 }, p: { lr: 'x.y' } }),
];
const ids = (filter: string) => runs.filter((r) => runMatches(r, parseRunFilter(filter))).map((r) => r.info.run_id);
const order = (orderBy: string[]) => [...runs].sort(compareRuns(parseRunOrderBy(orderBy))).map((r) => r.info.run_id);

describe('runMatches', () => {
  it.each([
    ['metrics.acc > 0', ['a', 'b']],
    ['metrics.acc != 0.5', ['b', 'd']],
    ['metrics.acc <= -1', ['d']],
    ['metrics.nan != 1', ['a']],
    ['metrics.nan = 1', []],
    ["params.lr = '0.1'", ['a']],
    ["params.lr != '0.1'", ['b', 'd']],
    ["params.lr LIKE '0.%'", ['a', 'b']],
    ["params.lr LIKE 'x_y'", ['d']],
    ["params.lr LIKE 'x%y'", ['d']],
    ["params.lr LIKE '0_1'", ['a']],
    ["tags.team = 'red'", ['b']],
    ["tags.team LIKE 'r%'", ['b']],
    ["tags.team ILIKE 'R%'", ['a', 'b']],
    ['tags.team IS NULL', ['c', 'd']],
    ['tags.team IS NOT NULL', ['a', 'b']],
    ["attributes.run_id IN ('a', 'c')", ['a', 'c']],
    ["attributes.run_id NOT IN ('a', 'c')", ['b', 'd']],
    ["attributes.run_name = 'name-b'", ['b']],
    ['attributes.start_time >= 3', ['a', 'd']],
    ['attributes.end_time > 0', []],
    ["datasets.name = 'ds'", ['a', 'b', 'c', 'd']],
    ["datasets.context = 'train'", ['a', 'b', 'c', 'd']],
    ["datasets.digest IN ('zzz')", []],
    ["metrics.acc > 0 AND tags.team = 'Red'", ['a']],
  ])('%s', (filter, expected) => {
    expect(ids(filter)).toEqual(expected);
  });
});

describe('compareRuns', () => {
  it('defaults to start_time DESC then run_id ASC', () => expect(order([])).toEqual(['a', 'd', 'b', 'c']));
  it('puts missing metrics last ascending', () => expect(order(['metrics.acc ASC'])).toEqual(['d', 'a', 'b', 'c']));
  it('puts missing metrics last descending', () => expect(order(['metrics.acc DESC'])).toEqual(['b', 'a', 'd', 'c']));
  it.each([true, false])('puts NaN after values and before missing ones (ascending=%s)', (asc) => {
    const rows = [run('n', 5, { m: { x: NaN } }), run('one', 4, { m: { x: 1 } }), run('none', 9), run('two', 2, { m: { x: 2 } })];
    const sorted = rows.sort(compareRuns(parseRunOrderBy([`metrics.x ${asc ? 'ASC' : 'DESC'}`]))).map((r) => r.info.run_id);
    expect(sorted).toEqual(asc ? ['one', 'two', 'n', 'none'] : ['two', 'one', 'n', 'none']);
  });
  it('orders params as strings, missing last', () => expect(order(['params.lr'])).toEqual(['b', 'a', 'd', 'c']));
  it('replaces the start_time default when ordered by it', () => expect(order(['attributes.start_time ASC'])).toEqual(['c', 'b', 'a', 'd']));
});

describe('experiments', () => {
  const exp = (id: string, name: string, created: number): Experiment => ({ experiment_id: id, name, artifact_location: '', lifecycle_stage: 'active', creation_time: created, last_update_time: created, tags: [{ key: 'k', value: name }] });
  const all = [exp('2', 'b', 5), exp('10', 'a', 5), exp('1', 'c', 9)];
  it('default order: creation_time DESC, experiment_id ASC (numeric ids)', () => {
    expect([...all].sort(compareExperiments([])).map((e) => e.experiment_id)).toEqual(['1', '2', '10']);
  });
  it('string id comparison for the file store', () => {
    expect([...all].sort(compareExperiments([], false)).map((e) => e.experiment_id)).toEqual(['1', '10', '2']);
  });
  it('tie-break experiment_id DESC when not ordered by id', () => {
    expect([...all].sort(compareExperiments(parseExperimentOrderBy(['creation_time']))).map((e) => e.experiment_id)).toEqual(['10', '2', '1']);
  });
  it('filters', () => {
    expect(all.filter((e) => experimentMatches(e, parseExperimentFilter("tags.k LIKE '_'  AND creation_time < 9"))).map((e) => e.name)).toEqual(['b', 'a']);
  });
});

describe('likeToRegExp', () => {
  it.each([
    ['a%', 'abc', true],
    ['a%', 'xabc', false],
    ['%c', 'abc', true],
    ['a_c', 'abc', true],
    ['a_c', 'ac', false],
    ['a.c', 'abc', false],
    ['a.c', 'a.c', true],
    ['(x)', '(x)', true],
    ['[ab]', 'a', false],
    ['a\\b', 'a\\b', true],
    ['%', '', true],
    ['', '', true],
    ['%\n%', 'a\nb', true],
  ])('%j matches %j: %s', (pattern, value, expected) => {
    expect(likeToRegExp(pattern, false).test(value)).toBe(expected);
  });
  it('ILIKE ignores case', () => expect(likeToRegExp('ABC%', true).test('abcd')).toBe(true));
});

describe('page tokens', () => {
  it('matches Python json.dumps + base64', () => {
    expect(encodePageToken(100)).toBe('eyJvZmZzZXQiOiAxMDB9');
    expect(decodePageToken('eyJvZmZzZXQiOiAxMDB9')).toBe(100);
    expect(decodePageToken(undefined)).toBe(0);
  });
  it('carries a store\'s own fields after the offset, which MLflow\'s parser ignores', () => {
    const token = encodePageToken(200, { after: ['d1', 0.5, 3] });
    expect(Buffer.from(token, 'base64').toString('utf8')).toBe('{"offset": 200, "after": ["d1", 0.5, 3]}');
    expect(decodePageToken(token)).toBe(200);
    expect(pageTokenFields(token)).toEqual({ offset: 200, after: ['d1', 0.5, 3] });
    expect(pageTokenFields(undefined)).toEqual({});
  });
  it.each(['garbage!', 'eyJvZmZzZXQiOiAwfQ==', Buffer.from('{"offset": -3}').toString('base64'), Buffer.from('[1]').toString('base64'), Buffer.from('{"offset": "x"}').toString('base64'), Buffer.from('not json').toString('base64')])(
    'refuses %s',
    (token) => {
      let err: unknown;
      try {
        decodePageToken(token);
      } catch (e) {
        err = e;
      }
      expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    },
  );
  it('paginates with and without tokenWhenFull', () => {
    const rows = [1, 2, 3, 4];
    const p1 = paginate(rows, 2, undefined);
    expect(p1.items).toEqual([1, 2]);
    const p2 = paginate(rows, 2, p1.nextPageToken);
    expect(p2).toEqual({ items: [3, 4] });
    expect(paginate(rows, 2, p1.nextPageToken, { tokenWhenFull: true }).nextPageToken).toBe(encodePageToken(4));
    expect(paginate(rows, 5, undefined, { tokenWhenFull: true })).toEqual({ items: rows });
  });
  it('binds logged-model tokens to the request', () => {
    const req = { experimentIds: ['1'], filterString: 'name = "x"' };
    const token = encodeLoggedModelPageToken(req, 50);
    expect(decodeLoggedModelPageToken(token, req)).toBe(50);
    expect(() => decodeLoggedModelPageToken(token, { experimentIds: ['2'] })).toThrow(/does not match/);
  });
});
