import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ArtifactBody, ArtifactRepositoryCapabilities } from './artifacts/artifact-repository.js';
import { BaseArtifactRepository } from './artifacts/base-artifact-repository.js';
import type { FileInfo } from './entities.js';
import { isMlflowError, MlflowError } from './errors.js';
import { MemoryTrackingStore } from './memory/index.js';
import { artifactRootOf, copyArtifactTree } from './migrate-artifacts.js';
import { migrateStore } from './migrate-store.js';

const CAPS: ArtifactRepositoryCapabilities = {
  multipartUpload: false, presign: false, rangeRead: false, paginatedList: false, emptyDirectories: false, deleteSemantics: 'full', sortedListing: true,
};

async function bytesOf(body: ArtifactBody): Promise<Buffer> {
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(chunks);
}

/** An object store in a Map (`mem://…` URIs), shared by every repository over it; `corrupt` alters what it stores. */
class MapRepository extends BaseArtifactRepository {
  readonly capabilities = CAPS;
  constructor(uri: string, private readonly objects: Map<string, Buffer>, private readonly corrupt?: (b: Buffer) => Buffer) {
    super(uri.replace(/\/+$/, ''));
  }
  private key(path: string): string {
    return path ? `${this.artifactUri}/${path}` : this.artifactUri;
  }
  async listArtifacts(path = ''): Promise<FileInfo[]> {
    const prefix = `${this.key(path)}/`;
    const out = new Map<string, FileInfo>();
    for (const [k, v] of this.objects) {
      if (!k.startsWith(prefix)) continue;
      const [head, ...rest] = k.slice(prefix.length).split('/');
      const child = path ? `${path}/${head}` : (head as string);
      out.set(child, rest.length ? { path: child, is_dir: true } : { path: child, is_dir: false, file_size: v.length });
    }
    return [...out.values()].sort((a, b) => a.path.localeCompare(b.path));
  }
  async openArtifact(path: string): Promise<Readable> {
    const b = this.objects.get(this.key(path));
    if (!b) throw MlflowError.notFound(`no ${path}`);
    return Readable.from([b.subarray(0, 3), b.subarray(3)]);
  }
  async writeArtifact(path: string, body: ArtifactBody): Promise<void> {
    const b = await bytesOf(body);
    this.objects.set(this.key(path), this.corrupt ? this.corrupt(b) : b);
  }
  async deleteArtifacts(): Promise<void> {}
  protected async downloadFile(): Promise<void> {}
}

const tree = (objects: Map<string, Buffer>, prefix: string) =>
  Object.fromEntries([...objects].filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), v.toString()]));

describe('copyArtifactTree', () => {
  it('copies every file of a tree to the same paths and counts files and bytes', async () => {
    const objects = new Map([['mem://a/x/f.txt', Buffer.from('hello')], ['mem://a/x/d/e/g.bin', Buffer.from([0, 1, 2, 3, 4, 5])], ['mem://a/y', Buffer.from('other tree')]]);
    const done = await copyArtifactTree(new MapRepository('mem://a/x', objects), new MapRepository('mem://b/z', objects));
    expect(done).toEqual({ files: 2, bytes: 11 });
    expect(tree(objects, 'mem://b/z/')).toEqual({ 'f.txt': 'hello', 'd/e/g.bin': '\u0000\u0001\u0002\u0003\u0004\u0005' });
  });

  it('fails with INVALID_STATE when the copy reads back other bytes', async () => {
    const objects = new Map([['mem://a/f', Buffer.from('payload')]]);
    const flip = (b: Buffer) => Buffer.concat([b.subarray(0, 1), Buffer.from('X'), b.subarray(2)]);
    const err = await copyArtifactTree(new MapRepository('mem://a', objects), new MapRepository('mem://b', objects, flip)).catch((e: unknown) => e);
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_STATE');
    expect((err as Error).message).toMatch(/^Artifact copy failed verification: f has SHA-256 [0-9a-f]{64} in mem:\/\/a and [0-9a-f]{64} in mem:\/\/b\.$/);
  });
});

describe('artifactRootOf', () => {
  it("is the folder an experiment's location hangs from, when it ends with the experiment id", () => {
    expect(artifactRootOf({ experiment_id: '7', artifact_location: 'file:///x/mlruns/7' })).toBe('file:///x/mlruns');
    expect(artifactRootOf({ experiment_id: '7', artifact_location: 's3://b/custom' })).toBe('s3://b/custom');
  });
});

