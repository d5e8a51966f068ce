/**
 * The real MLflow 3.18.0 for the interop tests: finding its venv (installed by
 * test/services/mlflow.sh), running the helper scripts next to this file or a test's own `-c`
 * code (e.g. {@link artifactRepositoryCommands}), and running `mlflow server` on a free 127.0.0.1
 * port. Every child process is bounded in time ({@link spawnBounded}, also for other clients).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export const MLFLOW_VERSION = '3.18.0';
const repoRoot = resolve(import.meta.dirname, '../..');
const scriptsDir = import.meta.dirname;

/** The venv test/services/lib/mlflow-venv.sh installs (env `MLSTORE_MLFLOW_VENV` overrides it). */
export const mlflowVenv = process.env.MLSTORE_MLFLOW_VENV ?? join(repoRoot, '.services', 'mlflow-venv');

/** Keeps MLflow offline and quiet: no telemetry, no retries that would hide a failure. */
const mlflowEnv: NodeJS.ProcessEnv = {
  MLFLOW_DISABLE_TELEMETRY: 'true',
  DO_NOT_TRACK: 'true',
  MLFLOW_HTTP_REQUEST_MAX_RETRIES: '0',
  MLFLOW_HTTP_REQUEST_TIMEOUT: '60',
  PYTHONUNBUFFERED: '1',
  PYTHONIOENCODING: 'utf-8',
};

/** Why the venv cannot be used, or null when `mlflow` imports and reports 3.18.0. */
export function mlflowVenvProblem(): string | null {
  const python = join(mlflowVenv, 'bin', 'python');
  if (!existsSync(python)) return `no MLflow venv at ${mlflowVenv} (run: bash test/services/mlflow.sh start)`;
  const probe = spawnSync(python, ['-c', 'import mlflow; print(mlflow.__version__)'], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, ...mlflowEnv },
  });
  const version = probe.stdout?.trim();
  if (probe.status !== 0 || version !== MLFLOW_VERSION) {
    return `the venv at ${mlflowVenv} does not provide mlflow ${MLFLOW_VERSION} (got '${version ?? ''}', ${probe.stderr?.trim().split('\n').at(-1) ?? probe.error?.message ?? ''})`;
  }
  return null;
}

function tail(text: string, lines = 30): string {
  return text.trim().split('\n').slice(-lines).join('\n');
}

/** How a Python script ended: its exit code and everything it printed. */
export interface PythonScriptResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Where and how long a Python child runs, and what it gets besides MLflow's quiet settings. */
export interface PythonRunOptions {
  /** Working directory (default: this process's). */
  cwd?: string;
  /** Killed after this long (the promise then rejects). */
  timeoutMs: number;
  /** Added to the environment; a variable set to `undefined` is removed (e.g. a credentials path). */
  env?: NodeJS.ProcessEnv;
  /** Another interpreter (e.g. another MLflow version) instead of the venv's. */
  python?: string;
}

/**
 * Spawns `command ...argv` with `env` added to this process's environment, collects its output,
 * and resolves with its exit code whatever it is; rejects when it cannot start or runs past
 * `timeoutMs` (it is killed; `label` names it in that error). The runner under every Python helper
 * here, and under the tests' other clients (e.g. Hadoop's FsShell on the JVM).
 */
