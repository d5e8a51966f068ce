import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { posix } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BaseArtifactRepository,
  ConnectionPool,
  MlflowError,
  isMlflowError,
  silentLogger,
  throwIfAborted,
  validateArtifactPath,
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactRepositoryCapabilities,
  type DownloadOptions,
  type FileInfo,
  type Logger,
  type OpenArtifactOptions,
} from '@mlstore/core';
import { PREFIX, isConnectionError, mapSftpError } from './errors.js';
import { closeSftpConnection, openSftpConnection, type SftpConnection } from './sftp-connection.js';
import { isNoSuchFile, lstatOrUndefined, mkdirp, readdir, removeTree, renameOver, statOrUndefined, supportsPosixRename, unlink } from './sftp-fs.js';
import { resolveSftpSettings, type SftpArtifactRepositoryOptions, type SftpSettings } from './sftp-options.js';
import { closeHandle, createPipelinedReadStream, createPipelinedWriteStream, openForRead, openHandle, writeWholeFile } from './sftp-streams.js';
import { inTheWay, show, toReadable, withTimeout } from './sftp-helpers.js';
import { joinRemotePath, parseSftpUri, type SftpLocation } from './sftp-uri.js';

/**
 * MLflow's `SFTPArtifactRepository` (`sftp://[user[:pass]@]host[:port]/abs/path`) on
 * ssh2-sftp-client: `~/.ssh/config` host settings, ssh-agent / key files / password logins, host
 * keys checked against known_hosts, a bounded pool of reused SSH connections (re-opened after a
 * drop), streamed reads (byte ranges) and writes (temp file + atomic rename, so a failed or
 * aborted upload leaves nothing at the destination), recursive delete, empty directories kept.
 * Call {@link close} to end the pooled connections.
 */
export class SftpArtifactRepository extends BaseArtifactRepository {
  static readonly capabilities: ArtifactRepositoryCapabilities = {
    multipartUpload: false,
    presign: false,
    rangeRead: true,
    paginatedList: false,
    emptyDirectories: true,
    deleteSemantics: 'full',
    sortedListing: true,
  };
  readonly capabilities = SftpArtifactRepository.capabilities;
  /** The URI as parsed. */
  readonly location: SftpLocation;
  /** Connection settings after URI, ssh config, options and environment are merged. */
  readonly settings: SftpSettings;
  private readonly pool: ConnectionPool<SftpConnection>;
  private readonly logger: Logger;
  private readonly secrets: (string | undefined)[];
  /**
   * Remote directories this repository made or wrote into, so further uploads there skip the
   * directory check (one STAT per file otherwise). Trusted, not blindly: an OPEN that finds the
   * directory gone makes it again. The promise lets concurrent uploads share one check.
   */
  private readonly knownDirs = new Map<string, Promise<void>>();
  /**
   * File sizes seen by the listings of one `downloadArtifacts` call (keyed by its options object,
   * which the base class passes to `listArtifacts`, `isDirectory` and `downloadFile` alike): a
   * listed file is read without a STAT first.
   */
  private readonly listedSizes = new WeakMap<object, Map<string, number>>();

  /**
   * Reads `~/.ssh/config` now (as MLflow does); connects lazily on the first call.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for a non-sftp URI or malformed numbers.
   */
  constructor(artifactUri: string, options: SftpArtifactRepositoryOptions = {}) {
    super(artifactUri);
    this.location = parseSftpUri(artifactUri);
    this.settings = resolveSftpSettings(this.location, options);
    this.logger = options.logger ?? silentLogger;
    this.secrets = [this.settings.password, this.settings.passphrase, this.location.password];
    this.pool = new ConnectionPool<SftpConnection>({
      create: (signal) => openSftpConnection(this.settings, this.logger, signal),
      destroy: closeSftpConnection,
      max: this.settings.maxConnections,
      idleTimeoutMs: this.settings.idleTimeoutMs,
      isOpen: (conn) => !conn.closed,
      reusableAfter: (error, conn) => !conn.closed && isMlflowError(error) && error.errorCode !== 'TEMPORARILY_UNAVAILABLE' && error.errorCode !== 'CANCELLED' && error.errorCode !== 'INTERNAL_ERROR',
    });
  }

  /** Ends every pooled connection (busy ones when they are given back); later calls fail. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /**
   * The absolute remote path of an artifact path (validated; a name over 255 bytes, which SFTP v3
   * can only report as a bare "Failure", is INVALID_PARAMETER_VALUE).
   */
  remotePath(path: string | undefined): string {
    const rel = validateArtifactPath(path);
    if (rel.split('/').some((seg) => Buffer.byteLength(seg) > 255)) throw MlflowError.invalidParameter(`${PREFIX} Invalid path: a name is longer than 255 bytes`);
    return joinRemotePath(this.location.path, rel);
  }

