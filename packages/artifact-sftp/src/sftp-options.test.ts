import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandSshPath, lookupSshConfig, resolveSftpSettings } from './sftp-options.js';
import { parseSftpUri } from './sftp-uri.js';

const home = mkdtempSync(join(tmpdir(), 'mlstore-sftp-home-'));
const config = join(home, 'config');
writeFileSync(
  config,
  ['Host alias', '  HostName real.example', '  Port 2200', '  User cfguser', '  IdentityFile ~/.ssh/alias_key', '  IdentityFile %d/second', 'Host *.wild', '  Port 2300', 'Host *', '  User fallback'].join('\n'),
);
const base = { env: { HOME: home, USER: 'me' }, sshConfigPath: config, agent: false as const };

describe('ssh config', () => {
  it('looks hosts up with Host patterns, first value wins', () => {
    expect(lookupSshConfig('Host a*\n  Port 1\nHost *\n  Port 2\n  User u\n', 'abc')).toEqual({ port: 1, user: 'u', identityFiles: [] });
    expect(lookupSshConfig('Host a\n  Port x\n', 'b')).toEqual({ identityFiles: [] });
    expect(() => lookupSshConfig('Host a\n  Port x\n', 'a')).toThrow(/bad Port/);
  });
  it('does not run Match exec commands', () => {
    const marker = join(home, 'exec-ran');
    lookupSshConfig(`Match exec "touch ${marker}"\n  Port 5\n`, 'h');
    expect(() => writeFileSync(join(marker), '', { flag: 'wx' })).not.toThrow();
  });
  it('expands ~ and %d %h %p %r %u', () => {
    expect(expandSshPath('~/.ssh/%h-%p-%r-%u-%%', { home: '/H', host: 'h', port: 2, user: 'r', localUser: 'u' })).toBe('/H/.ssh/h-2-r-u-%');
  });
});

describe('resolveSftpSettings', () => {
  it("applies MLflow's order: HostName replaces the host, URI user/port beat the config's", () => {
    const s = resolveSftpSettings(parseSftpUri('sftp://alias/x'), base);
    expect(s).toMatchObject({ host: 'real.example', port: 2200, username: 'cfguser' });
    expect(s.identityFiles).toEqual([
      { path: join(home, '.ssh/alias_key'), explicit: true },
      { path: join(home, 'second'), explicit: true },
    ]);
    expect(resolveSftpSettings(parseSftpUri('sftp://bob@alias:2/x'), base)).toMatchObject({ host: 'real.example', port: 2, username: 'bob' });
    expect(resolveSftpSettings(parseSftpUri('sftp://h.wild/x'), base)).toMatchObject({ host: 'h.wild', port: 2300, username: 'fallback' });
  });
  it('defaults: port 22, the local user, ~/.ssh/id_* keys, strict host keys, 4 connections', () => {
    const s = resolveSftpSettings(parseSftpUri('sftp://h/x'), { ...base, sshConfigPath: false });
    expect(s).toMatchObject({ host: 'h', port: 22, username: 'me', strictHostKeyChecking: true, maxConnections: 8, knownHostsPath: join(home, '.ssh/known_hosts') });
    expect(s.identityFiles.map((f) => f.explicit)).toEqual([false, false, false]);
  });
  it('password: option, else URI, else MLSTORE_SFTP_PASSWORD; env knobs', () => {
    const uri = parseSftpUri('sftp://u:fromuri@h/x');
    expect(resolveSftpSettings(uri, { ...base, password: 'opt' }).password).toBe('opt');
    expect(resolveSftpSettings(uri, { ...base, env: { ...base.env, MLSTORE_SFTP_PASSWORD: 'env' } }).password).toBe('fromuri');
    const env = { ...base.env, MLSTORE_SFTP_PASSWORD: 'env', MLSTORE_SFTP_STRICT_HOST_KEY_CHECKING: 'no', MLSTORE_SFTP_MAX_CONNECTIONS: '2', MLSTORE_SFTP_KEY_PASSPHRASE: 'pp', SSH_AUTH_SOCK: '/tmp/agent' };
    expect(resolveSftpSettings(parseSftpUri('sftp://h/x'), { env, sshConfigPath: false })).toMatchObject({
      password: 'env',
      strictHostKeyChecking: false,
      maxConnections: 2,
      passphrase: 'pp',
      agent: '/tmp/agent',
    });
    expect(() => resolveSftpSettings(parseSftpUri('sftp://h/x'), { env: { ...env, MLSTORE_SFTP_MAX_CONNECTIONS: '0' } })).toThrow(/maxConnections/);
  });
});
