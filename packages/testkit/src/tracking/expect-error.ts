import { isMlflowError } from '@mlstore/core';
import type { ErrorCode } from '@mlstore/core';
import { expect } from 'vitest';

/**
 * Awaits `action` and asserts it fails with an `MlflowError` whose `errorCode` is `code` (or one of
 * `code` when a list is given, for behaviours where MLflow's own stores disagree), and whose message
 * matches `message` when given. Returns the error for further checks.
 *
 * @throws an assertion error when the action succeeds, throws a non-MlflowError (a TypeError from
 *   bad input is a bug: stores must answer with a coded error), or throws another code.
 */
export async function expectMlflowError(
  action: Promise<unknown> | (() => Promise<unknown> | unknown),
  code: ErrorCode | readonly ErrorCode[],
  message?: RegExp,
): Promise<Error> {
  let caught: unknown;
  let succeeded = false;
  try {
    await (typeof action === 'function' ? action() : action);
    succeeded = true;
  } catch (error) {
    caught = error;
  }
  const codes: readonly ErrorCode[] = typeof code === 'string' ? [code] : code;
  expect(succeeded, `expected an MlflowError ${codes.join(' | ')}, but the call succeeded`).toBe(false);
  expect(isMlflowError(caught), `expected an MlflowError, got ${String(caught)}`).toBe(true);
  const err = caught as Error & { errorCode: string };
  expect(codes, `unexpected error code for: ${err.message}`).toContain(err.errorCode);
  if (message) expect(err.message).toMatch(message);
  return err;
}

/** The finite value SQL stores keep for +Infinity (and its negation for -Infinity). */
export const SQL_MAX_DOUBLE = 1.7976931348623157e308;

/**
 * Asserts a stored metric value equals `expected`, treating NaN as equal to NaN and accepting SQL's
 * finite clamp (±1.7976931348623157e308) where `expected` is ±Infinity.
 */
export function expectMetricValue(actual: number | undefined, expected: number): void {
  if (Number.isNaN(expected)) {
    expect(Number.isNaN(actual), `expected NaN, got ${String(actual)}`).toBe(true);
  } else if (expected === Infinity) {
    expect([Infinity, SQL_MAX_DOUBLE]).toContain(actual);
  } else if (expected === -Infinity) {
    expect([-Infinity, -SQL_MAX_DOUBLE]).toContain(actual);
  } else {
    expect(actual).toBe(expected);
  }
}
