import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BaseArtifactRepository,
  MlflowError,
  forEachBounded,
  isMlflowError,
  silentLogger,
  throwIfAborted,
  validateArtifactPath,
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactRepositoryCapabilities,
  type FileInfo,
  type Logger,
  type OpenArtifactOptions,
} from '@mlstore/core';
import { PREFIX, mapHdfsError } from './errors.js';
import { resolveHdfsSettings, type HdfsArtifactRepositoryOptions, type HdfsSettings } from './hdfs-options.js';
import { hdfsPathOf, parseHdfsUri, type HdfsUri } from './hdfs-uri.js';
import { WebHdfsClient, bodyFailure } from './webhdfs-client.js';

/** Temporary upload names (`.mlstore-upload-<hex>.tmp`), hidden from listings. */
const TEMP_NAME = /^\.mlstore-upload-[0-9a-f]{24}\.tmp$/;
/** Children deleted at once when a directory is emptied. */
const DELETE_CONCURRENCY = 8;

/**
 * MLflow's HDFS artifact repository over Hadoop's REST gateways (WebHDFS on the namenode, or
 * HttpFS), plain HTTP, no Java: `webhdfs://host:port/path`, `swebhdfs://…` (https) and MLflow's
 * `hdfs://host:port/path` (gateway from `MLSTORE_HDFS_GATEWAY`, default `http://host:9870`).
 *
 * Writes go to a hidden temporary name beside the target and are renamed over it, so a failed or
 * aborted upload never leaves a partial file at the destination; bodies and downloads are
 * streamed. As in MLflow, deleting a directory empties it (the directory stays), listings keep
 * empty directories, and a file or missing path lists as `[]`.
 */
export class HdfsArtifactRepository extends BaseArtifactRepository {
  readonly capabilities: ArtifactRepositoryCapabilities = {
    multipartUpload: false,
    presign: false,
    rangeRead: true,
    paginatedList: true,
    emptyDirectories: true,
    deleteSemantics: 'contents',
    sortedListing: true,
  };
  readonly uri: HdfsUri;
  readonly settings: HdfsSettings;
  /** The REST client (exposed for tests and benchmarks). */
  readonly client: WebHdfsClient;
  private readonly logger: Logger;
  /** Whether the gateway runs rename2 (`renameoptions=OVERWRITE`); undefined until the first rename. */
  private rename2: boolean | undefined;

  /**
   * @throws MlflowError INVALID_PARAMETER_VALUE for a bad URI, gateway or setting.
   */
  constructor(artifactUri: string, options: HdfsArtifactRepositoryOptions = {}) {
    super(artifactUri);
    this.uri = parseHdfsUri(artifactUri);
    this.settings = resolveHdfsSettings(this.uri, options);
    this.client = new WebHdfsClient(this.settings);
    this.logger = options.logger ?? silentLogger;
  }

  /** Absolute HDFS path of an artifact path (validated; `''` = the root). */
  private abs(path: string | undefined): { rel: string; abs: string } {
    const rel = validateArtifactPath(path);
    return { rel, abs: hdfsPathOf(this.uri.path, rel) };
  }

