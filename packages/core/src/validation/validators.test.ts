import { afterEach, describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { isContainedKeyPath, posixNormpath } from './key-rules.js';
import {
  isPathComponent,
  parseExperimentId,
  truncateOrValidateParam,
  truncateOrValidateParamValue,
  truncateOrValidateTag,
  validateBatchLimits,
  validateDataset,
  validateExperimentArtifactLocation,
  validateExperimentName,
  validatePathComponent,
  validateExperimentTag,
  validateInputTag,
  validateLoggedModelName,
  validateMaxResults,
  validateMetric,
  validateParamKeysUnique,
  validateParamName,
  validateRunId,
} from './validators.js';

function expectInvalid(fn: () => unknown, message?: string | RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(isMlflowError(e)).toBe(true);
    expect((e as { errorCode: string }).errorCode).toBe('INVALID_PARAMETER_VALUE');
    if (message !== undefined) expect((e as Error).message).toMatch(message);
    return;
  }
  throw new Error('expected INVALID_PARAMETER_VALUE');
}

afterEach(() => {
  delete process.env['MLFLOW_TRUNCATE_LONG_VALUES'];
  delete process.env['MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH'];
});

describe('posixNormpath', () => {
  it.each([
    ['', '.'],
    ['a//b', 'a/b'],
    ['a/./b', 'a/b'],
    ['a/', 'a'],
    ['/a/../b', '/b'],
    ['../x', '../x'],
    ['a/..', '.'],
    ['//a', '//a'],
    ['///a', '/a'],
  ])('%j -> %j', (input, out) => expect(posixNormpath(input)).toBe(out));
});

describe('key names', () => {
  it.each(['a', 'a/b', 'a.b-c d:e', 'métrique', 'x_1', '..a'.slice(1)])('accepts %j', (k) => {
    expect(() => validateParamName(k)).not.toThrow();
  });
  it.each([
    ['', /resolve to '\.'/],
    ['.', /resolve to/],
    ['a//b', /resolve to 'a\/b'/],
    ['a/./b', /resolve to/],
    ['a/', /resolve to/],
    ['/a', /resolve to/],
    ['..x', /resolve to/],
    ['a$b', /Names may only contain alphanumerics/],
    ['a\nb', /Names may only contain/],
  ])('rejects %j', (k, msg) => expectInvalid(() => validateParamName(k), msg));
  it('rejects a missing key with MLflow text', () => {
    expectInvalid(() => validateParamName(undefined), "Invalid value \"\" for parameter 'key' supplied: A key name must be provided.");
  });
});

describe('validateMetric', () => {
  it.each([NaN, Infinity, -Infinity, 0, -1.5])('accepts value %s', (value) => {
    expect(() => validateMetric({ key: 'm', value, timestamp: 0, step: 0 })).not.toThrow();
  });
  it.each([
    [{ key: 'm', value: true, timestamp: 0, step: 0 }, /Please specify value as a valid double/],
    [{ key: 'm', value: '1', timestamp: 0, step: 0 }, /valid double/],
    [{ key: 'm', timestamp: 0, step: 0 }, "Missing value for required parameter 'value'."],
    [{ key: 'm', value: 1, timestamp: -1, step: 0 }, /Timestamp must be a nonnegative long/],
    [{ key: 'm', value: 1, timestamp: 0, step: 'x' }, /Step must be a valid long/],
    [{ key: 'a'.repeat(251), value: 1, timestamp: 0, step: 0 }, "'Metric name' exceeds the maximum length of 250 characters"],
  ])('rejects %j', (metric, msg) => expectInvalid(() => validateMetric(metric as never), msg));
  it('uses the batch path in messages', () => {
    expectInvalid(() => validateMetric({ key: 'm', value: 1, timestamp: -1, step: 0 }, 'metrics[3]'), /'metrics\[3\]\.timestamp'/);
  });
});

describe('length limits and truncation', () => {
  it('truncates long param values by default (MLflow 3.18 defaults the env var to true)', () => {
    delete process.env['MLFLOW_TRUNCATE_LONG_VALUES'];
    expect(truncateOrValidateParamValue('x'.repeat(7000))).toHaveLength(6000);
  });
  it('rejects long param values when truncation is off', () => {
    process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = 'false';
    expectInvalid(() => truncateOrValidateParamValue('x'.repeat(6001)), "'Param value' exceeds the maximum length of 6000 characters");
    expect(truncateOrValidateParamValue('x'.repeat(6000))).toHaveLength(6000);
    for (const on of ['true', 'TRUE', '1']) {
      process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = on;
      expect(truncateOrValidateParam({ key: 'k', value: 'x'.repeat(7000) }).value).toHaveLength(6000);
    }
    process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = '0';
    expectInvalid(() => truncateOrValidateParamValue('x'.repeat(6001)));
  });
  it('truncates run tag values at 8000, never keys', () => {
    process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = 'false';
    expectInvalid(() => truncateOrValidateTag({ key: 'k', value: 'x'.repeat(8001) }, 'tags[0]'), "'tags[0].value' exceeds");
    process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = 'true';
    expect(truncateOrValidateTag({ key: 'k', value: 'x'.repeat(9000) }).value).toHaveLength(8000);
    expectInvalid(() => truncateOrValidateTag({ key: 'k'.repeat(251), value: 'v' }), /exceeds the maximum length of 250/);
  });
  it('experiment tags: key 250, value 20000', () => {
    expect(() => validateExperimentTag({ key: 'k', value: 'x'.repeat(20000) })).not.toThrow();
    expectInvalid(() => validateExperimentTag({ key: 'k', value: 'x'.repeat(20001) }), "'value' exceeds the maximum length of 20000");
    expectInvalid(() => validateExperimentTag({ key: 'k'.repeat(251), value: '' }), "'key' exceeds");
  });
});

