import { FTPError, FileType } from 'basic-ftp';
import type { FtpListCommand } from './ftp-options.js';
import { isPermanentReply, requestListing, requestNameList, tryCommand, type FtpConnection } from './ftp-connection.js';

/** One directory entry as the server reports it. */
export interface FtpEntry {
  name: string;
  isDir: boolean;
  /** Bytes (files only). */
  size?: number;
}

/** Prefix of the temporary names uploads are written to before the rename; never listed. */
export const UPLOAD_TEMP_PREFIX = '.mlstore-upload-';

const baseName = (p: string) => p.replace(/\/+$/, '').split('/').pop() ?? '';

/** `abs` joined with a child name. */
export const childPath = (abs: string, name: string): string => (abs === '/' ? `/${name}` : `${abs}/${name}`);

/**
 * Lists the directory `abs` (absolute), or returns `null` when it is not a directory (missing, or a
 * file): MLSD with exact types and sizes where the server has it (RFC 3659), else CWD + LIST parsed
 * as Unix or DOS, else CWD + NLST with a SIZE (file) or CWD (directory) probe per entry, as MLflow
 * does. `.`/`..` are dropped; symlinks count as files.
 */
export async function listDirectory(conn: FtpConnection, abs: string, mode: FtpListCommand): Promise<FtpEntry[] | null> {
  // A missing directory is found on the control connection (CWD), never by a refused listing:
  // LIST and NLST of a file path would describe the file itself, and a refused transfer command
  // costs the connection (see FtpConnection.tainted).
  if (!(await tryCommand(conn, `CWD ${abs}`))) return null;
  const useMlsd = mode === 'mlsd' || (mode === 'auto' && conn.mlsd);
  if (useMlsd) {
    const infos = await requestListing(conn, `MLSD ${abs}`);
    return clean(infos.map((f) => ({ name: f.name, isDir: f.type === FileType.Directory, size: f.size })));
  }
  if (mode !== 'nlst') {
    try {
      const infos = await requestListing(conn, 'LIST');
      return clean(infos.map((f) => ({ name: baseName(f.name), isDir: f.isDirectory, size: f.size })));
    } catch (err) {
      // basic-ftp throws a plain Error for a listing format it cannot parse: fall back to NLST.
      if (mode === 'list' || err instanceof FTPError || !/only supports MLSD, Unix- or DOS-style/i.test(String((err as Error).message))) throw err;
    }
  }
  let names: string[];
  try {
    names = await requestNameList(conn, 'NLST');
  } catch (err) {
    // Some servers answer NLST of an empty directory with 550.
    if (err instanceof FTPError && err.code === 550) return [];
    throw err;
  }
  const entries: FtpEntry[] = [];
  for (const name of new Set(names.map(baseName))) {
    if (name === '' || name === '.' || name === '..') continue;
    const full = childPath(abs, name);
    try {
      const size = await conn.client.size(full);
      entries.push({ name, isDir: false, size });
    } catch (err) {
      if (!isPermanentReply(err)) throw err;
      if (await tryCommand(conn, `CWD ${full}`)) entries.push({ name, isDir: true });
    }
  }
  return entries;
}

function clean(entries: FtpEntry[]): FtpEntry[] {
  return entries.filter((e) => e.name !== '' && e.name !== '.' && e.name !== '..');
}

/** True when `abs` is a directory (CWD succeeds). */
export const isDirectoryPath = (conn: FtpConnection, abs: string): Promise<boolean> => tryCommand(conn, `CWD ${abs}`);

/**
 * Creates `abs` and its missing parents (MKD; an existing directory is fine, checked with CWD).
 * @throws the server's error when a component cannot be created (e.g. a file is in the way).
 */
export async function makeDirectories(conn: FtpConnection, abs: string): Promise<void> {
  if (abs === '/' || abs === '') return;
  if (await tryCommand(conn, `MKD ${abs}`)) return;
  if (await isDirectoryPath(conn, abs)) return;
  await makeDirectories(conn, abs.slice(0, abs.lastIndexOf('/')) || '/');
  if (await tryCommand(conn, `MKD ${abs}`)) return;
  if (await isDirectoryPath(conn, abs)) return; // made by a concurrent writer
  await conn.client.send(`MKD ${abs}`); // throws the server's refusal
}

/**
 * Removes `abs` — a file, or a directory with everything below it (depth first, then RMD). A
 * missing path is a no-op. Returns false when nothing was there.
 */
export async function removeTree(conn: FtpConnection, abs: string, mode: FtpListCommand): Promise<boolean> {
  const entries = await listDirectory(conn, abs, mode);
  if (entries === null) {
    if (await tryCommand(conn, `DELE ${abs}`)) return true;
    return false;
  }
  for (const e of entries) {
    const full = childPath(abs, e.name);
    if (e.isDir) await removeTree(conn, full, mode);
    else await tryCommand(conn, `DELE ${full}`); // gone already is fine; a refusal surfaces at RMD
  }
  if (abs !== '/') await conn.client.send(`RMD ${abs}`);
  return true;
}
