/**
 * Faults and bad input against moto (integration profile only): a PRIVATE moto_server (from the
 * venv of test/services/moto.sh, on its own free port) is SIGKILLed in the middle of a streamed
 * upload and a download, which must reject within a bounded time with a retryable MlflowError;
 * AbortSignal cancels 1 GiB transfers within a second; bucket-less URIs, the CVE traversal corpus
 * on every method and missing credentials get clear MlflowErrors; no credential ever appears in a
 * message. moto keeps its state in memory, so a restart forgets everything: the "no partial
 * object" check is made on a live server instead (an upload cut by its source leaves no object
 * and no pending multipart upload).
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { isMlflowError, type MlflowError } from '@mlstore/core';
import { ServerProcess, TRAVERSAL_PAYLOADS, bigStream, dirBytes, drain, expectMlflowError, expectRetryableMlflowError, freePort, readAtLeast, rejection, until } from '@mlstore/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3ArtifactRepository, type S3ArtifactRepositoryOptions } from '../src/index.js';
import { MOTO_URL, adminClient, ensureBucket, motoReachable, requireMoto } from './moto-server.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const MOTO_BIN = join(process.env.MLSTORE_CACHE ?? '/var/tmp/mlstore-cache', 'moto-venv', 'bin', 'moto_server');
const integration = process.env.MLSTORE_PROFILE === 'integration';

/** A moto_server of our own (the shared one of moto.sh is never touched). */
class PrivateMoto extends ServerProcess {
  constructor(readonly port: number) {
    super('the private moto_server', MOTO_BIN, ['-H', '127.0.0.1', '-p', String(port)], () => fetch(`http://127.0.0.1:${port}/moto-api/`).then((r) => r.ok, () => false));
  }
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }
}

function expectRetryable(error: unknown, elapsedMs: number): MlflowError {
  const e = expectRetryableMlflowError(error, /^@mlstore\/artifact-s3: /, /could not reach|connection|socket|closed|ECONN|EPIPE/i);
  expect(elapsedMs).toBeLessThan(15_000);
  return e;
}

const motoOptions = (endpoint: string): S3ArtifactRepositoryOptions => ({
  endpoint,
  addressingStyle: 'path',
  accessKeyId: 'mlstore-test',
  secretAccessKey: 'mlstore-test-secret',
  region: 'us-east-1',
  env: {},
});

async function objectCount(client: S3Client, bucket: string, prefix: string): Promise<{ objects: number; uploads: number }> {
  const objects = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  return { objects: objects.KeyCount ?? 0, uploads: uploads.Uploads?.length ?? 0 };
}

