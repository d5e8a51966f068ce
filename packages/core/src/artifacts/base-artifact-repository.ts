import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, readdir, stat } from 'node:fs/promises';
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
} from './artifact-repository.js';

/** Limit of the aggregated failure message, as in MLflow. */
const MAX_FAILURE_MESSAGE = 10_000;

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

  /** Uploads a file as `<artifactPath>/<basename>` by streaming it into `writeArtifact`. */
  async logArtifact(localFile: string, artifactPath?: string, opts?: ArtifactCallOptions): Promise<void> {
    const target = joinArtifactPath(artifactPath, basename(localFile));
    await this.writeArtifact(target, createReadStream(localFile), opts);
  }

  /** Uploads the contents of `localDir` recursively (files only; empty dirs are backend-specific). */
  async logArtifacts(localDir: string, artifactPath?: string, opts?: ArtifactCallOptions): Promise<void> {
    const base = validateArtifactPath(artifactPath);
    const entries = await readdir(localDir, { withFileTypes: true });
    for (const entry of entries) {
      throwIfAborted(opts);
      const local = join(localDir, entry.name);
      const remote = joinArtifactPath(base, entry.name);
      if (entry.isDirectory()) {
        await this.makeDirectory(remote, opts);
        await this.logArtifacts(local, remote, opts);
      }
      else if (entry.isFile()) await this.writeArtifact(remote, createReadStream(local), opts);
    }
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
    const limit = Math.max(1, Math.floor(opts.concurrency ?? 4));
    const failures: { path: string; error: unknown }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < files.length) {
        const remote = files[next++] as string;
        const local = join(dst, ...remote.split('/'));
        try {
          throwIfAborted(opts);
          await mkdir(dirname(local), { recursive: true });
          await this.downloadFile(remote, local, opts);
        } catch (error) {
          failures.push({ path: remote, error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(limit, files.length) }, worker));
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
