/**
 * The pyftpdlib server of test/services/ftp.sh for this package's tests: where it listens, its
 * credentials and certificate, a reachability probe, and the loud-skip / required-service rule.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { greetsWith, requireService, servicePort } from '@mlstore/testkit';

const script = join(dirname(fileURLToPath(import.meta.url)), '../../../test/services/ftp.sh');

/** Port (`MLSTORE_FTP_PORT`, published by the script in .services/ports.env) and credentials (the script's defaults). */
export const FTP_HOST = '127.0.0.1';
export const FTP_PORT = servicePort('MLSTORE_FTP_PORT');
export const FTP_USER = process.env.MLSTORE_FTP_USER ?? 'mlstore';
export const FTP_PASSWORD = process.env.MLSTORE_FTP_PASSWORD ?? 'mlstore-secret';

/** `ftp://user:password@127.0.0.1:port` (no trailing slash; append `/path`). */
export const ftpBase = (scheme: 'ftp' | 'ftps' = 'ftp', user = FTP_USER, password = FTP_PASSWORD): string =>
  `${scheme}://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${FTP_HOST}:${FTP_PORT}`;

/** The served root on disk (`ftp.sh dir`/files), for checks behind the server's back. */
export function ftpRootDir(): string {
  return join(execFileSync(script, ['dir'], { encoding: 'utf8' }).trim(), 'files');
}

/** The server's self-signed certificate (PEM), which ftps:// clients must trust. */
export function ftpCert(): Buffer {
  return readFileSync(execFileSync(script, ['cert'], { encoding: 'utf8' }).trim());
}

/** True when the port greets with an FTP 220 within 3 s. */
export function ftpReachable(port = FTP_PORT): Promise<boolean> {
  return greetsWith(FTP_HOST, port, '220');
}

/** True when the suites can run; otherwise the house's loud skip (or failure under CI), see `requireService`. */
export function requireFtp(available: boolean, suite: string): boolean {
  return requireService(available, suite, `the FTP server is not reachable at ${FTP_HOST}:${FTP_PORT}; start it with test/services/ftp.sh start`);
}
