/**
 * The sshd of test/services/sftp.sh for the integration suites: where its state (keys, password,
 * known_hosts, ssh config, served root) lives, a banner probe, repository options that use only
 * that state (never the developer's own ~/.ssh), and the loud skip / hard failure when it is down.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { greetsWith, requireService, servicePort } from '@mlstore/testkit';
import type { SftpArtifactRepositoryOptions } from '../src/index.js';

const repoRoot = resolve(import.meta.dirname, '../../..');
export const SFTP_HOST = '127.0.0.1';
/** `MLSTORE_SFTP_PORT`, published by the script in .services/ports.env. */
export const SFTP_PORT = servicePort('MLSTORE_SFTP_PORT');

/** The state dir of test/services/sftp.sh (env `MLSTORE_SFTP_DIR` overrides). */
export const SFTP_DIR = process.env.MLSTORE_SFTP_DIR ?? execFileSync('bash', [join(repoRoot, 'test/services/sftp.sh'), 'dir'], { encoding: 'utf8' }).trim();

/** What the script set up for tests. */
export interface SftpState {
  user: string;
  password: string;
  key: string;
  keyWithPassphrase: string;
  passphrase: string;
  knownHosts: string;
  sshConfig: string;
  /** A HOME with .ssh/known_hosts and .ssh/config for pysftp. */
  home: string;
  /** Served root (absolute, writable by the test user). */
  root: string;
}

export function sftpState(): SftpState {
  const read = (f: string) => readFileSync(join(SFTP_DIR, f), 'utf8').trim();
  return {
    user: process.env.MLSTORE_SFTP_USER ?? 'mlstore-sftp',
    password: read('password'),
    key: join(SFTP_DIR, 'client_ed25519'),
    keyWithPassphrase: join(SFTP_DIR, 'client_ed25519_pp'),
    passphrase: read('passphrase'),
    knownHosts: join(SFTP_DIR, 'known_hosts'),
    sshConfig: join(SFTP_DIR, 'ssh_config'),
    home: join(SFTP_DIR, 'home'),
    root: join(SFTP_DIR, 'files'),
  };
}

/** True when sshd answers with its banner and the script's state files exist. */
export function sftpReachable(port = SFTP_PORT): Promise<boolean> {
  if (!existsSync(join(SFTP_DIR, 'known_hosts'))) return Promise.resolve(false);
  return greetsWith(SFTP_HOST, port, 'SSH-');
}

/** `sftp://user@127.0.0.1:PORT<root>/<sub>` (no password in it). */
export function sftpUri(sub: string, port = SFTP_PORT): string {
  const s = sftpState();
  return `sftp://${s.user}@${SFTP_HOST}:${port}${s.root}/${sub}`;
}

/**
 * Options that use only the test server's state: its known_hosts and client key, no agent, no
 * ~/.ssh/config, and a HOME with nothing in it, so the developer's own keys are never tried.
 */
export function testOptions(extra: SftpArtifactRepositoryOptions = {}): SftpArtifactRepositoryOptions {
  const s = sftpState();
  return {
    env: { HOME: join(SFTP_DIR, 'no-home') },
    agent: false,
    sshConfigPath: false,
    knownHostsPath: s.knownHosts,
    privateKeyPath: s.key,
    ...extra,
  };
}

/** True when the suites can run; otherwise the house's loud skip (or failure under CI), see `requireService`. */
export function requireSftp(available: boolean, suite: string): boolean {
  return requireService(available, suite, `sshd is not reachable at ${SFTP_HOST}:${SFTP_PORT} (or ${SFTP_DIR} is missing); start it with test/services/sftp.sh start`);
}
