import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import type { SearchComparison } from './ast.js';
import { parseExperimentFilter, parseExperimentOrderBy, parseLoggedModelFilter, parseRunFilter, parseRunOrderBy } from './search-filters.js';

function invalid(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(isMlflowError(e) && e.errorCode).toBe('INVALID_PARAMETER_VALUE');
    return (e as Error).message;
  }
  throw new Error('expected INVALID_PARAMETER_VALUE');
}

const c = (type: SearchComparison['type'], key: string, comparator: SearchComparison['comparator'], value: SearchComparison['value']) => ({ type, key, comparator, value });

describe('parseRunFilter: valid filters', () => {
  it.each<[string, SearchComparison[]]>([
    ['', []],
    ['   ', []],
    ['metrics.acc > 0.9', [c('metric', 'acc', '>', 0.9)]],
    ['metric.acc >= 1', [c('metric', 'acc', '>=', 1)]],
    ['metrics.loss < -1.5', [c('metric', 'loss', '<', -1.5)]],
    ['metrics.loss<=-1.5e-3', [c('metric', 'loss', '<=', -1.5e-3)]],
    ['metrics.x = 1e10', [c('metric', 'x', '=', 1e10)]],
    ['metrics.x != .5', [c('metric', 'x', '!=', 0.5)]],
    ['metrics.x = 3.', [c('metric', 'x', '=', 3)]],
    ['metrics.`my metric` > 0', [c('metric', 'my metric', '>', 0)]],
    ['metrics."my metric" > 0', [c('metric', 'my metric', '>', 0)]],
    ['`metrics`.m > 0', [c('metric', 'm', '>', 0)]],
    ['metrics.`a.b` > 0', [c('metric', 'a.b', '>', 0)]],
    ['metrics.a.b > 0', [c('metric', 'a.b', '>', 0)]],
    ["params.lr = '0.1'", [c('parameter', 'lr', '=', '0.1')]],
    ['params.lr = "0.1"', [c('parameter', 'lr', '=', '0.1')]],
    ["param.lr != 'x'", [c('parameter', 'lr', '!=', 'x')]],
    ["parameters.lr LIKE '0.%'", [c('parameter', 'lr', 'LIKE', '0.%')]],
    ["parameter.lr like '0.%'", [c('parameter', 'lr', 'LIKE', '0.%')]],
    ["params.lr ILIKE '%A%'", [c('parameter', 'lr', 'ILIKE', '%A%')]],
    ['params.lr IS NULL', [c('parameter', 'lr', 'IS NULL', null)]],
    ['params.lr is not null', [c('parameter', 'lr', 'IS NOT NULL', null)]],
    ["tags.t = 'v'", [c('tag', 't', '=', 'v')]],
    ["tag.`a-b` = 'v'", [c('tag', 'a-b', '=', 'v')]],
    ['tags."a b" != \'v\'', [c('tag', 'a b', '!=', 'v')]],
    ["tags.mlflow.runName = 'r'", [c('tag', 'mlflow.runName', '=', 'r')]],
    ["tags.t = ''", [c('tag', 't', '=', '')]],
    ["tags.t = 'it''s'", [c('tag', 't', '=', "it''s")]],
    ["attributes.run_id = 'abc'", [c('attribute', 'run_id', '=', 'abc')]],
    ["attribute.status = 'FINISHED'", [c('attribute', 'status', '=', 'FINISHED')]],
    ["attr.user_id != 'me'", [c('attribute', 'user_id', '!=', 'me')]],
    ["run.run_name LIKE 'a%'", [c('attribute', 'run_name', 'LIKE', 'a%')]],
    ["run_name = 'x'", [c('attribute', 'run_name', '=', 'x')]],
    ["status = 'RUNNING'", [c('attribute', 'status', '=', 'RUNNING')]],
    ["attributes.`run name` = 'x'", [c('attribute', 'run_name', '=', 'x')]],
    ["attributes.`Run Name` = 'x'", [c('attribute', 'run_name', '=', 'x')]],
    ['attributes.created > 5', [c('attribute', 'start_time', '>', 5)]],
    ['attributes.Created > 5', [c('attribute', 'start_time', '>', 5)]],
    ['attributes.start_time >= 1700000000000', [c('attribute', 'start_time', '>=', 1700000000000)]],
    ['attributes.end_time < 10', [c('attribute', 'end_time', '<', 10)]],
    ["attributes.artifact_uri LIKE '%s3%'", [c('attribute', 'artifact_uri', 'LIKE', '%s3%')]],
    ["attributes.run_id IN ('a', 'b')", [c('attribute', 'run_id', 'IN', ['a', 'b'])]],
    ["attributes.run_id in ('a',)", [c('attribute', 'run_id', 'IN', ['a'])]],
    ["attributes.run_id NOT IN ('a')", [c('attribute', 'run_id', 'NOT IN', ['a'])]],
    ['attributes.run_id IN ("a", "b")', [c('attribute', 'run_id', 'IN', ['a', 'b'])]],
    ["datasets.name = 'd'", [c('dataset', 'name', '=', 'd')]],
    ["dataset.digest != 'x'", [c('dataset', 'digest', '!=', 'x')]],
    ["datasets.context LIKE 'tr%'", [c('dataset', 'context', 'LIKE', 'tr%')]],
    ["datasets.name IN ('a', 'b')", [c('dataset', 'name', 'IN', ['a', 'b'])]],
    ["metrics.a > 1 AND params.b = 'x'", [c('metric', 'a', '>', 1), c('parameter', 'b', '=', 'x')]],
    ["metrics.a > 1 and params.b = 'x' And tags.c != 'y'", [c('metric', 'a', '>', 1), c('parameter', 'b', '=', 'x'), c('tag', 'c', '!=', 'y')]],
    ["  metrics.a>1   AND\tparams.b='x'  ", [c('metric', 'a', '>', 1), c('parameter', 'b', '=', 'x')]],
    ["params.p = 'a AND b'", [c('parameter', 'p', '=', 'a AND b')]],
    ["params.p = 'OR'", [c('parameter', 'p', '=', 'OR')]],
    ["params.p = '日本語'", [c('parameter', 'p', '=', '日本語')]],
    ["params.`日本` = 'x'", [c('parameter', '日本', '=', 'x')]],
    ['metrics.m > -0', [c('metric', 'm', '>', -0)]],
    // sqlparse quirks MLflow accepts: stray ANDs and clauses side by side.
    ['metrics.m > 1 AND', [c('metric', 'm', '>', 1)]],
    ['AND metrics.m > 1', [c('metric', 'm', '>', 1)]],
    ['metrics.m > 1 AND AND metrics.n > 2', [c('metric', 'm', '>', 1), c('metric', 'n', '>', 2)]],
    ['metrics.m > 1 metrics.n > 2', [c('metric', 'm', '>', 1), c('metric', 'n', '>', 2)]],
  ])('%s', (filter, expected) => {
    expect(parseRunFilter(filter)).toEqual(expected);
  });
});

