/**
 * Reading an `mlruns` folder written by MLflow 2.x: the fixture in ./fixtures/mlruns-2x was made by
 * MLflow 2.17.2's own FileStore (scripts/mlruns-fixtures/make-2x-fixture.py), and
 * ./fixtures/mlruns-2x.expected.json holds what MLflow 2.17.2's MlflowClient read back from it. Our
 * store opens a scratch copy and must report exactly the same (the dump shape and comparison of
 * @mlstore/testkit, shared with the interop tests in test/; MLflow 3.18 reading the same fixture is
 * checked in test/file-interop.test.ts).
 *
 * The fixture has 2.x-era content: experiment meta.yaml without the 3.x keys, a deleted experiment
 * in .trash (whose meta.yaml carries its tags, as MLflow writes on delete), finished/failed/killed/
 * running/deleted/restored runs, nested keys, NaN/±Inf histories, a legacy two-field metric line,
 * datasets with inputs (`destination_id` holding the dataset id, as 2.x wrote it), an artifact, the
 * model registry's root-level `models/` folder, and absolute `file:///tmp/mlstore-mlruns-2x-build/…`
 * artifact locations (kept as opaque strings: nothing may depend on them).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpStore, normalizeDump, type Dump, type DumpRun } from '@mlstore/testkit';
import { FileTrackingStore } from '../src/index.js';
import { copy2xFixture, load2xExpected } from './fixture-2x.js';

/** Every file's bytes and every folder, by relative path: to prove reading changes nothing. */
function rawTree(root: string, rel = '', out: Record<string, string> = {}): Record<string, string> {
  for (const name of readdirSync(join(root, rel)).sort()) {
    const path = rel ? `${rel}/${name}` : name;
    if (statSync(join(root, path)).isDirectory()) {
      out[path] = '<dir>';
      rawTree(root, path, out);
    } else {
      out[path] = readFileSync(join(root, path)).toString('hex');
    }
  }
  return out;
}

const runLabel = (run: DumpRun) => `run '${run.info.run_name}' (${run.info.run_id})`;

describe('an mlruns folder written by MLflow 2.17', () => {
  const fixture = load2xExpected();
  const expected = normalizeDump(fixture.dump);
  let dir = '';
  let root = '';
  let before: Record<string, string> = {};
  let ours: Dump | undefined;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mlstore-mlruns-2x-'));
    root = copy2xFixture(dir, fixture);
    before = rawTree(root);
    const store = await FileTrackingStore.open(root);
    try {
      ours = normalizeDump(await dumpStore(store, fixture.queries));
    } finally {
      await store.close();
    }
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const dump = () => {
    if (!ours) throw new Error('reading the fixture failed; see the beforeAll error above');
    return ours;
  };

  it('was written and read by MLflow 2.17.2 (the expected JSON says which version)', () => {
    expect(fixture.mlflow_version).toBe('2.17.2');
    expect(expected.runs).toHaveLength(7);
  });

  it('experiments: ids, names, artifact locations, lifecycle stages, times, tags (models/ is not one)', () => {
    expect(dump().experiments).toEqual(expected.experiments);
  });

  it('runs: info, params and tags (nested keys, empty and multi-line values)', () => {
    expect(dump().runs.map((r) => r.info.run_id)).toEqual(expected.runs.map((r) => r.info.run_id));
    for (const [i, run] of expected.runs.entries()) {
      const mine = dump().runs[i]!;
      expect(mine.info, `${runLabel(run)} info`).toEqual(run.info);
      expect(mine.params, `${runLabel(run)} params`).toEqual(run.params);
      expect(mine.tags, `${runLabel(run)} tags`).toEqual(run.tags);
    }
  });

  it('dataset inputs (dataset fields, input tags) despite the 2.x destination_id', () => {
    for (const [i, run] of expected.runs.entries()) {
      expect(dump().runs[i]?.inputs, `${runLabel(run)} inputs`).toEqual(run.inputs);
    }
  });

  it('latest metrics and full histories (NaN, ±Inf, 1e+16, 1e-05, a step beyond 2^32)', () => {
    for (const [i, run] of expected.runs.entries()) {
      const mine = dump().runs[i]!;
      expect(mine.metrics, `${runLabel(run)} latest metrics`).toEqual(run.metrics);
      expect(mine.histories, `${runLabel(run)} histories`).toEqual(run.histories);
    }
  });

  it('reads the legacy two-field metric line ("<ts> <value>") with step 0, at its place in the history', () => {
    const good = dump().runs.find((r) => r.info.run_name === 'sgd-good')!;
    expect(good.histories.acc!.at(-1)).toEqual({ key: 'acc', value: 0.99, timestamp: 1_600_007_200_000, step: 0 });
    // The latest value is still the max of (step, timestamp, value): step 24 beats the legacy step 0.
    expect(good.metrics.find((m) => m.key === 'acc')).toEqual({ key: 'acc', value: 0.74, timestamp: 1_600_000_024_000, step: 24 });
  });

  it('search_runs gives the same runs in the same order', () => {
    expect(dump().run_searches).toEqual(expected.run_searches);
  });

  it('search_experiments gives the same experiments in the same order', () => {
    expect(dump().experiment_searches).toEqual(expected.experiment_searches);
  });

  it('reading leaves every file and folder as MLflow wrote it', () => {
    expect(rawTree(root)).toEqual(before);
  });

  it('logging to a 2.x run appends a 3-field line after the legacy one', async () => {
    const good = expected.runs.find((r) => r.info.run_name === 'sgd-good')!;
    const store = await FileTrackingStore.open(root);
    try {
      await store.logMetric(good.info.run_id, { key: 'acc', value: 1, timestamp: 1_600_007_300_000, step: 30 });
      const history = await store.getMetricHistory(good.info.run_id, 'acc');
      expect(history.items.slice(-2).map((m) => [m.value, m.timestamp, m.step])).toEqual([
        [0.99, 1_600_007_200_000, 0],
        [1, 1_600_007_300_000, 30],
      ]);
    } finally {
      await store.close();
    }
    const file = readFileSync(join(root, good.info.experiment_id, good.info.run_id, 'metrics', 'acc'), 'utf8');
    expect(file.endsWith('1600000024000 0.74 24\n1600007200000 0.99\n1600007300000 1.0 30\n')).toBe(true);
  });
});
