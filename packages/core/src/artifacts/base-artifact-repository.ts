import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import type { FileInfo } from '../entities.js';
import { throwIfAborted } from '../base-store.js';
import { MlflowError, isMlflowError } from '../errors.js';
import { joinArtifactPath, validateArtifactPath } from './artifact-path.js';
import type {
  ArtifactBody,
  ArtifactCallOptions,
  ArtifactRepository,
  ArtifactRepositoryCapabilities,
  DownloadOptions,
  OpenArtifactOptions,
  UploadOptions,
} from './artifact-repository.js';

/** Limit of the aggregated failure message, as in MLflow. */
const MAX_FAILURE_MESSAGE = 10_000;

/** Files up to this size are read whole by `logArtifact` (at most 8 MiB in flight at the default concurrency). */
export const SMALL_FILE_BYTES = 1024 * 1024;

/**
 * Files `logArtifacts` uploads and `downloadArtifacts` downloads at once unless told otherwise
 * (MLflow uses one at a time up and 2 × CPUs threads down).
 */
export const DEFAULT_TRANSFER_CONCURRENCY = 8;

/**
 * Runs `fn` on every item, at most `limit` at once, in order of start. The first rejection stops
 * new starts and is rethrown once the running calls have settled.
 */
export async function forEachBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        if (!failed) firstError = error;
        failed = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, Math.floor(limit)), items.length) }, worker));
  if (failed) throw firstError;
}

/**
 * Template logic shared by repositories: subclasses implement `listArtifacts`, `openArtifact`,
 * `writeArtifact`, `deleteArtifacts` and `downloadFile`; the rest is built from them.
 */
export abstract class BaseArtifactRepository implements ArtifactRepository {
  abstract readonly capabilities: ArtifactRepositoryCapabilities;

  constructor(readonly artifactUri: string) {}

  abstract listArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<FileInfo[]>;
  abstract openArtifact(path: string, opts?: OpenArtifactOptions): Promise<Readable>;
  abstract writeArtifact(path: string, body: ArtifactBody, opts?: ArtifactCallOptions): Promise<void>;
  abstract deleteArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<void>;
  /** Downloads one file (validated root-relative path) to an exact local path whose parent exists. */
  protected abstract downloadFile(remotePath: string, localPath: string, opts?: ArtifactCallOptions): Promise<void>;

  /** True when `path` is a directory; default: a non-empty listing (object stores). */
  protected async isDirectory(path: string, opts?: ArtifactCallOptions): Promise<boolean> {
    if (path === '') return true;
    return (await this.listArtifacts(path, opts)).length > 0;
  }

  /** Creates a directory; default no-op, since object stores have no empty directories. */
  protected async makeDirectory(_path: string, _opts?: ArtifactCallOptions): Promise<void> {}

  /**
   * Uploads a file as `<artifactPath>/<basename>` through `writeArtifact`: files up to
   * {@link SMALL_FILE_BYTES} as one buffer (SDKs send those in one request without chunking
   * machinery), larger ones streamed.
   */
  async logArtifact(localFile: string, artifactPath?: string, opts?: ArtifactCallOptions): Promise<void> {
    const target = joinArtifactPath(artifactPath, basename(localFile));
    const st = await stat(localFile).catch(() => undefined);
    const small = st?.isFile() === true && st.size <= SMALL_FILE_BYTES ? await readFile(localFile).catch(() => undefined) : undefined;
    // A file that cannot be read here is streamed, so the backend reports the error as it does for streams.
    await this.writeArtifact(target, small ?? createReadStream(localFile), opts);
  }

