import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { lstat, mkdir, readdir, realpath, rename, rm, stat, unlink } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BaseArtifactRepository,
  MlflowError,
  localFileUriToPath,
  throwIfAborted,
  validateArtifactPath,
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactRepositoryCapabilities,
  type FileInfo,
  type OpenArtifactOptions,
} from '@mlstore/core';

/** Marks temp files of in-flight writes; listings hide them. */
const TMP_MARK = '.mlstore-tmp-';

/** What the local repository can do. */
export const LOCAL_ARTIFACT_CAPABILITIES: ArtifactRepositoryCapabilities = Object.freeze({
  multipartUpload: false,
  presign: false,
  rangeRead: true,
  paginatedList: false,
  emptyDirectories: true,
  deleteSemantics: 'full',
  sortedListing: true,
});

const isNotFound = (err: unknown) => (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' || (err as NodeJS.ErrnoException | undefined)?.code === 'ENOTDIR';

function wrapFsError(err: unknown, action: string): MlflowError {
  if (err instanceof MlflowError) return err;
  if (isNotFound(err)) return MlflowError.notFound(`@mlstore/artifact-local: No such file or directory: ${action}`, { cause: err });
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'EACCES' || code === 'EPERM') {
    return new MlflowError(`@mlstore/artifact-local: permission denied: ${action}`, 'PERMISSION_DENIED', { cause: err });
  }
  if (code === 'EISDIR') return MlflowError.invalidParameter(`@mlstore/artifact-local: is a directory: ${action}`, { cause: err });
  // mkdir -p where a file already holds a parent's name: the client asked for a file under a file.
  if (code === 'EEXIST') return MlflowError.invalidParameter(`@mlstore/artifact-local: a parent of the path is a file: ${action}`, { cause: err });
  if (code === 'ENAMETOOLONG') return MlflowError.invalidParameter(`@mlstore/artifact-local: a name is longer than the filesystem allows: ${action.slice(0, 300)}`, { cause: err });
  if ((err as Error | undefined)?.name === 'AbortError') return new MlflowError(`@mlstore/artifact-local: aborted: ${action}`, 'CANCELLED', { cause: err });
  // Node's own text names the resolved local path: it stays in `cause` (logged), not in the message.
  if (code === 'ERR_INVALID_ARG_VALUE' || code === 'ERR_INVALID_ARG_TYPE') return MlflowError.invalidParameter(`@mlstore/artifact-local: invalid path: ${action}`, { cause: err });
  return new MlflowError(`@mlstore/artifact-local: ${action} failed (${code ?? (err as Error)?.name ?? 'error'})`, 'INTERNAL_ERROR', { cause: err });
}

/** Real path of `p`, resolving symlinks of its deepest existing ancestor (the rest may not exist yet). */
async function realpathLoose(p: string): Promise<string> {
  let current = p;
  const rest: string[] = [];
  for (;;) {
    try {
      return join(await realpath(current), ...rest.reverse());
    } catch (err) {
      const parent = dirname(current);
      if (!isNotFound(err) || parent === current) return p;
      rest.push(basename(current));
      current = parent;
    }
  }
}

/** True when `path` is `root` or inside it (both real paths). */
function isWithin(root: string, path: string): boolean {
  const within = relative(root, path);
  return !(within === '..' || within.startsWith(`..${sep}`) || isAbsolute(within));
}

function toReadable(body: ArtifactBody): Readable {
  if (typeof body === 'string') return Readable.from([Buffer.from(body, 'utf8')]);
  if (body instanceof Uint8Array) return Readable.from([Buffer.from(body.buffer, body.byteOffset, body.byteLength)]);
  if (body instanceof Readable) return body;
  return Readable.from(body);
}

/**
 * MLflow's `LocalArtifactRepository` for `file:` URIs and plain paths. Writes go to a temp file
 * in the target directory and are renamed into place, so readers never see a partial file. Every
 * path is validated and checked (after resolving symlinks) to stay inside the root.
 */
export class LocalArtifactRepository extends BaseArtifactRepository {
  readonly capabilities = LOCAL_ARTIFACT_CAPABILITIES;
  /** The absolute local directory of the repository. */
  readonly rootDir: string;

  /** @throws MlflowError INVALID_PARAMETER_VALUE for a non-local URI. */
  constructor(artifactUri: string) {
    super(artifactUri);
    this.rootDir = resolve(localFileUriToPath(artifactUri));
  }

  /** Validates `path` and returns its local path, refusing anything that escapes the root. */
  private async resolvePath(path: string | undefined): Promise<{ rel: string; full: string }> {
    const rel = validateArtifactPath(path);
    const full = rel === '' ? this.rootDir : join(this.rootDir, ...rel.split('/'));
    if (!isWithin(await realpathLoose(this.rootDir), await realpathLoose(full))) {
      throw MlflowError.invalidParameter(`Invalid path: ${JSON.stringify(path)}`);
    }
    return { rel, full };
  }

