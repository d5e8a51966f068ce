// The two servers under test, each started in a process group of its own (`detached`) so that
// stopping it stops every process it made (MLflow: the `mlflow server` CLI, uvicorn's supervisor and
// its workers), also when the benchmark fails or is interrupted.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * One server configuration measured. `workers` undefined: the server's own default (MLflow 4,
 * mlstore 1). `bare`: the node:http floor for log-metric (bare-log-metric.ts), no MLflow API.
 */
export interface ServerConfig {
  id: string;
  kind: 'ours' | 'mlflow' | 'bare';
  label: string;
  workers?: number;
}

export interface RunningServer {
  config: ServerConfig;
  url: string;
  /** Leader of the process group (the process we spawned). */
  pid: number;
  /** Its command line, for the report. */
  argv: string[];
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

/** MLflow's server env as the interop tests run it: offline, quiet, job execution off. */
export const MLFLOW_ENV: NodeJS.ProcessEnv = {
  MLFLOW_DISABLE_TELEMETRY: 'true',
  DO_NOT_TRACK: 'true',
  PYTHONUNBUFFERED: '1',
  PYTHONIOENCODING: 'utf-8',
  // On by default with a database backend: a huey job runner process for GenAI jobs (scorers, trace
  // rollups), which mlstore does not implement; its idle process would only add RSS to MLflow's side.
  MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false',
};

const live = new Set<ChildProcess>();

/** SIGKILLs every server process group still alive (synchronous: usable from an exit handler). */
export function killAllServers(): void {
  for (const child of live) killGroup(child, 'SIGKILL');
  live.clear();
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // gone already
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

export interface StartOptions {
  repo: string;
  /** Backend store URI in this server's dialect. */
  backendUri: string;
  artifactsDir: string;
  cwd: string;
  /** `mlflow` executable of MLflow's venv. */
  mlflowBin: string;
  /** Our server runs under `node --cpu-prof --cpu-prof-dir <dir>`. */
  cpuProfDir?: string;
  /** NODE_OPTIONS of our server's processes (V8 flags to measure, e.g. `--max-semi-space-size=4`). */
  nodeOptions?: string;
  timeoutMs?: number;
}

export async function startServer(config: ServerConfig, o: StartOptions): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const common = ['server', '--backend-store-uri', o.backendUri, '--artifacts-destination', o.artifactsDir, '--host', '127.0.0.1', '--port', String(port)];
  let cmd: string;
  let argv: string[];
  let env: NodeJS.ProcessEnv;
  if (config.kind === 'ours') {
    cmd = process.execPath;
    const prof = o.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', o.cpuProfDir] : [];
    argv = [...prof, join(o.repo, 'apps/demo/dist/cli.js'), ...common, ...(config.workers === undefined ? [] : ['--workers', String(config.workers)])];
    env = { ...process.env, ...(o.nodeOptions && { NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} ${o.nodeOptions}`.trim() }) };
  } else if (config.kind === 'bare') {
    cmd = process.execPath;
    // tsx resolved here: the server runs in the database's temp folder, where `--import tsx` would not resolve.
    argv = ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('bare-log-metric.ts', import.meta.url)), '--backend-store-uri', o.backendUri, '--host', '127.0.0.1', '--port', String(port)];
    env = { ...process.env };
  } else {
    cmd = o.mlflowBin;
    argv = [...common, ...(config.workers === undefined ? [] : ['--workers', String(config.workers)])];
    env = { ...process.env, ...MLFLOW_ENV };
  }
  const child = spawn(cmd, argv, { cwd: o.cwd, detached: true, env, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  let log = '';
  // Always drained: a full pipe would block the server (uvicorn logs every request).
  const append = (b: Buffer) => {
    log = (log + b.toString('utf8')).slice(-40_000);
  };
  child.stdout!.on('data', append);
  child.stderr!.on('data', append);
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  const logTail = (n = 30) => log.trim().split('\n').slice(-n).join('\n');
  const stop = async () => {
    if (!live.has(child)) return;
    if (!exited(child)) {
      killGroup(child, 'SIGTERM');
      if (!(await Promise.race([done.then(() => true), sleep(15_000).then(() => false)]))) killGroup(child, 'SIGKILL');
      await Promise.race([done, sleep(5_000)]);
    }
    // Workers share the group: none may outlive the leader.
    killGroup(child, 'SIGKILL');
    live.delete(child);
  };
  const server: RunningServer = { config, url, pid: child.pid!, argv: [cmd, ...argv], logTail, stop };

  const deadline = Date.now() + (o.timeoutMs ?? 180_000);
  while (Date.now() < deadline) {
    if (exited(child)) {
      live.delete(child);
      throw new Error(`${config.label} exited with ${child.exitCode ?? child.signalCode} before answering /health:\n${logTail()}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(250);
  }
  await stop();
  throw new Error(`${config.label} did not answer ${url}/health in time:\n${logTail()}`);
}

/** Newest mtime (ms) of the files under `dir`, 0 when it does not exist. */
function newest(dir: string): number {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath ?? dirname(dir), e.name)).mtimeMs);
  }
  return t;
}

/**
 * The workspace packages the server runs (apps/demo and its @mlstore dependencies, transitively)
 * whose sources changed after their last build (the server runs the built `dist/`); throws when
 * `apps/demo/dist/cli.js` is missing.
 */
export function staleBuilds(repo: string): string[] {
  if (!existsSync(join(repo, 'apps/demo/dist/cli.js'))) {
    throw new Error('apps/demo/dist/cli.js is missing: run `pnpm turbo run build --filter @mlstore/demo...` first');
  }
  const dirOf = new Map<string, string>();
  for (const d of readdirSync(join(repo, 'packages'))) {
    const pkg = join(repo, 'packages', d, 'package.json');
    if (existsSync(pkg)) dirOf.set((JSON.parse(readFileSync(pkg, 'utf8')) as { name: string }).name, join(repo, 'packages', d));
  }
  const seen = new Set<string>();
  const visit = (dir: string) => {
    if (seen.has(dir)) return;
    seen.add(dir);
    const deps = (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }).dependencies ?? {};
    for (const name of Object.keys(deps)) if (dirOf.has(name)) visit(dirOf.get(name)!);
  };
  visit(join(repo, 'apps/demo'));
  return [...seen].filter((d) => newest(join(d, 'src')) > newest(join(d, 'dist'))).map((d) => d.slice(repo.length + 1));
}
