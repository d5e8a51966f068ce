/**
 * Faults and bad input against Azurite (integration profile only): a PRIVATE Azurite (the cached
 * install of test/services/azurite.sh, its own free port and data folder) is SIGKILLed in the
 * middle of a staged-block upload and of a download, which must reject within a bounded time with
 * a retryable MlflowError; after a restart on the same port (Azurite keeps its blobs in its data
 * folder) no partial blob is visible. AbortSignal cancels 1 GiB transfers within a second;
 * container-less and wrong-host URIs, the CVE traversal corpus on every method and missing
 * credentials get clear MlflowErrors; no key or SAS signature ever appears in a message.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import { isMlflowError, type MlflowError } from '@mlstore/core';
import { ServerProcess, TRAVERSAL_PAYLOADS, bigStream, dirBytes, drain, expectMlflowError, expectRetryableMlflowError, freePort, readAtLeast, rejection, until } from '@mlstore/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AzureBlobArtifactRepository, type AzureBlobArtifactRepositoryOptions } from '../src/index.js';
import { AZURITE_CONNECTION_STRING, TEST_CONTAINER, describeWithAzurite } from './azurite.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const AZURITE_BIN = join(process.env.MLSTORE_CACHE ?? '/var/tmp/mlstore-cache', 'azurite-3.35.0', 'node_modules', 'azurite', 'dist', 'src', 'blob', 'main.js');
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const integration = process.env.MLSTORE_PROFILE === 'integration';
const connectionString = (port: number | string, key = DEV_KEY) =>
  `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;

/** An Azurite of our own, with its own data folder (the shared one of azurite.sh is never touched). */
class PrivateAzurite extends ServerProcess {
  constructor(readonly port: number, readonly location: string) {
    const args = [AZURITE_BIN, '--blobHost', '127.0.0.1', '--blobPort', String(port), '--location', location, '--skipApiVersionCheck', '--disableTelemetry', '--loose', '--silent'];
    // Any HTTP answer means it listens (GET / is a 400).
    super('the private Azurite', process.execPath, args, () => fetch(`http://127.0.0.1:${port}/`).then((r) => (void r.body?.cancel(), true), () => false));
  }
  get connectionString(): string {
    return connectionString(this.port);
  }
}

function expectRetryable(error: unknown, elapsedMs: number): MlflowError {
  const e = expectRetryableMlflowError(error, /^@mlstore\/artifact-azure: /, /connect|socket|closed|ECONN|EPIPE|aborted|reach/i);
  expect(elapsedMs).toBeLessThan(15_000);
  return e;
}

