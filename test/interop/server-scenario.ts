/**
 * The server end-to-end run shared by test/{cloud,ftp,sftp,hdfs}-server-e2e.test.ts: `mlstore
 * server` (apps/demo) with a SQLite tracking store and an `--artifacts-destination`, driven by the
 * real MLflow 3.18.0 client through test/interop/cloud_client_scenario.py (log, list, download,
 * a large upload with proxy multipart enabled, deletes through the proxy). The run must exit 0 with
 * every client check passed; the caller then compares what landed in the store with the report.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { lastJsonLine, spawnPythonScript, type PythonScriptResult } from './mlflow-python.js';
import { startMlstoreServer } from './mlstore-server.js';
import { DIR } from './tree.js';

const MIB = 1024 * 1024;
/** With MLSTORE_INTEROP_DUMPS=<dir>, each client report is also written there (as client-scenario does). */
const dumpsDir = process.env.MLSTORE_INTEROP_DUMPS;

/** One client check of cloud_client_scenario.py, with the HTTP requests it made. */
export interface ScenarioCheck {
  name: string;
  ok: boolean;
  detail: string;
  seconds: number;
  requests: string[];
}

/** The JSON report of cloud_client_scenario.py (see its docstring). */
export interface ScenarioReport {
  ok: boolean;
  passed: number;
  failed: number;
  seconds: number;
  checks: ScenarioCheck[];
  /** `<experiment_id>/<run_id>/artifacts`, below the destination. */
  run_root: string;
  /** Every artifact path that must remain in the store → its size. */
  expected: Record<string, number>;
  /** Directories left empty that a store with real directories keeps. */
  empty_dirs: string[];
  big: { path?: string; size?: number; parts?: number; chunk_size?: number; upload_seconds?: number; download_seconds?: number };
}

/**
 * How the destination treats directories (the scenario's flags): an object store has none; a file
 * server keeps a directory emptied by deleting its files; HDFS, as MLflow's HDFS repository does,
 * also empties a deleted directory and leaves it in place.
 */
export type DestinationDirs = 'none' | 'keeps-empty-dirs' | 'delete-empties-dirs';

export interface ClientScenarioOptions {
  /** A folder of the case's own: the tracking database, the server's cwd, the client's work folder. */
  root: string;
  artifactsDestination: string;
  /** What the server needs to reach the destination; the client gets none of it. */
  serverEnv?: NodeJS.ProcessEnv;
  /** The large upload: its size, and whether proxy multipart must succeed or answer 501. */
  bigMib: number;
  bigExpect: 'multipart' | 'fallback';
  /** Proxy multipart part size in MiB (default 8); files from 8 MiB up go through proxy multipart. */
  chunkMib?: number;
  dirs: DestinationDirs;
  /** Bound on the client run (default 150 s). */
  timeoutMs?: number;
  /** The report's file name (without `.json`) under MLSTORE_INTEROP_DUMPS. */
  dumpName: string;
}

const tail = (text: string, lines = 30) => text.trim().split('\n').slice(-lines).join('\n');

function describeFailures(result: PythonScriptResult, report: ScenarioReport | undefined, serverLog: string): string {
  const server = `\nserver log (end):\n${tail(serverLog, 25)}`;
  if (!report) return `cloud_client_scenario.py exited with ${result.code} without a JSON report\nstdout: ${tail(result.stdout, 10)}\nstderr:\n${tail(result.stderr)}${server}`;
  const failing = report.checks.filter((c) => !c.ok);
  const lines = failing.map((c) => `  ✗ ${c.name}\n      ${c.detail.replace(/\n/g, '\n      ')}\n      requests: ${c.requests.slice(-15).join(' | ')}`);
  return `${failing.length} failed, ${report.passed} passed (exit ${result.code}, ${report.seconds} s)\n${lines.join('\n')}${server}`;
}

/**
 * Starts the server on `artifactsDestination`, runs the client scenario against it, stops the
 * server, and asserts that the client exited 0 with every check passed (the message lists the
 * failing checks, their requests and the end of the server's log). Returns the report and the
 * server's whole log (e.g. to check that no secret was printed).
 */
export async function runClientScenario(opts: ClientScenarioOptions): Promise<{ report: ScenarioReport; serverLog: string }> {
  const work = join(opts.root, 'work');
  mkdirSync(work, { recursive: true });
  const server = await startMlstoreServer(`sqlite:///${join(opts.root, 'mlflow.db')}`, {
    cwd: opts.root,
    artifactsDestination: opts.artifactsDestination,
    env: opts.serverEnv ?? {},
    timeoutMs: 60_000,
  });
  const flags = opts.dirs === 'none' ? [] : [`--${opts.dirs}`];
  let result: PythonScriptResult;
  try {
    result = await spawnPythonScript('cloud_client_scenario.py', [server.url, work, '--big-mib', String(opts.bigMib), '--big-expect', opts.bigExpect, ...flags], {
      cwd: work,
      timeoutMs: opts.timeoutMs ?? 150_000,
      env: {
        MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD: 'true',
        MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE: String((opts.chunkMib ?? 8) * MIB),
        MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE: String(8 * MIB),
      },
    });
  } finally {
    await server.stop();
  }
  let report: ScenarioReport | undefined;
  try {
    report = lastJsonLine<ScenarioReport>(result.stdout);
  } catch {
    report = undefined;
  }
  if (dumpsDir) {
    mkdirSync(dumpsDir, { recursive: true });
    writeFileSync(join(dumpsDir, `${opts.dumpName}.json`), report ? `${JSON.stringify(report, null, 1)}\n` : result.stdout);
  }
  const failures = describeFailures(result, report, server.log());
  expect(result.code, failures).toBe(0);
  expect(report?.ok, failures).toBe(true);
  if (!report?.run_root) throw new Error(failures);
  return { report, serverLog: server.log() };
}

/**
 * What a store with real directories must hold below the run root after the scenario: every
 * remaining file → its size, and every directory (the files' parents and the kept empty ones) → `'dir'`.
 */
export function expectedLayout(report: ScenarioReport): Record<string, number | typeof DIR> {
  const out: Record<string, number | typeof DIR> = {};
  const addDirs = (path: string) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) out[parts.slice(0, i).join('/')] = DIR;
  };
  for (const path of Object.keys(report.expected)) addDirs(path.split('/').slice(0, -1).join('/'));
  for (const dir of report.empty_dirs) addDirs(dir);
  delete out[''];
  Object.assign(out, report.expected);
  return out;
}
