import { isMlflowError, type MlflowError } from '@mlstore/core';
import { expect } from 'vitest';

/**
 * Polls `cond` every `everyMs` (default 10 ms) until it holds.
 *
 * @throws `timed out waiting for <what>` once `ms` have passed.
 */
export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string, everyMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/**
 * The rejection of `p` and when it came (`performance.now()`), for timing a failure against the
 * moment a fault was injected. Never rejects: when `p` resolves, `error` is an Error saying so
 * (which an `isMlflowError` check then fails).
 */
export const rejection = (p: Promise<unknown>): Promise<{ error: unknown; at: number }> =>
  p.then(
    () => ({ error: new Error('the call succeeded') as unknown, at: performance.now() }),
    (error: unknown) => ({ error, at: performance.now() }),
  );

/**
 * Awaits `p` and returns the `MlflowError` it rejects with, for assertions on its code, message
 * and `retryable` flag.
 *
 * @throws an assertion error when `p` rejects with anything but an `MlflowError`, and
 *   `expected a rejection` when it resolves.
 */
export async function caughtMlflowError(p: Promise<unknown>): Promise<MlflowError> {
  try {
    await p;
  } catch (error) {
    expect(isMlflowError(error), `not an MlflowError: ${String(error)}`).toBe(true);
    return error as MlflowError;
  }
  throw new Error('expected a rejection');
}
