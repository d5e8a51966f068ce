/**
 * Azure-specific behaviours against Azurite that the shared kit does not cover: staged blocks
 * (≥ 10, equal-length ids), MLflow's SAS multipart protocol driven like MLflow's client (plain
 * HTTP PUTs to the part URLs), the Content-Type MLflow leaves to Azure, credential failures,
 * a missing container, download cancellation and the registry wiring.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createArtifactRepositoryRegistry, isMlflowError } from '@mlstore/core';
import { afterAll, expect, it } from 'vitest';
import { AzureBlobArtifactRepository, registerAzureArtifactRepository } from '../src/index.js';
import { AZURITE_CONNECTION_STRING, TEST_CONTAINER, describeWithAzurite } from './azurite.js';

const prefix = `azure-blob-${randomUUID()}`;
const env = { AZURE_STORAGE_CONNECTION_STRING: AZURITE_CONNECTION_STRING };
const uri = `wasbs://${TEST_CONTAINER}@devstoreaccount1.blob.core.windows.net/${prefix}`;
const code = (p: Promise<unknown>) => p.then(() => 'ok', (e: unknown) => (isMlflowError(e) ? e.errorCode : `raw: ${String(e)}`));

async function readAll(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

describeWithAzurite('artifact-azure Azure specifics against Azurite', () => {
  const repo = new AzureBlobArtifactRepository(uri, { env, blockSize: 64 * 1024, blockConcurrency: 3 });
  afterAll(() => repo.deleteArtifacts());

  it('uploads in ≥ 10 staged blocks with equal-length ids, committed in order', async () => {
    const data = randomBytes(64 * 1024 * 12 + 123);
    await repo.writeArtifact('blocks/big.bin', data);
    const blob = (await repo.serviceClient()).getContainerClient(TEST_CONTAINER).getBlockBlobClient(`${prefix}/blocks/big.bin`);
    const list = await blob.getBlockList('committed');
    const ids = (list.committedBlocks ?? []).map((b) => b.name);
    expect(ids.length).toBe(13);
    expect(new Set(ids.map((id) => Buffer.from(id, 'base64').length)).size).toBe(1);
    expect((await readAll(await repo.openArtifact('blocks/big.bin'))).equals(data)).toBe(true);
  });

  it('stores no Content-Type of its own (Azure default application/octet-stream), as MLflow', async () => {
    await repo.writeArtifact('ct/model.json', '{"a":1}');
    await repo.writeArtifact('ct/big.txt', randomBytes(200_000));
    for (const name of ['ct/model.json', 'ct/big.txt']) {
      const props = await (await repo.serviceClient()).getContainerClient(TEST_CONTAINER).getBlobClient(`${prefix}/${name}`).getProperties();
      expect(props.contentType).toBe('application/octet-stream');
    }
  });

  it("implements MLflow's SAS multipart upload: 12 Put Block URLs, client PUTs, commit", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mlstore-azure-mpu-'));
    const local = join(dir, 'weights.bin');
    const part = 100_000;
    const data = randomBytes(part * 12 - 7);
    await writeFile(local, data);
    const created = await repo.createMultipartUpload(local, 12, 'mpu');
    expect(created.upload_id).toBeNull();
    expect(created.credentials.map((c) => c.part_number)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    const first = new URL(created.credentials[0]!.url);
    expect(first.searchParams.get('comp')).toBe('block');
    expect(Buffer.from(first.searchParams.get('blockid')!, 'base64').toString()).toBe('mlflow_block_00001');
    expect(first.searchParams.get('sp')).toBe('rw');
    expect(first.pathname).toBe(`/devstoreaccount1/${TEST_CONTAINER}/${prefix}/mpu/weights.bin`);
    const parts = [];
    for (const c of created.credentials) {
      const body = data.subarray((c.part_number - 1) * part, c.part_number * part);
      const res = await fetch(c.url, { method: 'PUT', body, headers: c.headers });
      expect(res.status).toBe(201);
      parts.push({ part_number: c.part_number, etag: res.headers.get('etag') ?? '', url: c.url });
    }
    expect(await repo.listArtifacts('mpu')).toEqual([]); // nothing visible before the commit
    await repo.completeMultipartUpload(local, '', parts, 'mpu');
    expect((await readAll(await repo.openArtifact('mpu/weights.bin'))).equals(data)).toBe(true);
    await repo.abortMultipartUpload(local, '', 'mpu'); // a no-op, as in MLflow
    await expect(repo.completeMultipartUpload(local, '', [{ part_number: 1, etag: 'x' }], 'mpu')).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    expect(await code(repo.createMultipartUpload(local, 50_001))).toBe('INVALID_PARAMETER_VALUE');
  });

  // Azure answers a bad signature with 403 AuthenticationFailed (→ UNAUTHENTICATED); Azurite 3.35
  // answers 403 AuthorizationFailure, which on Azure means a firewall/RBAC refusal (→ PERMISSION_DENIED).
  it('a wrong account key → 403 mapped to PERMISSION_DENIED (Azurite) / UNAUTHENTICATED (Azure), no key in the message', async () => {
    const badKey = Buffer.from('not the key, but a secret-looking one').toString('base64');
    const cs = AZURITE_CONNECTION_STRING.replace(/AccountKey=[^;]+/, `AccountKey=${badKey}`);
    const bad = new AzureBlobArtifactRepository(uri, { connectionString: cs });
    const err = await bad.listArtifacts().catch((e: unknown) => e);
    expect(isMlflowError(err) && err.errorCode).toBe('PERMISSION_DENIED');
    expect((err as Error).message).toContain('HTTP 403 AuthorizationFailure');
    expect((err as Error).message).not.toContain(badKey);
    expect((err as Error).cause).toBeDefined();
  });

  it('a missing container → RESOURCE_DOES_NOT_EXIST for reads, writes and listings; delete is a no-op', async () => {
    const none = new AzureBlobArtifactRepository(`wasbs://no-such-${randomUUID().slice(0, 8)}@devstoreaccount1.blob.core.windows.net/x`, { env });
    expect(await code(none.openArtifact('a.txt'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await code(none.writeArtifact('a.txt', 'a'))).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await code(none.listArtifacts())).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(await code(none.deleteArtifacts())).toBe('ok');
  });

  it('aborting a download in flight cancels the stream', async () => {
    await repo.writeArtifact('dl/big.bin', randomBytes(8 * 1024 * 1024));
    const ac = new AbortController();
    const stream = await repo.openArtifact('dl/big.bin', { signal: ac.signal });
    let got = 0;
    const err = await (async () => {
      for await (const chunk of stream) {
        got += (chunk as Buffer).length;
        if (got > 64 * 1024) ac.abort();
      }
    })().catch((e: unknown) => e);
    expect(got).toBeLessThan(8 * 1024 * 1024);
    expect(err).toBeInstanceOf(Error);
    expect(await code(repo.openArtifact('dl/big.bin', { signal: ac.signal }))).toBe('CANCELLED');
  });

  it('a download with an already-aborted signal and a range past the end', async () => {
    await repo.writeArtifact('r/ten.bin', '0123456789');
    expect((await readAll(await repo.openArtifact('r/ten.bin', { start: 20 }))).length).toBe(0);
    expect((await readAll(await repo.openArtifact('r/ten.bin', { start: 8, end: 100 }))).toString()).toBe('89');
  });

  it('registers wasbs (and refuses abfss with the wasbs equivalent)', async () => {
    const registry = registerAzureArtifactRepository(createArtifactRepositoryRegistry(), { env });
    expect(registry.schemes()).toEqual(['abfss', 'wasbs']);
    const viaRegistry = await registry.resolve(uri);
    await viaRegistry.writeArtifact('reg/x.txt', 'x');
    expect((await repo.listArtifacts('reg')).map((f) => f.path)).toEqual(['reg/x.txt']);
    await expect(registry.resolve('abfss://fs@acct.dfs.core.windows.net/p')).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: expect.stringContaining('use wasbs:// on the same account: wasbs://fs@acct.blob.core.windows.net/p'),
    });
  });
});
