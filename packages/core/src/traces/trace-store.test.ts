import { describe, expect, it } from 'vitest';
import { isMlflowError, MlflowError } from '../errors.js';
import { TracesNotImplemented, validateDeleteTracesRequest } from './trace-store.js';
import { resolveTraceLocations, resolveTraceMaxResults, validateNewTraceId, validateTraceTag } from './trace-validation.js';

class NoTraces extends TracesNotImplemented {}

async function errorOf(action: () => Promise<unknown> | unknown): Promise<MlflowError> {
  try {
    await action();
  } catch (err) {
    expect(isMlflowError(err)).toBe(true);
    return err as MlflowError;
  }
  throw new Error('expected an MlflowError');
}

describe('TracesNotImplemented', () => {
  it('answers NOT_IMPLEMENTED (HTTP 501) naming the method and the store', async () => {
    const err = await errorOf(() => new NoTraces().getTraceInfo('tr-1'));
    expect(err.errorCode).toBe('NOT_IMPLEMENTED');
    expect(err.httpStatus).toBe(501);
    expect(err.message).toBe('get_trace_info is not implemented by NoTraces yet.');
  });

  it('checks delete_traces arguments before answering NOT_IMPLEMENTED, as MLflow\'s abstract store', async () => {
    expect((await errorOf(() => new NoTraces().deleteTraces('1', {}))).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((await errorOf(() => new NoTraces().deleteTraces('1', { traceIds: ['t'] }))).errorCode).toBe('NOT_IMPLEMENTED');
  });
});

describe('trace validation', () => {
  it('validateDeleteTracesRequest accepts exactly one criterion', () => {
    expect(() => validateDeleteTracesRequest({ maxTimestampMillis: 0 })).not.toThrow();
    expect(() => validateDeleteTracesRequest({ maxTimestampMillis: 5, maxTraces: 1 })).not.toThrow();
    expect(() => validateDeleteTracesRequest({ traceIds: ['a'] })).not.toThrow();
    expect(() => validateDeleteTracesRequest({ maxTimestampMillis: 5, maxTraces: -2 })).toThrow('`max_traces` must be a positive integer, received -2.');
  });

  it('validateNewTraceId refuses what is not one safe path component', () => {
    for (const ok of ['tr-0123', 'abc.def', 'a b']) expect(() => validateNewTraceId(ok)).not.toThrow();
    expect(() => validateNewTraceId('a/b')).toThrow(`Invalid value "a/b" for parameter 'trace_id' supplied: must be a single path component`);
    expect(() => validateNewTraceId('x.')).toThrow('must be a single path component');
    expect(() => validateNewTraceId('a\tb')).toThrow("must not contain '%', '?', '#' or control characters");
  });

  it('validateTraceTag truncates long values only when MLFLOW_TRUNCATE_LONG_VALUES allows', () => {
    const previous = process.env['MLFLOW_TRUNCATE_LONG_VALUES'];
    try {
      delete process.env['MLFLOW_TRUNCATE_LONG_VALUES'];
      expect(validateTraceTag('k', 'v'.repeat(8001)).value).toHaveLength(8000);
      process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = 'false';
      expect(() => validateTraceTag('k', 'v'.repeat(8001))).toThrow("'value' exceeds the maximum length of 8000 characters");
    } finally {
      if (previous === undefined) delete process.env['MLFLOW_TRUNCATE_LONG_VALUES'];
      else process.env['MLFLOW_TRUNCATE_LONG_VALUES'] = previous;
    }
  });

  it('resolveTraceLocations shortens the list of invalid ids to 20 characters as MLflow does', () => {
    expect(resolveTraceLocations(undefined, [])).toBeUndefined();
    expect(resolveTraceLocations(['1'], undefined)).toEqual(['1']);
    expect(() => resolveTraceLocations(undefined, ['catalog.schema', 'other.place'])).toThrow(
      'Locations must be a list of experiment IDs. Found invalid experiment IDs: catalog.schema, othe....',
    );
  });

  it('resolveTraceMaxResults defaults to 100 and allows 1..50000', () => {
    expect(resolveTraceMaxResults(undefined)).toBe(100);
    expect(resolveTraceMaxResults(50000)).toBe(50000);
    expect(() => resolveTraceMaxResults(0)).toThrow("Invalid value 0 for parameter 'max_results' supplied. It must be a positive integer");
    expect(() => resolveTraceMaxResults(50001)).toThrow("Invalid value 50001 for parameter 'max_results' supplied. It must be at most 50000");
  });
});
