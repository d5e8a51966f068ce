/**
 * The fake-gcs-server of test/services/fake-gcs.sh for the integration suites: its endpoint, a
 * reachability probe, bucket creation, and the loud skip / hard failure when it is not running.
 */
import { describe, it } from 'vitest';

/** Endpoint (env `MLSTORE_GCS_URL`, else the script's default port, `MLSTORE_GCS_PORT` or 55920). */
export const FAKE_GCS_URL = process.env.MLSTORE_GCS_URL ?? `http://127.0.0.1:${process.env.MLSTORE_GCS_PORT ?? '55920'}`;

const required = process.env.MLSTORE_REQUIRE_SERVICES === '1';

/** True when the emulator's JSON API answers. */
export async function fakeGcsReachable(url = FAKE_GCS_URL): Promise<boolean> {
  try {
    const res = await fetch(`${url}/storage/v1/b`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

/** Creates `name` on the emulator (an existing bucket is fine). */
export async function ensureBucket(name: string, url = FAKE_GCS_URL): Promise<void> {
  const res = await fetch(`${url}/storage/v1/b?project=mlstore-test`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name }),
  });
  const text = await res.text();
  if (!res.ok && res.status !== 409) throw new Error(`creating bucket ${name} failed: ${res.status} ${text}`);
}

/**
 * When the emulator is down, declares a failing case under MLSTORE_REQUIRE_SERVICES=1 and a loud
 * skip otherwise, and returns false; returns true when the suites can run.
 */
export function requireFakeGcs(available: boolean, suite: string): boolean {
  if (available) return true;
  const why = `fake-gcs-server is not reachable at ${FAKE_GCS_URL}; start it with test/services/fake-gcs.sh start`;
  if (required) {
    describe(`${suite}: fake-gcs-server`, () => it('is running (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(why); }));
  } else {
    describe.skip(`${suite} (SKIPPED: ${why})`, () => it('needs fake-gcs-server', () => {}));
    process.stderr.write(`[${suite}] SKIPPING: ${why}\n`);
  }
  return false;
}