  protected override async isDirectory(path: string): Promise<boolean> {
    const { full } = await this.resolvePath(path);
    return (await stat(full).catch(() => undefined))?.isDirectory() ?? false;
  }

  protected override async makeDirectory(path: string): Promise<void> {
    const { full } = await this.resolvePath(path);
    await mkdir(full, { recursive: true }).catch((err: unknown) => {
      throw wrapFsError(err, `mkdir ${path}`);
    });
  }

  /** Sorted direct children with sizes; a file or missing path → `[]`. */
  async listArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<FileInfo[]> {
    const { rel, full } = await this.resolvePath(path);
    throwIfAborted(opts);
    const st = await stat(full).catch(() => undefined);
    if (!st?.isDirectory()) return [];
    const names = await readdir(full).catch((err: unknown) => {
      if (isNotFound(err)) return [] as string[];
      throw wrapFsError(err, `list ${rel}`);
    });
    const realRoot = await realpathLoose(this.rootDir);
    const infos: FileInfo[] = [];
    for (const name of names.sort()) {
      if (name.startsWith(TMP_MARK)) continue;
      const childRel = rel === '' ? name : `${rel}/${name}`;
      const child = join(full, name);
      const childSt = await stat(child).catch(() => undefined);
      if (!childSt) continue; // dangling symlink or removed meanwhile
      // A symlink to a place outside the root is left out: listing it would tell its target's type and size.
      if ((await lstat(child).catch(() => undefined))?.isSymbolicLink() && !isWithin(realRoot, await realpathLoose(child))) continue;
      infos.push(childSt.isDirectory() ? { path: childRel, is_dir: true } : { path: childRel, is_dir: false, file_size: childSt.size });
    }
    return infos;
  }

  /** Streams a file; `start`/`end` (inclusive) select a range. Missing → RESOURCE_DOES_NOT_EXIST. */
  async openArtifact(path: string, opts: OpenArtifactOptions = {}): Promise<Readable> {
    const { rel, full } = await this.resolvePath(path);
    throwIfAborted(opts);
    const st = await stat(full).catch((err: unknown) => {
      throw wrapFsError(err, `open ${rel}`);
    });
    if (st.isDirectory() || rel === '') throw MlflowError.invalidParameter(`@mlstore/artifact-local: is a directory: ${rel}`);
    const stream = createReadStream(full, { start: opts.start, end: opts.end, signal: opts.signal });
    // Surface open errors (e.g. a race with delete) as MlflowError on first read.
    await new Promise<void>((res, rej) => {
      stream.once('open', () => res());
      stream.once('error', (err) => rej(wrapFsError(err, `open ${rel}`)));
    });
    return stream;
  }

  /** Streams `body` into a temp file next to the target, then renames it into place. */
  async writeArtifact(path: string, body: ArtifactBody, opts: ArtifactCallOptions = {}): Promise<void> {
    const { rel, full } = await this.resolvePath(path);
    if (rel === '') throw MlflowError.invalidParameter('Invalid path: an artifact file path is required');
    throwIfAborted(opts);
    const dir = dirname(full);
    await mkdir(dir, { recursive: true }).catch((err: unknown) => {
      throw wrapFsError(err, `write ${rel}`);
    });
    // The parent may have become a symlink after mkdir; re-check before writing.
    await this.resolvePath(rel);
    const tmp = join(dir, `${TMP_MARK}${randomUUID()}`);
    try {
      await pipeline(toReadable(body), createWriteStream(tmp, { flags: 'wx' }), { signal: opts.signal });
      await rename(tmp, full);
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      throw wrapFsError(err, `write ${rel}`);
    }
  }

  /** Removes a file or directory tree (root when absent); a missing path is a no-op. */
  async deleteArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<void> {
    const { rel, full } = await this.resolvePath(path);
    throwIfAborted(opts);
    const st = await lstat(full).catch(() => undefined);
    if (!st) return;
    await rm(full, { recursive: true, force: true }).catch((err: unknown) => {
      throw wrapFsError(err, `delete ${rel}`);
    });
  }

  protected async downloadFile(remotePath: string, localPath: string, opts?: ArtifactCallOptions): Promise<void> {
    const source = await this.openArtifact(remotePath, { signal: opts?.signal });
    await pipeline(source, createWriteStream(localPath), { signal: opts?.signal }).catch((err: unknown) => {
      throw wrapFsError(err, `download ${remotePath}`);
    });
  }
}