  /**
   * Runs `fn` on a pooled connection, mapping failures. Idempotent metadata calls (`retry`) are
   * tried once more on a fresh connection when a reused one turns out to be dead.
   */
  private async run<R>(what: string, fn: (conn: SftpConnection) => Promise<R>, opts: ArtifactCallOptions, retry = false): Promise<R> {
    const signal = opts.signal;
    const attempt = () =>
      this.pool.use(async (conn) => {
        try {
          return await fn(conn);
        } catch (error) {
          throw mapSftpError(error, what, { ...(signal ? { signal } : {}), secrets: this.secrets });
        }
      }, signal);
    try {
      throwIfAborted(opts);
      return await attempt();
    } catch (error) {
      const mapped = mapSftpError(error, what, { ...(signal ? { signal } : {}), secrets: this.secrets });
      if (retry && mapped.errorCode === 'TEMPORARILY_UNAVAILABLE' && !signal?.aborted) {
        this.logger.debug({ what }, 'sftp: connection dropped, retrying once');
        try {
          return await attempt();
        } catch (again) {
          throw mapSftpError(again, what, { ...(signal ? { signal } : {}), secrets: this.secrets });
        }
      }
      throw mapped;
    }
  }

  protected override async isDirectory(path: string, opts: ArtifactCallOptions = {}): Promise<boolean> {
    const remote = this.remotePath(path);
    const st = await this.run(`stat ${show(path)}`, (c) => statOrUndefined(c.sftp, remote), opts, true);
    if (st?.isFile()) this.listedSizes.get(opts)?.set(validateArtifactPath(path), st.size);
    return st?.isDirectory() ?? false;
  }

  protected override async makeDirectory(path: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const remote = this.remotePath(path);
    await this.run(
      `mkdir ${show(path)}`,
      (c) =>
        mkdirp(c.sftp, remote).catch(async (error: unknown) => {
          throw (await inTheWay(c, remote, validateArtifactPath(path) || '.')) ?? error;
        }),
      opts,
      true,
    );
    this.rememberDir(remote, Promise.resolve());
  }

  private rememberDir(remote: string, made: Promise<void>): void {
    if (this.knownDirs.size >= 10_000) this.knownDirs.clear();
    this.knownDirs.set(remote, made);
  }

  /** `mkdir -p` of the parent of an upload, once per directory (see {@link knownDirs}). */
  private ensureDir(c: SftpConnection, dir: string, relDir: string): Promise<void> {
    let made = this.knownDirs.get(dir);
    if (!made) {
      made = mkdirp(c.sftp, dir).catch(async (error: unknown) => {
        this.knownDirs.delete(dir);
        throw (await inTheWay(c, dir, relDir)) ?? error;
      });
      this.rememberDir(dir, made);
    }
    return made;
  }

  /**
   * MLflow's `download_artifacts`, with the sizes the listings report kept for the call so that
   * each listed file is read without a STAT first (see {@link downloadFile}).
   */
  override async downloadArtifacts(artifactPath: string, dstPath?: string, opts: DownloadOptions = {}): Promise<string> {
    const call = { ...opts };
    this.listedSizes.set(call, new Map());
    return super.downloadArtifacts(artifactPath, dstPath, call);
  }

  /** Direct children sorted by name (MLflow's `listdir` order); a file or a missing path → `[]`. */
  async listArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<FileInfo[]> {
    const rel = validateArtifactPath(path);
    const remote = this.remotePath(rel);
    const sizes = this.listedSizes.get(opts);
    return this.run(
      `list ${show(rel)}`,
      async (c) => {
        if (!(await statOrUndefined(c.sftp, remote))?.isDirectory()) return [];
        let entries;
        try {
          entries = await readdir(c.sftp, remote);
        } catch (error) {
          if (isNoSuchFile(error)) return [];
          throw error;
        }
        const infos: FileInfo[] = [];
        for (const e of entries) {
          const childRel = rel === '' ? e.filename : `${rel}/${e.filename}`;
          // readdir gives lstat attributes; MLflow's isdir/stat follow symlinks.
          const st = e.attrs.isSymbolicLink() ? await statOrUndefined(c.sftp, posix.join(remote, e.filename)) : e.attrs;
          if (!st) continue; // dangling link
          infos.push(st.isDirectory() ? { path: childRel, is_dir: true } : { path: childRel, is_dir: false, file_size: st.size });
          if (!st.isDirectory()) sizes?.set(childRel, st.size);
        }
        return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
      },
      opts,
      true,
    );
  }