export function spawnBounded(
  label: string,
  command: string,
  argv: string[],
  opts: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv },
): Promise<PythonScriptResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, argv, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} timed out after ${opts.timeoutMs} ms\n${tail(Buffer.concat(err).toString('utf8'))}`));
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
  });
}

function stdoutOfSuccess(label: string, { code, stdout, stderr }: PythonScriptResult): string {
  if (code !== 0) throw new Error(`${label} exited with ${code}\n${tail(stderr)}`);
  return stdout;
}

/** {@link spawnBounded} that rejects on a non-zero exit with the end of stderr, else returns stdout. */
export async function runBounded(label: string, command: string, argv: string[], opts: { cwd?: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<string> {
  return stdoutOfSuccess(label, await spawnBounded(label, command, argv, opts));
}

/** {@link spawnBounded} on the venv's python (or `opts.python`) with MLflow's quiet settings. */
function spawnPython(label: string, argv: string[], opts: PythonRunOptions): Promise<PythonScriptResult> {
  return spawnBounded(label, opts.python ?? join(mlflowVenv, 'bin', 'python'), argv, { ...opts, env: { ...mlflowEnv, ...opts.env } });
}

/**
 * Runs `<venv>/bin/python test/interop/<script> ...args` in `cwd` and resolves with its exit code
 * and output whatever the code; rejects only when it cannot start or runs past `timeoutMs` (the
 * process is killed). `env` adds variables (e.g. `MLFLOW_ALLOW_FILE_STORE`); `python` runs another
 * interpreter (another MLflow version) on the same scripts.
 */
export function spawnPythonScript(
  script: string,
  args: string[],
  opts: PythonRunOptions & { cwd: string },
): Promise<PythonScriptResult> {
  return spawnPython(script, [join(scriptsDir, script), ...args], opts);
}

/** {@link spawnPythonScript} that returns stdout and rejects on a non-zero exit with the end of stderr. */
export async function runPythonScript(
  script: string,
  args: string[],
  opts: PythonRunOptions & { cwd: string },
): Promise<string> {
  return stdoutOfSuccess(`${script} ${args.join(' ')}`, await spawnPythonScript(script, args, opts));
}

/**
 * Runs `<venv>/bin/python -c <code> ...args` (a test's own few lines driving one MLflow class) and
 * returns its stdout; rejects on a non-zero exit with the end of stderr, on a failed start, or
 * past `timeoutMs` (the process is killed).
 */
export async function runPythonCode(code: string, args: string[], opts: PythonRunOptions): Promise<string> {
  const label = `python -c … ${args[0] ?? ''}`.trimEnd();
  return stdoutOfSuccess(label, await spawnPython(label, ['-c', code, ...args], opts));
}

/** The JSON document a Python helper printed last on stdout (its one report line). */
export function lastJsonLine<T>(stdout: string): T {
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as T;
}

/** A port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePromise(port));
    });
  });
}

export interface MlflowServer {
  url: string;
  /** Stops the server and its workers (the whole process group); idempotent. */
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || exited(child)) return;
  const done = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig); // negative pid: the group `detached` gave it
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const stopped = await Promise.race([done.then(() => true), sleep(10_000).then(() => false)]);
  if (!stopped) {
    signal('SIGKILL');
    await Promise.race([done, sleep(5_000)]);
  }
  // uvicorn workers share the group; make sure none outlives the parent.
  signal('SIGKILL');
}

/**
 * Starts `mlflow server` (uvicorn, one worker, job execution off) on `backendStoreUri` and waits
 * until GET /health answers; rejects with the server's log when it exits or is not up in time.
 */
export async function startMlflowServer(
  backendStoreUri: string,
  opts: { cwd: string; artifactsDestination: string; timeoutMs?: number; env?: NodeJS.ProcessEnv },
): Promise<MlflowServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    join(mlflowVenv, 'bin', 'mlflow'),
    [
      'server',
      '--backend-store-uri', backendStoreUri,
      '--artifacts-destination', opts.artifactsDestination,
      '--host', '127.0.0.1',
      '--port', String(port),
      '--workers', '1',
    ],
    {
      cwd: opts.cwd,
      detached: true,
      // Job execution would start a huey consumer and a job store; reading tracking data needs neither.
      env: { ...process.env, ...mlflowEnv, MLFLOW_SERVER_ENABLE_JOB_EXECUTION: 'false', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let log = '';
  const append = (b: Buffer) => {
    log = (log + b.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  const server: MlflowServer = { url, stop: () => stopGroup(child) };

  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  while (Date.now() < deadline) {
    if (exited(child)) throw new Error(`mlflow server exited with ${child.exitCode ?? child.signalCode}\n${tail(log)}`);
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await sleep(300);
  }
  await server.stop();
  throw new Error(`mlflow server did not answer ${url}/health in time\n${tail(log)}`);
}

/**
 * Python for `-c`: one MLflow artifact repository class (`module.cls`) driven from argv as
 * `log <uri> <dir>` (log_artifacts), `download <uri> <dst>` (download_artifacts of the root), or
 * `list <uri> <path>` (list_artifacts, printed as JSON `[path, is_dir, file_size]` rows; an empty
 * path lists the root). `extra` adds `elif cmd == …:` branches (with `cmd`, `a`, `b` in scope).
 */
export function artifactRepositoryCommands(module: string, cls: string, extra = ''): string {
  return `
import json, sys
from ${module} import ${cls}
cmd, a, b = sys.argv[1:4]
if cmd == 'log':
    ${cls}(a).log_artifacts(b)
elif cmd == 'download':
    ${cls}(a).download_artifacts('', b)
elif cmd == 'list':
    print(json.dumps([[f.path, f.is_dir, f.file_size] for f in ${cls}(a).list_artifacts(b or None)]))
${extra}`;
}
