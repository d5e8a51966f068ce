import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Bucket, Storage } from '@google-cloud/storage';
import {
  BaseArtifactRepository,
  MlflowError,
  redactUri,
  throwIfAborted,
  validateArtifactPath,
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactRepositoryCapabilities,
  type FileInfo,
  type OpenArtifactOptions,
} from '@mlstore/core';
import { PREFIX, mapGcsError } from './errors.js';
import { createGcsStorage } from './gcs-client.js';
import { gcsContentType } from './gcs-content-type.js';
import { resolveGcsSettings, type GcsArtifactRepositoryOptions, type GcsSettings } from './gcs-options.js';
import { uploadBody } from './gcs-upload.js';
import { joinObjectName, parseGcsUri } from './gcs-uri.js';

/** Objects listed per page (the JSON API's maximum). */
const PAGE_SIZE = 1000;

/**
 * MLflow's `GCSArtifactRepository` for `gs://bucket/path` on `@google-cloud/storage`: object names
 * are `<path>/<artifact path>`, uploads carry MLflow's Content-Type and are resumable above 8 MiB,
 * downloads and range reads are streamed, listing pages through the JSON API with delimiter `/`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE from the constructor for a non-`gs` URI or bad options.
 */
export class GcsArtifactRepository extends BaseArtifactRepository {
  readonly capabilities: ArtifactRepositoryCapabilities = {
    multipartUpload: false,
    presign: false,
    rangeRead: true,
    paginatedList: true,
    emptyDirectories: false,
    deleteSemantics: 'full',
    sortedListing: true,
  };
  /** The bucket (URI netloc). */
  readonly bucketName: string;
  /** The object-name prefix of the root, as MLflow parses it. */
  readonly rootPath: string;
  readonly settings: GcsSettings;
  private readonly options: GcsArtifactRepositoryOptions;
  private storagePromise: Promise<Storage> | undefined;

  constructor(artifactUri: string, options: GcsArtifactRepositoryOptions = {}) {
    super(artifactUri);
    const { bucket, path } = parseGcsUri(artifactUri);
    if (bucket === '') throw MlflowError.invalidParameter(`${PREFIX} the GCS URI names no bucket: ${redactUri(artifactUri)}`);
    // A bucket name is lower-case letters, digits, '-', '_' and '.': anything else (user info such as
    // `user:secret@…`, a port) cannot name a bucket, and would otherwise travel into request URLs and messages.
    if (!/^[a-z0-9][a-z0-9._-]{1,221}[a-z0-9]$/.test(bucket)) {
      throw MlflowError.invalidParameter(`${PREFIX} not a valid bucket name in ${redactUri(artifactUri)}: GCS URIs are gs://<bucket>/<path>; credentials come from GOOGLE_APPLICATION_CREDENTIALS`);
    }
    this.bucketName = bucket;
    this.rootPath = path;
    this.options = options;
    this.settings = resolveGcsSettings(options);
  }

  /** The `Storage` client (built on first use; anonymous when no credentials exist, as in MLflow). */
  storage(): Promise<Storage> {
    this.storagePromise ??= createGcsStorage(this.settings, this.options).catch((error: unknown) => {
      this.storagePromise = undefined;
      throw error;
    });
    return this.storagePromise;
  }

  private async bucket(): Promise<Bucket> {
    return (await this.storage()).bucket(this.bucketName);
  }

  /** The object name of an artifact path (validated; `''` is the root). */
  objectName(path: string | undefined): string {
    return joinObjectName(this.rootPath, validateArtifactPath(path));
  }

  private fail(error: unknown, what: string, opts?: ArtifactCallOptions): MlflowError {
    const ctx: { signal?: AbortSignal; anonymous?: boolean } = { anonymous: this.settings.auth.kind === 'anonymous' };
    if (opts?.signal) ctx.signal = opts.signal;
    return mapGcsError(error, what, ctx);
  }

  /** The root as a listing prefix: `''` for the bucket root, else ending in `/`. */
  private rootPrefix(): string {
    return this.rootPath === '' || this.rootPath.endsWith('/') ? this.rootPath : `${this.rootPath}/`;
  }

