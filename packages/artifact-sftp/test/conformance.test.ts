/**
 * The artifact kit against OpenSSH's sshd (test/services/sftp.sh): once logging in with a key
 * file, once with the URI's password and the host found through an ssh config `Host` alias, each
 * under a fresh random root. The integration profile streams a 1 GiB file (kit `largeFileBytes`;
 * MLSTORE_LARGE_FILE_MB overrides). Without sshd: loud skip, or failure under
 * MLSTORE_REQUIRE_SERVICES=1.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeArtifactRepository } from '@mlstore/testkit';
import { afterAll } from 'vitest';
import { SftpArtifactRepository } from '../src/index.js';
import { SFTP_HOST, SFTP_PORT, requireSftp, sftpReachable, sftpState, sftpUri, testOptions } from './sftp-server.js';

const integration = process.env.MLSTORE_PROFILE === 'integration';
const run = `kit-${randomBytes(5).toString('hex')}`;
const repos: SftpArtifactRepository[] = [];
const track = (r: SftpArtifactRepository) => (repos.push(r), r);

if (requireSftp(await sftpReachable(), 'artifact-sftp conformance')) {
  afterAll(async () => {
    for (const r of repos) await r.close();
  });
  describeArtifactRepository(
    'sftp (key file)',
    () => track(new SftpArtifactRepository(sftpUri(`${run}/key`), testOptions())),
    integration ? { largeFileBytes: 1024 * 1024 * 1024 } : {},
  );
  // The second form: `sftp://user:pass@alias/path`, the alias resolved by an ssh config (HostName,
  // Port), the password from the URI (no key), as MLflow users write it.
  describeArtifactRepository('sftp (password in URI, ssh config alias)', async () => {
    const s = sftpState();
    const dir = await mkdtemp(join(tmpdir(), 'mlstore-sftp-cfg-'));
    const config = join(dir, 'config');
    await writeFile(config, `Host other\n  Port 1\nHost mlstore-kit-alias\n  HostName ${SFTP_HOST}\n  Port ${SFTP_PORT}\n`);
    const { privateKeyPath: _none, ...opts } = testOptions({ sshConfigPath: config });
    return track(new SftpArtifactRepository(`sftp://${s.user}:${s.password}@mlstore-kit-alias${s.root}/${run}/password/`, opts));
  });
}
