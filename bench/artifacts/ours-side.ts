// mlstore's side of `pnpm bench:artifacts`: the task of argv[2] through our repository of the
// task's backend, called as a user would (logArtifact / downloadArtifacts / logArtifacts), with
// the repository's defaults and the backend's usual environment variables (set by run.ts).
// Side `ours16` runs the small files only, 16 at a time: `writeArtifact` from a pool of file
// streams and `downloadArtifacts(…, { concurrency: 16 })` — what a concurrent logArtifacts would
// give. Only the one adapter in use is imported, so the process's RSS holds one SDK, as MLflow's does.
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ArtifactRepository } from '@mlstore/core';
import { HDFS_USER, LARGE_NAME, artifactUri, pool, smallName, timed, type Phase, type SideResult, type Task } from './workload.ts';

const task = JSON.parse(process.argv[2]!) as Task;

async function open(t: Task): Promise<ArtifactRepository & { close?: () => unknown }> {
  const uri = artifactUri(t.backend, t.root, t.endpoints);
  switch (t.backend) {
    case 's3':
      return new (await import('@mlstore/artifact-s3')).S3ArtifactRepository(uri);
    case 'azure':
      return new (await import('@mlstore/artifact-azure')).AzureBlobArtifactRepository(uri);
    case 'gcs':
      return new (await import('@mlstore/artifact-gcs')).GcsArtifactRepository(uri);
    // HOME (its ~/.ssh/config alias + known_hosts) and SSH_AUTH_SOCK='' come from run.ts.
    case 'sftp':
      return new (await import('@mlstore/artifact-sftp')).SftpArtifactRepository(uri);
    case 'ftp':
      return new (await import('@mlstore/artifact-ftp')).FtpArtifactRepository(uri);
    case 'hdfs':
      return new (await import('@mlstore/artifact-hdfs')).HdfsArtifactRepository(uri, { user: HDFS_USER });
  }
}

const repo = await open(task);
// Warm-up (untimed, same on every side): one small file up and down opens the client and its connections.
await repo.logArtifact(join(task.smallDir, smallName(0)), 'warmup');
await repo.downloadArtifacts(`warmup/${smallName(0)}`, task.outDir);

const seconds: Partial<Record<Phase, number>> = {};
if (task.side === 'ours16') {
  const files = (await readdir(task.smallDir)).sort();
  const n = task.sdkConcurrency;
  seconds['upload-small'] = await timed('upload-small', () => pool(files, n, (f) => repo.writeArtifact(`small/${f}`, createReadStream(join(task.smallDir, f)))));
  seconds['download-small'] = await timed('download-small', () => repo.downloadArtifacts('small', task.outDir, { concurrency: n }));
} else {
  seconds['upload-large'] = await timed('upload-large', () => repo.logArtifact(task.largeFile, 'large'));
  seconds['download-large'] = await timed('download-large', () => repo.downloadArtifacts(`large/${LARGE_NAME}`, task.outDir));
  seconds['upload-small'] = await timed('upload-small', () => repo.logArtifacts(task.smallDir, 'small'));
  seconds['download-small'] = await timed('download-small', () => repo.downloadArtifacts('small', task.outDir));
}
await repo.close?.();
const out: SideResult = {
  side: task.side,
  backend: task.backend,
  seconds,
  maxRssKiB: process.resourceUsage().maxRSS,
  env: { node: process.versions.node, repository: repo.constructor.name },
};
process.stdout.write(`${JSON.stringify(out)}\n`);