if (!integration) {
  describe.skip('artifact-azure faults (integration profile only: MLSTORE_PROFILE=integration)', () => it('needs Azurite', () => {}));
} else if (!existsSync(AZURITE_BIN)) {
  describeWithAzurite('artifact-azure faults', () => it('has the cached Azurite install of test/services/azurite.sh', () => {
    throw new Error(`${AZURITE_BIN} is missing; run bash test/services/azurite.sh start`);
  }));
} else {
  const log: string[] = [];
  afterAll(() => {
    if (log.length) process.stderr.write(`[artifact-azure faults] ${log.join('; ')}\n`);
  });

  describeWithAzurite('artifact-azure: the server dies mid-transfer (private Azurite)', () => {
    const container = 'faults';
    const prefix = `faults-${randomUUID()}`;
    let azurite: PrivateAzurite;
    let dataDir: string;
    const repo = () =>
      new AzureBlobArtifactRepository(`wasbs://${container}@devstoreaccount1.blob.core.windows.net/${prefix}`, {
        env: { AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString },
        blockSize: 4 * MiB,
        blockConcurrency: 2,
      });
    const blobNames = async () => {
      const names: string[] = [];
      const service = BlobServiceClient.fromConnectionString(azurite.connectionString, { retryOptions: { maxTries: 1 } });
      for await (const b of service.getContainerClient(container).listBlobsFlat({ prefix })) names.push(b.name);
      return names;
    };
    const ensureContainer = () => BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(container).createIfNotExists();
    beforeAll(async () => {
      dataDir = await mkdtemp(join(tmpdir(), 'mlstore-azurite-faults-'));
      azurite = new PrivateAzurite(await freePort(), dataDir);
      await azurite.start();
      await ensureContainer();
      // A blob that must survive the restarts; Azurite saves its metadata every 5 s (autosave).
      await repo().writeArtifact('survivor.txt', 'still here');
      await new Promise((r) => setTimeout(r, 6000));
    });
    afterAll(async () => {
      await azurite?.kill();
      if (dataDir) await rm(dataDir, { recursive: true, force: true });
    });
    beforeEach(async () => {
      if (!azurite.running) await azurite.start();
      await ensureContainer();
    });

    it('SIGKILL during a 1 GiB staged-block upload: rejects retryable within 15 s; after a restart no blob is visible', async () => {
      const gen = bigStream(GiB);
      const outcome = rejection(repo().writeArtifact('up/big.bin', gen.stream));
      await until(() => gen.sent() >= 32 * MiB, 20_000, '32 MiB read from the source');
      const t0 = performance.now();
      await azurite.kill();
      const { error, at } = await outcome;
      log.push(`upload rejected ${Math.round(at - t0)} ms after SIGKILL: ${(error as Error).message}`);
      expectRetryable(error, at - t0);
      // Azurite keeps its blobs in its data folder across restarts: the staged blocks were never committed.
      await azurite.start();
      // The survivor shows the state did persist; of the upload, nothing is visible.
      expect(await blobNames()).toEqual([`${prefix}/survivor.txt`]);
      await expectMlflowError(() => repo().openArtifact('up/big.bin'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('SIGKILL during a download: downloadArtifacts rejects retryable within 15 s, no local file left', async () => {
      const r = repo();
      await r.writeArtifact('dl/big.bin', bigStream(96 * MiB).stream);
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-azure-faults-'));
      const outcome = rejection(r.downloadArtifacts('dl/big.bin', dst));
      await until(async () => (await dirBytes(join(dst, 'dl'))) >= 2 * MiB, 20_000, 'the first 2 MiB on disk');
      azurite.signal('SIGSTOP');
      const t0 = performance.now();
      await azurite.kill();
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
      azurite.signal('SIGSTOP');
      const t0 = performance.now();
      await azurite.kill();
      const { error, at } = await rejection(drain(body));
      log.push(`open stream errored ${Math.round(at - t0)} ms after SIGKILL`);
      expectRetryable(error, at - t0);
    });
  });

  describeWithAzurite('artifact-azure: AbortSignal cancels 1 GiB transfers within a second (shared Azurite)', () => {
    const prefix = `faults-abort-${randomUUID()}`;
    const r = new AzureBlobArtifactRepository(`wasbs://${TEST_CONTAINER}@devstoreaccount1.blob.core.windows.net/${prefix}`, {
      env: { AZURE_STORAGE_CONNECTION_STRING: AZURITE_CONNECTION_STRING },
    });
    afterAll(() => r.deleteArtifacts().catch(() => undefined));

    it('upload: CANCELLED within 1 s of abort(), no blob left', async () => {
      const gen = bigStream(GiB);
      const ac = new AbortController();
      const outcome = rejection(r.writeArtifact('up/big.bin', gen.stream, { signal: ac.signal }));
      await until(() => gen.sent() >= 32 * MiB, 20_000, '32 MiB read from the source');
      const t0 = performance.now();
      ac.abort();
      const { error, at } = await outcome;
      await expectMlflowError(Promise.reject(error), 'CANCELLED');
      log.push(`upload abort took ${Math.round(at - t0)} ms`);
      expect(at - t0).toBeLessThan(1000);
      expect(gen.sent()).toBeLessThan(GiB);
      expect(await r.listArtifacts()).toEqual([]);
      await expectMlflowError(() => r.openArtifact('up/big.bin'), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('download: CANCELLED within 1 s of abort(), no local file left', async () => {
      await r.writeArtifact('dl/big.bin', bigStream(GiB).stream);
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-azure-faults-'));
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

  describe('artifact-azure: bad input', () => {
    let closed: number;
    beforeAll(async () => {
      closed = await freePort();
    });
    const opts = (): AzureBlobArtifactRepositoryOptions => ({ env: { AZURE_STORAGE_CONNECTION_STRING: connectionString(closed) } });

    it.each([
      'wasbs://@acct.blob.core.windows.net/x',
      'wasbs://acct.blob.core.windows.net/x',
      'wasbs://',
      'wasbs:///x',
      'wasbs://c@/x',
      'wasbs://c@.blob.core.windows.net/x',
      'wasbs://c@acct.blob.core.windows.net.evil.example/x',
      'wasbs://c@evil.example/acct.blob.core.windows.net/x',
      'wasbs://c@acct.dfs.core.windows.net/x',
      'wasbs://c@acct.blob.core.windows.com/x',
      'wasbs://c@acct-1.blob.core.windows.net/x',
      'wasbs://c@acct.blob.core.windows.net:443/x',
      'wasbs://c@127.0.0.1:10000/devstoreaccount1/x',
      'wasbs://c@acct.BLOB.core.windows.net/x',
    ])('refuses %j naming the expected form', (uri) => {
      expect(() => new AzureBlobArtifactRepository(uri, opts())).toThrowError(
        expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE', message: expect.stringMatching(/^@mlstore\/artifact-azure: WASBS URI must be of the form <container>@<account>\.blob\.core\.windows\.net.*AZURE_STORAGE_CONNECTION_STRING/) }),
      );
    });

    it.each(TRAVERSAL_PAYLOADS.map((p) => [p]))('refuses the traversal path %j on every method before any I/O', async (payload) => {
      const r = new AzureBlobArtifactRepository('wasbs://c@devstoreaccount1.blob.core.windows.net/root', opts());
      const dir = await mkdtemp(join(tmpdir(), 'mlstore-azure-bad-'));
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
        ['completeMultipartUpload', () => r.completeMultipartUpload(file, 'id', [{ part_number: 1, etag: 'e', url: 'http://x/?comp=block&blockid=AAAA' }], payload)],
        ['abortMultipartUpload', () => r.abortMultipartUpload(file, 'id', payload)],
      ];
      for (const [name, call] of calls) {
        const err = await expectMlflowError(call, 'INVALID_PARAMETER_VALUE').catch((e: Error) => {
          throw new Error(`${name}(${JSON.stringify(payload)}): ${e.message}`);
        });
        expect(err.message, name).toMatch(/Invalid path/);
      }
    });

    it('no connection string, no key, no @azure/identity credentials: UNAUTHENTICATED naming the variables to set', async () => {
      const names = Object.keys(process.env).filter((n) => n.startsWith('AZURE_') || n.startsWith('IDENTITY_') || n.startsWith('MSI_'));
      const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
      try {
        for (const n of names) delete process.env[n];
        const r = new AzureBlobArtifactRepository('wasbs://c@mlstorenocreds.blob.core.windows.net/x', { env: {} });
        expect(r.credentialKind).toBe('defaultAzureCredential');
        const t0 = performance.now();
        const err = await expectMlflowError(() => r.listArtifacts(), 'UNAUTHENTICATED');
        log.push(`no credentials: ${Math.round(performance.now() - t0)} ms: ${err.message}`);
        expect(performance.now() - t0).toBeLessThan(15_000);
        expect(err.message).toMatch(/AZURE_STORAGE_CONNECTION_STRING/);
        expect(err.message).toMatch(/AZURE_STORAGE_ACCESS_KEY/);
      } finally {
        for (const n of names) process.env[n] = saved[n];
      }
    }, 60_000);

    it('keys and SAS signatures never appear in error messages', async () => {
      const key = Buffer.from('MLSTORECANARYkey-0123456789abcdef0123456789').toString('base64');
      const sig = 'MLSTORECANARYsig0123456789abcdef';
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
      const sharedPort = new URL(AZURITE_CONNECTION_STRING.match(/BlobEndpoint=([^;]+)/)![1] as string).port;
      const sas = (port: number | string) => `BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;SharedAccessSignature=sv=2021-08-06&ss=b&srt=sco&sp=rwdlac&se=2099-01-01T00:00:00Z&sig=${sig}`;
      const uri = `wasbs://${TEST_CONTAINER}@devstoreaccount1.blob.core.windows.net/faults-secrets`;
      // Concurrently: each call to the closed port spends the SDK's retries (about 4 s).
      const calls: Promise<void>[] = [];
      for (const cs of [connectionString(closed, key), connectionString(sharedPort, key), sas(closed), sas(sharedPort)]) {
        for (const viaEnv of [true, false]) {
          const r = new AzureBlobArtifactRepository(uri, viaEnv ? { env: { AZURE_STORAGE_CONNECTION_STRING: cs } } : { connectionString: cs, env: {} });
          calls.push(collect(() => r.listArtifacts()), collect(() => r.writeArtifact('a.txt', 'x')), collect(() => r.openArtifact('a.txt')), collect(() => r.createMultipartUpload('/tmp/a.bin', 2)));
        }
      }
      calls.push(collect(async () => new AzureBlobArtifactRepository(uri, { connectionString: `AccountKey=${key};garbage;sig=${sig}`, env: {} }).listArtifacts()));
      calls.push(collect(async () => new AzureBlobArtifactRepository(`wasbs://c@acct.blob.core.windows.net/x?sig=${sig}`, { accountKey: key, env: {} }).openArtifact('../x')));
      await Promise.all(calls);
      expect(messages.length).toBeGreaterThan(30);
      for (const m of messages) {
        expect(m).not.toContain(key);
        expect(m).not.toContain(sig);
      }
    });
  });
}
