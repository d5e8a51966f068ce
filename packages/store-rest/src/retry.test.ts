import { describe, expect, it } from 'vitest';
import { backoffDelayMs, isRetryableStatus, parseRetryAfterMs, retryDelayMs, retryPolicyFor, sleep } from './retry.js';

const base = { maxRetries: 7, backoffFactor: 2, backoffJitter: 1, respectRetryAfter: true };

describe('urllib3 backoff as MLflow configures it', () => {
  it('waits 0 before the first retry, then factor × 2^(n−1) plus jitter, capped at 120 s', () => {
    const noJitter = () => 0;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelayMs(base, n, noJitter))).toEqual([0, 4000, 8000, 16000, 32000, 64000, 120000, 120000]);
    expect(backoffDelayMs(base, 2, () => 0.5)).toBe(4500);
    expect(backoffDelayMs(base, 1, () => 0.99)).toBe(0); // no jitter on the immediate first retry
    expect(backoffDelayMs({ backoffFactor: 0, backoffJitter: 0 }, 5)).toBe(0);
  });

  it('retries the transient statuses for idempotent calls, only 408/429 otherwise', () => {
    const idem = retryPolicyFor(base, true);
    const post = retryPolicyFor(base, false);
    for (const s of [408, 429, 500, 502, 503, 504]) expect(isRetryableStatus(idem, s, false)).toBe(true);
    for (const s of [400, 401, 403, 404, 409, 501]) expect(isRetryableStatus(idem, s, false)).toBe(false);
    expect([408, 429, 500, 503].map((s) => isRetryableStatus(post, s, false))).toEqual([true, true, false, false]);
    expect(post.retryReadErrors).toBe(false);
  });

  it('413 with Retry-After is retried for idempotent calls only, and not when the header is ignored', () => {
    expect(isRetryableStatus(retryPolicyFor(base, true), 413, true)).toBe(true);
    expect(isRetryableStatus(retryPolicyFor(base, true), 413, false)).toBe(false);
    expect(isRetryableStatus(retryPolicyFor(base, false), 413, true)).toBe(false);
    expect(isRetryableStatus(retryPolicyFor({ ...base, respectRetryAfter: false }, true), 413, true)).toBe(false);
  });

  it('parses Retry-After seconds and HTTP dates, clamped to [0, 6 h]', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs(' 3 ', now)).toBe(3000);
    expect(parseRetryAfterMs(new Date(now + 5000).toUTCString(), now)).toBe(5000);
    expect(parseRetryAfterMs(new Date(now - 5000).toUTCString(), now)).toBe(0);
    expect(parseRetryAfterMs('99999999', now)).toBe(21_600_000);
    expect(parseRetryAfterMs('soon', now)).toBeUndefined();
    expect(parseRetryAfterMs(undefined, now)).toBeUndefined();
  });

  it('a non-zero Retry-After replaces the backoff; 0 or ignored falls back to it', () => {
    const policy = retryPolicyFor({ ...base, backoffJitter: 0 }, true);
    expect(retryDelayMs(policy, 3, '1')).toBe(1000);
    expect(retryDelayMs(policy, 3, '0')).toBe(8000);
    expect(retryDelayMs({ ...policy, respectRetryAfter: false }, 3, '1')).toBe(8000);
  });

  it('sleep wakes at once on abort with an AbortError', async () => {
    const ac = new AbortController();
    const started = Date.now();
    const pending = sleep(60_000, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await expect(pending).rejects.toMatchObject({ name: 'AbortError', errorCode: 'CANCELLED' });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
