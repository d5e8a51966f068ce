/**
 * `mlstore server` from the built CLI (`node apps/demo/dist/cli.js server`), as a user starts it,
 * for the multi-process tests: `--workers N` forks that JavaScript entry, so the TypeScript sources
 * (test/interop/mlstore-server.ts) cannot serve there. Its JSON log lines are kept as they come, and
 * `api()` sends one REST call per connection (`connection: close`), so that node:cluster's
 * round-robin, which hands out connections, spreads requests too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './mlflow-python.js';

const repoRoot = resolve(import.meta.dirname, '../..');

/** The built CLI (`pnpm build` writes it). */
export const builtCli = join(repoRoot, 'apps', 'demo', 'dist', 'cli.js');

/** Why the built CLI cannot be used, or null. */
export function builtCliProblem(): string | null {
  return existsSync(builtCli) ? null : `${builtCli} is missing (run: npx -y pnpm@10.34.8 turbo run build --filter @mlstore/demo...)`;
}

/** One parsed JSON log line of the server. */
export type LogLine = Record<string, unknown> & { msg?: string; time?: number; worker?: number };

export interface BuiltServer {
  url: string;
  readonly pid: number;
  /** The JSON log lines so far, request lines (`request completed`) excepted: see `served`. */
  lines(): LogLine[];
  /** `request completed` lines so far: worker id (0 without workers) and status. */
  served(): { worker: number; status: number; time: number }[];
  /** The last lines of the raw output, for failure messages. */
  tail(): string;
  /** The pids of the primary's current children (`/proc/<pid>/task/<pid>/children`). */
  children(): number[];
  /** Resolves with the first log line `match` accepts (rejects when the process exits first). */
  waitFor(match: (line: LogLine) => boolean, what: string): Promise<LogLine>;
  /** SIGTERM, then waits for the exit (SIGKILL after 15 s); resolves to the exit code. */
  stop(): Promise<number | null>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Spawns `node apps/demo/dist/cli.js server --backend-store-uri <uri> --artifacts-destination <dir>
 * --host 127.0.0.1 --port <free port> [...extraArgs]` and resolves once it serves: the line
 * `mlstore server listening at …` (one process) or, with `--workers`, the primary's
 * `N worker processes serving`.
 */
export async function startBuiltServer(backendStoreUri: string, opts: { artifactsDestination: string; cwd: string; extraArgs?: string[] }): Promise<BuiltServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const args = ['server', '--backend-store-uri', backendStoreUri, '--artifacts-destination', opts.artifactsDestination, '--host', '127.0.0.1', '--port', String(port), ...(opts.extraArgs ?? [])];
  const child: ChildProcess = spawn(process.execPath, [builtCli, ...args], { cwd: opts.cwd, env: { ...process.env, LOG_LEVEL: 'info' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: LogLine[] = [];
  const served: { worker: number; status: number; time: number }[] = [];
  let raw = '';
  let partial = '';
  const waiters = new Set<() => void>();
  const onData = (b: Buffer) => {
    raw = (raw + b.toString('utf8')).slice(-8_000);
    const parts = (partial + b.toString('utf8')).split('\n');
    partial = parts.pop() ?? '';
    for (const text of parts) {
      if (!text.startsWith('{')) continue;
      let line: LogLine;
      try {
        line = JSON.parse(text) as LogLine;
      } catch {
        continue;
      }
      if (line.msg === 'request completed') served.push({ worker: Number(line.worker ?? 0), status: Number(line['status']), time: Number(line.time) });
      else lines.push(line);
    }
    for (const w of waiters) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => (r(code), waiters.forEach((w) => w()))));
  const exited = () => child.exitCode !== null || child.signalCode !== null;
  const tail = () => raw.trim().split('\n').slice(-30).join('\n');

  const waitFor = (match: (line: LogLine) => boolean, what: string) =>
    new Promise<LogLine>((res, rej) => {
      const check = () => {
        const found = lines.find(match);
        if (found) {
          waiters.delete(check);
          res(found);
        } else if (exited()) {
          waiters.delete(check);
          rej(new Error(`\`mlstore ${args.join(' ')}\` exited (${child.exitCode ?? child.signalCode}) before ${what}\n${tail()}`));
        }
      };
      waiters.add(check);
      check();
    });

  const server: BuiltServer = {
    url,
    pid: child.pid ?? -1,
    lines: () => lines,
    served: () => served,
    tail,
    children: () => {
      try {
        return readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    },
    waitFor,
    stop: async () => {
      if (!exited()) {
        child.kill('SIGTERM');
        const stopped = await Promise.race([exit.then(() => true), sleep(15_000).then(() => false)]);
        if (!stopped) child.kill('SIGKILL');
      }
      return exit;
    },
  };
  const workers = args.includes('--workers');
  try {
    await waitFor((l) => (workers ? typeof l['workers'] === 'number' : String(l.msg).startsWith('mlstore server listening')), 'it served');
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/** A REST answer: HTTP status and JSON body. */
export interface ApiAnswer {
  status: number;
  json: Record<string, any>;
}

/**
 * One MLflow REST call on a connection of its own: POST with a JSON body, or GET with `query`.
 * Rejects only when the request fails below HTTP (the error keeps fetch's `cause`).
 */
export async function api(base: string, path: string, body?: Record<string, unknown>, query?: Record<string, string>): Promise<ApiAnswer> {
  const target = new URL(`/api/2.0/mlflow/${path}`, base);
  for (const [k, v] of Object.entries(query ?? {})) target.searchParams.set(k, v);
  const res = await fetch(target, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { connection: 'close', ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    // A bound, not an assertion: a hung request fails the test instead of hanging it.
    signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  return { status: res.status, json: text.startsWith('{') ? (JSON.parse(text) as Record<string, any>) : { text } };
}

/** `api()` that expects 200 and returns the JSON body. */
export async function ok(base: string, path: string, body?: Record<string, unknown>, query?: Record<string, string>): Promise<Record<string, any>> {
  const r = await api(base, path, body, query);
  if (r.status !== 200) throw new Error(`${path} answered ${r.status}: ${JSON.stringify(r.json)}`);
  return r.json;
}

/** Runs `clients` loops at once: `client(i)` for i in 0…clients-1. */
export async function inParallel<T>(clients: number, client: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: clients }, (_, i) => client(i)));
}