if (!integration) {
  describe.skip('artifact-s3 faults (integration profile only: MLSTORE_PROFILE=integration)', () => it('needs moto', () => {}));
} else if (requireMoto((await motoReachable()) && existsSync(MOTO_BIN), 'artifact-s3 faults')) {
  const bucket = `mlstore-faults-${randomBytes(4).toString('hex')}`;
  const root = `s3://${bucket}/faults-${randomBytes(4).toString('hex')}`;
  const log: string[] = [];
  afterAll(() => {
    if (log.length) process.stderr.write(`[artifact-s3 faults] ${log.join('; ')}\n`);
  });

  describe('artifact-s3: the server dies mid-transfer (private moto_server)', () => {
    let moto: PrivateMoto;
    let admin: S3Client;
    const repo = () => new S3ArtifactRepository(root, { ...motoOptions(moto.url), partSize: 8 * MiB, queueSize: 2 });
    beforeAll(async () => {
      moto = new PrivateMoto(await freePort());
      await moto.start();
      admin = adminClient(moto.url);
      await ensureBucket(bucket, moto.url);
    });
    afterAll(async () => {
      admin?.destroy();
      await moto?.kill();
    });
    // A test that failed between its kill and its restart must not take the next ones down.
    beforeEach(async () => {
      if (moto.running) return;
      await moto.start();
      await ensureBucket(bucket, moto.url);
    });

    it('an upload cut by its source on a live server leaves no object and no multipart upload', async () => {
      const gen = bigStream(GiB);
      const cut = rejection(repo().writeArtifact('cut/big.bin', gen.stream));
      await until(() => gen.sent() >= 24 * MiB, 20_000, '24 MiB read from the source');
      gen.stream.destroy(new Error('the local disk went away'));
      const { error } = await cut;
      expect(isMlflowError(error), String(error)).toBe(true);
      expect(await objectCount(admin, bucket, 'faults-')).toEqual({ objects: 0, uploads: 0 });
    });

    it('SIGKILL during a 1 GiB streamed upload: rejects retryable within 15 s', async () => {
      const gen = bigStream(GiB);
      const r = repo();
      const outcome = rejection(r.writeArtifact('up/big.bin', gen.stream));
      await until(() => gen.sent() >= 32 * MiB, 20_000, '32 MiB read from the source');
      const t0 = performance.now();
      await moto.kill();
      const { error, at } = await outcome;
      expectRetryable(error, at - t0);
      log.push(`upload rejected ${Math.round(at - t0)} ms after SIGKILL: ${(error as Error).message}`);
      await r.close();
      await moto.start();
      // moto is in-memory: the restarted server has no bucket, so nothing of the upload survives.
      await ensureBucket(bucket, moto.url);
      expect(await objectCount(admin, bucket, '')).toEqual({ objects: 0, uploads: 0 });
    });

    it('SIGKILL during a download: downloadArtifacts rejects retryable within 15 s, no local file left', async () => {
      const r = repo();
      await r.writeArtifact('dl/big.bin', bigStream(96 * MiB).stream);
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-s3-faults-'));
      const outcome = rejection(r.downloadArtifacts('dl/big.bin', dst));
      await until(async () => (await dirBytes(join(dst, 'dl'))) >= 2 * MiB, 20_000, 'the first 2 MiB on disk');
      // Freeze the server first so the transfer is surely unfinished when it dies.
      moto.signal('SIGSTOP');
      const t0 = performance.now();
      await moto.kill();
      const { error, at } = await outcome;
      expectRetryable(error, at - t0);
      log.push(`download rejected ${Math.round(at - t0)} ms after SIGKILL: ${(error as Error).message}`);
      expect(await readdir(join(dst, 'dl')).catch(() => [])).toEqual([]);
      await r.close();
    });

    it('SIGKILL while a reader holds an open stream: the stream errors retryable within 15 s', async () => {
      const r = repo();
      await r.writeArtifact('rd/big.bin', bigStream(64 * MiB).stream);
      const body = await r.openArtifact('rd/big.bin');
      // Take 4 MiB, then stop reading while the server dies; then drain.
      await readAtLeast(body, 4 * MiB, 20_000);
      moto.signal('SIGSTOP');
      const t0 = performance.now();
      await moto.kill();
      const { error, at } = await rejection(drain(body));
      expectRetryable(error, at - t0);
      log.push(`open stream errored ${Math.round(at - t0)} ms after SIGKILL`);
      await r.close();
    });
  });

  describe('artifact-s3: AbortSignal cancels 1 GiB transfers within a second (shared moto)', () => {
    const shared = `mlstore-faults-${randomBytes(4).toString('hex')}`;
    const sharedRoot = `s3://${shared}/abort`;
    const r = new S3ArtifactRepository(sharedRoot, { ...motoOptions(MOTO_URL), partSize: 8 * MiB, queueSize: 2 });
    const admin = adminClient();
    beforeAll(() => ensureBucket(shared));
    afterAll(async () => {
      await r.deleteArtifacts().catch(() => undefined);
      admin.destroy();
      await r.close();
    });

    it('upload: CANCELLED within 1 s of abort(), no object and no multipart upload left', async () => {
      const gen = bigStream(GiB);
      const ac = new AbortController();
      const outcome = rejection(r.writeArtifact('up/big.bin', gen.stream, { signal: ac.signal }));
      await until(() => gen.sent() >= 32 * MiB, 20_000, '32 MiB read from the source');
      const t0 = performance.now();
      ac.abort();
      const { error, at } = await outcome;
      await expectMlflowError(Promise.reject(error), 'CANCELLED');
      expect(at - t0).toBeLessThan(1000);
      log.push(`upload abort took ${Math.round(at - t0)} ms`);
      expect(gen.sent()).toBeLessThan(GiB);
      await expect(admin.send(new HeadObjectCommand({ Bucket: shared, Key: 'abort/up/big.bin' }))).rejects.toMatchObject({ name: 'NotFound' });
      expect(await objectCount(admin, shared, 'abort/')).toEqual({ objects: 0, uploads: 0 });
    });

    it('download: CANCELLED within 1 s of abort(), no local file left', async () => {
      await r.writeArtifact('dl/big.bin', bigStream(GiB).stream);
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-s3-faults-'));
      const ac = new AbortController();
      const outcome = rejection(r.downloadArtifacts('dl/big.bin', dst, { signal: ac.signal }));
      const part = async () => (await readdir(join(dst, 'dl')).catch(() => [] as string[])).length > 0;
      await until(part, 20_000, 'the download to start');
      await new Promise((res) => setTimeout(res, 100));
      const t0 = performance.now();
      ac.abort();
      const { error, at } = await outcome;
      await expectMlflowError(Promise.reject(error), 'CANCELLED');
      expect(at - t0).toBeLessThan(1000);
      log.push(`download abort took ${Math.round(at - t0)} ms`);
      expect(await readdir(join(dst, 'dl')).catch(() => [])).toEqual([]);
    }, 120_000);
  });

  describe('artifact-s3: bad input', () => {
    // A closed port: any request would fail as TEMPORARILY_UNAVAILABLE, so INVALID_PARAMETER_VALUE
    // proves the input was refused before I/O.
    let closed: string;
    beforeAll(async () => {
      closed = `http://127.0.0.1:${await freePort()}`;
    });

    it.each(['s3://', 's3:///x', 's3:///', 's3:bucket/path', 's3:', 'S3://?versionId=1', 's3://#frag/x'])('refuses the bucket-less URI %j', (uri) => {
      expect(() => new S3ArtifactRepository(uri, motoOptions(MOTO_URL))).toThrowError(
        expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/names no bucket.*expected s3:\/\/<bucket>\/<path>/) }),
      );
    });

    it.each(TRAVERSAL_PAYLOADS.map((p) => [p]))('refuses the traversal path %j on every method before any I/O', async (payload) => {
      const r = new S3ArtifactRepository('s3://b/root', { ...motoOptions(closed), maxAttempts: 1 });
      const dir = await mkdtemp(join(tmpdir(), 'mlstore-s3-bad-'));
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
        ['createMultipartUpload', () => r.createMultipartUpload(file, 1, payload)],
        ['completeMultipartUpload', () => r.completeMultipartUpload(file, 'id', [{ part_number: 1, etag: 'e' }], payload)],
        ['abortMultipartUpload', () => r.abortMultipartUpload(file, 'id', payload)],
      ];
      for (const [name, call] of calls) {
        const err = await expectMlflowError(call, 'INVALID_PARAMETER_VALUE').catch((e: Error) => {
          throw new Error(`${name}(${JSON.stringify(payload)}): ${e.message}`);
        });
        expect(err.message, name).toMatch(/Invalid path/);
      }
      await r.close();
    });

    it('no AWS credentials and no endpoint: UNAUTHENTICATED naming the variables to set', async () => {
      const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_WEB_IDENTITY_TOKEN_FILE', 'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI', 'AWS_CONTAINER_CREDENTIALS_FULL_URI', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE', 'AWS_EC2_METADATA_DISABLED', 'MLFLOW_S3_ENDPOINT_URL'];
      const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
      try {
        for (const n of names) delete process.env[n];
        // The SDK's chain reads process.env and ~/.aws: point it at nothing and skip the EC2 metadata probe.
        process.env.AWS_CONFIG_FILE = join(tmpdir(), 'mlstore-no-such-aws-config');
        process.env.AWS_SHARED_CREDENTIALS_FILE = join(tmpdir(), 'mlstore-no-such-aws-credentials');
        process.env.AWS_EC2_METADATA_DISABLED = 'true';
        const r = new S3ArtifactRepository('s3://some-bucket/x', { env: {} });
        const t0 = performance.now();
        const err = await expectMlflowError(() => r.listArtifacts(), 'UNAUTHENTICATED', /no AWS credentials found/);
        expect(performance.now() - t0).toBeLessThan(15_000);
        for (const v of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE']) expect(err.message).toContain(v);
        await r.close();
      } finally {
        for (const n of names) {
          if (saved[n] === undefined) delete process.env[n];
          else process.env[n] = saved[n];
        }
      }
    });

    it('credentials never appear in error messages', async () => {
      const secret = 'MLSTORECANARYsecret0123456789abcdefXYZ';
      const keyId = 'AKIAMLSTORECANARY0001';
      const token = 'MLSTORECANARYtoken0123456789';
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
      const creds = { accessKeyId: keyId, secretAccessKey: secret, sessionToken: token };
      const unreachable = new S3ArtifactRepository('s3://b/x', { endpoint: `http://${keyId}:${secret}@127.0.0.1:${new URL(closed).port}`, addressingStyle: 'path', ...creds, maxAttempts: 1, env: {} });
      await collect(() => unreachable.listArtifacts());
      await collect(() => unreachable.writeArtifact('a.txt', 'x'));
      await collect(() => unreachable.openArtifact('a.txt'));
      await collect(() => unreachable.createMultipartUpload('/tmp/a.bin', 2));
      const viaEnv = new S3ArtifactRepository(`s3://mlstore-no-such-bucket-${randomBytes(3).toString('hex')}/x`, {
        env: { MLFLOW_S3_ENDPOINT_URL: `http://u:${secret}@${new URL(MOTO_URL).host}`, AWS_ACCESS_KEY_ID: keyId, AWS_SECRET_ACCESS_KEY: secret, AWS_SESSION_TOKEN: token },
        addressingStyle: 'path',
      });
      await collect(() => viaEnv.listArtifacts());
      await collect(() => viaEnv.openArtifact('a.txt'));
      await collect(() => viaEnv.writeArtifact('a.txt', 'x'));
      // Credentials written into the URI's userinfo (MLflow keeps the netloc as the bucket).
      const inUri = new S3ArtifactRepository(`s3://${keyId}:${secret}@bucket/x`, { ...motoOptions(closed), maxAttempts: 1 });
      await collect(() => inUri.listArtifacts());
      await collect(() => inUri.openArtifact('a.txt'));
      await collect(() => inUri.deleteArtifacts());
      await collect(() => new S3ArtifactRepository('s3://b/x', { accessKeyId: keyId, env: { AWS_SECRET_ACCESS_KEY: secret } }));
      await collect(() => new S3ArtifactRepository('s3://b/x', { env: { MLFLOW_S3_UPLOAD_EXTRA_ARGS: `{"SSECustomerKey": "${secret}"` } }));
      for (const r of [unreachable, viaEnv, inUri]) await r.close();
      expect(messages.length).toBeGreaterThan(10);
      for (const m of messages) {
        expect(m).not.toContain(secret);
        expect(m).not.toContain(token);
        expect(m).not.toContain(keyId);
      }
    });
  });
}
