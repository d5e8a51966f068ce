/**
 * The pyftpdlib server of test/services/ftp.sh for this package's tests: where it listens, its
 * credentials and certificate, a reachability probe, and the loud-skip / required-service rule.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';

const script = join(dirname(fileURLToPath(import.meta.url)), '../../../test/services/ftp.sh');

/** Port (env `MLSTORE_FTP_PORT`, default 55940) and credentials (the script's defaults). */
export const FTP_HOST = '127.0.0.1';
export const FTP_PORT = Number(process.env.MLSTORE_FTP_PORT ?? '55940');
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
  return new Promise((resolve) => {
    const socket = connect({ host: FTP_HOST, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(3000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('data', (data) => done(data.toString('latin1').startsWith('220')));
  });
}

/**
 * When the server is down, declares a failing case under MLSTORE_REQUIRE_SERVICES=1 and a loud
 * skip otherwise, and returns false; returns true when the suites can run.
 */
export function requireFtp(available: boolean, suite: string): boolean {
  if (available) return true;
  const why = `the FTP server is not reachable at ${FTP_HOST}:${FTP_PORT}; start it with test/services/ftp.sh start`;
  if (process.env.MLSTORE_REQUIRE_SERVICES === '1') {
    describe(`${suite}: FTP server`, () =>
      it('is running (MLSTORE_REQUIRE_SERVICES=1)', () => {
        throw new Error(why);
      }),
    );
  } else {
    describe.skip(`${suite} (SKIPPED: ${why})`, () => it('needs the FTP server', () => {}));
    process.stderr.write(`[${suite}] SKIPPING: ${why}\n`);
  }
  return false;
}
