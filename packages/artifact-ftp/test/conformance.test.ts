/**
 * The artifact kit against pyftpdlib (test/services/ftp.sh): over plain ftp:// as the password
 * user, over ftps:// (explicit TLS, the server's self-signed certificate trusted through `ca`), and
 * anonymously with the LIST and NLST listing fallbacks forced, each under a fresh random root.
 * The integration profile streams a 1 GiB file over ftps (kit `largeFileBytes`;
 * MLSTORE_LARGE_FILE_MB overrides). Without the server: loud skip, or failure under
 * MLSTORE_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { describeArtifactRepository } from '@mlstore/testkit';
import { FtpArtifactRepository } from '../src/index.js';
import { FTP_HOST, FTP_PORT, ftpBase, ftpCert, ftpReachable, requireFtp } from './ftp-server.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const run = randomBytes(5).toString('hex');
const MiB = 1024 * 1024;

if (requireFtp(await ftpReachable(), 'artifact-ftp conformance')) {
  const repos: FtpArtifactRepository[] = [];
  const make = (uri: string, opts: ConstructorParameters<typeof FtpArtifactRepository>[1] = {}) => {
    const repo = new FtpArtifactRepository(uri, opts);
    repos.push(repo);
    return repo;
  };
  describeArtifactRepository(
    'ftp (user + password, MLSD)',
    () => make(`${ftpBase('ftp')}/kit-${run}/plain`),
    // The 1 GiB case runs over ftps below; plain FTP streams 64 MiB (same code path, no TLS).
    { largeFileCapBytes: 64 * MiB },
  );
  describeArtifactRepository(
    'ftps (explicit TLS, CA option)',
    () => make(`${ftpBase('ftps')}/kit-${run}/tls/`, { ca: ftpCert() }),
    integration ? { largeFileBytes: 1024 * MiB } : {},
  );
  describeArtifactRepository(
    'ftp (anonymous, LIST listing)',
    () => make(`ftp://${FTP_HOST}:${FTP_PORT}/kit-${run}/anon-list`, { listCommand: 'list' }),
    { largeFileCapBytes: 16 * MiB },
  );
  describeArtifactRepository(
    'ftp (anonymous, NLST + SIZE listing as MLflow)',
    () => make(`ftp://anonymous@${FTP_HOST}:${FTP_PORT}/kit-${run}/anon-nlst`, { listCommand: 'nlst' }),
    { largeFileCapBytes: 16 * MiB },
  );
  const { afterAll } = await import('vitest');
  afterAll(async () => {
    // Each kit run removes its own random prefix; the four roots above them go here.
    const root = new FtpArtifactRepository(`${ftpBase('ftp')}/kit-${run}`);
    await root.deleteArtifacts();
    await Promise.all([root, ...repos].map((r) => r.close()));
  });
}