  /**
   * Uploads the contents of `localDir` recursively (files and symlinks to files; directories are
   * created with `makeDirectory` first, a no-op on object stores), each file through `logArtifact`,
   * `opts.concurrency` at once (default 8): MLflow's loop uploads one at a time.
   */
  async logArtifacts(localDir: string, artifactPath?: string, opts: UploadOptions = {}): Promise<void> {
    const files: { local: string; remoteDir: string }[] = [];
    const walk = async (dir: string, remoteDir: string): Promise<void> => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        throwIfAborted(opts);
        const local = join(dir, entry.name);
        if (entry.isDirectory()) {
          const remote = joinArtifactPath(remoteDir, entry.name);
          await this.makeDirectory(remote, opts);
          await walk(local, remote);
        } else if (entry.isFile() || (entry.isSymbolicLink() && (await stat(local).catch(() => undefined))?.isFile() === true)) {
          files.push({ local, remoteDir });
        }
      }
    };
    await walk(localDir, validateArtifactPath(artifactPath));
    const { concurrency, ...callOpts } = opts;
    await forEachBounded(files, concurrency ?? DEFAULT_TRANSFER_CONCURRENCY, ({ local, remoteDir }) => {
      throwIfAborted(callOpts);
      return this.logArtifact(local, remoteDir, callOpts);
    });
  }

  /**
   * MLflow's `download_artifacts`: `dstPath` must be an existing directory (else
   * RESOURCE_DOES_NOT_EXIST / INVALID_PARAMETER_VALUE); a directory is downloaded recursively with
   * bounded concurrency; failures are reported together. Returns `<dst>/<artifactPath>`.
   */
  async downloadArtifacts(artifactPath: string, dstPath?: string, opts: DownloadOptions = {}): Promise<string> {
    const path = validateArtifactPath(artifactPath);
    let dst: string;
    if (dstPath === undefined) {
      dst = await mkdtemp(join(tmpdir(), 'mlstore-artifacts-'));
    } else {
      const st = await stat(dstPath).catch(() => undefined);
      if (!st) throw MlflowError.notFound(`The destination path for downloaded artifacts does not exist! Destination path: ${dstPath}`);
      if (!st.isDirectory()) throw MlflowError.invalidParameter(`The destination path for downloaded artifacts must be a directory! Destination path: ${dstPath}`);
      dst = dstPath;
    }
    const files: string[] = [];
    if (await this.isDirectory(path, opts)) {
      await this.collectFiles(path, dst, files, opts);
    } else {
      files.push(path);
    }
    await this.downloadAll(files, dst, opts);
    return path === '' ? dst : join(dst, ...path.split('/'));
  }

  /** Depth-first walk; creates empty directories locally as it goes. */
  private async collectFiles(path: string, dst: string, out: string[], opts: ArtifactCallOptions): Promise<void> {
    const children = await this.listArtifacts(path, opts);
    if (children.length === 0) {
      await mkdir(join(dst, ...path.split('/').filter(Boolean)), { recursive: true });
      return;
    }
    for (const child of children) {
      const childPath = child.path.replace(/\/+$/, '');
      // Object stores may echo a `dir/` placeholder for the listed directory itself.
      if (childPath === path || childPath === '.' || childPath === '') continue;
      if (child.is_dir) await this.collectFiles(childPath, dst, out, opts);
      else out.push(childPath);
    }
  }

  private async downloadAll(files: string[], dst: string, opts: DownloadOptions): Promise<void> {
    const failures: { path: string; error: unknown }[] = [];
    await forEachBounded(files, opts.concurrency ?? DEFAULT_TRANSFER_CONCURRENCY, async (remote) => {
      const local = join(dst, ...remote.split('/'));
      try {
        throwIfAborted(opts);
        await mkdir(dirname(local), { recursive: true });
        await this.downloadFile(remote, local, opts);
      } catch (error) {
        failures.push({ path: remote, error });
      }
    });
    if (failures.length === 0) return;
    const first = failures[0];
    if (failures.length === 1 && first && isMlflowError(first.error)) throw first.error;
    const details = failures.map((f) => `##### File ${f.path} #####\n${f.error instanceof Error ? f.error.message : String(f.error)}`).join('\n');
    const message = `The following failures occurred while downloading one or more artifacts from ${this.artifactUri}:\n${details}`;
    const allMissing = failures.every((f) => isMlflowError(f.error) && f.error.errorCode === 'RESOURCE_DOES_NOT_EXIST');
    throw new MlflowError(message.slice(0, MAX_FAILURE_MESSAGE), allMissing ? 'RESOURCE_DOES_NOT_EXIST' : 'INTERNAL_ERROR', {
      cause: first?.error,
    });
  }
}
