// The bare-SDK side of `pnpm bench:artifacts`: the practical limit. The official Node SDK of each
// backend doing the simplest direct thing a developer would write — its own high-level upload and
// download helpers with their defaults, plain file streams, and `sdkConcurrency` requests in
// flight for the many small files (listing included in the download, as a real download must
// find the files). Also the bench's setup (bucket) and cleanup (delete a prefix) tasks. The host
// backends' bare clients (ssh2-sftp-client, basic-ftp, node:http WebHDFS) are in sdk-hosts.ts.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ftpSdk, hdfsSdk, sftpSdk, type Sdk } from './sdk-hosts.ts';
import { BUCKET, LARGE_NAME, pool, smallName, timed, type Phase, type SideResult, type Task } from './workload.ts';

const task = JSON.parse(process.argv[2]!) as Task;
const e = task.endpoints;
const key = (rel: string) => `${task.root}/${rel}`;
const localOf = (rel: string) => join(task.outDir, ...rel.split('/'));

async function s3(): Promise<Sdk> {
  const { S3Client, CreateBucketCommand, PutObjectCommand, GetObjectCommand, ListObjectsV2Command, DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
  const { Upload } = await import('@aws-sdk/lib-storage');
  const client = new S3Client({ endpoint: e.s3, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'mlstore-bench', secretAccessKey: 'mlstore-bench-secret' } });
  return {
    async setup() {
      try {
        await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
      } catch (err) {
        if ((err as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw err;
      }
    },
    // lib-storage defaults: 5 MiB parts, 4 in flight.
    uploadLarge: async (local, rel) => void (await new Upload({ client, params: { Bucket: BUCKET, Key: key(rel), Body: createReadStream(local) } }).done()),
    uploadFile: async (local, rel) => void (await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key(rel), Body: await readFile(local) }))),
    async download(rel) {
      const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key(rel) }));
      await pipeline(res.Body as Readable, createWriteStream(localOf(rel)));
    },
    async list(prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, ContinuationToken: token }));
        for (const o of page.Contents ?? []) keys.push(o.Key!);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      return keys;
    },
    async deleteKeys(keys) {
      for (let i = 0; i < keys.length; i += 1000) {
        await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) } }));
      }
    },
    close: async () => client.destroy(),
  };
}

async function azure(): Promise<Sdk> {
  const { BlobServiceClient } = await import('@azure/storage-blob');
  const container = BlobServiceClient.fromConnectionString(e.azureConnectionString).getContainerClient(BUCKET);
  return {
    setup: async () => void (await container.createIfNotExists()),
    // uploadStream defaults: 8 MiB buffers, 5 in flight.
    uploadLarge: async (local, rel) => void (await container.getBlockBlobClient(key(rel)).uploadStream(createReadStream(local))),
    uploadFile: async (local, rel) => void (await container.getBlockBlobClient(key(rel)).uploadFile(local)),
    download: async (rel) => void (await container.getBlobClient(key(rel)).downloadToFile(localOf(rel))),
    async list(prefix) {
      const keys: string[] = [];
      for await (const b of container.listBlobsFlat({ prefix })) keys.push(b.name);
      return keys;
    },
    deleteKeys: (keys) => pool(keys, 16, async (k) => void (await container.deleteBlob(k, { deleteSnapshots: 'include' }))),
    close: async () => {},
  };
}

async function gcs(): Promise<Sdk> {
  const { Storage } = await import('@google-cloud/storage');
  // An explicit endpoint (no STORAGE_EMULATOR_HOST in this process) is unauthenticated by default.
  const storage = new Storage({ apiEndpoint: e.gcs, projectId: 'mlstore-bench' });
  const bucket = storage.bucket(BUCKET);
  return {
    async setup() {
      const [exists] = await bucket.exists();
      if (!exists) await storage.createBucket(BUCKET);
    },
    // bucket.upload picks a resumable upload above 5 MB, a single multipart request below.
    uploadLarge: async (local, rel) => void (await bucket.upload(local, { destination: key(rel) })),
    uploadFile: async (local, rel) => void (await bucket.upload(local, { destination: key(rel) })),
    download: (rel) => pipeline(bucket.file(key(rel)).createReadStream(), createWriteStream(localOf(rel))),
    async list(prefix) {
      const [files] = await bucket.getFiles({ prefix });
      return files.map((f) => f.name);
    },
    deleteKeys: (keys) => pool(keys, 16, async (k) => void (await bucket.file(k).delete({ ignoreNotFound: true }))),
    close: async () => {},
  };
}

const sftp = () => sftpSdk(task);
const ftp = () => ftpSdk(task);
const hdfs = () => hdfsSdk(task);
const sdk = await { s3, azure, gcs, sftp, ftp, hdfs }[task.backend]();

if (task.mode === 'setup') {
  await sdk.setup();
  process.stdout.write('{}\n');
} else if (task.mode === 'cleanup') {
  if (sdk.deleteRoot) {
    process.stdout.write(`${JSON.stringify({ deleted: await sdk.deleteRoot() })}\n`);
    await sdk.close();
  } else {
    const keys = await sdk.list(`${task.root}/`);
    await sdk.deleteKeys(keys);
    process.stdout.write(`${JSON.stringify({ deleted: keys.length })}\n`);
  }
} else {
  const small = (await readdir(task.smallDir)).sort();
  const downloadDir = async (rel: string) => {
    const prefix = `${key(rel)}/`;
    const keys = await sdk.list(prefix);
    await mkdir(localOf(rel), { recursive: true });
    await pool(keys, task.sdkConcurrency, (k) => sdk.download(`${rel}/${k.slice(prefix.length)}`));
  };
  await sdk.uploadFile(join(task.smallDir, smallName(0)), `warmup/${smallName(0)}`);
  await mkdir(localOf('warmup'), { recursive: true });
  await sdk.download(`warmup/${smallName(0)}`);
  await sdk.warm?.();
  const seconds: Record<Phase, number> = {
    'upload-large': await timed('upload-large', () => sdk.uploadLarge(task.largeFile, `large/${LARGE_NAME}`)),
    'download-large': await timed('download-large', async () => {
      await mkdir(localOf('large'), { recursive: true });
      await (sdk.downloadLarge ?? sdk.download)(`large/${LARGE_NAME}`);
    }),
    'upload-small': await timed('upload-small', () => pool(small, task.sdkConcurrency, (f) => sdk.uploadFile(join(task.smallDir, f), `small/${f}`))),
    'download-small': await timed('download-small', () => downloadDir('small')),
  };
  await sdk.close();
  const out: SideResult = { side: 'sdk', backend: task.backend, seconds, maxRssKiB: process.resourceUsage().maxRSS, env: { node: process.versions.node } };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}
