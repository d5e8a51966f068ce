import { stat, unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import {
  BaseArtifactRepository,
  ConnectionPool,
  MlflowError,
  SMALL_FILE_BYTES,
  isMlflowError,
  joinArtifactPath,
  redactUri,
  silentLogger,
  throwIfAborted,
  validateArtifactPath,
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactRepositoryCapabilities,
  type ErrorCode,
  type FileInfo,
  type Logger,
  type OpenArtifactOptions,
} from '@mlstore/core';
import { FTPError } from 'basic-ftp';
import { PREFIX, mapBodyError, mapFtpError } from './errors.js';
import { isPermanentReply, openFtpConnection, transfer, type FtpConnection } from './ftp-connection.js';
import { UPLOAD_TEMP_PREFIX, isDirectoryPath, listDirectory, makeDirectories, removeTree } from './ftp-listing.js';
import { resolveFtpSettings, type FtpArtifactRepositoryOptions, type FtpSettings } from './ftp-options.js';
import { guarded, parentOf, startDownload, tempNameFor, toReadable, uploadViaTemp } from './ftp-transfer.js';
import { describeLocation, parseFtpUri, type FtpLocation } from './ftp-uri.js';

/** Longest file or directory name accepted, in UTF-8 bytes. */
export const MAX_NAME_BYTES = 255;
/** Longest absolute server path accepted, in UTF-8 bytes (commands stay far below 2,048 bytes). */
export const MAX_PATH_BYTES = 1024;

/** How long the clean-up of a failed upload's temporary file may take. */
const CLEANUP_TIMEOUT_MS = 5_000;

interface CallSpec {
  operation: string;
  /** Absolute server path, for messages. */
  abs: string;
  /** What a 550 reply means for this call. */
  missing?: ErrorCode;
  /** The call may be repeated on a fresh connection when a reused idle one turns out dropped. */
  replayable?: boolean | (() => boolean);
}

/**
 * MLflow's `FTPArtifactRepository` on basic-ftp: artifacts as files under
 * `ftp://[user[:password]@]host[:port]/path` (anonymous without a user), passive mode, and
 * `ftps://` for explicit TLS. Unlike MLflow's (one connection per operation, no delete), control
 * connections are pooled and reused, directories are listed with MLSD (sizes included) where the
 * server has it (LIST, then NLST + SIZE otherwise), uploads stream into a temporary name that is
 * renamed into place (no partial file is ever visible), downloads stream, and delete works
 * (files and whole directories). `artifactUri` is the given URI with the password masked.
 */
export class FtpArtifactRepository extends BaseArtifactRepository {
  static readonly capabilities: ArtifactRepositoryCapabilities = {
    multipartUpload: false,
    presign: false,
    rangeRead: true,
    paginatedList: false,
    emptyDirectories: true,
    deleteSemantics: 'full',
    sortedListing: true,
  };

  readonly capabilities = FtpArtifactRepository.capabilities;
  /** Where the artifacts live (host, port, user, root; the password is not shown in messages). */
  readonly location: FtpLocation;
  private readonly settings: FtpSettings;
  private readonly pool: ConnectionPool<FtpConnection>;
  private readonly secrets: string[];
  private readonly logger: Logger;
  /**
   * Directories known to exist (made or seen by this repository), so uploads skip the MKD round
   * trips; the promise lets the concurrent first uploads into a new directory share one MKD.
   */
  private readonly knownDirs = new Map<string, Promise<void>>();

  /**
   * @param artifactUri `ftp://…` or `ftps://…` (see {@link parseFtpUri}).
   * @throws MlflowError INVALID_PARAMETER_VALUE for a bad URI or option. Nothing is connected yet.
   */
  constructor(artifactUri: string, options: FtpArtifactRepositoryOptions = {}) {
    super(redactUri(artifactUri));
    this.location = parseFtpUri(artifactUri);
    this.settings = resolveFtpSettings(options);
    this.logger = options.logger ?? silentLogger;
    const user = options.user ?? this.location.user ?? 'anonymous';
    const password = options.password ?? this.location.password;
    this.secrets = [password, encodeURIComponent(password)].filter((s) => s !== '');
    this.pool = new ConnectionPool<FtpConnection>({
      create: (signal) => openFtpConnection(this.location, this.settings, user, password, signal),
      destroy: (conn) => conn.client.close(),
      max: this.settings.maxConnections,
      idleTimeoutMs: this.settings.idleTimeoutMs,
      isOpen: (conn) => !conn.client.closed,
      // A refusal about a file or transfer (425/426/45x/55x) leaves the control connection usable;
      // anything else (a syntax error may mean replies are out of step, 421, a dropped socket)
      // closes it.
      reusableAfter: (err, conn) => err instanceof FTPError && !conn.tainted && !conn.client.closed && [425, 426, 450, 451, 452, 550, 551, 552, 553].includes(err.code),
    });
  }

  /** Closes every pooled connection (idle ones now, busy ones when their call ends). */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /**
   * The absolute server path of a validated artifact path (`''` = the root). Names over 255 bytes
   * (every common file system's limit) and paths over {@link MAX_PATH_BYTES} are refused here:
   * servers cap command lines (pyftpdlib at 2,048 bytes, answering out of step afterwards).
   */
  private abs(rel: string): string {
    if (rel === '') return this.location.root;
    const abs = this.location.root === '/' ? `/${rel}` : `${this.location.root}/${rel}`;
    if (rel.split('/').some((seg) => Buffer.byteLength(seg) > MAX_NAME_BYTES) || Buffer.byteLength(abs) > MAX_PATH_BYTES) {
      throw MlflowError.invalidParameter(`${PREFIX} Invalid path: names are limited to ${MAX_NAME_BYTES} bytes and paths to ${MAX_PATH_BYTES} bytes on FTP`);
    }
    return abs;
  }

  private fail(err: unknown, spec: CallSpec, opts?: ArtifactCallOptions): MlflowError {
    return mapFtpError(
      err,
      { operation: spec.operation, location: describeLocation(this.location, spec.abs), secrets: this.secrets, aborted: opts?.signal?.aborted === true },
      spec.missing,
    );
  }

  /**
   * Runs `fn` on a pooled connection; the call's signal closes that connection (which ends any
   * transfer at once). A reused connection found dropped is replaced once for replayable calls.
   */
  private async run<R>(spec: CallSpec, opts: ArtifactCallOptions | undefined, fn: (conn: FtpConnection) => Promise<R>): Promise<R> {
    throwIfAborted(opts);
    const signal = opts?.signal;
    const attempt = () =>
      this.pool.use(async (conn) => {
        const wasReused = conn.reused;
        conn.reused = true;
        const onAbort = () => conn.client.ftp.closeWithError(new Error('aborted'));
        signal?.addEventListener('abort', onAbort, { once: true });
        // An idle pooled connection must not keep the process alive: ref'd only while in use.
        conn.client.ftp.socket.ref();
        try {
          return await fn(conn);
        } catch (err) {
          if (wasReused && conn.client.closed && !(err instanceof FTPError) && !signal?.aborted) throw new StaleConnection(err);
          throw err;
        } finally {
          signal?.removeEventListener('abort', onAbort);
          conn.client.ftp.socket.unref();
        }
      }, signal);
    try {
      try {
        return await attempt();
      } catch (err) {
        if (!(err instanceof StaleConnection)) throw err;
        if (!(typeof spec.replayable === 'function' ? spec.replayable() : spec.replayable)) throw err.cause;
        this.logger.debug({ operation: spec.operation }, `${PREFIX} a pooled connection was dropped; retrying on a new one`);
        return await attempt();
      }
    } catch (err) {
      throw this.fail(err instanceof StaleConnection ? err.cause : err, spec, opts);
    }
  }

  async listArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<FileInfo[]> {
    const rel = validateArtifactPath(path);
    const abs = this.abs(rel);
    const entries = await this.run({ operation: 'list', abs, replayable: true }, opts, (conn) => listDirectory(conn, abs, this.settings.listCommand));
    if (entries === null) return [];
    return entries
      .filter((e) => !e.name.startsWith(UPLOAD_TEMP_PREFIX))
      .map((e): FileInfo => {
        const p = rel === '' ? e.name : `${rel}/${e.name}`;
        return e.isDir ? { path: p, is_dir: true } : { path: p, is_dir: false, file_size: e.size ?? 0 };
      })
      .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : Number(a.is_dir) - Number(b.is_dir)));
  }

  async openArtifact(path: string, opts: OpenArtifactOptions = {}): Promise<Readable> {
    const rel = validateArtifactPath(path);
    const abs = this.abs(rel);
    let handed = false;
    // Replayed on a fresh connection only while no stream was handed out yet.
    const spec: CallSpec = { operation: 'read', abs, replayable: () => !handed };
    if (rel === '') throw MlflowError.notFound(`${PREFIX} read ${describeLocation(this.location, abs)}: the root is a directory`);
    const start = Math.max(0, opts.start ?? 0);
    const range = opts.end === undefined ? { start } : { start, end: opts.end };
    if (range.end !== undefined && range.end < start) return toReadable(new Uint8Array(0));
    return new Promise<Readable>((resolve, reject) => {
      this.run(spec, opts, async (conn) => {
        const { stream, done } = await startDownload(conn, abs, range, (err) => this.fail(err, spec, opts));
        handed = true;
        resolve(stream);
        await done;
      }).catch((err: unknown) => {
        // Before the stream existed the error rejects the call; afterwards it already ended the stream.
        if (!handed) reject(err);
      });
    });
  }

  async writeArtifact(path: string, body: ArtifactBody, opts?: ArtifactCallOptions): Promise<void> {
    return this.store(path, body, opts);
  }

  /**
   * As the base class, except that a large local file is uploaded by its path: each attempt reads
   * it afresh in 1 MiB chunks straight into the data connection (no guard stream in between), so a
   * failed attempt can be replayed from the file.
   */
  override async logArtifact(localFile: string, artifactPath?: string, opts?: ArtifactCallOptions): Promise<void> {
    const st = await stat(localFile).catch(() => undefined);
    if (!st?.isFile() || st.size <= SMALL_FILE_BYTES) return super.logArtifact(localFile, artifactPath, opts);
    return this.store(joinArtifactPath(artifactPath, basename(localFile)), { localFile }, opts);
  }

  private async store(path: string, body: ArtifactBody | { localFile: string }, opts?: ArtifactCallOptions): Promise<void> {
    const localFile = typeof body === 'object' && 'localFile' in body ? body.localFile : undefined;
    const rel = validateArtifactPath(path);
    if (rel === '') throw MlflowError.invalidParameter(`${PREFIX} Invalid path: cannot write to the root of the repository`);
    const abs = this.abs(rel);
    throwIfAborted(opts);
    // Listen for the body's failure before the first await: a file stream may fail (ENOENT) while
    // a connection is still being opened, and an 'error' nobody listens to would crash the process.
    // The transfer reads a guard stream: a dropped data connection destroys the guard, so only the
    // body's own failures reach `bodyError`.
    let bodyError: unknown;
    const replayable = typeof body === 'string' || body instanceof Uint8Array || localFile !== undefined;
    const original = replayable ? undefined : toReadable(body as ArtifactBody);
    const stream = original ? guarded(original, (err) => (bodyError ??= err)) : undefined;
    const spec: CallSpec = { operation: 'write', abs, missing: 'PERMISSION_DENIED', replayable };
    const temp = tempNameFor(abs);
    const dir = parentOf(abs);
    const attempt = () =>
      this.run(spec, opts, async (conn) => {
        if (bodyError !== undefined) throw bodyError;
        await this.ensureDir(conn, dir);
        try {
          await uploadViaTemp(conn, localFile ?? stream ?? toReadable(body as ArtifactBody), abs, this.settings.atomicWrites ? temp : undefined);
        } catch (err) {
          if (isPermanentReply(err)) this.knownDirs.delete(dir); // removed behind our back?
          throw err;
        }
      });
    try {
      try {
        await attempt();
      } catch (err) {
        // A refused STOR of an untouched body: the directory may have been removed by someone
        // else since it was remembered; it is made again on a new connection.
        const untouched = stream === undefined || !stream.readableDidRead;
        if (!(untouched && isMlflowError(err) && err.cause instanceof FTPError && err.cause.code === 550 && !this.knownDirs.has(dir))) throw err;
        await attempt();
      }
    } catch (err) {
      original?.destroy();
      if (this.settings.atomicWrites) await this.removeTemp(temp);
      // A failing body (a missing local file, a broken stream) is reported as such, not as the
      // connection basic-ftp closed because of it.
      if (bodyError !== undefined && !opts?.signal?.aborted) throw mapBodyError(bodyError, describeLocation(this.location, abs));
      throw err;
    }
  }

  private rememberDir(dir: string, made: Promise<void> = Promise.resolve()): void {
    if (this.knownDirs.size >= 10_000) this.knownDirs.clear();
    this.knownDirs.set(dir, made);
  }

  /** Makes `dir` (and its parents) once, however many uploads wait for it. */
  private ensureDir(conn: FtpConnection, dir: string): Promise<void> {
    let made = this.knownDirs.get(dir);
    if (!made) {
      made = makeDirectories(conn, dir).catch((err: unknown) => {
        this.knownDirs.delete(dir);
        throw err;
      });
      this.rememberDir(dir, made);
    }
    return made;
  }

  /** Best-effort removal of a failed upload's temporary file (bounded in time, errors ignored). */
  private async removeTemp(temp: string): Promise<void> {
    const signal = AbortSignal.timeout(CLEANUP_TIMEOUT_MS);
    await this.run({ operation: 'clean up', abs: temp }, { signal }, (conn) => conn.client.send(`DELE ${temp}`)).catch(() => undefined);
  }

  async deleteArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<void> {
    const rel = validateArtifactPath(path);
    const abs = this.abs(rel);
    for (const known of this.knownDirs.keys()) if (known === abs || known.startsWith(abs === '/' ? '/' : `${abs}/`)) this.knownDirs.delete(known);
    await this.run({ operation: 'delete', abs, missing: 'PERMISSION_DENIED', replayable: true }, opts, (conn) => removeTree(conn, abs, this.settings.listCommand));
  }

  protected override async isDirectory(path: string, opts?: ArtifactCallOptions): Promise<boolean> {
    const abs = this.abs(validateArtifactPath(path));
    return this.run({ operation: 'stat', abs, replayable: true }, opts, (conn) => isDirectoryPath(conn, abs));
  }

  protected override async makeDirectory(path: string, opts?: ArtifactCallOptions): Promise<void> {
    const abs = this.abs(validateArtifactPath(path));
    await this.run({ operation: 'mkdir', abs, missing: 'PERMISSION_DENIED', replayable: true }, opts, (conn) => makeDirectories(conn, abs));
    this.rememberDir(abs);
  }

  /**
   * RETR straight into the local file (no SIZE first, no stream hops: `downloadArtifacts` found the
   * file by listing); a missing file is the server's 550. A failed or aborted transfer leaves no
   * local file.
   */
  protected async downloadFile(remotePath: string, localPath: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const rel = validateArtifactPath(remotePath);
    const spec: CallSpec = { operation: 'read', abs: this.abs(rel), replayable: true };
    try {
      await this.run(spec, opts, (conn) => transfer(conn, () => conn.client.downloadTo(localPath, spec.abs)));
    } catch (err) {
      await unlink(localPath).catch(() => undefined);
      throw err;
    }
  }
}

/** A reused pooled connection turned out to be dropped before or during the call. */
class StaleConnection extends Error {
  constructor(override readonly cause: unknown) {
    super('stale pooled connection');
  }
}
