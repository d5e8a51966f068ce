import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** The MLflow release whose UI bundle mlstore serves (its REST API is this version's). */
export const UI_MLFLOW_VERSION = '3.18.0';

/** Where a UI bundle was found. */
export type UiBundleSource = 'flag' | 'python' | 'cache';

/** A UI bundle: MLflow's `mlflow/server/js/build` folder. */
export interface UiBundle {
  dir: string;
  source: UiBundleSource;
  /** For `python`: the interpreter that has mlflow 3.18.0 installed. */
  python?: string;
}

/**
 * mlstore's cache folder: `$MLSTORE_CACHE_DIR`, else `$XDG_CACHE_HOME/mlstore`, else
 * `~/.cache/mlstore` (relative values are taken from `cwd`).
 */
export function mlstoreCacheDir(env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  if (env['MLSTORE_CACHE_DIR']) return resolve(cwd, env['MLSTORE_CACHE_DIR']);
  if (env['XDG_CACHE_HOME']) return resolve(cwd, env['XDG_CACHE_HOME'], 'mlstore');
  return join(env['HOME'] || homedir(), '.cache', 'mlstore');
}

/** The folder `mlstore ui install` fills: `<cache>/ui/mlflow-3.18.0`. */
export function cachedUiDir(env: NodeJS.ProcessEnv, cwd?: string): string {
  return join(mlstoreCacheDir(env, cwd), 'ui', `mlflow-${UI_MLFLOW_VERSION}`);
}

/** True when `dir` holds a bundle's index.html. */
export function hasIndexHtml(dir: string): boolean {
  try {
    return statSync(join(dir, 'index.html')).isFile();
  } catch {
    return false;
  }
}

// Finds mlflow without importing it (an import takes seconds): its distribution version and the
// folder of its package.
const PROBE = [
  'import importlib.metadata as m, importlib.util as u, json',
  's = u.find_spec("mlflow")',
  'print(json.dumps({"version": m.version("mlflow"), "dir": list(s.submodule_search_locations)[0]}))',
].join('\n');

/**
 * The Python interpreters to ask, in order: the active virtual environment's (`$VIRTUAL_ENV`),
 * then `python3` and `python` as `$PATH` finds them.
 */
export function pythonCandidates(env: NodeJS.ProcessEnv): string[] {
  const out: string[] = [];
  const venv = env['VIRTUAL_ENV'];
  if (venv) out.push(process.platform === 'win32' ? join(venv, 'Scripts', 'python.exe') : join(venv, 'bin', 'python'));
  out.push('python3', 'python');
  return out;
}

function probe(python: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ version: string; dir: string } | undefined> {
  return new Promise((done) => {
    execFile(python, ['-c', PROBE], { env, timeout: timeoutMs, killSignal: 'SIGKILL', windowsHide: true }, (err, stdout) => {
      if (err) return done(undefined);
      try {
        const parsed = JSON.parse(stdout.trim()) as { version?: unknown; dir?: unknown };
        done(typeof parsed.version === 'string' && typeof parsed.dir === 'string' ? { version: parsed.version, dir: parsed.dir } : undefined);
      } catch {
        done(undefined);
      }
    });
  });
}

/**
 * The UI bundle of an `mlflow` installed in the active Python environment, if its version is
 * exactly {@link UI_MLFLOW_VERSION} and its wheel carries the bundle. Each interpreter gets
 * `timeoutMs` (default 5 s), so a broken Python cannot hold the server's start for long.
 */
export async function findPythonUiBundle(env: NodeJS.ProcessEnv, timeoutMs = 5_000): Promise<UiBundle | undefined> {
  const seen = new Set<string>();
  for (const python of pythonCandidates(env)) {
    const found = await probe(python, env, timeoutMs);
    if (!found || seen.has(found.dir)) continue;
    seen.add(found.dir);
    const dir = join(found.dir, 'server', 'js', 'build');
    if (found.version === UI_MLFLOW_VERSION && hasIndexHtml(dir)) return { dir, source: 'python', python };
  }
  return undefined;
}

/** What {@link resolveUiBundle} looks at. */
export interface ResolveUiBundleOptions {
  /** `--ui-dir` (or `$MLSTORE_UI_DIR`): used as given, first. */
  uiDir?: string;
  env: NodeJS.ProcessEnv;
  cwd?: string;
  /** Per-interpreter limit of the Python probe (default 5 s). */
  pythonTimeoutMs?: number;
}

/**
 * Where `mlstore server` takes MLflow's UI from, first found wins: `--ui-dir`; the
 * `mlflow/server/js/build` folder of `mlflow==3.18.0` in the active Python environment; the copy
 * `mlstore ui install` left in the cache folder. Undefined when there is none (the server then
 * answers a page saying how to get one).
 */
export async function resolveUiBundle(options: ResolveUiBundleOptions): Promise<UiBundle | undefined> {
  if (options.uiDir !== undefined) return { dir: resolve(options.cwd ?? process.cwd(), options.uiDir), source: 'flag' };
  const python = await findPythonUiBundle(options.env, options.pythonTimeoutMs);
  if (python) return python;
  const cached = cachedUiDir(options.env, options.cwd);
  return hasIndexHtml(cached) ? { dir: cached, source: 'cache' } : undefined;
}
