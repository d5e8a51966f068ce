/**
 * The artifact kit against fake-gcs-server (test/services/fake-gcs.sh): once through the emulator
 * variable MLflow users set (STORAGE_EMULATOR_HOST, anonymous), once through explicit options, in
 * a fresh random bucket per run. The integration profile streams a 1 GiB file (kit `largeFileBytes`;
 * MLSTORE_LARGE_FILE_MB overrides). Without the emulator: loud skip, or failure under
 * MLSTORE_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { describeArtifactRepository } from '@mlstore/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { GcsArtifactRepository } from '../src/index.js';
import { FAKE_GCS_URL, ensureBucket, fakeGcsReachable, requireFakeGcs } from './fake-gcs-server.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';

// No opt-outs: test/services/fake-gcs.sh runs the emulator's memory backend, whose flat namespace
// (like GCS's) lets `x` and `x/y` coexist.
const SKIP: Record<string, string> = {};
const bucket = `mlstore-kit-${randomBytes(5).toString('hex')}`;

if (requireFakeGcs(await fakeGcsReachable(), 'artifact-gcs conformance')) {
  beforeAll(() => ensureBucket(bucket));
  const largeFileBytes = integration ? 1024 * 1024 * 1024 : undefined;
  describeArtifactRepository(
    'gcs (STORAGE_EMULATOR_HOST, anonymous)',
    () => new GcsArtifactRepository(`gs://${bucket}/root`, { env: { STORAGE_EMULATOR_HOST: FAKE_GCS_URL } }),
    largeFileBytes ? { largeFileBytes, skip: SKIP } : { skip: SKIP },
  );
  // A second URI form: a deeper root with a trailing slash, explicit options, 256 KiB resumable
  // chunks (every upload resumable, as MLflow with MLFLOW_GCS_UPLOAD_CHUNK_SIZE set).
  describeArtifactRepository(
    'gcs (apiEndpoint option, chunked resumable uploads)',
    () => new GcsArtifactRepository(`gs://${bucket}/deeper/root/`, { apiEndpoint: FAKE_GCS_URL, anonymous: true, uploadChunkSize: 256 * 1024, env: {} }),
    // fake-gcs-server's memory backend copies the whole object on every appended chunk, so 1 GiB in
    // 256 KiB chunks is quadratic in the emulator (over 10 minutes); this form streams 32 MiB in
    // 128 chunks, and the 1 GiB case runs on the form above.
    { skip: SKIP, largeFileCapBytes: 32 * 1024 * 1024 },
  );

  describe('gcs specifics on fake-gcs-server', () => {
    const repo = () => new GcsArtifactRepository(`gs://${bucket}/specifics`, { env: { STORAGE_EMULATOR_HOST: FAKE_GCS_URL } });
    const meta = async (name: string) =>
      (await (await fetch(`${FAKE_GCS_URL}/storage/v1/b/${bucket}/o/${encodeURIComponent(name)}`)).json()) as { contentType?: string; size?: string };
    it('writes MLflow object names and Content-Types', async () => {
      for (const [rel, type] of [['m/MLmodel', 'application/octet-stream'], ['m/a.json', 'application/json'], ['m/b.txt', 'text/plain'], ['m/c.tar.gz', 'application/x-tar']]) {
        await repo().writeArtifact(rel as string, 'x');
        expect((await meta(`specifics/${rel}`)).contentType).toBe(type);
      }
    });
    it('aborting a read mid-stream ends it with CANCELLED', async () => {
      await repo().writeArtifact('r/big.bin', Buffer.alloc(12 * 1024 * 1024, 7));
      const ac = new AbortController();
      const stream = await repo().openArtifact('r/big.bin', { signal: ac.signal });
      let read = 0;
      const consume = (async () => {
        for await (const chunk of stream) {
          read += (chunk as Buffer).length;
          if (!ac.signal.aborted) ac.abort();
        }
      })();
      await expect(consume).rejects.toMatchObject({ errorCode: 'CANCELLED' });
      expect(read).toBeLessThan(12 * 1024 * 1024);
    });
    it('an already aborted signal refuses reads and listings', async () => {
      const signal = AbortSignal.abort();
      await expect(repo().openArtifact('r/big.bin', { signal })).rejects.toMatchObject({ errorCode: 'CANCELLED' });
      await expect(repo().listArtifacts('r', { signal })).rejects.toMatchObject({ errorCode: 'CANCELLED' });
    });
    it('a missing bucket is RESOURCE_DOES_NOT_EXIST', async () => {
      const missing = new GcsArtifactRepository(`gs://${bucket}-missing/x`, { env: { STORAGE_EMULATOR_HOST: FAKE_GCS_URL } });
      await expect(missing.openArtifact('f.txt')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    });
  });
}
