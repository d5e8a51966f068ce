import { isIP } from 'node:net';
import { Client, FTPError, type FileInfo as FtpFileInfo } from 'basic-ftp';
import type { FtpLocation } from './ftp-uri.js';
import type { FtpSettings } from './ftp-options.js';

/** One pooled control connection and what was learnt about the server on login. */
export interface FtpConnection {
  client: Client;
  /** The server announced MLST (so MLSD works). */
  mlsd: boolean;
  /** ftps:// (explicit TLS on control and data connections). */
  tls: boolean;
  /**
   * A transfer command (STOR, RETR, MLSD…) was refused after its data connection was opened: over
   * TLS pyftpdlib then sends a late `226` that shifts every later reply by one, so the connection
   * is never reused.
   */
  tainted: boolean;
  /** Used by an earlier call (a dropped idle connection is then worth one retry). */
  reused: boolean;
}

// basic-ftp keeps these protected; they are the building blocks of its own `list`, which falls
// back from MLSD to LIST on any error (a file path then "lists" as itself) — so we drive them.
interface ClientInternals {
  prepareTransfer(ftp: Client['ftp']): Promise<unknown>;
  _requestListWithCommand(command: string): Promise<FtpFileInfo[]>;
}

/**
 * Opens and logs in one control connection: passive mode (EPSV, else PASV to the control host),
 * binary type, UTF-8, and for ftps explicit TLS (AUTH TLS, PBSZ 0, PROT P). The signal closes the
 * half-open connection.
 */
export async function openFtpConnection(loc: FtpLocation, settings: FtpSettings, user: string, password: string, signal?: AbortSignal): Promise<FtpConnection> {
  const client = new Client(settings.timeoutMs);
  const onAbort = () => client.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await client.access({
      host: loc.host,
      port: loc.port,
      user,
      password,
      secure: loc.scheme === 'ftps',
      ...(loc.scheme === 'ftps'
        ? {
            secureOptions: {
              rejectUnauthorized: settings.rejectUnauthorized,
              // SNI takes host names only (RFC 6066); an IP is still verified against the certificate.
              ...(settings.servername !== undefined || isIP(loc.host) === 0 ? { servername: settings.servername ?? loc.host } : {}),
              ...(settings.ca !== undefined ? { ca: settings.ca } : {}),
            },
          }
        : {}),
    });
    const features = await client.features();
    return { client, mlsd: features.has('MLST'), tls: loc.scheme === 'ftps', tainted: false, reused: false };
  } catch (err) {
    client.close();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** True for an FTP error reply with a 5xx (permanent) code. */
export const isPermanentReply = (err: unknown): boolean => err instanceof FTPError && err.code >= 500 && err.code < 600;

/** Runs a transfer (anything opening a data connection); a failure taints the connection. */
export async function transfer<T>(conn: FtpConnection, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    conn.tainted = true;
    throw err;
  }
}

/** Runs a listing command over a fresh data connection and parses it (MLSD, LIST or NLST). */
export async function requestListing(conn: FtpConnection, command: string): Promise<FtpFileInfo[]> {
  const internals = conn.client as unknown as ClientInternals;
  return transfer(conn, async () => {
    await internals.prepareTransfer(conn.client.ftp);
    return internals._requestListWithCommand(command);
  });
}

/** Runs NLST over a data connection and returns the raw names, one per line. */
export async function requestNameList(conn: FtpConnection, command: string): Promise<string[]> {
  const client = conn.client as unknown as ClientInternals & { parseList: (text: string) => FtpFileInfo[] };
  const original = client.parseList;
  // NLST output is bare names; keep the lines instead of parsing them as a LIST format.
  let names: string[] = [];
  client.parseList = (text: string) => {
    names = text.split(/\r?\n/).filter((l) => l !== '');
    return [];
  };
  try {
    await requestListing(conn, command);
  } finally {
    client.parseList = original;
  }
  return names;
}

/** Sends a command and tells whether the server accepted it (a 5xx reply → false; others throw). */
export async function tryCommand(conn: FtpConnection, command: string): Promise<boolean> {
  try {
    await conn.client.send(command);
    return true;
  } catch (err) {
    if (isPermanentReply(err)) return false;
    throw err;
  }
}