  /**
   * Direct children of `path`, sorted: every page of a `delimiter=/` listing of `<dest>/`,
   * prefixes as directories, objects as files (a `dest/` placeholder object is skipped, as in
   * MLflow). A missing path or a file gives `[]`.
   */
  async listArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<FileInfo[]> {
    const dest = this.objectName(path);
    const prefix = dest === '' || dest.endsWith('/') ? dest : `${dest}/`;
    const cut = this.rootPrefix().length;
    const infos: FileInfo[] = [];
    // A prefix can come back on several pages; MLflow collects them in a set.
    const dirs = new Set<string>();
    try {
      const bucket = await this.bucket();
      let pageToken: string | undefined;
      do {
        throwIfAborted(opts);
        const [files, , response] = await bucket.getFiles({ prefix, delimiter: '/', autoPaginate: false, maxResults: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) });
        const page = (response ?? {}) as { prefixes?: string[]; nextPageToken?: string };
        for (const dir of page.prefixes ?? []) dirs.add(dir);
        for (const file of files) {
          if (file.name === prefix) continue;
          infos.push({ path: file.name.slice(cut), is_dir: false, file_size: Number(file.metadata.size ?? 0) });
        }
        pageToken = page.nextPageToken;
      } while (pageToken);
    } catch (error) {
      throw this.fail(error, `listing ${prefix}`, opts);
    }
    for (const dir of dirs) infos.push({ path: dir.slice(cut, -1), is_dir: true });
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Streams one object (a byte range with `start`/`end`, inclusive). Resolves once the response
   * has started, so a missing object rejects with RESOURCE_DOES_NOT_EXIST; an abort destroys the
   * request. Full reads are checked against the object's CRC32C by the SDK.
   */
  async openArtifact(path: string, opts: OpenArtifactOptions = {}): Promise<Readable> {
    const name = this.objectName(path);
    if (name === '' || name.endsWith('/')) throw MlflowError.invalidParameter(`${PREFIX} not a file path: '${path}'`);
    throwIfAborted(opts);
    const what = `reading ${name}`;
    let stream: Readable;
    try {
      const file = (await this.bucket()).file(name);
      const range = {
        ...(opts.start !== undefined ? { start: opts.start } : {}),
        ...(opts.end !== undefined ? { end: opts.end } : {}),
      };
      stream = file.createReadStream({ ...range, ...(this.settings.downloadChunkSize ? { highWaterMark: this.settings.downloadChunkSize } : {}) });
    } catch (error) {
      throw this.fail(error, what, opts);
    }
    const signal = opts.signal;
    const onAbort = () => stream.destroy(this.fail(signal?.reason, what, opts));
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => signal?.removeEventListener('abort', onAbort));
    await new Promise<void>((resolve, reject) => {
      const done = (error?: unknown) => {
        stream.off('readable', ok).off('error', done);
        if (error === undefined) resolve();
        else reject(this.fail(error, what, opts));
      };
      const ok = () => done();
      stream.once('readable', ok).once('error', done);
    });
    // Later failures (CRC mismatch, dropped connection) reach the reader as MlflowErrors, and a
    // reader that stops early (destroy) aborts the request.
    return forward(stream, (error) => this.fail(error, what, opts), this.settings.timeoutMs);
  }

  /** Writes one object from a stream or buffer, replacing it; see {@link uploadBody}. */
  async writeArtifact(path: string, body: ArtifactBody, opts: ArtifactCallOptions = {}): Promise<void> {
    const name = this.objectName(path);
    if (validateArtifactPath(path) === '' || name.endsWith('/')) {
      throw MlflowError.invalidParameter(`${PREFIX} writing needs a file path, got '${path}'`);
    }
    throwIfAborted(opts);
    try {
      const file = (await this.bucket()).file(name);
      await uploadBody(file, body, {
        contentType: gcsContentType(name),
        ...(this.settings.uploadChunkSize !== undefined ? { chunkSize: this.settings.uploadChunkSize } : {}),
        ...(this.settings.timeoutMs !== undefined ? { timeoutMs: this.settings.timeoutMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (error) {
      throw this.fail(error, `writing ${name}`, opts);
    }
  }

  /**
   * MLflow's `delete_artifacts`: lists `<dest>` by raw prefix (all pages) and deletes each object
   * that is `dest` itself or under `dest/` (so `model` spares `model2/` and `model.txt`). Missing
   * paths are a no-op; an object deleted meanwhile is ignored.
   */
  async deleteArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const dest = this.objectName(path);
    const within = (key: string) => dest === '' || (dest.endsWith('/') ? key.startsWith(dest) : key === dest || key.startsWith(`${dest}/`));
    try {
      const bucket = await this.bucket();
      let pageToken: string | undefined;
      do {
        throwIfAborted(opts);
        const [files, , response] = await bucket.getFiles({ prefix: dest, autoPaginate: false, maxResults: PAGE_SIZE, ...(pageToken ? { pageToken } : {}) });
        const targets = files.filter((f) => within(f.name));
        for (let i = 0; i < targets.length; i += 16) {
          throwIfAborted(opts);
          await Promise.all(targets.slice(i, i + 16).map((f) => f.delete({ ignoreNotFound: true })));
        }
        pageToken = (response as { nextPageToken?: string } | undefined)?.nextPageToken;
      } while (pageToken);
    } catch (error) {
      throw this.fail(error, `deleting ${dest}`, opts);
    }
  }

  /** Streams one object into a local file (removed again when the download fails). */
  protected async downloadFile(remotePath: string, localPath: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const stream = await this.openArtifact(remotePath, opts);
    try {
      await pipeline(stream, createWriteStream(localPath), opts.signal ? { signal: opts.signal } : {});
    } catch (error) {
      await rm(localPath, { force: true });
      throw this.fail(error, `downloading ${this.objectName(remotePath)}`, opts);
    }
  }
}

/** A stream of `source`'s bytes whose errors are mapped; destroying it destroys `source`. */
function forward(source: Readable, map: (error: unknown) => MlflowError, idleMs?: number): Readable {
  const out = new PassThrough({ readableHighWaterMark: source.readableHighWaterMark });
  source.on('error', (error) => out.destroy(map(error)));
  // The SDK's download stream (node-fetch 2) neither ends nor errors when the connection dies
  // mid-body: without data for `idleMs` while the reader waits for more (not while it applies
  // backpressure), the read fails as a stalled connection — the read timeout Python's client has.
  if (idleMs !== undefined) {
    let last = Date.now();
    source.on('data', () => (last = Date.now()));
    source.on('pause', () => (last = Infinity)).on('resume', () => (last = Date.now()));
    const timer = setInterval(() => {
      if (Date.now() - last < idleMs) return;
      const stalled = Object.assign(new Error(`no data for ${Math.round(idleMs / 1000)} s: the connection stalled or was lost`), { code: 'ETIMEDOUT' });
      out.destroy(map(stalled));
    }, Math.min(1000, idleMs));
    timer.unref();
    out.on('close', () => clearInterval(timer));
  }
  out.on('close', () => {
    if (!source.destroyed) source.destroy();
  });
  source.pipe(out);
  return out;
}
