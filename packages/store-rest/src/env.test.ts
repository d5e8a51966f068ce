import { isMlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { readBooleanEnv, readFloatEnv, readIntEnv, readStringEnv } from './env.js';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'ok';
  } catch (err) {
    return isMlflowError(err) ? err.errorCode : String(err);
  }
};

describe('readBooleanEnv (MLflow rule: true/false/1/0, case-insensitive)', () => {
  it.each([
    ['true', true],
    ['TRUE', true],
    ['1', true],
    ['false', false],
    ['False', false],
    ['0', false],
  ])('%s → %s', (raw, expected) => {
    expect(readBooleanEnv({ X: raw }, 'X', !expected)).toBe(expected);
  });

  it('unset gives the default', () => {
    expect(readBooleanEnv({}, 'X', true)).toBe(true);
    expect(readBooleanEnv({}, 'X', false)).toBe(false);
  });

  it.each(['yes', 'no', 'on', '', ' true', '2'])('refuses %j with INVALID_PARAMETER_VALUE naming the variable', (raw) => {
    expect(codeOf(() => readBooleanEnv({ MLFLOW_X: raw }, 'MLFLOW_X', false))).toBe('INVALID_PARAMETER_VALUE');
    expect(() => readBooleanEnv({ MLFLOW_X: raw }, 'MLFLOW_X', false)).toThrow(/MLFLOW_X value must be one of \['true', 'false', '1', '0'\]/);
  });
});

describe('readIntEnv / readFloatEnv (Python int() / float())', () => {
  it('parses integers with whitespace, signs and underscores', () => {
    expect(readIntEnv({ N: ' 7 ' }, 'N', 1)).toBe(7);
    expect(readIntEnv({ N: '1_000' }, 'N', 1)).toBe(1000);
    expect(readIntEnv({ N: '-3' }, 'N', 1)).toBe(-3);
    expect(readIntEnv({}, 'N', 5)).toBe(5);
    expect(readIntEnv({}, 'N', undefined)).toBeUndefined();
  });

  it.each(['1.5', 'abc', '', '1e3', '1__0'])('int refuses %j', (raw) => {
    expect(codeOf(() => readIntEnv({ N: raw }, 'N', 1))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('parses floats like Python', () => {
    expect(readFloatEnv({ F: '0.25' }, 'F', 1)).toBe(0.25);
    expect(readFloatEnv({ F: '.5' }, 'F', 1)).toBe(0.5);
    expect(readFloatEnv({ F: '5.' }, 'F', 1)).toBe(5);
    expect(readFloatEnv({ F: '1e-2' }, 'F', 1)).toBe(0.01);
    expect(readFloatEnv({ F: 'inf' }, 'F', 1)).toBe(Infinity);
    expect(readFloatEnv({}, 'F', 1.5)).toBe(1.5);
    expect(codeOf(() => readFloatEnv({ F: 'one' }, 'F', 1))).toBe('INVALID_PARAMETER_VALUE');
  });

  it('treats an empty string variable as absent', () => {
    expect(readStringEnv({ S: '' }, 'S')).toBeUndefined();
    expect(readStringEnv({ S: 'x' }, 'S')).toBe('x');
  });
});
