/**
 * MLflow's own REST test suite (upstream tests/tracking/test_rest_tracking.py, vendored unmodified
 * in test/peer-suites/mlflow-rest-tracking/ and patched at run time so that its server fixtures
 * start `node apps/demo/dist/cli.js server` instead of MLflow's server) run against mlstore on SQLite.
 *
 * What real MLflow 3.18.0 passes is recorded once as data (baseline.json, `run_suite.py mlflow
 * --record`), so CI runs pytest only against mlstore: once, in beforeAll, with pytest-xdist. Then one
 * case per baseline test: it must pass on mlstore, unless expected-failures.json lists it under a
 * feature family mlstore does not serve yet; such a test must still fail, so that the day it passes
 * the case fails and says to take it off the list. Tests that never reach the server under test
 * (they run MLflow's own handler or server in-process) are listed there as `deselected`.
 *
 * Integration profile only (MLSTORE_PROFILE=integration, or MLSTORE_REST_SUITE=1); needs the MLflow
 * venv with pytest (test/services/mlflow.sh start) and a built CLI (`pnpm build`): missing ones skip
 * loudly, or fail under MLSTORE_REQUIRE_SERVICES=1. Results (junit xml, pytest output, one server
 * log per test, summary.txt) go to test-results/mlflow-rest-suite/. MLSTORE_REST_SUITE_WORKERS sets
 * the number of pytest workers (default 2); the servers listen in this checkout's MLSTORE_REST_SUITE_PORTS.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { mlflowVenv, mlflowVenvProblem, spawnBounded } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';

const repoRoot = resolve(import.meta.dirname, '..');
const suiteDir = join(import.meta.dirname, 'peer-suites', 'mlflow-rest-tracking');
const cli = join(repoRoot, 'apps', 'demo', 'dist', 'cli.js');
const outDir = join(repoRoot, 'test-results', 'mlflow-rest-suite');
const python = join(mlflowVenv, 'bin', 'python');
const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_REST_SUITE === '1';
const workers = process.env.MLSTORE_REST_SUITE_WORKERS ?? '2';
// This checkout's range for the suite's servers (test/services/lib/ports.sh publishes it).
const ports = process.env.MLSTORE_REST_SUITE_PORTS;
const RUN_TIMEOUT_MS = 40 * 60_000;
const EXPECTATIONS = 'test/peer-suites/mlflow-rest-tracking/expected-failures.json';

interface Baseline {
  mlflow: string;
  passed: string[];
}
interface Family {
  family: string;
  reason: string;
  tests: string[];
}
interface Expectations {
  families: Family[];
  deselected: { reason: string; tests: string[] };
}
interface Outcome {
  outcome: string;
  message: string;
}

const baseline = JSON.parse(readFileSync(join(suiteDir, 'baseline.json'), 'utf8')) as Baseline;
const expectations = JSON.parse(readFileSync(join(suiteDir, 'expected-failures.json'), 'utf8')) as Expectations;
const familyOf = new Map(expectations.families.flatMap((f) => f.tests.map((t) => [t, f] as const)));
const deselected = new Set(expectations.deselected.tests);
const mustPass = baseline.passed.filter((t) => !familyOf.has(t) && !deselected.has(t));

describe('mlflow-rest-suite data (baseline.json, expected-failures.json)', () => {
  it('lists only baseline tests, each once', () => {
    const listed = [...expectations.families.flatMap((f) => f.tests), ...expectations.deselected.tests];
    const inBaseline = new Set(baseline.passed);
    expect(listed.filter((t) => !inBaseline.has(t)), 'listed but not passing on MLflow (baseline.json)').toEqual([]);
    expect(listed.filter((t, i) => listed.indexOf(t) !== i), 'listed twice').toEqual([]);
    expect(baseline.passed.length).toBeGreaterThan(100);
  });
});

function pytestProblem(): string | null {
  const probe = spawnSync(python, ['-c', 'import pytest, xdist, pytest_timeout, pytest_asyncio'], { encoding: 'utf8', timeout: 60_000 });
  return probe.status === 0 ? null : `pytest is not installed in ${mlflowVenv} (run: bash test/services/mlflow.sh start): ${probe.stderr?.trim().split('\n').at(-1) ?? ''}`;
}

const problem = !enabled
  ? 'integration profile only (MLSTORE_PROFILE=integration or MLSTORE_REST_SUITE=1)'
  : (mlflowVenvProblem() ??
    pytestProblem() ??
    (ports ? null : 'MLSTORE_REST_SUITE_PORTS is not set (run: bash test/services/mlflow.sh start)') ??
    (existsSync(cli) ? null : `${cli} is not built (run: pnpm build)`));

const title = `MLflow's upstream test_rest_tracking.py against mlstore server (SQLite; baseline: MLflow ${baseline.mlflow})`;
describeWithServices({ tag: 'mlflow-rest-suite', title, needs: 'the MLflow venv with pytest and a built CLI', enabled, problem }, () => {
  let results: Record<string, Outcome> = {};

  beforeAll(async () => {
    rmSync(outDir, { recursive: true, force: true });
    const run = await spawnBounded('run_suite.py mlstore', python, [join(suiteDir, 'run_suite.py'), 'mlstore', '--cli', cli, '--out', outDir, '--workers', workers, '--ports', ports!], {
      timeoutMs: RUN_TIMEOUT_MS,
    });
    if (run.code !== 0) throw new Error(`run_suite.py exited with ${run.code}\n${run.stdout}\n${run.stderr}`);
    const report = JSON.parse(readFileSync(join(outDir, 'results.json'), 'utf8')) as { seconds: number; tests: Record<string, Outcome> };
    results = report.tests;
    const passed = baseline.passed.filter((t) => results[t]?.outcome === 'passed').length;
    const lines = [
      `mlflow-rest-suite: mlstore passes ${passed} of the ${baseline.passed.length} tests MLflow ${baseline.mlflow} passes (pytest -n ${workers}, ${report.seconds} s)`,
      ...expectations.families.map((f) => `  still failing, ${f.family}: ${f.tests.length}`),
      `  not run against mlstore (${expectations.deselected.reason}): ${deselected.size}`,
    ];
    writeFileSync(join(outDir, 'summary.txt'), `${lines.join('\n')}\n`);
    process.stderr.write(`${lines.join('\n')}\n`);
  }, RUN_TIMEOUT_MS + 60_000);

  const outcome = (test: string): Outcome => {
    const r = results[test];
    if (!r) throw new Error(`${test} did not run (see ${outDir}/pytest.txt)`);
    return r;
  };

  describe('passes on mlstore as on MLflow', () => {
    for (const test of mustPass) {
      it(test, () => {
        const r = outcome(test);
        expect(r.outcome, `${r.message}\n(server log: ${outDir}/server-logs/)`).toBe('passed');
      });
    }
  });

  for (const family of expectations.families) {
    describe(`expected to fail — ${family.family}`, () => {
      for (const test of family.tests) {
        it(`${test} still fails`, () => {
          const r = outcome(test);
          if (r.outcome === 'passed') {
            throw new Error(`${test} now passes on mlstore: take it off "${family.family}" in ${EXPECTATIONS}`);
          }
        });
      }
    });
  }

  describe(`not run against mlstore — ${expectations.deselected.reason}`, () => {
    for (const test of expectations.deselected.tests) it.skip(test, () => {});
  });
});
