import { isMlflowError, type MlflowError } from '@mlstore/core';
import { expect } from 'vitest';

/**
 * Asserts that `error` is an `MlflowError` marked `retryable` (what a cut connection or a dead
 * server must give) whose message matches every one of `patterns`. Returns it for further checks.
 *
 * @throws an assertion error naming the error otherwise.
 */
export function expectRetryableMlflowError(error: unknown, ...patterns: RegExp[]): MlflowError {
  expect(isMlflowError(error), `expected an MlflowError, got ${String(error)}`).toBe(true);
  const e = error as MlflowError;
  expect(e.retryable, `${e.errorCode}: ${e.message}`).toBe(true);
  for (const pattern of patterns) expect(e.message).toMatch(pattern);
  return e;
}
