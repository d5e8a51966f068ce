import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { get, request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveWorkers, workerEnv } from './server-workers.js';

// Worker processes run the built CLI (node:cluster forks a JavaScript entry), as a user runs it.
const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'mlstore-workers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** One request on a connection of its own (round-robin hands out connections, not requests). */
function call(port: number, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = request({ host: '127.0.0.1', port, method, path, agent: false, headers: text ? { 'content-type': 'application/json' } : {} }, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: data.startsWith('{') ? (JSON.parse(data) as Record<string, unknown>) : {} }));
    });
    req.on('error', reject);
    req.end(text);
  });
}

function start(args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []) {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build the CLI first (pnpm turbo run build --filter @mlstore/demo...)`);
  const child = spawn(process.execPath, [...nodeArgs, CLI, 'server', ...args], { env: { ...process.env, LOG_LEVEL: 'info', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const lines = () => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, exit, output: () => out, lines };
}

async function waitForWorkers(server: ReturnType<typeof start>, n: number): Promise<number[]> {
  for (let i = 0; i < 400; i++) {
    const ready = server.lines().find((l) => l['workers'] === n);
    if (ready) return ready['pids'] as number[];
    if (server.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`the workers did not start:\n${server.output()}`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Node flags that record, per process, every module it loads (ESM resolve hooks, which node:cluster's
 * workers inherit with the primary's flags) in `<folder>/<pid>`.
 */
function recordModules(folder: string): string[] {
  mkdirSync(folder, { recursive: true });
  const hooks = join(folder, 'hooks.mjs');
  writeFileSync(
    hooks,
    `import { appendFileSync } from 'node:fs';\n` +
      `export async function resolve(specifier, context, next) { const r = await next(specifier, context); appendFileSync(${JSON.stringify(folder)} + '/' + process.pid, r.url + '\\n'); return r; }\n`,
  );
  const register = join(folder, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
  return ['--import', register];
}

describe('mlstore server --workers', () => {
  it('serves one port and one SQLite database from two processes, and stops them all on SIGTERM', async () => {
    const port = await freePort();
    const db = join(dir, 'w.db');
    const loaded = join(dir, 'loaded');
    const server = start(['--backend-store-uri', `sqlite:///${db}`, '--artifacts-destination', join(dir, 'art'), '--port', String(port), '--workers', '2'], {}, recordModules(loaded));
    try {
      const pids = await waitForWorkers(server, 2);
      expect(new Set(pids).size).toBe(2);
      // The primary only supervises: the server, the stores and their drivers load in the workers alone.
      const heavy = /\/(server|store-sql)\/dist\/index\.js$|\/node_modules\/(kysely|better-sqlite3)\//;
      const modules = (pid: number) => readFileSync(join(loaded, String(pid)), 'utf8').split('\n');
      expect(modules(server.child.pid!).filter((m) => heavy.test(m))).toEqual([]);
      for (const pid of pids) expect(modules(pid).filter((m) => heavy.test(m)).length).toBeGreaterThan(0);
      // Writes through either worker land in the one database; each worker reads them all.
      const created: string[] = [];
      for (let i = 0; i < 12; i++) {
        const r = await call(port, 'POST', '/api/2.0/mlflow/experiments/create', { name: `e${i}` });
        expect(r.status).toBe(200);
        created.push(r.json['experiment_id'] as string);
      }
      for (let i = 0; i < 6; i++) {
        const r = await call(port, 'POST', '/api/2.0/mlflow/experiments/search', { max_results: 100 });
        expect((r.json['experiments'] as { experiment_id: string }[]).map((e) => e.experiment_id)).toEqual(expect.arrayContaining(created));
      }
      // A request's log line is written once its answer is sent: wait for the last ones.
      const served = () => server.lines().filter((l) => l['msg'] === 'request completed');
      for (let i = 0; i < 100 && served().length < 18; i++) await new Promise((r) => setTimeout(r, 50));
      expect(served()).toHaveLength(18);
      expect(new Set(served().map((l) => l['worker']))).toEqual(new Set([1, 2]));
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exit).toBe(0);
    const pids = server.lines().find((l) => l['workers'] === 2)!['pids'] as number[];
    expect(pids.filter(alive)).toEqual([]);
    expect(server.lines().filter((l) => l['msg'] === 'server stopped')).toHaveLength(3);
  }, 60_000);

  it('replaces a worker killed with SIGKILL, and stops with exit code 1 when no worker is left and none can start', async () => {
    const port = await freePort();
    const db = join(dir, 'k.db');
    const server = start(['--backend-store-uri', `sqlite:///${db}`, '--artifacts-destination', join(dir, 'art-k'), '--port', String(port), '--workers', '2']);
    try {
      const pids = await waitForWorkers(server, 2);
      process.kill(pids[0]!, 'SIGKILL');
      const replaced = () => server.lines().some((l) => l['msg'] === 'a server worker exited; starting another' && l['pid'] === pids[0] && l['signal'] === 'SIGKILL');
      for (let i = 0; i < 200 && !replaced(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(replaced()).toBe(true);
      // The third worker (cluster id 3) answers on the same port once it listens, as does the survivor.
      const listening = () => server.lines().some((l) => l['worker'] === 3 && String(l['msg']).startsWith('mlstore server listening'));
      for (let i = 0; i < 300 && !listening(); i++) await new Promise((r) => setTimeout(r, 50));
      expect(listening(), server.output()).toBe(true);
      const servedBy = () => new Set(server.lines().filter((l) => l['msg'] === 'request completed').map((l) => l['worker']));
      for (let i = 0; i < 60 && !servedBy().has(3); i++) {
        expect((await call(port, 'POST', '/api/2.0/mlflow/experiments/create', { name: `k${i}` })).status).toBe(200);
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(servedBy().has(3)).toBe(true);

      // The database is gone for new workers (a folder where the file was): when every worker is
      // killed, no replacement can start, and the server ends instead of holding the port unanswered.
      renameSync(db, `${db}.moved`);
      mkdirSync(db);
      const primary = server.child.pid!;
      const workers = readFileSync(`/proc/${primary}/task/${primary}/children`, 'utf8').trim().split(/\s+/).map(Number);
      expect(workers).toHaveLength(2);
      for (const pid of workers) process.kill(pid, 'SIGKILL');
      expect(await server.exit).toBe(1);
      expect(server.lines().some((l) => l['msg'] === 'no server worker is left running; stopping')).toBe(true);
    } finally {
      server.child.kill('SIGTERM');
    }
  }, 60_000);

  it('ends the start with exit code 1 and creates nothing when the port is taken', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await new Promise((r) => blocker.once('listening', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const db = join(dir, 'taken.db');
      const server = start(['--backend-store-uri', `sqlite:///${db}`, '--port', String(port)], { MLSTORE_WORKERS: '2' });
      expect(await server.exit).toBe(1);
      expect(server.output()).toContain(`mlstore server: port ${port} is in use`);
      expect(existsSync(db)).toBe(false);
    } finally {
      blocker.close();
    }
  }, 60_000);

  it('runs one process by default', async () => {
    const port = await freePort();
    const server = start(['--backend-store-uri', `sqlite:///${join(dir, 'one.db')}`, '--port', String(port)]);
    try {
      for (let i = 0; i < 100 && server.lines().every((l) => !String(l['msg']).startsWith('mlstore server listening')); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise<void>((resolve, reject) => get({ host: '127.0.0.1', port, path: '/health', agent: false }, (res) => (res.resume(), resolve())).on('error', reject));
      const children = readFileSync(`/proc/${server.child.pid}/task/${server.child.pid}/children`, 'utf8').trim();
      expect(children).toBe('');
      expect(server.lines().some((l) => 'worker' in l || 'workers' in l)).toBe(false);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exit).toBe(0);
  }, 60_000);
});

describe('resolveWorkers', () => {
  it('takes --workers, then MLSTORE_WORKERS, then MLFLOW_WORKERS, else 1', () => {
    expect(resolveWorkers(undefined, {})).toBe(1);
    expect(resolveWorkers(undefined, { MLFLOW_WORKERS: '4' })).toBe(4);
    expect(resolveWorkers(undefined, { MLSTORE_WORKERS: '3', MLFLOW_WORKERS: '4' })).toBe(3);
    expect(resolveWorkers('2', { MLSTORE_WORKERS: '3' })).toBe(2);
  });

  it.each(['0', '-1', '1.5', 'four'])('refuses %s', (raw) => {
    expect(() => resolveWorkers(raw, {})).toThrow(`--workers must be a whole number ≥ 1 (got '${raw}').`);
  });
});

describe('workerEnv', () => {
  const pool = (env: NodeJS.ProcessEnv) => [env['MLFLOW_SQLALCHEMYSTORE_POOL_SIZE'], env['MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW']];

  it("divides the server's connection pool (SQLAlchemy's 5 + 10 by default) among the workers, rounding up", () => {
    expect(pool(workerEnv({}, 1))).toEqual(['5', '10']);
    expect(pool(workerEnv({}, 2))).toEqual(['3', '5']);
    expect(pool(workerEnv({}, 4))).toEqual(['2', '3']);
    expect(pool(workerEnv({}, 16))).toEqual(['1', '1']);
    expect(pool(workerEnv({ MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '20', MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: '0' }, 4))).toEqual(['5', '0']);
    expect(workerEnv({ KEEP: 'x' }, 2)['KEEP']).toBe('x');
    expect(workerEnv({}, 2)['UV_TCP_SINGLE_ACCEPT']).toBe('1');
    expect(workerEnv({ UV_TCP_SINGLE_ACCEPT: '0' }, 2)['UV_TCP_SINGLE_ACCEPT']).toBe('0');
  });
});