describe('migrateStore with copyArtifacts', () => {
  async function setup() {
    const objects = new Map<string, Buffer>();
    let writes = 0;
    const resolve = async (uri: string) => {
      const repo = new MapRepository(uri, objects);
      const write = repo.writeArtifact.bind(repo);
      repo.writeArtifact = async (p, b) => {
        writes++;
        await write(p, b);
      };
      return repo;
    };
    const s = new MemoryTrackingStore({ artifactRoot: 'mem://old' });
    const e = await s.createExperiment('e');
    const runs: string[] = [];
    for (let i = 0; i < 6; i++) {
      const run = (await s.createRun({ experimentId: e })).info;
      runs.push(run.run_id);
      objects.set(`${run.artifact_uri}/model/MLmodel`, Buffer.from(`run ${i}`));
      objects.set(`${run.artifact_uri}/plot.png`, Buffer.alloc(100, i));
    }
    const model = (await s.createLoggedModel({ experimentId: e, sourceRunId: runs[0] })).info;
    objects.set(`${model.artifact_uri}/MLmodel`, Buffer.from('model'));
    return { s, e, runs, model, objects, resolve, writes: () => writes };
  }

  it('copies every run and model tree, points the target at the copies, and reports it', async () => {
    const { s, e, runs, model, objects, resolve } = await setup();
    const t = new MemoryTrackingStore({ artifactRoot: 'mem://new' });
    const report = await migrateStore(s, t, { copyArtifacts: { resolve } });
    expect(report.verification?.ok).toBe(true);
    expect(report.artifacts).toMatchObject({ copied: true, destination: 'mem://new', sourceLocations: ['mem://old'], files: 13, bytes: 6 * 105 + 5, notMoved: [] });
    expect(report.artifacts.runs).toEqual({ copied: 6, skipped: 0, inPlace: 0 });
    expect(report.artifacts.loggedModels).toEqual({ copied: 1, skipped: 0, inPlace: 0 });
    expect((await t.getExperiment(e)).artifact_location).toBe(`mem://new/${e}`);
    const run = (await t.getRun(runs[2] as string)).info;
    expect(run.artifact_uri).toBe(`mem://new/${e}/${runs[2]}/artifacts`);
    expect(objects.get(`${run.artifact_uri}/model/MLmodel`)?.toString()).toBe('run 2');
    expect((await t.getLoggedModel(model.model_id)).info.artifact_uri).toBe(`mem://new/${e}/models/${model.model_id}/artifacts`);
    // The source is left as it was.
    expect((await s.getRun(runs[2] as string)).info.artifact_uri).toBe(`mem://old/${e}/${runs[2]}/artifacts`);
  });

  it('without copyArtifacts leaves them and says where they are', async () => {
    const { s, runs } = await setup();
    const t = new MemoryTrackingStore({ artifactRoot: 'mem://new' });
    const report = await migrateStore(s, t);
    expect(report.artifacts).toMatchObject({ copied: false, sourceLocations: ['mem://old'], files: 0 });
    expect(report.artifacts.destination).toBeUndefined();
    expect((await t.getRun(runs[0] as string)).info.artifact_uri).toMatch(/^mem:\/\/old\//);
  });

  it('resumed after an abort, copies only the runs not yet in the target', async () => {
    const { s, resolve, writes } = await setup();
    const t = new MemoryTrackingStore({ artifactRoot: 'mem://new' });
    const ac = new AbortController();
    const err = await migrateStore(s, t, { signal: ac.signal, concurrency: 1, copyArtifacts: { resolve }, onProgress: (p) => p.phase === 'runs' && p.done === 3 && ac.abort() }).catch((x: unknown) => x);
    expect(isMlflowError(err) && err.errorCode).toBe('CANCELLED');
    const first = writes();
    expect(first).toBeGreaterThanOrEqual(6);
    const resumed = await migrateStore(s, t, { copyArtifacts: { resolve } });
    expect(resumed.verification?.ok).toBe(true);
    const done = resumed.artifacts.runs.skipped;
    expect(done).toBeGreaterThanOrEqual(3);
    expect(resumed.artifacts.runs.copied).toBe(6 - done);
    expect(writes() - first).toBe(2 * (6 - done) + 1);
  });

  it('names what a target migrated earlier without copying still points elsewhere', async () => {
    const { s, runs } = await setup();
    const t = new MemoryTrackingStore({ artifactRoot: 'mem://new' });
    await migrateStore(s, t);
    const report = await migrateStore(s, t, { copyArtifacts: { resolve: async (uri) => new MapRepository(uri, new Map()) } });
    expect(report.artifacts.notMoved.filter((n) => n.entity === 'run').map((n) => n.id).sort()).toEqual([...runs].sort());
    expect(report.artifacts.notMoved).toHaveLength(7);
    expect(report.artifacts.files).toBe(0);
  });

  it('refuses a copy with no destination when the target has no artifact root', async () => {
    const { s, resolve } = await setup();
    const t = new MemoryTrackingStore();
    Object.defineProperty(t, 'artifactRoot', { value: undefined });
    const err = await migrateStore(s, t, { copyArtifacts: { resolve } }).catch((x: unknown) => x);
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });
});
