/**
 * The ports of test/services: every checkout gets its own block below Linux's ephemeral range
 * (test/services/lib/ports.sh), published in <checkout>/.services/ports.env, which vitest.config.ts
 * and the benchmarks load (@mlstore/testkit: packages/testkit/src/faults/service-ports.ts). The scripts run here from copies of
 * test/services in temporary "checkouts" with subcommands that start nothing (`url`, `dir`, `venv`);
 * the integration profile also checks that postgres.sh and mariadb.sh refuse a server on their port
 * that is not theirs.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NO_SERVICE_PORT, SERVICE_PORTS_FILE, loadServicePorts, servicePort } from '@mlstore/testkit';

const repo = resolve(import.meta.dirname, '..');
const EPHEMERAL_FIRST = 32768;
const SCRIPTS = ['postgres', 'mariadb', 'moto', 'azurite', 'fake-gcs', 'sftp', 'ftp', 'hdfs', 'hdfs-kerberos'];
const KEYS = [
  'MLSTORE_PG_PORT',
  'MLSTORE_MYSQL_PORT',
  'MLSTORE_MOTO_PORT',
  'MLSTORE_AZURITE_PORT',
  'MLSTORE_GCS_PORT',
  'MLSTORE_SFTP_PORT',
  'MLSTORE_FTP_PORT',
  'MLSTORE_FTP_PASSIVE',
  'MLSTORE_HDFS_PORT',
  'MLSTORE_HDFS_HTTPFS_PORT',
  'MLSTORE_HDFS_KERBEROS_PORT',
  'MLSTORE_REST_SUITE_PORTS',
];

const tmp = mkdtempSync(join(tmpdir(), 'mlstore-ports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The environment without any service variable, so only the scripts' own choices count. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MLSTORE_')));
  return { ...env, MLSTORE_SERVICES_STATE: join(tmp, 'state'), ...extra };
}

const blockOf = (path: string) => Number(execFileSync('cksum', { input: path, encoding: 'utf8' }).split(' ')[0]) % 254;

/** A fresh "checkout" holding a copy of test/services; `differentFrom` forces another port block. */
function checkout(name: string, differentFrom?: string): string {
  for (let i = 0; ; i++) {
    const dir = join(tmp, `${name}${i}`);
    if (differentFrom !== undefined && blockOf(dir) === blockOf(differentFrom)) continue;
    mkdirSync(join(dir, 'test'), { recursive: true });
    cpSync(join(repo, 'test', 'services'), join(dir, 'test', 'services'), { recursive: true, filter: (src) => !src.endsWith('.ts') });
    return dir;
  }
}

function run(root: string, script: string, args: string[], extra: Record<string, string> = {}): string {
  return execFileSync('bash', [join(root, 'test', 'services', `${script}.sh`), ...args], { env: cleanEnv(extra), encoding: 'utf8' });
}

