/**
 * Object-store behaviours (S3, Azure Blob, GCS…) that any repository should also pass: awkward key
 * characters, sibling prefixes, listings and deletes past one 1,000-key page, overwrite, zero-byte
 * objects and aborted uploads. Shared by the object-store adapters: extend it, gate new cases by
 * capability (never by adapter name), and keep each case under its own random sub-prefix.
 */
import { expect } from 'vitest';
import { expectMlflowError } from '../../tracking/expect-error.js';
import type { ArtifactKitContext, CapabilityGate } from '../context.js';
import { canDelete, needs } from '../context.js';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generatedStream, readAll, sha256, tempDir } from '../helpers.js';

const MiB = 1024 * 1024;

/** Gate: a prefix-keyed store (paged listings, no empty directories), where `x` and `x/y` may coexist. */
const prefixKeyed: CapabilityGate = (c) => (c.emptyDirectories ? 'directories are real here, so a file cannot also be a directory' : needs('paginatedList')(c));
/** Gate: MLflow's proxy multipart flow (presigned part URLs). */
const presignedMultipart: CapabilityGate = (c) => needs('multipartUpload')(c) ?? needs('presign')(c);

/** PUTs one part to its presigned URL as MLflow's client does and returns the part's ETag. */
async function putPart(cred: { url: string; headers: Record<string, string> }, body: Buffer): Promise<string> {
  const res = await fetch(cred.url, { method: 'PUT', headers: cred.headers, body });
  expect(res.status, `part PUT answered ${res.status}: ${(await res.clone().text()).slice(0, 300)}`).toBeLessThan(300);
  await res.arrayBuffer();
  return res.headers.get('etag') ?? '';
}

/** Key names that URL-encoding, form-encoding and signing code get wrong. */
export const AWKWARD_KEY_NAMES: readonly string[] = [
  'with space.txt',
  'plus+sign.txt',
  'percent%20encoded.txt',
  'percent%.txt',
  'ünïcödé-日本語-🚀.txt',
  'amp&eq=semi;colon.txt',
  "quote'and\"dq.txt",
  'tilde~star*paren().txt',
];

/** Gate: listings really page and the repository can delete (for the >1,000-object cases). */
const pagesAndDeletes: CapabilityGate = (c) => needs('paginatedList')(c) ?? canDelete(c);

