import { createHmac, timingSafeEqual } from 'node:crypto';

/** One usable line of a known_hosts file. */
export interface KnownHostEntry {
  /** `@revoked` lines reject a key; `@cert-authority` lines are skipped (no certificate support). */
  revoked: boolean;
  /** Comma-separated patterns (`host`, `[host]:port`, wildcards, `!negations`) or one `|1|salt|hash`. */
  hosts: string;
  /** Key type as written, e.g. `ssh-ed25519`. */
  keyType: string;
  /** The public key blob (base64-decoded). */
  key: Buffer;
}

/** Parses known_hosts text (OpenSSH's format); malformed lines and CA lines are ignored. Pure. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const fields = line.split(/\s+/);
    let revoked = false;
    if (fields[0]?.startsWith('@')) {
      const marker = fields.shift();
      if (marker === '@cert-authority') continue;
      if (marker !== '@revoked') continue;
      revoked = true;
    }
    const [hosts, keyType, b64] = fields;
    if (!hosts || !keyType || !b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) continue;
    out.push({ revoked, hosts, keyType, key: Buffer.from(b64, 'base64') });
  }
  return out;
}

/** The name OpenSSH looks up: `host` on port 22, `[host]:port` elsewhere. */
export function knownHostName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

// `*` and `?` are wildcards; everything else, `[` and `]` of `[host]:port` included, is literal.
function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`, 'i');
  return re.test(name);
}

/** Whether an entry's host field names `name` (hashed entries, wildcard patterns, negations). */
export function hostFieldMatches(hosts: string, name: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    const want = Buffer.from(hash, 'base64');
    const got = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  let matched = false;
  for (const pattern of hosts.split(',')) {
    if (pattern.startsWith('!')) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) {
      matched = true;
    }
  }
  return matched;
}

/** The outcome of checking a server's host key. */
export type HostKeyVerdict =
  | { ok: true; via: string }
  | { ok: false; reason: 'unknown' | 'mismatch' | 'revoked'; name: string; knownTypes: string[] };

/**
 * OpenSSH's check of a presented host key against known_hosts entries: a matching `@revoked`
 * key is refused; a key listed for `[host]:port` (or `host` on port 22) is accepted; a host with
 * entries but not this key is a mismatch; a host with no entries is unknown. For pysftp
 * compatibility (it looks hosts up without the port), bare-`host` entries count for any port when
 * there is no `[host]:port` entry. Pure.
 */
export function checkHostKey(entries: readonly KnownHostEntry[], host: string, port: number, key: Buffer): HostKeyVerdict {
  const primary = knownHostName(host, port);
  const names = port === 22 ? [primary] : [primary, host];
  for (const e of entries) if (e.revoked && e.key.equals(key) && names.some((n) => hostFieldMatches(e.hosts, n))) {
    return { ok: false, reason: 'revoked', name: primary, knownTypes: [] };
  }
  for (const name of names) {
    const forName = entries.filter((e) => !e.revoked && hostFieldMatches(e.hosts, name));
    if (forName.length === 0) continue;
    if (forName.some((e) => e.key.equals(key))) return { ok: true, via: name };
    return { ok: false, reason: 'mismatch', name, knownTypes: [...new Set(forName.map((e) => e.keyType))] };
  }
  return { ok: false, reason: 'unknown', name: primary, knownTypes: [] };
}

/** Key types listed for the host (to offer only those host-key algorithms, as OpenSSH does). */
export function knownKeyTypes(entries: readonly KnownHostEntry[], host: string, port: number): string[] {
  const primary = knownHostName(host, port);
  for (const name of port === 22 ? [primary] : [primary, host]) {
    const types = entries.filter((e) => !e.revoked && hostFieldMatches(e.hosts, name)).map((e) => e.keyType);
    if (types.length > 0) return [...new Set(types)];
  }
  return [];
}
