import { describe, expect, it } from 'vitest';
import { MemoryTrackingStore } from './memory/index.js';
import type { PortableStore, RunExport } from './maintenance.js';
import { canonicalMetricValue, foldDuplicateMetrics, MAX_STORED_DOUBLE, metricSeriesHash, verifyMigration } from './verify-migration.js';

const point = (value: number, timestamp = 1, step = 0) => ({ value, timestamp, step });

describe('metricSeriesHash', () => {
  it('hashes values as a SQL store keeps them: ±Inf clamped, −0 as 0, every NaN alike', () => {
    expect(metricSeriesHash([point(Infinity), point(-Infinity, 2)])).toBe(metricSeriesHash([point(MAX_STORED_DOUBLE), point(-MAX_STORED_DOUBLE, 2)]));
    expect(metricSeriesHash([point(-0)])).toBe(metricSeriesHash([point(0)]));
    const otherNaN = new Float64Array(new BigUint64Array([0x7ff8000000000badn]).buffer)[0] as number;
    expect(Number.isNaN(otherNaN)).toBe(true);
    expect(metricSeriesHash([point(otherNaN)])).toBe(metricSeriesHash([point(NaN)]));
    expect(canonicalMetricValue(0.1)).toBe(0.1);
  });

  it('does not depend on the order values come in, but on every value, time and step', () => {
    const a = [point(1, 1, 0), point(NaN, 1, 0), point(2, 2, 1), point(0.5, 1, 0)];
    expect(metricSeriesHash(a)).toBe(metricSeriesHash([...a].reverse()));
    expect(metricSeriesHash(a)).not.toBe(metricSeriesHash(a.slice(1)));
    expect(metricSeriesHash([point(1, 1, 0)])).not.toBe(metricSeriesHash([point(1, 1, 1)]));
    expect(metricSeriesHash([point(1, 1, 0)])).not.toBe(metricSeriesHash([point(1, 2, 0)]));
    expect(metricSeriesHash([point(1)])).not.toBe(metricSeriesHash([point(1 + Number.EPSILON)]));
    expect(metricSeriesHash([])).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
});

describe('foldDuplicateMetrics', () => {
  it('keeps one of each (key, timestamp, step, stored value), as a SQL primary key does', () => {
    const m = (key: string, value: number, timestamp = 1, step = 0) => ({ key, value, timestamp, step });
    const values = [m('loss', 1), m('loss', 1), m('loss', 1, 2), m('loss', 1, 2, 1), m('acc', 1), m('loss', NaN), m('loss', NaN), m('loss', Infinity), m('loss', MAX_STORED_DOUBLE), m('loss', -0), m('loss', 0)];
    const { distinct, folded } = foldDuplicateMetrics(values);
    expect(folded).toBe(4);
    expect(distinct).toEqual([m('loss', 1), m('loss', 1, 2), m('loss', 1, 2, 1), m('acc', 1), m('loss', NaN), m('loss', Infinity), m('loss', -0)]);
  });
});

/**
 * The source as an mlruns folder written by MLflow's `pyfunc.log_model` reads: every metric of
 * `runId` appears twice (log_model re-appends the run's metric lines), which no SQL store can hold.
 */
function withRepeatedMetrics(store: PortableStore, runId: string): PortableStore {
  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop !== 'exportRuns') return Reflect.get(target, prop, receiver) as unknown;
      return async function* (experimentId: string) {
        for await (const r of target.exportRuns(experimentId)) {
          yield r.info.run_id === runId ? ({ ...r, metrics: [...r.metrics, ...r.metrics.map((x) => ({ ...x }))] } satisfies RunExport) : r;
        }
      };
    },
  });
}

describe('verifyMigration', () => {
  async function pair() {
    const source = new MemoryTrackingStore({ artifactRoot: '/tmp/v' });
    const e = await source.createExperiment('e', undefined, [{ key: 'team', value: 'x' }]);
    const run = (await source.createRun({ experimentId: e })).info.run_id;
    await source.logBatch(run, {
      metrics: [point(1), point(Infinity, 2, 1), point(NaN, 3, 2)].map((p) => ({ key: 'loss', ...p })),
      params: [{ key: 'lr', value: '0.1' }],
    });
    const model = (await source.createLoggedModel({ experimentId: e, params: [{ key: 'k', value: 'v' }] })).info.model_id;
    const target = new MemoryTrackingStore({ artifactRoot: '/tmp/w' });
    for await (const x of source.exportExperiments()) await target.importExperiment(x);
    for await (const r of source.exportRuns(e)) await target.importRun(r);
    for await (const m of source.exportLoggedModels(e)) await target.importLoggedModel(m);
    return { source, target, e, run, model };
  }

  it('passes on a faithful copy and counts what it compared', async () => {
    const { source, target } = await pair();
    const v = await verifyMigration(source, target);
    expect(v.mismatches).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.source).toEqual(v.target);
    expect(v.source).toMatchObject({ experiments: 2, experimentTags: 1, runs: 1, params: 1, tags: 1, metricValues: 3, metricSeries: 1, loggedModels: 1, loggedModelParams: 1 });
  });

  it('folds exact repeats of a metric entry in the source and says how many', async () => {
    const { source, target, run } = await pair();
    const v = await verifyMigration(withRepeatedMetrics(source, run), target);
    expect(v.mismatches).toEqual([]);
    expect(v.ok).toBe(true);
    expect(v.source).toMatchObject({ metricValues: 3, duplicateMetricValues: 3 });
    expect(v.target).toMatchObject({ metricValues: 3, duplicateMetricValues: 0 });
    // A repeat is not a licence to lose a distinct value.
    await source.logBatch(run, { metrics: [{ key: 'loss', value: 7, timestamp: 3, step: 2 }] });
    const lost = await verifyMigration(withRepeatedMetrics(source, run), target);
    expect(lost.mismatches.map((m) => `${m.entity}:${m.field}`)).toEqual(['run:metricValues', 'metric-series:sha256']);
  });

  it('reports every difference: values, counts, lifecycle, extra and missing entities', async () => {
    const { source, target, e, run, model } = await pair();
    await target.logBatch(run, { metrics: [{ key: 'loss', value: 4, timestamp: 9, step: 9 }, { key: 'new', value: 1, timestamp: 1, step: 0 }] });
    await target.deleteLoggedModel(model);
    const extra = (await target.createRun({ experimentId: e })).info.run_id;
    await source.createExperiment('only-in-source');
    const v = await verifyMigration(source, target);
    expect(v.ok).toBe(false);
    const found = v.mismatches.map((m) => `${m.entity}:${m.field}:${m.id}`);
    expect(found).toEqual(
      expect.arrayContaining([
        `run:metricValues:${run}`,
        `metric-series:sha256:${run}/loss`,
        `metric-series:sha256:${run}/new`,
        `run:unexpected:${extra}`,
        `logged-model:deleted:${model}`,
        'experiment:missing:2',
      ]),
    );
    expect(v.source.runs).toBe(1);
    expect(v.target.runs).toBe(2);
  });
});
