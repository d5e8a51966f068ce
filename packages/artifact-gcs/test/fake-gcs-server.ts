/**
 * The fake-gcs-server of test/services/fake-gcs.sh for the integration suites: its endpoint, a
 * reachability probe, bucket creation, and the loud skip / hard failure when it is not running.
 */
import { requireService, servicePort } from '@mlstore/testkit';

/** Endpoint (env `MLSTORE_GCS_URL`, else port `MLSTORE_GCS_PORT`, published by the script in .services/ports.env). */
export const FAKE_GCS_URL = process.env.MLSTORE_GCS_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_GCS_PORT')}`;

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

/** True when the suites can run; otherwise the house's loud skip (or failure under CI), see `requireService`. */
export function requireFakeGcs(available: boolean, suite: string): boolean {
  return requireService(available, suite, `fake-gcs-server is not reachable at ${FAKE_GCS_URL}; start it with test/services/fake-gcs.sh start`);
}
