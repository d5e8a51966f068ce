/**
 * Trace and assessment interop with the real MLflow 3.18.0 SqlAlchemyStore (Python) on SQLite and
 * PostgreSQL and MariaDB, both directions, on one database each:
 *
 * (a) our SqlTrackingStore replays the trace scenario (test/interop/trace-scenario.ts); MLflow's
 *     SqlAlchemyStore reads the same database back identically (every trace info field, tags,
 *     metadata incl. the session/token-usage/cost columns, assessments with ids and times) and
 *     answers every search query (filters, order_by, pages) with the same ids in the same order;
 * (b) MLflow's SqlAlchemyStore replays the scenario; our store reads it back identically.
 *
 * Runs only in the integration profile or with MLSTORE_INTEROP=1. With MLSTORE_INTEROP_DUMPS=<dir>
 * the dumps are also written there (for debugging).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AbstractStore } from '@mlstore/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lastJsonLine, mlflowVenvProblem, runPythonScript } from './interop/mlflow-python.js';
import { createTempMariadbDatabase, mariadbProblem } from './interop/mariadb.js';
import { createTempDatabase, postgresProblem } from './interop/postgres.js';
import { applyTraceSpec, buildTraceSpec, dumpTraces } from './interop/trace-scenario.js';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const PYTHON_TIMEOUT_MS = 240_000;

type DialectName = 'sqlite' | 'postgresql' | 'mysql';
type TraceDump = Awaited<ReturnType<typeof dumpTraces>>;

const venvProblem = enabled ? mlflowVenvProblem() : null;
const problems: Record<DialectName, string | null> = {
  sqlite: venvProblem,
  postgresql: enabled ? (venvProblem ?? (await postgresProblem())) : null,
  mysql: enabled ? (venvProblem ?? (await mariadbProblem())) : null,
};

async function openOurStore(uri: string, artifactRoot: string): Promise<AbstractStore> {
  const { SqlTrackingStore } = await import('@mlstore/store-sql');
  return SqlTrackingStore.open(uri, { artifactRoot });
}

const dumpsDir = process.env.MLSTORE_INTEROP_DUMPS;

function keepDumps(label: string, dumps: { ours?: TraceDump; mlflow?: TraceDump }): void {
  if (!dumpsDir) return;
  mkdirSync(dumpsDir, { recursive: true });
  writeFileSync(join(dumpsDir, `traces-${label}.json`), `${JSON.stringify(dumps, null, 1)}\n`);
}

function facts(get: () => { ours: TraceDump; mlflow: TraceDump }) {
  it('both sides see the traces with their assessments (not two empty dumps)', () => {
    const { mlflow } = get();
    expect(mlflow.traces.length).toBeGreaterThanOrEqual(5);
    expect(mlflow.traces.flatMap((t) => (t as { assessments: unknown[] }).assessments)).toHaveLength(8);
  });

  it('trace infos are identical: fields, tags (trace name), metadata (session, token usage, cost), assessments', () => {
    const { ours, mlflow } = get();
    expect(ours.traces).toEqual(mlflow.traces);
  });

  it('spans in the spans table (logged by MLflow\'s client) read back identically through get_trace', () => {
    const { ours, mlflow } = get();
    expect(ours.spans).toEqual(mlflow.spans);
  });

  it('search_traces gives the same ids in the same order for every filter, order_by and page size', () => {
    const { ours, mlflow } = get();
    const spec = buildTraceSpec();
    spec.queries.forEach((q, i) => expect({ query: q, ids: ours.queries[i] }).toEqual({ query: q, ids: mlflow.queries[i] }));
  });

  it('query_trace_metrics gives the same data points (groups, order, values) for every view, dimension, filter and bucket', () => {
    const { ours, mlflow } = get();
    const spec = buildTraceSpec();
    expect(mlflow.metrics.some((m) => Array.isArray(m) && m.length > 1)).toBe(true);
    spec.metric_queries.forEach((q, i) => expect({ query: q, result: ours.metrics[i] }).toEqual({ query: q, result: mlflow.metrics[i] }));
  });

  it('calculate_trace_filter_correlation gives the same counts, and NPMI scores equal to 1e-12', () => {
    const { ours, mlflow } = get();
    const spec = buildTraceSpec();
    spec.correlations.forEach((q, i) => {
      const [a, b] = [ours.correlations[i] as Record<string, number | null>, mlflow.correlations[i] as Record<string, number | null>];
      const close = (v: number | null | undefined) => (typeof v === 'number' ? Math.round(v * 1e12) / 1e12 : v);
      const rounded = (r: Record<string, number | null>) => ({ ...r, npmi: close(r['npmi']), npmi_smoothed: close(r['npmi_smoothed']) });
      expect({ query: q, result: rounded(a) }).toEqual({ query: q, result: rounded(b) });
    });
  });
}

for (const dialect of ['sqlite', 'postgresql', 'mysql'] as const) {
  const title = `trace interop with MLflow 3.18.0 on ${dialect}`;
  const problem = problems[dialect];
  if (!enabled) {
    describe.skip(title, () => it('needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1', () => {}));
    continue;
  }
  if (problem) {
    if (requireServices) describe(title, () => it('has the services it needs (MLSTORE_REQUIRE_SERVICES=1)', () => expect.fail(problem)));
    else describe.skip(`${title} (${problem})`, () => it('needs its services', () => {}));
    continue;
  }

  describe(title, () => {
    const spec = buildTraceSpec();
    let dir: string;
    let specPath: string;
    const disposers: (() => Promise<void>)[] = [];

    async function target(label: string): Promise<{ ourUri: string; mlflowUri: string }> {
      if (dialect === 'sqlite') {
        const uri = `sqlite:///${join(dir, `${label}.db`)}`;
        return { ourUri: uri, mlflowUri: uri };
      }
      const db = dialect === 'postgresql' ? await createTempDatabase(label) : await createTempMariadbDatabase(label);
      disposers.push(db.drop);
      return { ourUri: db.url, mlflowUri: db.sqlalchemyUrl };
    }

    async function mlflowDump(uri: string, experimentId: string): Promise<TraceDump> {
      const out = await runPythonScript('traces_via_store.py', ['dump', uri, join(dir, 'artifacts'), specPath, experimentId], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS });
      return lastJsonLine<TraceDump>(out);
    }

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'mlstore-trace-interop-'));
      specPath = join(dir, 'spec.json');
      writeFileSync(specPath, JSON.stringify(spec));
    });
    afterAll(async () => {
      for (const dispose of disposers) await dispose();
      rmSync(dir, { recursive: true, force: true });
    });

    /** The `spans` rows of the spec's log_spans batches as MLflow's dump reads them from each database. */
    type Rows = { span_contents: unknown[][] };
    const dumpsA: { ours?: TraceDump; mlflow?: TraceDump } = {};
    const dumpsB: { ours?: TraceDump; mlflow?: TraceDump } = {};

    describe('(a) our store writes, MLflow SqlAlchemyStore reads', () => {
      const dumps = dumpsA;
      beforeAll(async () => {
        const db = await target('ours');
        const store = await openOurStore(db.ourUri, join(dir, 'artifacts'));
        try {
          const { experimentId } = await applyTraceSpec(store, spec);
          dumps.ours = await dumpTraces(store, spec, experimentId);
          dumps.mlflow = await mlflowDump(db.mlflowUri, experimentId);
          keepDumps(`${dialect}-a`, dumps);
        } finally {
          await store.close?.();
        }
      }, PYTHON_TIMEOUT_MS * 2);
      facts(() => dumps as { ours: TraceDump; mlflow: TraceDump });
    });

    describe('(b) MLflow SqlAlchemyStore writes, our store reads', () => {
      const dumps = dumpsB;
      beforeAll(async () => {
        const db = await target('mlflow');
        const fillOut = await runPythonScript('traces_via_store.py', ['fill', db.mlflowUri, join(dir, 'artifacts'), specPath], { cwd: dir, timeoutMs: PYTHON_TIMEOUT_MS });
        const { experiment_id: experimentId } = lastJsonLine<{ experiment_id: string }>(fillOut);
        dumps.mlflow = await mlflowDump(db.mlflowUri, experimentId);
        const store = await openOurStore(db.ourUri, join(dir, 'artifacts'));
        try {
          dumps.ours = await dumpTraces(store, spec, experimentId);
          keepDumps(`${dialect}-b`, dumps);
        } finally {
          await store.close?.();
        }
      }, PYTHON_TIMEOUT_MS * 3);
      facts(() => dumps as { ours: TraceDump; mlflow: TraceDump });
    });

    it('log_spans stores the same spans rows byte for byte: content JSON (GenAI/OpenInference translation, links), type, model columns', () => {
      const ours = (dumpsA.mlflow as unknown as Rows | undefined)?.span_contents;
      const theirs = (dumpsB.mlflow as unknown as Rows | undefined)?.span_contents;
      expect(theirs?.length).toBe(7);
      expect(String(theirs)).toContain('mlflow.chat.tokenUsage');
      expect(ours).toEqual(theirs);
    });
  });
}