function published(root: string): Record<string, string> {
  const lines = readFileSync(join(root, SERVICE_PORTS_FILE), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
}

/** Every port a checkout's services bind, by owner (the +k families of hdfs and hdfs-kerberos included). */
function boundPorts(p: Record<string, string>): Map<number, string> {
  const out = new Map<number, string>();
  const add = (port: number, who: string) => {
    expect(out.get(port), `${who} and ${out.get(port)} share port ${port}`).toBeUndefined();
    out.set(port, who);
  };
  const n = (k: string) => Number(p[k]);
  for (const k of ['MLSTORE_PG_PORT', 'MLSTORE_MYSQL_PORT', 'MLSTORE_MOTO_PORT', 'MLSTORE_AZURITE_PORT', 'MLSTORE_GCS_PORT', 'MLSTORE_SFTP_PORT', 'MLSTORE_FTP_PORT', 'MLSTORE_HDFS_HTTPFS_PORT']) add(n(k), k);
  for (const k of ['MLSTORE_FTP_PASSIVE', 'MLSTORE_REST_SUITE_PORTS']) {
    const [first, last] = p[k]!.split('-').map(Number) as [number, number];
    for (let q = first; q <= last; q++) add(q, k);
  }
  for (let k = 0; k <= 4; k++) add(n('MLSTORE_HDFS_PORT') + k, `MLSTORE_HDFS_PORT+${k}`);
  for (const k of [0, 1, 2, 3, 4, 9]) add(n('MLSTORE_HDFS_KERBEROS_PORT') + k, `MLSTORE_HDFS_KERBEROS_PORT+${k}`);
  return out;
}

describe('test/services ports (lib/ports.sh)', () => {
  const a = checkout('a');
  const b = checkout('b', a);

  it('gives a checkout one block below the ephemeral range, publishes it, and each script uses its slot', () => {
    for (const script of SCRIPTS) run(a, script, ['url']);
    run(a, 'mlflow', ['venv']);
    const p = published(a);
    expect(p['MLSTORE_SERVICES_CHECKOUT']).toBe(a);
    expect(Object.keys(p).filter((k) => k !== 'MLSTORE_SERVICES_CHECKOUT').sort()).toEqual([...KEYS].sort());
    const ports = [...boundPorts(p).keys()];
    expect(Math.min(...ports)).toBeGreaterThanOrEqual(20000);
    expect(Math.max(...ports)).toBeLessThan(EPHEMERAL_FIRST);
    expect(Math.max(...ports) - Math.min(...ports)).toBeLessThan(50);
    // What each script says it serves is what it published.
    expect(run(a, 'postgres', ['url']).trim()).toBe(`postgresql://postgres@127.0.0.1:${p['MLSTORE_PG_PORT']}/mlstore`);
    expect(run(a, 'mariadb', ['url']).trim()).toBe(`mysql://mlstore:mlstore@127.0.0.1:${p['MLSTORE_MYSQL_PORT']}/mlstore`);
    expect(run(a, 'moto', ['url']).trim()).toBe(`http://127.0.0.1:${p['MLSTORE_MOTO_PORT']}`);
    expect(run(a, 'azurite', ['url'])).toContain(`BlobEndpoint=http://127.0.0.1:${p['MLSTORE_AZURITE_PORT']}/`);
    expect(run(a, 'fake-gcs', ['url']).trim()).toBe(`http://127.0.0.1:${p['MLSTORE_GCS_PORT']}`);
    expect(run(a, 'sftp', ['url'])).toContain(`@127.0.0.1:${p['MLSTORE_SFTP_PORT']}/`);
    expect(run(a, 'ftp', ['url']).trim()).toMatch(new RegExp(`@127\\.0\\.0\\.1:${p['MLSTORE_FTP_PORT']}$`));
    expect(run(a, 'hdfs', ['rpc-url']).trim()).toBe(`hdfs://127.0.0.1:${p['MLSTORE_HDFS_PORT']}`);
    expect(run(a, 'hdfs', ['httpfs-url']).trim()).toBe(`http://127.0.0.1:${p['MLSTORE_HDFS_HTTPFS_PORT']}`);
    expect(run(a, 'hdfs-kerberos', ['url']).trim()).toBe(`http://127.0.0.1:${Number(p['MLSTORE_HDFS_KERBEROS_PORT']) + 1}`);
    // Deterministic: the same checkout gets the same block on every run.
    run(a, 'moto', ['dir']);
    expect(published(a)).toEqual(p);
  });

  it('gives another checkout a disjoint block', () => {
    run(a, 'postgres', ['url']);
    run(b, 'postgres', ['url']);
    const inA = boundPorts(published(a));
    const inB = boundPorts(published(b));
    expect([...inB.keys()].filter((port) => inA.has(port))).toEqual([]);
    expect(Math.max(...inB.keys())).toBeLessThan(EPHEMERAL_FIRST);
  });

  it('publishes the file on stop too, and even for mlflow.sh, which listens on nothing', () => {
    const c = checkout('c');
    run(c, 'mlflow', ['venv'], { MLSTORE_MLFLOW_VENV: join(tmp, 'no-venv') });
    expect(Object.keys(published(c))).toHaveLength(KEYS.length + 1);
    rmSync(join(c, '.services'), { recursive: true });
    run(c, 'moto', ['stop']);
    expect(Object.keys(published(c))).toHaveLength(KEYS.length + 1);
  });

  it('lets a variable win for its script, keeps it through other scripts, and drops it when the script runs without it', () => {
    const before = published(a);
    expect(run(a, 'postgres', ['url'], { MLSTORE_PG_PORT: '24681' }).trim()).toBe('postgresql://postgres@127.0.0.1:24681/mlstore');
    expect(published(a)['MLSTORE_PG_PORT']).toBe('24681');
    run(a, 'ftp', ['url'], { MLSTORE_FTP_PASSIVE: '24700-24702', MLSTORE_PG_PORT: '1111' });
    expect(published(a)).toMatchObject({ MLSTORE_PG_PORT: '24681', MLSTORE_FTP_PASSIVE: '24700-24702' });
    run(a, 'postgres', ['url']);
    run(a, 'ftp', ['url']);
    expect(published(a)).toEqual(before);
    // The whole block moves with MLSTORE_SERVICES_PORT_BASE.
    expect(run(a, 'hdfs', ['rpc-url'], { MLSTORE_SERVICES_PORT_BASE: '21000' }).trim()).toBe('hdfs://127.0.0.1:21020');
    run(a, 'hdfs', ['url']);
  });

  it('refuses a malformed port', () => {
    const r = spawnSync('bash', [join(a, 'test/services/moto.sh'), 'url'], { env: cleanEnv({ MLSTORE_MOTO_PORT: '99x' }), encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("MLSTORE_MOTO_PORT must be a port number");
  });

  it("does not trust a ports file copied from another checkout", () => {
    const c = checkout('d', a);
    mkdirSync(join(c, '.services'));
    writeFileSync(join(c, SERVICE_PORTS_FILE), readFileSync(join(a, SERVICE_PORTS_FILE)));
    const env: NodeJS.ProcessEnv = {};
    expect(loadServicePorts(c, env)).toEqual([]);
    run(c, 'moto', ['url']);
    const p = published(c);
    expect(p['MLSTORE_SERVICES_CHECKOUT']).toBe(c);
    expect([...boundPorts(p).keys()].filter((port) => boundPorts(published(a)).has(port))).toEqual([]);
  });
});

describe('loadServicePorts / servicePort (@mlstore/testkit: packages/testkit/src/faults/service-ports.ts)', () => {
  it('loads the keys the environment lacks; a variable already set wins', () => {
    const root = checkout('e');
    run(root, 'postgres', ['url']);
    const p = published(root);
    const env: NodeJS.ProcessEnv = { MLSTORE_MOTO_PORT: '23456' };
    const set = loadServicePorts(root, env);
    expect(set).toContain('MLSTORE_PG_PORT');
    expect(set).not.toContain('MLSTORE_MOTO_PORT');
    expect(set).not.toContain('MLSTORE_SERVICES_CHECKOUT');
    expect(servicePort('MLSTORE_PG_PORT', env)).toBe(Number(p['MLSTORE_PG_PORT']));
    expect(servicePort('MLSTORE_MOTO_PORT', env)).toBe(23456);
    expect(env['MLSTORE_FTP_PASSIVE']).toBe(p['MLSTORE_FTP_PASSIVE']);
  });

  it('without a ports file sets nothing, and servicePort answers the port where nothing listens', () => {
    const env: NodeJS.ProcessEnv = {};
    expect(loadServicePorts(join(tmp, 'never-started'), env)).toEqual([]);
    expect(env).toEqual({});
    expect(servicePort('MLSTORE_PG_PORT', env)).toBe(NO_SERVICE_PORT);
  });

  it('rejects a malformed file and a malformed port', () => {
    const root = join(tmp, 'bad');
    mkdirSync(join(root, '.services'), { recursive: true });
    writeFileSync(join(root, SERVICE_PORTS_FILE), `MLSTORE_SERVICES_CHECKOUT=${root}\nexport MLSTORE_PG_PORT=1\n`);
    expect(() => loadServicePorts(root, {})).toThrow(/not a KEY=value line/);
    expect(() => servicePort('MLSTORE_PG_PORT', { MLSTORE_PG_PORT: '5432x' })).toThrow(/must be a port number/);
  });

  it("is what vitest.config.ts loaded into this process (when this checkout's services ever ran)", () => {
    const file = join(repo, SERVICE_PORTS_FILE);
    if (!existsSync(file) || !readFileSync(file, 'utf8').includes(`MLSTORE_SERVICES_CHECKOUT=${repo}\n`)) return;
    for (const key of KEYS) expect(process.env[key], key).toBeDefined();
  });
});

// Integration profile (the servers' binaries are installed there): a server on the port that is
// not this checkout's is refused instead of being taken over (two checkouts used to share one).
const integration = process.env.MLSTORE_PROFILE === 'integration';
const hasPostgres = spawnSync('bash', ['-c', 'ls /usr/lib/postgresql/*/bin/postgres']).status === 0;
const hasMariadb = existsSync('/usr/sbin/mariadbd');
describe.skipIf(!integration)('postgres.sh and mariadb.sh refuse a foreign server on their port', () => {
  let foreign: Server;
  let port = 0;
  const state = join(tmp, 'refuse-state');
  const root = checkout('f');

  afterAll(async () => {
    await new Promise<void>((done) => (foreign ? foreign.close(() => done()) : done()));
    // Our own processes never started; only the data dirs made by initdb / mariadb-install-db remain.
    rmSync(state, { recursive: true, force: true });
  });

  async function listen(): Promise<number> {
    foreign ??= createServer((socket) => socket.end('not a database\n'));
    if (!foreign.listening) await new Promise<void>((done) => foreign.listen(0, '127.0.0.1', done));
    return (foreign.address() as { port: number }).port;
  }

  function start(script: 'postgres' | 'mariadb', key: string) {
    mkdirSync(state, { recursive: true });
    chmodSync(tmp, 0o755);
    return spawnSync('bash', [join(root, 'test/services', `${script}.sh`), 'start'], {
      env: { ...cleanEnv({ [key]: String(port) }), MLSTORE_SERVICES_STATE: state },
      encoding: 'utf8',
      timeout: 120_000,
    });
  }

  it('postgres.sh', { timeout: 120_000 }, async () => {
    if (!hasPostgres) throw new Error('PostgreSQL is not installed (bash test/services/postgres.sh start installs it)');
    port = await listen();
    const r = start('postgres', 'MLSTORE_PG_PORT');
    expect(r.stderr).toContain(`port ${port} already serves something that is not this checkout's postgres`);
    expect(r.status).toBe(1);
  });

  it('mariadb.sh', { timeout: 120_000 }, async () => {
    if (!hasMariadb) throw new Error('MariaDB is not installed (bash test/services/mariadb.sh start installs it)');
    port = await listen();
    const r = start('mariadb', 'MLSTORE_MYSQL_PORT');
    expect(r.stderr).toContain(`port ${port} already serves something that is not this checkout's mariadb`);
    expect(r.status).toBe(1);
  });
});
