import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { MlflowError } from '@mlstore/core';

/**
 * File primitives that keep an mlruns tree consistent under many writer processes:
 * whole files appear atomically (temp file + rename), create-once files use link(2) (fails when the
 * target exists), appends are one write(2) on an O_APPEND descriptor, and read-modify-write of a
 * meta.yaml happens under a lock file.
 *
 * Temp files live directly in the store root: MLflow (and we) only treat sub-*directories* of the
 * root as experiments, so a temp file there is invisible to every reader, and it sits on the same
 * filesystem as its target, so rename/link are atomic.
 *
 * The calls are synchronous on purpose (behind async signatures): the files are small, and a
 * thread-pool round trip per open/write/close costs several times the I/O itself (a profile of
 * the async version spent most of its time in those hops).
 */
const TEMP_PREFIX = '.mlstore-tmp-';

export class FileIo {
  private counter = 0;
  /** Unique per store instance, so two stores of one process never share a temp name. */
  private readonly prefix = `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}-`;

  constructor(readonly root: string) {}

  private tempPath(): string {
    return join(this.root, this.prefix + String(this.counter++));
  }

  private writeTemp(data: string | Uint8Array): string {
    const tmp = this.tempPath();
    writeFileSync(tmp, data);
    return tmp;
  }

  /** Writes `path` atomically (readers see the old or the new content, never a mix). */
  async writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
    const tmp = this.writeTemp(data);
    try {
      renameMkdir(tmp, path);
    } catch (err) {
      rmSync(tmp, { force: true });
      throw writeError(err);
    }
  }

  /** Creates `path` with `data` unless it exists; returns false (and writes nothing) when it does. */
  async createExclusive(path: string, data: string | Uint8Array): Promise<boolean> {
    const tmp = this.writeTemp(data);
    try {
      try {
        linkSync(tmp, path);
      } catch (err) {
        if (errno(err) !== 'ENOENT') throw err;
        mkdirSync(dirname(path), { recursive: true });
        linkSync(tmp, path);
      }
      return true;
    } catch (err) {
      if (errno(err) === 'EEXIST') return false;
      throw writeError(err);
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  /**
   * Runs `fn` holding `<dir>/.mlstore.lock` (its content: host and pid). A lock whose holder is a
   * dead process of this host is broken at once (a server killed with -9 does not stall writers);
   * any other lock is broken once it is 30 s old.
   */
  async withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    const lock = join(dir, '.mlstore.lock');
    for (let attempt = 0; ; attempt++) {
      try {
        writeFileSync(lock, LOCK_OWNER, { flag: 'wx' });
        break;
      } catch (err) {
        if (errno(err) === 'ENOENT') throw MlflowError.notFound(`Path '${relative(this.root, dir)}' does not exist.`);
        if (errno(err) !== 'EEXIST') throw err;
        if (attempt % 50 === (attempt < 50 ? 2 : 49)) breakStaleLock(lock);
        if (attempt > 6000) throw new MlflowError(`Timed out waiting for lock ${lock}`, 'TEMPORARILY_UNAVAILABLE');
        await sleep(Math.min(2 + attempt, 20) * (0.5 + Math.random()));
      }
    }
    try {
      return await fn();
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

const LOCK_OWNER = `${hostname()} ${process.pid}`;

/** True when `owner` ("host pid") names a process of this host that no longer runs. */
function deadOwner(owner: string): boolean {
  const [host, pid] = owner.split(' ');
  if (host !== hostname() || !pid || !/^\d+$/.test(pid)) return false;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (err) {
    return errno(err) === 'ESRCH';
  }
}

function breakStaleLock(lock: string): void {
  try {
    const owner = readFileSync(lock, 'utf8');
    const st = statSync(lock);
    // Re-read just before removing: a lock taken anew meanwhile is not broken.
    if ((Date.now() - st.mtimeMs > 30_000 || deadOwner(owner)) && readFileSync(lock, 'utf8') === owner) rmSync(lock, { force: true });
  } catch {
    // gone already
  }
}

/**
 * Removes temp files a killed writer left in the store root: a temp file lives for the
 * milliseconds between its write and its rename, so one older than a minute is an orphan.
 */
export function removeOrphanTempFiles(root: string, maxAgeMs = 60_000): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(root).filter((n) => n.startsWith(TEMP_PREFIX));
  } catch {
    return 0;
  }
  for (const name of names) {
    try {
      if (Date.now() - statSync(join(root, name)).mtimeMs > maxAgeMs) {
        rmSync(join(root, name), { force: true });
        removed++;
      }
    } catch {
      // taken by its writer or another cleaner meanwhile
    }
  }
  return removed;
}

function renameMkdir(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if (errno(err) !== 'ENOENT') throw err;
    mkdirSync(dirname(to), { recursive: true });
    renameSync(from, to);
  }
}

/**
 * Appends `text` with one write(2) on an O_APPEND descriptor: concurrent appenders (threads or
 * processes) never interleave inside a line.
 */
export async function appendText(path: string, text: string): Promise<void> {
  try {
    try {
      appendFileSync(path, text);
    } catch (err) {
      if (errno(err) !== 'ENOENT') throw err;
      mkdirSync(dirname(path), { recursive: true });
      appendFileSync(path, text);
    }
  } catch (err) {
    throw writeError(err);
  }
}

/**
 * True for errors that mean "no such file": a missing file or folder, a file where a folder was
 * expected, or a name longer than the filesystem allows (such a file cannot exist; Python's
 * `os.path.exists` answers False for it too).
 */
export function isMissing(err: unknown): boolean {
  const code = errno(err);
  return code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG';
}

/** A write the filesystem refused for the name's length is the client's error (INVALID_PARAMETER_VALUE), not the server's; other errors unchanged. */
export function writeError(err: unknown): unknown {
  return errno(err) === 'ENAMETOOLONG' ? MlflowError.invalidParameter('A name in this request is longer than the filesystem allows.', { cause: err }) : err;
}

/** The `code` of a Node system error, if any. */
export function errno(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/** File content, or undefined when it does not exist. */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  return readTextSync(path);
}

/** Names of the sub-directories of `dir` ([] when it does not exist). */
export async function listSubdirs(dir: string): Promise<string[]> {
  try {
    const entries = readdirSync(dir, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
}

/**
 * Relative paths (with `/`) of every file under `dir`, recursively — keys containing `/` are nested
 * folders. Lock and temp files are skipped. (Hand-rolled: Node 20's recursive readdir normalises
 * every path in JavaScript, which dominated search profiles.)
 */
export function listFilesRecursive(dir: string, prefix = ''): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.mlstore')) continue;
    if (e.isFile()) out.push(prefix + e.name);
    else if (e.isDirectory()) out.push(...listFilesRecursive(`${dir}/${e.name}`, `${prefix}${e.name}/`));
  }
  return out;
}

/**
 * Reads every file of a key folder (params/, tags/) into key → value; `read` may serve values from
 * a cache. Files that vanish meanwhile are left out.
 */
export function readKeyFolder(dir: string, read: (path: string) => string | undefined = readTextSync): Map<string, string> {
  const out = new Map<string, string>();
  for (const key of listFilesRecursive(dir)) {
    const v = read(`${dir}/${key}`);
    if (v !== undefined) out.set(key, v);
  }
  return out;
}

/** File content, or undefined when it does not exist (synchronous). */
export function readTextSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (isMissing(err)) return undefined;
    throw err;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