/** Writes `count` small files `<dir>/<name(i)>` with bounded concurrency. */
async function writeMany(ctx: ArtifactKitContext, count: number, name: (i: number) => string): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      await ctx.repo().writeArtifact(name(i), `${i}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}

/** Object-store cases (group `artifacts/object-store`). */
export function defineObjectStoreCases(ctx: ArtifactKitContext): void {
  for (const [i, name] of AWKWARD_KEY_NAMES.entries()) {
    ctx.it(`round-trips, lists and deletes awkward key #${i + 1} (${name})`, async () => {
      const path = ctx.p(`awk${i}/dir with space+plus/${name}`);
      const data = randomBytes(2048);
      await ctx.repo().writeArtifact(path, data);
      expect(sha256(await readAll(await ctx.repo().openArtifact(path)))).toBe(sha256(data));
      const listed = await ctx.repo().listArtifacts(ctx.p(`awk${i}/dir with space+plus`));
      expect(listed).toEqual([{ path, is_dir: false, file_size: 2048 }]);
      if (ctx.repo().capabilities.deleteSemantics !== 'none') {
        await ctx.repo().deleteArtifacts(path);
        await expectMlflowError(() => ctx.repo().openArtifact(path), 'RESOURCE_DOES_NOT_EXIST');
      }
    });
  }
  ctx.it('keeps sibling prefixes apart (a/b vs a/bc, a/b.txt)', async () => {
    await ctx.repo().writeArtifact(ctx.p('sib/a/b/x.txt'), 'x');
    await ctx.repo().writeArtifact(ctx.p('sib/a/bc/y.txt'), 'y');
    await ctx.repo().writeArtifact(ctx.p('sib/a/b.txt'), 'z');
    expect((await ctx.repo().listArtifacts(ctx.p('sib/a/b'))).map((f) => f.path)).toEqual([ctx.p('sib/a/b/x.txt')]);
    expect((await ctx.repo().listArtifacts(ctx.p('sib/a/bc'))).map((f) => f.path)).toEqual([ctx.p('sib/a/bc/y.txt')]);
    const top = await ctx.repo().listArtifacts(ctx.p('sib/a'));
    expect(top.map((f) => [f.path, f.is_dir]).sort()).toEqual([
      [ctx.p('sib/a/b'), true],
      [ctx.p('sib/a/b.txt'), false],
      [ctx.p('sib/a/bc'), true],
    ]);
    const semantics = ctx.repo().capabilities.deleteSemantics;
    if (semantics !== 'none') {
      await ctx.repo().deleteArtifacts(ctx.p('sib/a/b'));
      // 'contents' (MLflow's HDFS repository): the directory is emptied and stays.
      const kept = semantics === 'contents' ? [ctx.p('sib/a/b')] : [];
      expect((await ctx.repo().listArtifacts(ctx.p('sib/a'))).map((f) => f.path).sort()).toEqual([...kept, ctx.p('sib/a/b.txt'), ctx.p('sib/a/bc')]);
      expect(await ctx.repo().listArtifacts(ctx.p('sib/a/b'))).toEqual([]);
    }
  });
  ctx.it(
    'lists more than 1,000 entries of one directory (several pages)',
    async () => {
      const n = 1005;
      await writeMany(ctx, n, (i) => ctx.p(`many/f${String(i).padStart(5, '0')}.txt`));
      await ctx.repo().writeArtifact(ctx.p('many/zdir/inner.txt'), 'i');
      const listed = await ctx.repo().listArtifacts(ctx.p('many'));
      expect(listed.length).toBe(n + 1);
      expect(new Set(listed.map((f) => f.path)).size).toBe(n + 1);
      expect(listed.filter((f) => f.is_dir).map((f) => f.path)).toEqual([ctx.p('many/zdir')]);
      if (ctx.repo().capabilities.sortedListing) expect(listed.map((f) => f.path)).toEqual(listed.map((f) => f.path).sort());
    },
    needs('paginatedList'),
    300_000,
  );
  ctx.it(
    'deletes a directory of more than 1,000 objects',
    async () => {
      const n = 1003;
      await writeMany(ctx, n, (i) => ctx.p(`bulk/d${i % 3}/f${i}.txt`));
      await ctx.repo().writeArtifact(ctx.p('bulk-sibling/keep.txt'), 'k');
      await ctx.repo().deleteArtifacts(ctx.p('bulk'));
      expect(await ctx.repo().listArtifacts(ctx.p('bulk'))).toEqual([]);
      expect((await readAll(await ctx.repo().openArtifact(ctx.p('bulk-sibling/keep.txt')))).toString()).toBe('k');
    },
    pagesAndDeletes,
    300_000,
  );
  ctx.it('overwrite replaces content and size (longer → shorter → empty)', async () => {
    const path = ctx.p('ow/obj.bin');
    await ctx.repo().writeArtifact(path, randomBytes(50_000));
    const second = Buffer.from('short');
    await ctx.repo().writeArtifact(path, second);
    expect((await readAll(await ctx.repo().openArtifact(path))).equals(second)).toBe(true);
    expect((await ctx.repo().listArtifacts(ctx.p('ow')))[0]).toEqual({ path, is_dir: false, file_size: 5 });
    await ctx.repo().writeArtifact(path, '');
    expect((await ctx.repo().listArtifacts(ctx.p('ow')))[0]).toEqual({ path, is_dir: false, file_size: 0 });
  });
  ctx.it('zero-byte objects from every body kind are listed, read and downloaded', async () => {
    const bodies = { 'z/buf.bin': new Uint8Array(0), 'z/str.txt': '', 'z/iter.bin': (async function* () {})() };
    for (const [rel, body] of Object.entries(bodies)) await ctx.repo().writeArtifact(ctx.p(rel), body);
    const listed = await ctx.repo().listArtifacts(ctx.p('z'));
    expect(listed.map((f) => f.file_size)).toEqual([0, 0, 0]);
    for (const rel of Object.keys(bodies)) expect((await readAll(await ctx.repo().openArtifact(ctx.p(rel)))).length).toBe(0);
  });
  ctx.it(
    'a range past a zero-offset start reads to the end',
    async () => {
      const data = randomBytes(10_000);
      await ctx.repo().writeArtifact(ctx.p('rg/r.bin'), data);
      expect((await readAll(await ctx.repo().openArtifact(ctx.p('rg/r.bin'), { start: 9_000 }))).equals(data.subarray(9_000))).toBe(true);
    },
    needs('rangeRead'),
  );
  ctx.it(
    'aborting mid-upload rejects with CANCELLED and leaves no object (and keeps an older version)',
    async () => {
      const size = 24 * MiB;
      const fresh = ctx.p('abort/fresh.bin');
      const kept = ctx.p('abort/kept.bin');
      await ctx.repo().writeArtifact(kept, 'old version');
      for (const path of [fresh, kept]) {
        const ac = new AbortController();
        const gen = generatedStream(size, 256 * 1024);
        let sent = 0;
        gen.stream.on('data', (chunk: Buffer) => {
          sent += chunk.length;
          // Past any single-request threshold (8 MiB GCS, 5 MiB S3 parts) but before the end.
          if (sent >= 12 * MiB && !ac.signal.aborted) ac.abort();
        });
        await expectMlflowError(() => ctx.repo().writeArtifact(path, gen.stream, { signal: ac.signal }), 'CANCELLED');
      }
      await expectMlflowError(() => ctx.repo().openArtifact(fresh), 'RESOURCE_DOES_NOT_EXIST');
      expect((await readAll(await ctx.repo().openArtifact(kept))).toString()).toBe('old version');
      expect((await ctx.repo().listArtifacts(ctx.p('abort'))).map((f) => f.path)).toEqual([kept]);
    },
    undefined,
    120_000,
  );
  ctx.it(
    'a file and a directory of the same name coexist (x and x/y)',
    async () => {
      await ctx.repo().writeArtifact(ctx.p('same/x'), 'file');
      await ctx.repo().writeArtifact(ctx.p('same/x/y'), 'child');
      const listed = await ctx.repo().listArtifacts(ctx.p('same'));
      expect(listed).toHaveLength(2);
      expect(listed).toEqual(expect.arrayContaining([{ path: ctx.p('same/x'), is_dir: true }, { path: ctx.p('same/x'), is_dir: false, file_size: 4 }]));
      expect((await ctx.repo().listArtifacts(ctx.p('same/x'))).map((f) => f.path)).toEqual([ctx.p('same/x/y')]);
      expect((await readAll(await ctx.repo().openArtifact(ctx.p('same/x')))).toString()).toBe('file');
    },
    prefixKeyed,
  );
  ctx.it(
    'completes a multipart upload made through presigned part URLs (the proxy flow)',
    async () => {
      const data = randomBytes(5 * MiB + 1000);
      const local = join(await tempDir(), 'mpu.bin');
      await writeFile(local, data);
      const created = await ctx.repo().createMultipartUpload!(local, 2, ctx.p('mpu'));
      expect(created.credentials.map((c) => c.part_number)).toEqual([1, 2]);
      const parts = [];
      for (const cred of created.credentials) {
        const slice = data.subarray((cred.part_number - 1) * 5 * MiB, cred.part_number * 5 * MiB);
        parts.push({ part_number: cred.part_number, etag: await putPart(cred, slice), url: cred.url });
      }
      await ctx.repo().completeMultipartUpload!(local, created.upload_id ?? '', parts, ctx.p('mpu'));
      expect(sha256(await readAll(await ctx.repo().openArtifact(ctx.p('mpu/mpu.bin'))))).toBe(sha256(data));
      expect(await ctx.repo().listArtifacts(ctx.p('mpu'))).toEqual([{ path: ctx.p('mpu/mpu.bin'), is_dir: false, file_size: data.length }]);
    },
    presignedMultipart,
    120_000,
  );
  ctx.it(
    'an aborted presigned multipart upload leaves no object',
    async () => {
      const local = join(await tempDir(), 'gone.bin');
      await writeFile(local, randomBytes(1000));
      const created = await ctx.repo().createMultipartUpload!(local, 1, ctx.p('mpa'));
      await putPart(created.credentials[0]!, randomBytes(1000));
      await ctx.repo().abortMultipartUpload!(local, created.upload_id ?? '', ctx.p('mpa'));
      await expectMlflowError(() => ctx.repo().openArtifact(ctx.p('mpa/gone.bin')), 'RESOURCE_DOES_NOT_EXIST');
      expect(await ctx.repo().listArtifacts(ctx.p('mpa'))).toEqual([]);
    },
    presignedMultipart,
  );
}