describe('parseRunFilter: invalid filters', () => {
  it.each([
    'metrics.m > 1 OR metrics.m < 0',
    '(metrics.m > 1)',
    'NOT metrics.m > 1',
    'foo.bar = 1',
    "params.p = 1",
    "metrics.m = '1'",
    'metrics.m = "1"',
    "params.p > 'a'",
    "tags.t < 'a'",
    'metrics.m LIKE 1',
    "metrics.m LIKE '1'",
    "params.p IN ('a')",
    "tags.t NOT IN ('a')",
    'attributes.run_id IN ()',
    "attributes.run_id IN ('a', 1)",
    "attributes.run_id IN 'a'",
    "attributes.status IN ('a')",
    "tags.t = 'unterminated",
    'tags.t = "unterminated',
    'metrics.m >',
    '= 1',
    "attributes.unknown = 'x'",
    "attributes.lifecycle_stage = 'active'",
    "attributes.experiment_id = '0'",
    "attributes.start_time = 'x'",
    "attributes.start_time LIKE '1%'",
    'attributes.run_id = 1',
    'metrics. = 1',
    'metrics.m >> 1',
    'metrics.m == 1',
    'metrics.m <> 1',
    "tags.t IS 'x'",
    'tags.t IS NOT',
    'metrics.m IS NULL',
    'attributes.run_name IS NULL',
    "datasets.unknown = 'x'",
    'datasets.name = 1',
    "datasets.name > 'a'",
    "params.p = 'a' 'b'",
    'metrics.m > 1;',
    'metrics.m > 1 -- comment',
    "metrics.m > 1 AND params.p = 'x' OR tags.t = 'y'",
    'metrics.m BETWEEN 1 AND 2',
    "`bogus`.m = 'x'",
    'metrics.m > 1e',
    'metrics.m > --1',
    'metrics.m > 1.2.3',
    'params',
    "'x' = params.p",
    '1 = 1',
    'metrics.`unterminated > 1',
    '* = 1',
  ])('%s', (filter) => {
    invalid(() => parseRunFilter(filter));
  });

  it('names the invalid clause like MLflow', () => {
    expect(invalid(() => parseRunFilter('metrics.a > 1 OR metrics.b > 2'))).toContain('Invalid clause(s) in filter string');
    // MLflow 3.18 lists every stray OR / NOT as written, and only them.
    expect(invalid(() => parseRunFilter("metrics.a > 1 or params.b = 'x' OR tags.c = 'y'"))).toBe("Invalid clause(s) in filter string: 'or', 'OR'");
    expect(invalid(() => parseExperimentFilter("NOT name = 'x'"))).toBe('Invalid clause(s) in filter string: NOT');
    expect(invalid(() => parseRunFilter("attributes.nope = 'x'"))).toContain("Invalid attribute key 'nope' specified");
    expect(invalid(() => parseRunFilter('bogus.x = 1'))).toContain("Invalid entity type 'bogus'");
    expect(invalid(() => parseRunFilter("metrics.m = 'x'"))).toContain('Expected numeric value type for metric');
    expect(invalid(() => parseRunFilter('params.p = 1'))).toContain('Expected a quoted string value for parameter');
  });
});