  /**
   * Streams one file (bytes `start`..`end` inclusive when given) over a pooled connection held
   * until the stream ends or is destroyed. Missing → RESOURCE_DOES_NOT_EXIST; a directory →
   * INVALID_PARAMETER_VALUE; a dropped connection ends the stream with TEMPORARILY_UNAVAILABLE;
   * aborting `signal` ends it with CANCELLED.
   */
  async openArtifact(path: string, opts: OpenArtifactOptions = {}): Promise<Readable> {
    const rel = validateArtifactPath(path);
    const remote = this.remotePath(rel);
    const what = `read ${show(rel)}`;
    const signal = opts.signal;
    throwIfAborted(opts);
    return new Promise<Readable>((resolveOpen, rejectOpen) => {
      let opened = false;
      const fail = (error: unknown) => mapSftpError(error, what, { ...(signal ? { signal } : {}), secrets: this.secrets });
      void this.pool
        .use(async (c) => {
          // Open first, then FSTAT the handle: a stat of the path could describe another file
          // than the one opened when a writer renames a new version over it in between.
          let file: Awaited<ReturnType<typeof openForRead>>;
          try {
            file = await openForRead(c.sftp, remote);
          } catch (error) {
            if (isNoSuchFile(error)) throw MlflowError.notFound(`${PREFIX} ${what}: no such file`);
            // Servers that refuse to open a directory: say so as for one that opens it.
            if ((await statOrUndefined(c.sftp, remote).catch(() => undefined))?.isDirectory()) throw MlflowError.invalidParameter(`${PREFIX} ${what}: is a directory`);
            throw fail(error);
          }
          const { handle, stats: st } = file;
          if (!handle || rel === '') {
            if (handle) await closeHandle(c.sftp, handle).catch(() => undefined);
            throw MlflowError.invalidParameter(`${PREFIX} ${what}: is a directory`);
          }
          const range: { start?: number; end?: number } = {};
          if (opts.start !== undefined) range.start = opts.start;
          if (opts.end !== undefined) range.end = Math.min(opts.end, Math.max(0, st.size - 1));
          const out = new PassThrough({ highWaterMark: 256 * 1024 });
          if (st.size === 0 || (range.start ?? 0) >= st.size) {
            await closeHandle(c.sftp, handle).catch(() => undefined);
            out.end();
            resolveOpen(out);
            opened = true;
            return;
          }
          const rs = createPipelinedReadStream(c.sftp, handle, { ...(range.start !== undefined ? { start: range.start } : {}), end: range.end ?? st.size - 1 });
          let failure: MlflowError | undefined;
          const onAbort = () => out.destroy(new MlflowError(`${PREFIX} ${what}: aborted`, 'CANCELLED', { cause: signal?.reason }));
          signal?.addEventListener('abort', onAbort, { once: true });
          const done = new Promise<void>((resolve) => {
            out.once('close', resolve);
          });
          rs.once('error', (error: Error) => {
            failure = fail(error);
            out.destroy(failure);
          });
          const ssh = (c.client as unknown as { client: NodeJS.EventEmitter }).client;
          const onClose = () => {
            if (!out.writableFinished && !out.destroyed) {
              failure = new MlflowError(`${PREFIX} ${what} failed: the SSH connection was cut mid-transfer; retry`, 'TEMPORARILY_UNAVAILABLE', { retryable: true });
              out.destroy(failure);
            }
          };
          ssh.once('close', onClose);
          out.once('close', () => rs.destroy());
          rs.pipe(out);
          resolveOpen(out);
          opened = true;
          await done;
          signal?.removeEventListener('abort', onAbort);
          ssh.removeListener('close', onClose);
          // A stream given up early may leave requests in flight: the session is not reused.
          if (failure || !out.readableEnded) throw failure ?? new MlflowError(`${PREFIX} ${what}: stream closed early`, 'CANCELLED');
        }, signal)
        .catch((error: unknown) => {
          if (!opened) rejectOpen(fail(error));
        });
    });
  }

