import { posix } from 'node:path';
import type { FileEntryWithStats, SFTPWrapper, Stats } from 'ssh2';

// Thin promise wrappers over ssh2's SFTP session: the raw errors (with SFTP status `code`s) are
// kept for errors.ts to map, so NO_SUCH_FILE stays distinguishable from a dropped connection.

const NO_SUCH_FILE = 2;

function call<T>(fn: (cb: (err: Error | undefined | null, value?: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    try {
      fn((err, value) => (err ? reject(err) : resolve(value as T)));
    } catch (error) {
      // ssh2 throws synchronously when the channel is already closed.
      reject(error);
    }
  });
}

export const isNoSuchFile = (err: unknown): boolean => (err as { code?: unknown } | undefined)?.code === NO_SUCH_FILE;

/** `stat` (follows symlinks); `undefined` when the path does not exist. */
export async function statOrUndefined(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  try {
    return await call<Stats>((cb) => sftp.stat(path, cb));
  } catch (error) {
    if (isNoSuchFile(error)) return undefined;
    throw error;
  }
}

/** `lstat`; `undefined` when the path does not exist. */
export async function lstatOrUndefined(sftp: SFTPWrapper, path: string): Promise<Stats | undefined> {
  try {
    return await call<Stats>((cb) => sftp.lstat(path, cb));
  } catch (error) {
    if (isNoSuchFile(error)) return undefined;
    throw error;
  }
}

/** All entries of a directory (ssh2 reads every READDIR batch), without `.` and `..`. */
export async function readdir(sftp: SFTPWrapper, path: string): Promise<FileEntryWithStats[]> {
  const list = await call<FileEntryWithStats[]>((cb) => sftp.readdir(path, cb));
  return list.filter((e) => e.filename !== '.' && e.filename !== '..');
}

/**
 * `mkdir -p`: creates missing parents; an existing directory is fine (also when made concurrently).
 * One STAT when the directory exists (the common case: every upload into a known folder).
 */
export async function mkdirp(sftp: SFTPWrapper, path: string): Promise<void> {
  if (path === '/' || path === '' || path === '.') return;
  if ((await statOrUndefined(sftp, path).catch(() => undefined))?.isDirectory()) return;
  try {
    await call<void>((cb) => sftp.mkdir(path, cb));
    return;
  } catch (error) {
    const st = await statOrUndefined(sftp, path);
    if (st?.isDirectory()) return;
    if (st) throw error; // a file is in the way
    const parent = posix.dirname(path);
    if (parent === path) throw error;
    await mkdirp(sftp, parent);
    try {
      await call<void>((cb) => sftp.mkdir(path, cb));
    } catch (again) {
      if (!(await statOrUndefined(sftp, path))?.isDirectory()) throw again;
    }
  }
}

export const unlink = (sftp: SFTPWrapper, path: string): Promise<void> => call<void>((cb) => sftp.unlink(path, cb));
export const rmdir = (sftp: SFTPWrapper, path: string): Promise<void> => call<void>((cb) => sftp.rmdir(path, cb));

/**
 * Renames over an existing file atomically with OpenSSH's `posix-rename@openssh.com` (plain SFTP
 * v3 RENAME fails when the target exists); servers without the extension get remove + rename.
 */
export async function renameOver(sftp: SFTPWrapper, from: string, to: string, hasPosixRename: boolean): Promise<void> {
  if (hasPosixRename) {
    await call<void>((cb) => sftp.ext_openssh_rename(from, to, cb));
    return;
  }
  try {
    await call<void>((cb) => sftp.rename(from, to, cb));
  } catch (error) {
    const st = await lstatOrUndefined(sftp, to);
    if (!st || st.isDirectory()) throw error;
    await unlink(sftp, to);
    await call<void>((cb) => sftp.rename(from, to, cb));
  }
}

/** Whether the server announced `posix-rename@openssh.com`. */
export function supportsPosixRename(sftp: SFTPWrapper): boolean {
  const ext = (sftp as unknown as { _extensions?: Record<string, string> })._extensions;
  return ext?.['posix-rename@openssh.com'] === '1';
}

/** Removes a file or a directory tree; a missing path is a no-op. Symlinks are removed, not followed. */
export async function removeTree(sftp: SFTPWrapper, path: string): Promise<void> {
  const st = await lstatOrUndefined(sftp, path);
  if (!st) return;
  if (!st.isDirectory()) {
    await unlink(sftp, path).catch((error: unknown) => {
      if (!isNoSuchFile(error)) throw error;
    });
    return;
  }
  for (const entry of await readdir(sftp, path)) {
    const child = posix.join(path, entry.filename);
    if (entry.attrs.isDirectory()) await removeTree(sftp, child);
    else
      await unlink(sftp, child).catch((error: unknown) => {
        if (!isNoSuchFile(error)) throw error;
      });
  }
  await rmdir(sftp, path).catch((error: unknown) => {
    if (!isNoSuchFile(error)) throw error;
  });
}