describe('parseExperimentFilter', () => {
  it.each<[string, SearchComparison[]]>([
    ["name = 'a'", [c('attribute', 'name', '=', 'a')]],
    ["attribute.name LIKE 'a%'", [c('attribute', 'name', 'LIKE', 'a%')]],
    ["attributes.name ILIKE 'A%'", [c('attribute', 'name', 'ILIKE', 'A%')]],
    ['creation_time > 5', [c('attribute', 'creation_time', '>', 5)]],
    ['attribute.last_update_time <= 5', [c('attribute', 'last_update_time', '<=', 5)]],
    ["experiment_id IN ('1', '2')", [c('attribute', 'experiment_id', 'IN', ['1', '2'])]],
    ["tags.k = 'v'", [c('tag', 'k', '=', 'v')]],
    ["tag.`a b` != 'v'", [c('tag', 'a b', '!=', 'v')]],
    ['tags.k IS NULL', [c('tag', 'k', 'IS NULL', null)]],
    ["name = 'a' AND tags.k LIKE '%'", [c('attribute', 'name', '=', 'a'), c('tag', 'k', 'LIKE', '%')]],
  ])('%s', (filter, expected) => {
    expect(parseExperimentFilter(filter)).toEqual(expected);
  });

  it.each([
    "metrics.m = 'x'",
    "params.p = 'x'",
    "run.name = 'x'",
    "artifact_location = 'x'",
    "lifecycle_stage = 'active'",
    "creation_time = 'x'",
    "name > 'a'",
    "name IN ('a')",
    'name IS NULL',
    "name = 'a' OR name = 'b'",
    'name = 1',
    "tags.k > 'a'",
  ])('refuses %s', (filter) => {
    invalid(() => parseExperimentFilter(filter));
  });
});

describe('parseLoggedModelFilter', () => {
  it.each<[string, SearchComparison[]]>([
    ['metrics.acc > 0.5', [c('metric', 'acc', '>', 0.5)]],
    ["params.lr = '0.1'", [c('parameter', 'lr', '=', '0.1')]],
    ["tags.t != 'x'", [c('tag', 't', '!=', 'x')]],
    ["name LIKE 'm%'", [c('attribute', 'name', 'LIKE', 'm%')]],
    ["attributes.status = 'READY'", [c('attribute', 'status', '=', 'READY')]],
    ['creation_time > 10', [c('attribute', 'creation_timestamp_ms', '>', 10)]],
    ['last_updated_timestamp <= 10', [c('attribute', 'last_updated_timestamp_ms', '<=', 10)]],
    ["model_id IN ('m-1', 'm-2')", [c('attribute', 'model_id', 'IN', ['m-1', 'm-2'])]],
    ["source_run_id = 'r'", [c('attribute', 'source_run_id', '=', 'r')]],
  ])('%s', (filter, expected) => {
    expect(parseLoggedModelFilter(filter)).toEqual(expected);
  });

  it.each(["metric.acc > 1", "metrics.acc LIKE 'x'", "status LIKE 'R%'", "status = 'LOGGED_MODEL_READY'", "status IN ('READY', 'x')", "name > 'a'", 'creation_time LIKE 1', "bogus = 'x'", "name = 'a' OR name = 'b'", "metrics.acc = 'x'"])(
    'refuses %s',
    (filter) => {
      invalid(() => parseLoggedModelFilter(filter));
    },
  );
});

describe('order_by parsing', () => {
  it.each([
    [['metrics.m'], [{ type: 'metric', key: 'm', ascending: true }]],
    [['metrics.m DESC'], [{ type: 'metric', key: 'm', ascending: false }]],
    [['metrics.`my m` desc'], [{ type: 'metric', key: 'my m', ascending: false }]],
    [['params.p ASC', 'tags.t'], [{ type: 'parameter', key: 'p', ascending: true }, { type: 'tag', key: 't', ascending: true }]],
    [['start_time'], [{ type: 'attribute', key: 'start_time', ascending: true }]],
    [['attributes.created DESC'], [{ type: 'attribute', key: 'start_time', ascending: false }]],
    [['attribute.run_name'], [{ type: 'attribute', key: 'run_name', ascending: true }]],
    [[], []],
  ] as const)('runs %j', (orderBy, expected) => {
    expect(parseRunOrderBy(orderBy)).toEqual(expected);
  });

  it.each([['metrics.m ASCENDING'], ['foo.m'], ['attributes.unknown'], [''], ['metrics.m DESC DESC'], ['metrics.m', 'metrics.m DESC'], ['datasets.name'], ['metrics.m,']])(
    'runs refuse %j',
    (...orderBy) => {
      invalid(() => parseRunOrderBy(orderBy));
    },
  );

  it('experiments', () => {
    expect(parseExperimentOrderBy(['name DESC', 'experiment_id'])).toEqual([
      { type: 'attribute', key: 'name', ascending: false },
      { type: 'attribute', key: 'experiment_id', ascending: true },
    ]);
    invalid(() => parseExperimentOrderBy(['tags.x']));
    invalid(() => parseExperimentOrderBy(['artifact_location']));
  });
});
