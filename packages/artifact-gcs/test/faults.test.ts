/**
 * Faults and bad input against fake-gcs-server (integration profile only): a PRIVATE emulator (the
 * binary cached by test/services/fake-gcs.sh, its own free port, the filesystem backend in a temp
 * folder so that state survives a restart) is SIGKILLed in the middle of a resumable upload and of
 * a download, which must reject within a bounded time with a retryable MlflowError; after a
 * restart on the same port no partial object is visible. AbortSignal cancels 1 GiB transfers
 * within a second (on the shared emulator); bucket-less URIs, the CVE traversal corpus on every
 * method and unusable credentials get clear MlflowErrors; no key or token appears in a message.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlflowError, type MlflowError } from '@mlstore/core';
import { ServerProcess, TRAVERSAL_PAYLOADS, bigStream, dirBytes, drain, expectMlflowError, expectRetryableMlflowError, freePort, readAtLeast, rejection, until } from '@mlstore/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GcsArtifactRepository, type GcsArtifactRepositoryOptions } from '../src/index.js';
import { FAKE_GCS_URL, ensureBucket, fakeGcsReachable, requireFakeGcs } from './fake-gcs-server.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const FAKE_GCS_BIN = join(process.env.MLSTORE_CACHE ?? '/var/tmp/mlstore-cache', `fake-gcs-server-${process.env.MLSTORE_FAKE_GCS_VERSION ?? 'v1.56.1'}`, 'bin', 'fake-gcs-server');
const integration = process.env.MLSTORE_PROFILE === 'integration';

/** A fake-gcs-server of our own on the filesystem backend (the shared one is never touched). */
class PrivateFakeGcs extends ServerProcess {
  constructor(readonly port: number, readonly root: string) {
    const url = `http://127.0.0.1:${port}`;
    const args = ['-scheme', 'http', '-host', '127.0.0.1', '-port', String(port), '-external-url', url, '-public-host', `127.0.0.1:${port}`, '-backend', 'filesystem', '-filesystem-root', root, '-log-level', 'error'];
    super('the private fake-gcs-server', FAKE_GCS_BIN, args, () => fakeGcsReachable(url));
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

function expectRetryable(error: unknown, elapsedMs: number): MlflowError {
  const e = expectRetryableMlflowError(error, /^@mlstore\/artifact-gcs: /, /connect|socket|closed|ECONN|EPIPE|aborted|reach|lost/i);
  expect(elapsedMs).toBeLessThan(15_000);
  return e;
}

const listNames = async (url: string, bucket: string): Promise<string[]> => {
  const res = await fetch(`${url}/storage/v1/b/${bucket}/o`);
  const body = (await res.json()) as { items?: { name: string }[] };
  return (body.items ?? []).map((i) => i.name).sort();
};

if (!integration) {
  describe.skip('artifact-gcs faults (integration profile only: MLSTORE_PROFILE=integration)', () => it('needs fake-gcs-server', () => {}));
} else if (requireFakeGcs((await fakeGcsReachable()) && existsSync(FAKE_GCS_BIN), 'artifact-gcs faults')) {
  const log: string[] = [];
  afterAll(() => {
    if (log.length) process.stderr.write(`[artifact-gcs faults] ${log.join('; ')}\n`);
  });

  describe('artifact-gcs: the server dies mid-transfer (private fake-gcs-server, filesystem backend)', () => {
    const bucket = 'faults';
    let gcs: PrivateFakeGcs;
    let root: string;
    // 3 s (MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT; MLflow's default is 60 s) bounds a read whose connection died silently.
    const repo = () => new GcsArtifactRepository(`gs://${bucket}/root`, { apiEndpoint: gcs.url, anonymous: true, timeoutSeconds: 3, env: {} });
    beforeAll(async () => {
      root = await mkdtemp(join(tmpdir(), 'mlstore-fake-gcs-faults-'));
      gcs = new PrivateFakeGcs(await freePort(), root);
      await gcs.start();
      await ensureBucket(bucket, gcs.url);
      await repo().writeArtifact('survivor.txt', 'still here');
    });
    afterAll(async () => {
      await gcs?.kill();
      if (root) await rm(root, { recursive: true, force: true });
    });
    beforeEach(async () => {
      if (!gcs.running) await gcs.start();
    });

    it('SIGKILL during a 1 GiB resumable upload: rejects retryable within 15 s; after a restart no object is visible', async () => {
      const gen = bigStream(GiB);
      const outcome = rejection(repo().writeArtifact('up/big.bin', gen.stream));
      await until(() => gen.sent() >= 48 * MiB, 20_000, '48 MiB read from the source');
      const t0 = performance.now();
      await gcs.kill();
      const { error, at } = await outcome;
      log.push(`upload rejected ${Math.round(at - t0)} ms after SIGKILL: ${(error as Error).message}`);
      expectRetryable(error, at - t0);
      await gcs.start();
      // The survivor shows the filesystem backend kept its state; of the upload, nothing is visible.
      expect(await listNames(gcs.url, bucket)).toEqual(['root/survivor.txt']);
      await expectMlflowError(() => repo().openArtifact('up/big.bin'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('SIGKILL during a download: downloadArtifacts rejects retryable within 15 s, no local file left', async () => {
      const r = repo();
      await r.writeArtifact('dl/big.bin', bigStream(96 * MiB).stream);
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-gcs-faults-'));
      const outcome = rejection(r.downloadArtifacts('dl/big.bin', dst));
      await until(async () => (await dirBytes(join(dst, 'dl'))) >= 2 * MiB, 20_000, 'the first 2 MiB on disk');
      gcs.signal('SIGSTOP');
      const t0 = performance.now();
      await gcs.kill();
      const { error, at } = await outcome;
      log.push(`download rejected ${Math.round(at - t0)} ms after SIGKILL: ${(error as Error).message}`);
      expectRetryable(error, at - t0);
      expect(await readdir(join(dst, 'dl')).catch(() => [])).toEqual([]);
    });

    it('SIGKILL while a reader holds an open stream: the stream errors retryable within 15 s', async () => {
      const r = repo();
      await r.writeArtifact('rd/big.bin', bigStream(64 * MiB).stream);
      const body = await r.openArtifact('rd/big.bin');
      // Take 4 MiB, then stop reading while the server dies; then drain.
      await readAtLeast(body, 4 * MiB, 20_000);
      gcs.signal('SIGSTOP');
      const t0 = performance.now();
      await gcs.kill();
      const { error, at } = await rejection(drain(body));
      log.push(`open stream errored ${Math.round(at - t0)} ms after SIGKILL`);
      expectRetryable(error, at - t0);
    });
  });

  describe('artifact-gcs: AbortSignal cancels 1 GiB transfers within a second (shared fake-gcs-server)', () => {
    const bucket = `mlstore-faults-${randomBytes(4).toString('hex')}`;
    const r = new GcsArtifactRepository(`gs://${bucket}/abort`, { apiEndpoint: FAKE_GCS_URL, anonymous: true, env: {} });
    beforeAll(() => ensureBucket(bucket));
    afterAll(() => r.deleteArtifacts().catch(() => undefined));

    it('upload: CANCELLED within 1 s of abort(), no object left', async () => {
      const ac = new AbortController();
      let t0 = 0;
      // Aborted from inside the source once 32 MiB were taken: the SDK reads so fast that a polling
      // timer of the test may not run before the whole GiB is gone.
      const gen = bigStream(GiB, { at: { bytes: 32 * MiB, run: () => ((t0 = performance.now()), ac.abort()) } });
      const outcome = rejection(r.writeArtifact('up/big.bin', gen.stream, { signal: ac.signal }));
      const { error, at } = await outcome;
      await expectMlflowError(Promise.reject(error), 'CANCELLED');
      log.push(`upload abort took ${Math.round(at - t0)} ms (source read: ${gen.sent() / MiB} MiB)`);
      expect(at - t0).toBeLessThan(1000);
      expect(gen.sent()).toBeLessThan(GiB);
      expect(await listNames(FAKE_GCS_URL, bucket)).toEqual([]);
    });

    it('download: CANCELLED within 1 s of abort(), no local file left', async () => {
      await r.writeArtifact('dl/big.bin', bigStream(GiB).stream);
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-gcs-faults-'));
      const ac = new AbortController();
      const outcome = rejection(r.downloadArtifacts('dl/big.bin', dst, { signal: ac.signal }));
      await until(async () => (await readdir(join(dst, 'dl')).catch(() => [] as string[])).length > 0, 20_000, 'the download to start');
      await new Promise((res) => setTimeout(res, 100));
      const t0 = performance.now();
      ac.abort();
      const { error, at } = await outcome;
      await expectMlflowError(Promise.reject(error), 'CANCELLED');
      log.push(`download abort took ${Math.round(at - t0)} ms`);
      expect(at - t0).toBeLessThan(1000);
      expect(await readdir(join(dst, 'dl')).catch(() => [])).toEqual([]);
    }, 120_000);
  });

  describe('artifact-gcs: bad input', () => {
    let closed: string;
    beforeAll(async () => {
      closed = `http://127.0.0.1:${await freePort()}`;
    });
    const opts = (): GcsArtifactRepositoryOptions => ({ apiEndpoint: closed, anonymous: true, env: {} });

    it.each(['gs://', 'gs:///x', 'gs:///', 'gs:bucket/x', 'gs:', 'GS://?x=1', 'gs://#frag/x'])('refuses the bucket-less URI %j', (uri) => {
      expect(() => new GcsArtifactRepository(uri, opts())).toThrowError(
        expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/^@mlstore\/artifact-gcs: the GCS URI names no bucket/) }),
      );
    });

    it.each(TRAVERSAL_PAYLOADS.map((p) => [p]))('refuses the traversal path %j on every method before any I/O', async (payload) => {
      const r = new GcsArtifactRepository('gs://bkt/root', opts());
      const dir = await mkdtemp(join(tmpdir(), 'mlstore-gcs-bad-'));
      const file = join(dir, 'f.txt');
      await writeFile(file, 'x');
      const calls: [string, () => Promise<unknown>][] = [
        ['writeArtifact', () => r.writeArtifact(payload, 'pwned')],
        ['openArtifact', () => r.openArtifact(payload)],
        ['listArtifacts', () => r.listArtifacts(payload)],
        ['downloadArtifacts', () => r.downloadArtifacts(payload, dir)],
        ['deleteArtifacts', () => r.deleteArtifacts(payload)],
        ['logArtifact', () => r.logArtifact(file, payload)],
        ['logArtifacts', () => r.logArtifacts(dir, payload)],
      ];
      for (const [name, call] of calls) {
        const err = await expectMlflowError(call, 'INVALID_PARAMETER_VALUE').catch((e: Error) => {
          throw new Error(`${name}(${JSON.stringify(payload)}): ${e.message}`);
        });
        expect(err.message, name).toMatch(/Invalid path/);
      }
    });

    it('GOOGLE_APPLICATION_CREDENTIALS naming a missing file: UNAUTHENTICATED naming the variable', async () => {
      const missing = join(tmpdir(), `mlstore-no-such-key-${randomBytes(4).toString('hex')}.json`);
      const r = new GcsArtifactRepository('gs://bkt/x', { env: { GOOGLE_APPLICATION_CREDENTIALS: missing } });
      for (const call of [() => r.listArtifacts(), () => r.openArtifact('a.txt'), () => r.writeArtifact('a.txt', 'x')]) {
        const err = await expectMlflowError(call, 'UNAUTHENTICATED', /GOOGLE_APPLICATION_CREDENTIALS/);
        expect(err.message).toContain(missing);
      }
    });

    it('keys and tokens never appear in error messages', async () => {
      const secret = 'MLSTORECANARYsecret0123456789abcdef';
      const dir = await mkdtemp(join(tmpdir(), 'mlstore-gcs-secrets-'));
      const notJson = join(dir, 'not-json.json');
      await writeFile(notJson, `${secret} this is not a key file`);
      const badKey = join(dir, 'bad-key.json');
      await writeFile(badKey, JSON.stringify({ type: 'service_account', client_email: 'x@y.iam.gserviceaccount.com', private_key: `-----BEGIN PRIVATE KEY-----\n${secret}\n-----END PRIVATE KEY-----\n`, private_key_id: secret }));
      const messages: string[] = [];
      const collect = async (p: () => unknown) => {
        try {
          await p();
          messages.push('(succeeded)');
        } catch (e) {
          expect(isMlflowError(e), String(e)).toBe(true);
          messages.push((e as MlflowError).message, JSON.stringify((e as MlflowError).toJSON()));
        }
      };
      const port = new URL(closed).port;
      // Built inside `collect`: a constructor that refuses its input is checked the same way.
      const makers: (() => GcsArtifactRepository)[] = [
        () => new GcsArtifactRepository('gs://bkt/x', { apiEndpoint: `http://u:${secret}@127.0.0.1:${port}`, anonymous: true, env: {}, timeoutSeconds: 2 }),
        () => new GcsArtifactRepository('gs://bkt/x', { env: { STORAGE_EMULATOR_HOST: `http://u:${secret}@127.0.0.1:${port}` }, timeoutSeconds: 2 }),
        () => new GcsArtifactRepository('gs://bkt/x', { apiEndpoint: closed, keyFilename: notJson, env: {}, timeoutSeconds: 2 }),
        () => new GcsArtifactRepository('gs://bkt/x', { apiEndpoint: closed, env: { GOOGLE_APPLICATION_CREDENTIALS: badKey }, timeoutSeconds: 2 }),
        () => new GcsArtifactRepository('gs://bkt/x', { apiEndpoint: closed, credentials: { client_email: 'x@y.iam.gserviceaccount.com', private_key: secret }, env: {}, timeoutSeconds: 2 }),
        () => new GcsArtifactRepository(`gs://u:${secret}@bkt/x`, { apiEndpoint: closed, anonymous: true, env: {}, timeoutSeconds: 2 }),
      ];
      await Promise.all(makers.flatMap((make) => [collect(() => make().listArtifacts()), collect(() => make().openArtifact('a.txt')), collect(() => make().writeArtifact('a.txt', 'x')), collect(() => make().deleteArtifacts('a'))]));
      expect(messages.length).toBeGreaterThan(20);
      for (const m of messages) expect(m).not.toContain(secret);
    }, 60_000);
  });
}
