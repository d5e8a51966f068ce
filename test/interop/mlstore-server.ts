/**
 * `mlstore server` (apps/demo) as a user runs it, for the tests that point the real MLflow client at
 * it: one node process with tsx's loader on the demo CLI's TypeScript entry (@mlstore/* taken from
 * the packages' sources through test/cli-tsconfig.json, as test/migrate-cli.test.ts does), on a free
 * 127.0.0.1 port, up once GET /health answers 200. Bounded in time: when the command exits (e.g. it
 * does not exist yet: `mlstore: unknown command 'server'`) or is not up in time, startMlstoreServer
 * rejects with its exit code and the end of its output instead of waiting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from './mlflow-python.js';

const repoRoot = resolve(import.meta.dirname, '../..');
const demoDir = join(repoRoot, 'apps', 'demo');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/**
 * The TypeScript source of the demo's `mlstore` bin: package.json `bin` names the built file
 * (`./dist/<name>.js`); its source is `src/<name>.ts`. Falls back to src/cli.ts.
 */
export function mlstoreCliEntry(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(demoDir, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
    const bin = typeof pkg.bin === 'string' ? pkg.bin : (pkg.bin?.['mlstore'] ?? Object.values(pkg.bin ?? {})[0]);
    if (bin) {
      const source = join(demoDir, bin.replace(/^(\.\/)?dist\//, 'src/').replace(/\.js$/, '.ts'));
      if (existsSync(source)) return source;
    }
  } catch {
    // fall back below
  }
  return join(demoDir, 'src', 'cli.ts');
}

export interface MlstoreServer {
  url: string;
  /** The server's stdout and stderr so far (the last 20,000 characters). */
  log(): string;
  /** SIGTERM, then waits for the exit (SIGKILL to the process group after 10 s); idempotent. */
  stop(): Promise<void>;
  /** The server process's id (it leads its own process group). */
  readonly pid: number;
  /**
   * `kill -9` of the whole process group, without warning (no graceful stop), then waits for the
   * exit; for crash tests. Resolves to false when the server had already exited (it crashed).
   */
  kill(): Promise<boolean>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function tail(text: string, lines = 40): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

async function kill(child: ChildProcess): Promise<boolean> {
  if (child.pid === undefined || exited(child)) return false;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  try {
    process.kill(-child.pid, 'SIGKILL'); // negative pid: the group `detached` gave it
  } catch {
    // already gone
  }
  await Promise.race([done, sleep(5_000)]);
  return true;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || exited(child)) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (target: number, sig: NodeJS.Signals) => {
    try {
      process.kill(target, sig);
    } catch {
      // already gone
    }
  };
  signal(child.pid, 'SIGTERM');
  const stopped = await Promise.race([done.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    signal(-child.pid, 'SIGKILL'); // negative pid: the group `detached` gave it
    await Promise.race([done, sleep(5_000)]);
  }
}

/**
 * Spawns `mlstore server --backend-store-uri <uri> --artifacts-destination <dir> --host 127.0.0.1
 * --port <free port>` in `cwd` and resolves once GET /health answers 200.
 */
export async function startMlstoreServer(
  backendStoreUri: string,
  opts: { cwd: string; artifactsDestination: string; timeoutMs?: number; env?: NodeJS.ProcessEnv; extraArgs?: string[] },
): Promise<MlstoreServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const entry = mlstoreCliEntry();
  const args = [
    'server',
    '--backend-store-uri', backendStoreUri,
    '--artifacts-destination', opts.artifactsDestination,
    '--host', '127.0.0.1',
    '--port', String(port),
    ...(opts.extraArgs ?? []),
  ];
  const command = `mlstore ${args.join(' ')}`;
  // One node process with tsx's loader (the tsx binary would put a wrapper process in between).
  const child = spawn(process.execPath, ['--import', TSX_LOADER, entry, ...args], {
    cwd: opts.cwd,
    detached: true,
    env: { ...process.env, TSX_TSCONFIG_PATH: join(repoRoot, 'test/cli-tsconfig.json'), LOG_LEVEL: 'info', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const append = (b: Buffer) => {
    log = (log + b.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let spawnError: Error | undefined;
  child.once('error', (e) => (spawnError = e));
  const server: MlstoreServer = { url, log: () => log, stop: () => stop(child), pid: child.pid ?? -1, kill: () => kill(child) };

  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`could not spawn \`${command}\` (${entry}): ${spawnError.message}`);
    if (exited(child)) {
      const missing = /unknown command 'server'/.test(log) ? ' — apps/demo has no `server` command yet' : '';
      throw new Error(
        `\`${command}\` exited with ${child.exitCode ?? child.signalCode} before GET ${url}/health answered${missing}\n` +
          `(entry: ${entry})\n${tail(log)}`,
      );
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return server;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await server.stop();
  throw new Error(`\`${command}\` did not answer GET ${url}/health with 200 within ${opts.timeoutMs ?? 90_000} ms\n${tail(log)}`);
}