describe('batch', () => {
  it.each([
    [1001, 0, 0, 'at most 1000 metrics. Got 1001 metrics'],
    [0, 101, 0, 'at most 100 params'],
    [0, 0, 101, 'at most 100 tags'],
    [900, 100, 1, 'at most 1000 metrics, params, and tags. Got 1001'],
  ])('limits %i/%i/%i', (m, p, t, msg) => {
    expectInvalid(() => validateBatchLimits(new Array(m), new Array(p), new Array(t)), msg);
  });
  it('duplicate param keys', () => {
    expectInvalid(
      () => validateParamKeysUnique([{ key: 'a', value: '1' }, { key: 'a', value: '2' }]),
      "Duplicate parameter keys have been submitted: ['a']",
    );
  });
});

describe('experiments, runs, misc', () => {
  it.each([[''], [undefined], [42], ['x'.repeat(501)]])('rejects experiment name %j', (n) => {
    expectInvalid(() => validateExperimentName(n));
  });
  it('accepts a 500-char experiment name', () => expect(() => validateExperimentName('x'.repeat(500))).not.toThrow());
  it.each([['abc'], ['a'.repeat(256)], ['A-b_c']])('accepts run id %j', (id) => expect(() => validateRunId(id)).not.toThrow());
  it.each([[''], ['-a'], ['a/b'], ['a'.repeat(257)], [5]])('rejects run id %j', (id) => expectInvalid(() => validateRunId(id)));
  it('parses experiment ids as integers', () => {
    expect(parseExperimentId('12')).toBe(12);
    expectInvalid(() => parseExperimentId('abc'), "Invalid experiment ID 'abc'. Experiment ID must be a valid integer.");
  });
  it('artifact locations', () => {
    expectInvalid(() => validateExperimentArtifactLocation('runs:/x'), "Artifact location cannot be a runs:/ URI. Given: 'runs:/x'");
    process.env['MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH'] = '10';
    expectInvalid(() => validateExperimentArtifactLocation('s3://bucket/long'), /cannot be greater than 10 characters/);
    expect(() => validateExperimentArtifactLocation('s3://b')).not.toThrow();
  });
  it('datasets and input tags', () => {
    const ds = { name: 'd', digest: 'x', source_type: 'local', source: 's' };
    expect(() => validateDataset(ds)).not.toThrow();
    expectInvalid(() => validateDataset({ ...ds, digest: 'x'.repeat(37) }), "'digest' exceeds the maximum length of 36");
    expectInvalid(() => validateDataset({ ...ds, name: undefined } as never), 'Dataset name cannot be None');
    expectInvalid(() => validateInputTag({ key: 'k', value: 'v'.repeat(501) }), "'value' exceeds the maximum length of 500");
  });
  it('logged model names', () => {
    expect(() => validateLoggedModelName(undefined)).not.toThrow();
    expectInvalid(() => validateLoggedModelName('a.b'), /Invalid model name/);
    expectInvalid(() => validateLoggedModelName(''), /Invalid model name/);
  });
  it.each([[0], [50001], [1.5], [undefined]])('max_results %j rejected', (n) => expectInvalid(() => validateMaxResults(n)));
  it('max_results in range passes', () => {
    expect(() => validateMaxResults(50000)).not.toThrow();
    expect(() => validateMaxResults(undefined, { allowNull: true })).not.toThrow();
  });
});

describe('path components and contained key paths', () => {
  it('validatePathComponent follows MLflow (single component, no trailing space or dot) and also refuses \\ and NUL', () => {
    for (const ok of ['m-0123abcd', 'a.b', 'a b', '.hidden', 'x..y', 'ünï']) expect(isPathComponent(ok)).toBe(true);
    for (const bad of ['', '.', '..', '../x', 'a/b', '/abs', 'a\\b', 'a\0b', 'x.', 'x ', '.. ', 5, null, undefined]) {
      expect(isPathComponent(bad)).toBe(false);
      expect(() => validatePathComponent(bad, 'model_id')).toThrow(/for parameter 'model_id' supplied: must be a single path component/);
    }
  });

  it('isContainedKeyPath accepts nested keys and refuses keys that leave their folder', () => {
    for (const ok of ['a', 'a/b', 'a.b', 'a..b', 'x/y/z']) expect(isContainedKeyPath(ok)).toBe(true);
    for (const bad of ['', '.', '..', '../a', 'a/../b', '/a', 'a//b', 'a/', './a', 'a\\b', 'a\0']) expect(isContainedKeyPath(bad)).toBe(false);
  });
});

describe('text the databases cannot store', () => {
  it('refuses NUL in names, keys and values, and control characters in artifact locations, on every store alike', () => {
    expect(() => truncateOrValidateParam({ key: 'k', value: 'a\0b' })).toThrow("'Param value' cannot contain NUL (0x00) characters");
    expect(() => truncateOrValidateTag({ key: 'k', value: '\0' })).toThrow(/cannot contain NUL/);
    expect(() => validateExperimentName('a\0')).toThrow(/cannot contain NUL/);
    for (const loc of ['/tmp/a\0b', 's3://b/\n', 'x\u007f']) expect(() => validateExperimentArtifactLocation(loc)).toThrow(/control characters/);
    expect(() => validateExperimentArtifactLocation('s3://bucket/path with space')).not.toThrow();
  });
});
