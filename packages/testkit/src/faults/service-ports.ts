/**
 * Where this checkout's test services listen, for the tests and the benchmarks. test/services/lib/ports.sh
 * gives each checkout its own block of ports (below Linux's ephemeral range) and publishes it in
 * `<checkout>/.services/ports.env` whenever a service script runs; vitest.config.ts and the benchmarks
 * load that file into `process.env` with {@link loadServicePorts}, and tests read the variables with
 * {@link servicePort}. A variable already set in the environment wins over the file.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/** The published keys (lib/ports.sh's list). */
export type ServicePortKey =
  | 'MLSTORE_PG_PORT'
  | 'MLSTORE_MYSQL_PORT'
  | 'MLSTORE_MOTO_PORT'
  | 'MLSTORE_AZURITE_PORT'
  | 'MLSTORE_GCS_PORT'
  | 'MLSTORE_SFTP_PORT'
  | 'MLSTORE_FTP_PORT'
  | 'MLSTORE_HDFS_PORT'
  | 'MLSTORE_HDFS_HTTPFS_PORT'
  | 'MLSTORE_HDFS_KERBEROS_PORT';

/** The file lib/ports.sh writes, relative to the checkout. */
export const SERVICE_PORTS_FILE = join('.services', 'ports.env');

/**
 * The port tests use when no ports file was loaded, i.e. no service script ever ran in this checkout:
 * nothing listens on port 1 (tcpmux), so every suite finds its server unreachable and skips loudly,
 * or fails under MLSTORE_REQUIRE_SERVICES=1, with its "start it with test/services/…" hint. Never a
 * real service port: that might be another checkout's server.
 */
export const NO_SERVICE_PORT = 1;

/**
 * Copies each `KEY=value` of `<root>/.services/ports.env` into `env` unless `env` already has the key.
 * A file written for another checkout (a copied tree) is ignored. Returns the keys set.
 * @throws Error when the file has a line that is neither a comment nor `MLSTORE_…=value`.
 */
export function loadServicePorts(root: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const file = join(root, SERVICE_PORTS_FILE);
  if (!existsSync(file)) return [];
  const entries: [string, string][] = [];
  for (const [i, line] of readFileSync(file, 'utf8').split('\n').entries()) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const m = /^(MLSTORE_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (!m) throw new Error(`${file}:${i + 1}: not a KEY=value line: ${JSON.stringify(line)}`);
    entries.push([m[1]!, m[2]!]);
  }
  const checkout = entries.find(([k]) => k === 'MLSTORE_SERVICES_CHECKOUT')?.[1];
  if (checkout === undefined || !sameDir(checkout, root)) return [];
  const set: string[] = [];
  for (const [key, value] of entries) {
    if (key === 'MLSTORE_SERVICES_CHECKOUT' || env[key] !== undefined) continue;
    env[key] = value;
    set.push(key);
  }
  return set;
}

/** The port in `env[key]` (set explicitly or loaded from the ports file), else {@link NO_SERVICE_PORT}. */
export function servicePort(key: ServicePortKey, env: NodeJS.ProcessEnv = process.env): number {
  const value = env[key];
  if (value === undefined || value === '') return NO_SERVICE_PORT;
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new Error(`${key} must be a port number, not ${JSON.stringify(value)}`);
  return Number(value);
}

function sameDir(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}
