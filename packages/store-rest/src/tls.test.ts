import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { json, startPeer, type Peer } from '../test/http-peer.js';
import { MlflowHttpClient } from './mlflow-http-client.js';
import type { MlflowHttpClientOptions } from './http-client-options.js';

const opensslProblem = (() => {
  const probe = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return probe.status === 0 ? null : `the openssl CLI is not available (${probe.error?.message ?? probe.stderr})`;
})();
if (opensslProblem) console.warn(`[store-rest tls] skipped: ${opensslProblem}`);

interface Pki {
  dir: string;
  ca: string;
  serverCert: string;
  serverKey: string;
  /** Client certificate and key in one PEM file, as MLFLOW_TRACKING_CLIENT_CERT_PATH expects. */
  clientPem: string;
}

/** A throwaway CA, a server certificate for IP 127.0.0.1 and a client certificate, all ECDSA P-256. */
async function makePki(): Promise<Pki> {
  const dir = await mkdtemp(join(tmpdir(), 'mlstore-pki-'));
  const p = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const key = (name: string) => openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`), '-subj', `/CN=mlstore-${name}`);
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', p('ca.key'), '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=mlstore-test-ca');
  for (const [name, usage, san] of [
    ['server', 'serverAuth', 'subjectAltName=IP:127.0.0.1\n'],
    ['client', 'clientAuth', ''],
  ] as const) {
    key(name);
    writeFileSync(p(`${name}.ext`), `${san}basicConstraints=CA:FALSE\nextendedKeyUsage=${usage}\n`);
    openssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', p('ca.pem'), '-CAkey', p('ca.key'), '-CAcreateserial', '-out', p(`${name}.pem`), '-days', '2', '-extfile', p(`${name}.ext`));
  }
  writeFileSync(p('client-bundle.pem'), readFileSync(p('client.pem'), 'utf8') + readFileSync(p('client.key'), 'utf8'));
  return { dir, ca: p('ca.pem'), serverCert: p('server.pem'), serverKey: p('server.key'), clientPem: p('client-bundle.pem') };
}

describe.skipIf(opensslProblem !== null)('TLS settings (certificates made with the openssl CLI)', () => {
  let pki: Pki;
  const cleanups: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    pki = await makePki();
  });
  afterEach(async () => {
    while (cleanups.length) await cleanups.pop()!();
  });

  async function server(requireClientCert = false): Promise<Peer> {
    const tls = {
      cert: readFileSync(pki.serverCert),
      key: readFileSync(pki.serverKey),
      ...(requireClientCert ? { requestCert: true, rejectUnauthorized: true, ca: readFileSync(pki.ca) } : {}),
    };
    const peer = await startPeer((req, res) => {
      const cert = (req.socket as TLSSocket).getPeerCertificate?.();
      json(res, 200, { client: cert?.subject?.CN ?? null });
    }, tls);
    cleanups.push(() => peer.close());
    return peer;
  }

  function client(options: Partial<MlflowHttpClientOptions> & { baseUrl: string }): MlflowHttpClient {
    const c = new MlflowHttpClient({ env: {}, maxRetries: 2, backoffFactor: 0, backoffJitter: 0, timeoutMs: 10_000, ...options });
    cleanups.push(() => c.close());
    return c;
  }

  async function failure(p: Promise<unknown>): Promise<Error & { errorCode?: string }> {
    try {
      await p;
    } catch (err) {
      return err as Error & { errorCode?: string };
    }
    throw new Error('expected a rejection');
  }

  it('refuses an unknown CA by default, without retrying the handshake', async () => {
    const peer = await server();
    const err = await failure(client({ baseUrl: peer.url }).callJson('GET', '/x'));
    expect(err.errorCode).toBe('INTERNAL_ERROR');
    expect(err.message).toMatch(/TLS/);
    expect(peer.seen).toHaveLength(0);
  });

  it('insecureTls (or MLFLOW_TRACKING_INSECURE_TLS=true) skips verification', async () => {
    const peer = await server();
    expect(await client({ baseUrl: peer.url, insecureTls: true }).callJson('GET', '/x')).toEqual({ client: null });
    expect(await client({ baseUrl: peer.url, env: { MLFLOW_TRACKING_INSECURE_TLS: 'true' } }).callJson('GET', '/y')).toEqual({ client: null });
  });

  it('serverCertPath (or MLFLOW_TRACKING_SERVER_CERT_PATH) trusts that CA bundle', async () => {
    const peer = await server();
    expect(await client({ baseUrl: peer.url, serverCertPath: pki.ca }).callJson('GET', '/x')).toEqual({ client: null });
    expect(await client({ baseUrl: peer.url, env: { MLFLOW_TRACKING_SERVER_CERT_PATH: pki.ca } }).callJson('GET', '/y')).toEqual({ client: null });
    // A CA bundle replaces the default roots, so the server's own cert as "CA" does not verify.
    const err = await failure(client({ baseUrl: peer.url, serverCertPath: pki.clientPem }).callJson('GET', '/z'));
    expect(err.message).toMatch(/TLS/);
  });

  it('clientCertPath (one PEM with certificate and key) authenticates to a server that requires it', async () => {
    const peer = await server(true);
    const err = await failure(client({ baseUrl: peer.url, serverCertPath: pki.ca, maxRetries: 0 }).callJson('GET', '/anonymous'));
    // TLS 1.3 reports the missing certificate after the handshake: the server just closes.
    expect(['TEMPORARILY_UNAVAILABLE', 'INTERNAL_ERROR']).toContain(err.errorCode);
    expect(peer.seen).toHaveLength(0);
    const out = await client({ baseUrl: peer.url, serverCertPath: pki.ca, clientCertPath: pki.clientPem }).callJson('GET', '/x');
    expect(out).toEqual({ client: 'mlstore-client' });
    const viaEnv = await client({
      baseUrl: peer.url,
      env: { MLFLOW_TRACKING_SERVER_CERT_PATH: pki.ca, MLFLOW_TRACKING_CLIENT_CERT_PATH: pki.clientPem },
    }).callJson('GET', '/y');
    expect(viaEnv).toEqual({ client: 'mlstore-client' });
  });
});
