import { describe, expect, it } from 'vitest';
import { evenlySpacedIndices, roundHalfEven, sampleSteps, validateBulkIntervalRequest } from './base-store.js';

describe('roundHalfEven', () => {
  it.each([
    [0.5, 0],
    [1.5, 2],
    [2.5, 2],
    [2.4, 2],
    [2.6, 3],
  ])('%d -> %d', (x, y) => expect(roundHalfEven(x)).toBe(y));
});

describe('evenlySpacedIndices', () => {
  it.each([
    [0, 5, []],
    [3, 5, [0, 1, 2]],
    [10, 1, [9]],
    [10, 2, [0, 9]],
    [10, 4, [0, 3, 6, 9]],
    [5, 3, [0, 2, 4]],
  ])('(%i, %i)', (total, max, out) => expect(evenlySpacedIndices(total, max)).toEqual(out));
});

describe('sampleSteps', () => {
  it('returns every step when few', () => {
    expect(sampleSteps([[0, 1, 2], [2, 3]], 10)).toEqual([0, 1, 2, 3]);
  });
  it('samples evenly, keeps the last step and each run min/max', () => {
    const run = Array.from({ length: 100 }, (_, i) => i);
    expect(sampleSteps([run], 4)).toEqual([0, 25, 50, 75, 99]);
    expect(sampleSteps([run, [33, 34]], 4)).toEqual([0, 25, 33, 34, 50, 75, 99]);
  });
  it('restricts to the requested range', () => {
    const run = Array.from({ length: 100 }, (_, i) => i);
    expect(sampleSteps([run], 5, 10, 20)).toEqual([10, 12, 14, 16, 18, 20]);
  });
});

describe('validateBulkIntervalRequest', () => {
  const base = { runIds: ['r'], metricKey: 'm' };
  it('defaults max_results to 2500', () => expect(validateBulkIntervalRequest(base)).toBe(2500));
  it.each([
    [{ ...base, runIds: Array.from({ length: 101 }, (_, i) => `r${i}`) }, 'at most 100 run_ids. Received 101 run_ids.'],
    [{ ...base, maxResults: 0 }, 'max_results must be between 1 and 2500.'],
    [{ ...base, maxResults: 2501 }, 'max_results must be between 1 and 2500.'],
    [{ ...base, startStep: 1 }, 'If either start step or end step are specified, both must be specified.'],
    [{ ...base, startStep: 5, endStep: 1 }, 'end_step must be greater than start_step. Found start_step=5 and end_step=1.'],
    [{ ...base, runIds: [] }, "Missing value for required parameter 'run_ids'."],
  ])('rejects %j', (req, msg) => {
    expect(() => validateBulkIntervalRequest(req)).toThrow(msg);
  });
});

describe('pythonJsonDumps', () => {
  it('matches json.dumps formatting', async () => {
    const { pythonJsonDumps } = await import('./base-store.js');
    expect(pythonJsonDumps([{ a: 1, b: 'é', c: [true, null] }])).toBe('[{"a": 1, "b": "\\u00e9", "c": [true, null]}]');
  });
});