  /**
   * Writes one file from a stream or buffer into a hidden temp file next to the target, then
   * renames it into place (`posix-rename@openssh.com`, so an existing file is replaced
   * atomically); parents are created (checked once per directory, see {@link knownDirs}). A
   * buffer goes out as OPEN, then its WRITEs and the CLOSE together, then the rename: three round
   * trips, as many as a plain in-place `put`. On failure or abort the temp file is removed and the
   * target is untouched.
   */
  async writeArtifact(path: string, body: ArtifactBody, opts: ArtifactCallOptions = {}): Promise<void> {
    const rel = validateArtifactPath(path);
    if (rel === '') throw MlflowError.invalidParameter(`${PREFIX} cannot write to the root path of ${this.artifactUri.replace(/:[^:@/]*@/, ':***@')}`);
    const remote = this.remotePath(rel);
    const dir = posix.dirname(remote);
    const relDir = posix.dirname(rel);
    const tmp = posix.join(dir, `.${posix.basename(remote)}.${randomBytes(6).toString('hex')}.mlstore-part`);
    const signal = opts.signal;
    const what = `write ${show(rel)}`;
    const whole = typeof body === 'string' ? Buffer.from(body, 'utf8') : body instanceof Uint8Array ? Buffer.from(body.buffer, body.byteOffset, body.byteLength) : undefined;
    await this.run(
      what,
      async (c) => {
        await this.ensureDir(c, dir, relDir);
        let handle: Buffer;
        try {
          handle = await openHandle(c.sftp, tmp, 'w', 0o644);
        } catch (error) {
          if (!isNoSuchFile(error)) throw error;
          // The directory was removed since it was made or seen here: make it again, once.
          this.knownDirs.delete(dir);
          await this.ensureDir(c, dir, relDir);
          handle = await openHandle(c.sftp, tmp, 'w', 0o644);
        }
        try {
          if (whole) {
            await writeWholeFile(c.sftp, handle, whole);
          } else {
            const ws = createPipelinedWriteStream(c.sftp, tmp, { handle });
            await pipeline(toReadable(body), ws, ...(signal ? [{ signal }] : []));
          }
          throwIfAborted(opts);
          await renameOver(c.sftp, tmp, remote, supportsPosixRename(c.sftp)).catch(async (error: unknown) => {
            if ((await statOrUndefined(c.sftp, remote).catch(() => undefined))?.isDirectory()) {
              throw MlflowError.invalidParameter(`${PREFIX} ${what}: a directory of that name exists`, { cause: error });
            }
            throw error;
          });
        } catch (error) {
          if (!c.closed) await withTimeout(unlink(c.sftp, tmp), 5_000).catch(() => undefined);
          if (signal?.aborted) throw new MlflowError(`${PREFIX} ${what}: aborted`, 'CANCELLED', { cause: error });
          if (!isConnectionError(error) && !(error as { code?: unknown }).code && !isMlflowError(error)) {
            // The body stream failed: a local failure, not the server's.
            throw new MlflowError(`${PREFIX} ${what}: the body stream failed: ${(error as Error).message ?? String(error)}`, 'INTERNAL_ERROR', { cause: error });
          }
          throw error;
        }
      },
      opts,
    );
  }

  /** Deletes a file or a directory tree (the root when `path` is empty); missing → no-op. */
  async deleteArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const remote = this.remotePath(path);
    for (const dir of this.knownDirs.keys()) if (dir === remote || dir.startsWith(remote === '/' ? '/' : `${remote}/`)) this.knownDirs.delete(dir);
    await this.run(`delete ${show(path)}`, (c) => removeTree(c.sftp, remote), opts, true);
  }

  /**
   * One file of `downloadArtifacts`. A file the call's listing reported is opened and read at once
   * (OPEN, then READs up to the listed size plus one that confirms the end, CLOSE in the
   * background: two round trips for a small file, no STAT); anything else goes through
   * {@link openArtifact}.
   */
  protected async downloadFile(remotePath: string, localPath: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const fail = (error: unknown) => mapSftpError(error, `download ${show(remotePath)}`, { ...(opts.signal ? { signal: opts.signal } : {}), secrets: this.secrets });
    const size = this.listedSizes.get(opts)?.get(validateArtifactPath(remotePath));
    if (size === undefined) {
      const stream = await this.openArtifact(remotePath, opts);
      try {
        await pipeline(stream, createWriteStream(localPath));
      } catch (error) {
        throw fail(error);
      }
      return;
    }
    const remote = this.remotePath(remotePath);
    await this.run(
      `read ${show(remotePath)}`,
      async (c) => {
        const handle = await openHandle(c.sftp, remote, 'r');
        let rs: Readable;
        try {
          rs = createPipelinedReadStream(c.sftp, handle, { sizeHint: size });
        } catch (error) {
          await closeHandle(c.sftp, handle).catch(() => undefined);
          throw error;
        }
        // A dropped connection may leave reads unanswered: end the transfer with the right error.
        const ssh = (c.client as unknown as { client: NodeJS.EventEmitter }).client;
        const onClose = () => rs.destroy(new MlflowError(`${PREFIX} read ${show(remotePath)} failed: the SSH connection was cut mid-transfer; retry`, 'TEMPORARILY_UNAVAILABLE', { retryable: true }));
        ssh.once('close', onClose);
        try {
          await pipeline(rs, createWriteStream(localPath), ...(opts.signal ? [{ signal: opts.signal }] : []));
        } finally {
          ssh.removeListener('close', onClose);
        }
      },
      opts,
    ).catch((error: unknown) => {
      throw fail(error);
    });
  }

  /** Whether a remote path exists (lstat), for tests and tools. */
  async exists(path: string, opts: ArtifactCallOptions = {}): Promise<boolean> {
    const remote = this.remotePath(path);
    return this.run(`stat ${show(path)}`, async (c) => (await lstatOrUndefined(c.sftp, remote)) !== undefined, opts, true);
  }
}