  async listArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<FileInfo[]> {
    const { rel, abs } = this.abs(path);
    throwIfAborted(opts);
    const entries = await this.client.list(abs, opts);
    if (!entries) return [];
    // A file lists as itself with an empty suffix: MLflow gives [] for a file.
    if (entries.length === 1 && entries[0]?.pathSuffix === '') return [];
    const out: FileInfo[] = [];
    for (const e of entries) {
      if (e.pathSuffix === '' || TEMP_NAME.test(e.pathSuffix)) continue;
      const childPath = rel === '' ? e.pathSuffix : `${rel}/${e.pathSuffix}`;
      out.push(e.type === 'DIRECTORY' ? { path: childPath, is_dir: true } : { path: childPath, is_dir: false, file_size: Number(e.length) });
    }
    return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  protected override async isDirectory(path: string, opts?: ArtifactCallOptions): Promise<boolean> {
    const { abs } = this.abs(path);
    return (await this.client.status(abs, opts ?? {}))?.type === 'DIRECTORY';
  }

  protected override async makeDirectory(path: string, opts?: ArtifactCallOptions): Promise<void> {
    const { abs } = this.abs(path);
    throwIfAborted(opts);
    await this.client.mkdirs(abs, opts ?? {});
  }

  async openArtifact(path: string, opts: OpenArtifactOptions = {}): Promise<Readable> {
    const { rel, abs } = this.abs(path);
    if (rel === '') throw MlflowError.invalidParameter(`${PREFIX} cannot open the artifact root as a file`);
    throwIfAborted(opts);
    const { start, end } = opts;
    if (start !== undefined && (!Number.isSafeInteger(start) || start < 0)) throw MlflowError.invalidParameter(`${PREFIX} bad range start ${start}`);
    if (end !== undefined && (!Number.isSafeInteger(end) || end < (start ?? 0))) throw MlflowError.invalidParameter(`${PREFIX} bad range end ${end}`);
    const range = {
      ...(start ? { offset: start } : {}),
      ...(end !== undefined ? { length: end - (start ?? 0) + 1 } : {}),
    };
    return this.client.open(abs, range, opts);
  }

  /**
   * Streams `body` to a temporary name in the target's directory (parents created) and renames it
   * over the target. On failure or abort the temporary file is removed (best effort: when the
   * gateway is gone it stays, hidden from listings, until a later delete of its directory).
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for the root or a bad path, CANCELLED when
   *   aborted, TEMPORARILY_UNAVAILABLE when the gateway is unreachable, mapped WebHDFS errors.
   */
  async writeArtifact(path: string, body: ArtifactBody, opts: ArtifactCallOptions = {}): Promise<void> {
    const { rel, abs } = this.abs(path);
    if (rel === '') throw MlflowError.invalidParameter(`${PREFIX} cannot write to the artifact root itself; give a file path`);
    throwIfAborted(opts);
    const what = `writing ${abs}`;
    const dir = abs.slice(0, abs.lastIndexOf('/')) || '/';
    const tmp = hdfsPathOf(dir === '/' ? '/' : dir, `.mlstore-upload-${randomBytes(12).toString('hex')}.tmp`);
    const payload = typeof body === 'string' ? Buffer.from(body, 'utf8') : body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : body instanceof Readable ? body : Readable.from(body);
    try {
      await this.client.create(tmp, payload, false, opts);
      throwIfAborted(opts);
      await this.moveIntoPlace(tmp, abs, what, opts);
    } catch (error) {
      if (payload instanceof Readable && !payload.destroyed) payload.destroy();
      const mapped = isMlflowError(error) ? error : bodyFailure(error, what, opts.signal);
      await this.removeQuietly(tmp);
      throw mapped.errorCode !== 'CANCELLED' && opts.signal?.aborted ? mapHdfsError(opts.signal.reason, what, opts.signal) : mapped;
    }
  }

  /**
   * Renames `tmp` over `abs`. The namenode honours `renameoptions=OVERWRITE` (atomic replace,
   * directories refused). HttpFS ignores it and runs the old rename, which refuses an existing file
   * and moves the source into an existing directory; so until the gateway has shown rename2, the
   * target is checked first (a directory is refused) and an existing file deleted before renaming
   * (a concurrent writer may slip in between: a few rounds, then RESOURCE_CONFLICT).
   */
  private async moveIntoPlace(tmp: string, abs: string, what: string, opts: ArtifactCallOptions): Promise<void> {
    const notOverDir = () => MlflowError.invalidParameter(`${PREFIX} ${what}: ${abs} is a directory; a file cannot replace it`);
    for (let attempt = 0; attempt < 6; attempt++) {
      if (this.rename2 !== true) {
        const existing = await this.client.status(abs, opts);
        if (existing?.type === 'DIRECTORY') throw notOverDir();
        if (existing && this.rename2 === false) await this.client.delete(abs, false, opts);
      }
      let outcome: 'replaced' | 'renamed' | 'refused';
      try {
        outcome = await this.client.renameOverwrite(tmp, abs, opts);
      } catch (error) {
        if (isMlflowError(error) && /must both be directories|destination directory is not empty/.test(error.message)) throw notOverDir();
        throw error;
      }
      this.rename2 = outcome === 'replaced';
      if (outcome !== 'refused') return;
      if (attempt > 1) await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * attempt));
    }
    throw new MlflowError(`${PREFIX} ${what}: renaming the uploaded temporary file into place failed`, 'RESOURCE_CONFLICT', { retryable: true });
  }

  /** Deletes a temporary upload; a connection just cut may still sit in the pool, so up to 3 tries. */
  private async removeQuietly(absPath: string): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.delete(absPath, false, { signal: AbortSignal.timeout(10_000) });
        return;
      } catch (error) {
        if (attempt >= 3 || !(isMlflowError(error) && error.retryable)) {
          this.logger.warn({ err: error, path: absPath }, `${PREFIX} could not remove the temporary upload`);
          return;
        }
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }

  /**
   * MLflow's semantics: a file is deleted; a directory is emptied (its children deleted
   * recursively, the directory itself stays); a missing path is a no-op.
   */
  async deleteArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const { abs } = this.abs(path);
    throwIfAborted(opts);
    const entries = await this.client.list(abs, opts);
    if (!entries) return;
    if (entries.length === 1 && entries[0]?.pathSuffix === '') {
      await this.client.delete(abs, false, opts);
      return;
    }
    await forEachBounded(entries, DELETE_CONCURRENCY, async (e) => {
      throwIfAborted(opts);
      await this.client.delete(hdfsPathOf(abs, e.pathSuffix), true, opts);
    });
  }

  protected async downloadFile(remotePath: string, localPath: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const source = await this.openArtifact(remotePath, opts);
    try {
      await pipeline(source, createWriteStream(localPath), opts.signal ? { signal: opts.signal } : {});
    } catch (error) {
      await rm(localPath, { force: true });
      throw mapHdfsError(error, `downloading ${remotePath}`, opts.signal);
    }
  }

  /** Closes idle keep-alive connections (the repository stays usable). */
  close(): void {
    this.client.close();
  }
}
