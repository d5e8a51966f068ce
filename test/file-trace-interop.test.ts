/**
 * Trace and assessment interop with the real MLflow 3.18.0 FileStore (Python) on `mlruns`, both ways:
 *
 * (a) our FileTrackingStore replays the trace scenario (test/interop/file-trace-scenario.ts); MLflow's
 *     FileStore reads the folder back identically (every trace info field, tags, metadata,
 *     assessments through get_trace_info and get_assessment) and answers every search query
 *     (filters, order_by, pages, and the errors of its in-memory search) with the same ids in the
 *     same order or the same error code; and every trace YAML file we wrote has exactly the bytes
 *     PyYAML — and MLflow, for the trace info / assessment it reads from it — would write;
 * (b) MLflow's FileStore replays the scenario; our store reads it back identically.
 *
 * Runs only in the integration profile or with MLSTORE_INTEROP=1. With MLSTORE_INTEROP_DUMPS=<dir>
 * the dumps are also written there (for debugging).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbstractStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyFileTraceSpec, buildFileTraceSpec, dumpFileTraces } from './interop/file-trace-scenario.js';
import { lastJsonLine, mlflowVenvProblem, runPythonScript } from './interop/mlflow-python.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const PYTHON_TIMEOUT_MS = 240_000;
const title = 'trace interop with MLflow 3.18.0 on mlruns (FileStore)';
const dumpsDir = process.env.MLSTORE_INTEROP_DUMPS;

interface PythonDump {
  traces: unknown[];
  assessments: unknown[];
  queries: unknown[];
  yaml_mismatches: unknown[];
}
type OurDump = Awaited<ReturnType<typeof dumpFileTraces>>;

async function openOurStore(root: string): Promise<AbstractStore> {
  const { FileTrackingStore } = await import('@mlstore/store-file');
  return FileTrackingStore.open(root);
}

function keepDumps(label: string, dumps: object): void {
  if (!dumpsDir) return;
  mkdirSync(dumpsDir, { recursive: true });
  writeFileSync(join(dumpsDir, `file-traces-${label}.json`), `${JSON.stringify(dumps, null, 1)}\n`);
}

function facts(get: () => { ours: OurDump; mlflow: PythonDump }) {
  it('both sides see the traces with their assessments (not two empty dumps)', () => {
    const { mlflow } = get();
    expect(mlflow.traces).toHaveLength(5);
    // 8 created, 1 deleted
    expect(mlflow.assessments).toHaveLength(7);
  });

  it('trace infos are identical: fields, tags (artifact location, trace name), metadata, assessments', () => {
    const { ours, mlflow } = get();
    expect(ours.traces).toEqual(mlflow.traces);
  });

  it('get_assessment reads every assessment identically (expectations without `valid`, restored overrides)', () => {
    const { ours, mlflow } = get();
    expect(ours.assessments).toEqual(mlflow.assessments);
  });

  it('search_traces gives the same ids in the same order, or the same error code, for every query', () => {
    const { ours, mlflow } = get();
    const spec = buildFileTraceSpec();
    spec.queries.forEach((q, i) => expect({ query: q, ids: ours.queries[i] }).toEqual({ query: q, ids: mlflow.queries[i] }));
  });
}

const venvProblem = enabled ? mlflowVenvProblem() : null;
if (!enabled) {
  describe.skip(title, () => it('needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1', () => {}));
} else if (venvProblem) {
  if (requireServices) describe(title, () => it('has the MLflow venv (MLSTORE_REQUIRE_SERVICES=1)', () => expect.fail(venvProblem)));
  else describe.skip(`${title} (${venvProblem})`, () => it('needs the MLflow venv', () => {}));
} else {
  describe(title, () => {
    const spec = buildFileTraceSpec();
    let dir: string;
    let specPath: string;

    async function mlflowDump(root: string, experimentId: string): Promise<PythonDump> {
      const out = await runPythonScript('traces_via_file_store.py', ['dump', root, specPath, experimentId], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS });
      return lastJsonLine<PythonDump>(out);
    }

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-file-trace-interop-'));
      specPath = join(dir, 'spec.json');
      writeFileSync(specPath, JSON.stringify(spec));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    describe('(a) our store writes, MLflow FileStore reads', () => {
      const dumps: { ours?: OurDump; mlflow?: PythonDump } = {};
      beforeAll(async () => {
        const root = join(dir, 'ours', 'mlruns');
        const store = await openOurStore(root);
        try {
          const experimentId = await applyFileTraceSpec(store, spec);
          dumps.ours = await dumpFileTraces(store, spec, experimentId);
          dumps.mlflow = await mlflowDump(root, experimentId);
          keepDumps('a', dumps);
        } finally {
          await store.close();
        }
      }, PYTHON_TIMEOUT_MS * 2);
      facts(() => dumps as { ours: OurDump; mlflow: PythonDump });

      it('every trace YAML file has the bytes MLflow writes (PyYAML for its content, MLflow for the entity it reads)', () => {
        expect(dumps.mlflow?.yaml_mismatches).toEqual([]);
      });
    });

    describe('(b) MLflow FileStore writes, our store reads', () => {
      const dumps: { ours?: OurDump; mlflow?: PythonDump } = {};
      beforeAll(async () => {
        const root = join(dir, 'mlflow', 'mlruns');
        const fillOut = await runPythonScript('traces_via_file_store.py', ['fill', root, specPath], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS });
        const { experiment_id: experimentId } = lastJsonLine<{ experiment_id: string }>(fillOut);
        dumps.mlflow = await mlflowDump(root, experimentId);
        const store = await openOurStore(root);
        try {
          dumps.ours = await dumpFileTraces(store, spec, experimentId);
          keepDumps('b', dumps);
        } finally {
          await store.close();
        }
      }, PYTHON_TIMEOUT_MS * 3);
      facts(() => dumps as { ours: OurDump; mlflow: PythonDump });
    });
  });
}
