import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkHostKey, hostFieldMatches, knownHostName, knownKeyTypes, parseKnownHosts } from './known-hosts.js';

const keyA = randomBytes(51);
const keyB = randomBytes(51);
const b64 = (k: Buffer) => k.toString('base64');

function hashed(name: string): string {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(name).digest('base64')}`;
}

describe('known_hosts', () => {
  it('names hosts as OpenSSH does', () => {
    expect(knownHostName('h', 22)).toBe('h');
    expect(knownHostName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('parses plain, hashed, wildcard, negated, revoked and CA lines; skips junk', () => {
    const entries = parseKnownHosts(
      [
        '# comment',
        '',
        `[127.0.0.1]:2222,other ssh-ed25519 ${b64(keyA)} comment`,
        `${hashed('hashed.example')} ssh-ed25519 ${b64(keyA)}`,
        `*.example.com,!bad.example.com ssh-ed25519 ${b64(keyA)}`,
        `@revoked revoked.example ssh-ed25519 ${b64(keyB)}`,
        `@cert-authority *.ca.example ssh-ed25519 ${b64(keyB)}`,
        'broken line',
      ].join('\n'),
    );
    expect(entries).toHaveLength(4);
    expect(hostFieldMatches(entries[0]!.hosts, '[127.0.0.1]:2222')).toBe(true);
    expect(hostFieldMatches(entries[0]!.hosts, '127.0.0.1')).toBe(false);
    expect(hostFieldMatches(entries[1]!.hosts, 'hashed.example')).toBe(true);
    expect(hostFieldMatches(entries[1]!.hosts, 'other.example')).toBe(false);
    expect(hostFieldMatches(entries[2]!.hosts, 'a.example.com')).toBe(true);
    expect(hostFieldMatches(entries[2]!.hosts, 'bad.example.com')).toBe(false);
    expect(checkHostKey(entries, 'revoked.example', 22, keyB)).toMatchObject({ ok: false, reason: 'revoked' });
  });

  it('accepts the known key, refuses another key (mismatch) and an unlisted host (unknown)', () => {
    const entries = parseKnownHosts(`[127.0.0.1]:2222 ssh-ed25519 ${b64(keyA)}\n`);
    expect(checkHostKey(entries, '127.0.0.1', 2222, keyA)).toEqual({ ok: true, via: '[127.0.0.1]:2222' });
    expect(checkHostKey(entries, '127.0.0.1', 2222, keyB)).toMatchObject({ ok: false, reason: 'mismatch', knownTypes: ['ssh-ed25519'] });
    expect(checkHostKey(entries, '127.0.0.1', 2223, keyA)).toMatchObject({ ok: false, reason: 'unknown', name: '[127.0.0.1]:2223' });
    expect(checkHostKey(entries, '127.0.0.1', 22, keyA)).toMatchObject({ ok: false, reason: 'unknown' });
    expect(knownKeyTypes(entries, '127.0.0.1', 2222)).toEqual(['ssh-ed25519']);
  });

  it('falls back to a bare-host entry for another port (pysftp writes and reads those)', () => {
    const entries = parseKnownHosts(`h ssh-ed25519 ${b64(keyA)}\n`);
    expect(checkHostKey(entries, 'h', 2222, keyA)).toEqual({ ok: true, via: 'h' });
    expect(checkHostKey(entries, 'h', 2222, keyB)).toMatchObject({ ok: false, reason: 'mismatch' });
    // but a [host]:port entry, when present, is the one that counts
    const both = parseKnownHosts(`h ssh-ed25519 ${b64(keyA)}\n[h]:2222 ssh-ed25519 ${b64(keyB)}\n`);
    expect(checkHostKey(both, 'h', 2222, keyA)).toMatchObject({ ok: false, reason: 'mismatch' });
  });
});
