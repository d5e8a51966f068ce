import { describe, expect, it } from 'vitest';
import { garbageCollect, parseOlderThan, type GcEvent } from './garbage-collect.js';
import { isMlflowError } from './errors.js';
import type { Logger } from './logger.js';
import { MemoryTrackingStore } from './memory/index.js';

const DAY = 86_400_000;

async function errorOf(p: Promise<unknown>): Promise<{ errorCode: string; message: string }> {
  try {
    await p;
  } catch (e) {
    expect(isMlflowError(e)).toBe(true);
    return e as { errorCode: string; message: string };
  }
  throw new Error('expected a rejection');
}

/** Experiment 1 active with runs a (active), b (deleted); experiment 2 deleted with run c; models m1 (deleted), m2 (active). */
async function fixture() {
  const store = new MemoryTrackingStore({ artifactRoot: '/tmp/gc-root' });
  const e1 = await store.createExperiment('active-exp');
  const e2 = await store.createExperiment('doomed-exp');
  const a = (await store.createRun({ experimentId: e1 })).info.run_id;
  const b = (await store.createRun({ experimentId: e1 })).info.run_id;
  const c = (await store.createRun({ experimentId: e2 })).info.run_id;
  await store.logBatch(b, { metrics: [{ key: 'loss', value: 1, timestamp: 1, step: 0 }], params: [{ key: 'p', value: '1' }] });
  const m1 = (await store.createLoggedModel({ experimentId: e1, sourceRunId: a })).info.model_id;
  const m2 = (await store.createLoggedModel({ experimentId: e1 })).info.model_id;
  await store.deleteRun(b);
  await store.deleteExperiment(e2);
  await store.deleteLoggedModel(m1);
  return { store, e1, e2, a, b, c, m1, m2 };
}

describe('parseOlderThan (mlflow gc --older-than)', () => {
  // Expected values printed by MLflow 3.18.0's own parser (int(timedelta(...).total_seconds() * 1000)).
  it.each([
    ['30d', 2_592_000_000],
    ['1d2h3m4s', 93_784_000],
    ['1.2d3h4m5s', 114_725_000],
    ['1.5h', 5_400_000],
    ['0.0001s', 0],
    ['0.0015s', 1],
    ['0.0005s', 0],
    ['', 0],
    ['2m4s', 124_000],
    ['.5m', 30_000],
    ['1d\n', 86_400_000],
    ['100000d', 8_640_000_000_000],
    ['1.1d', 95_040_000],
    ['7.7h', 27_720_000],
  ])('%j → %d ms', (text, ms) => expect(parseOlderThan(text)).toBe(ms));

  it.each(['1x', '1.', 'd', '1h2d', '1.2.3d', '-1d', '1 d'])('rejects %j with MLflow message', (text) => {
    let err: unknown;
    try {
      parseOlderThan(text);
    } catch (e) {
      err = e;
    }
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toBe(
      `Could not parse any time information from '${text}'. Examples of valid strings: '8h', '2d8h5m20s', '2m4s'`,
    );
  });
});

describe('garbageCollect', () => {
  it('without flags removes every deleted run, model and experiment (with its runs); artifacts before metadata', async () => {
    const { store, e1, e2, a, b, c, m1, m2 } = await fixture();
    const artifactCalls: { uri: string; existed: boolean }[] = [];
    const events: GcEvent[] = [];
    const report = await garbageCollect(store, {
      deleteArtifacts: async (uri, entity) => {
        const existed = entity.kind === 'run' ? !!(await store.getRun(entity.id).catch(() => null)) : (await store.deletedLoggedModels()).some((m) => m.id === entity.id);
        artifactCalls.push({ uri, existed });
      },
      onDeleted: (e) => events.push(e),
    });
    expect(report.runs.sort()).toEqual([b, c].sort());
    expect(report.loggedModels).toEqual([m1]);
    expect(report.experiments).toEqual([e2]);
    expect(events.map((e) => e.kind)).toEqual(['run', 'run', 'loggedModel', 'experiment']);
    expect(artifactCalls.every((x) => x.existed)).toBe(true);
    expect(artifactCalls.map((x) => x.uri).sort()).toEqual(
      [`/tmp/gc-root/${e1}/${b}/artifacts`, `/tmp/gc-root/${e2}/${c}/artifacts`, `/tmp/gc-root/${e1}/models/${m1}/artifacts`].sort(),
    );
    expect((await errorOf(store.getRun(b))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await errorOf(store.getExperiment(e2))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await store.getRun(a)).info.lifecycle_stage).toBe('active');
    expect((await store.getLoggedModel(m2)).info.model_id).toBe(m2);
    expect(await store.deletedRuns()).toEqual([]);
    // The experiment's name is free again.
    await store.createExperiment('doomed-exp');
  });

  it('--older-than keeps what was deleted too recently, takes what is old enough', async () => {
    const { store, b, c, m1, e2 } = await fixture();
    const none = await garbageCollect(store, { olderThan: '1d' });
    expect(none).toEqual({ runs: [], loggedModels: [], experiments: [], artifactFailures: [] });
    const later = Date.now() + 2 * DAY;
    const all = await garbageCollect(store, { olderThan: '1d', now: () => later });
    expect(all.runs.sort()).toEqual([b, c].sort());
    expect(all.loggedModels).toEqual([m1]);
    expect(all.experiments).toEqual([e2]);
  });

  it('olderThanMs works like --older-than, 0 included', async () => {
    const { store, b, c } = await fixture();
    const report = await garbageCollect(store, { olderThanMs: 0, now: () => Date.now() + 1 });
    expect(report.runs.sort()).toEqual([b, c].sort());
  });

  it('--run-ids: only those runs, but every deleted model and experiment still goes (MLflow)', async () => {
    const { store, b, c, m1, e2 } = await fixture();
    const report = await garbageCollect(store, { runIds: [b] });
    // c is removed as a deleted run of the deleted experiment e2.
    expect(report.runs).toEqual([b, c]);
    expect(report.loggedModels).toEqual([m1]);
    expect(report.experiments).toEqual([e2]);
  });

  it('--experiment-ids: those experiments with their runs, plus every other deleted run (MLflow)', async () => {
    const { store, b, c, e2 } = await fixture();
    const report = await garbageCollect(store, { experimentIds: [e2] });
    expect(report.runs.sort()).toEqual([b, c].sort());
    expect(report.experiments).toEqual([e2]);
  });

  it('named runs must exist, be deleted and be old enough; nothing is removed otherwise', async () => {
    const { store, a, b } = await fixture();
    const active = await errorOf(garbageCollect(store, { runIds: [b, a] }));
    expect(active.errorCode).toBe('INTERNAL_ERROR');
    expect(active.message).toBe(`Run ${a} is not in \`deleted\` lifecycle stage. Only runs in \`deleted\` lifecycle stage can be deleted.`);
    expect((await store.getRun(b)).info.run_id).toBe(b);
    const missing = await errorOf(garbageCollect(store, { runIds: ['0123456789abcdef0123456789abcdef'] }));
    expect(missing.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    const young = await errorOf(garbageCollect(store, { runIds: [b], olderThan: '1h' }));
    expect(young.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(young.message).toBe(`Run ${b} is not older than the required age. Only runs older than 1h can be deleted.`);
  });

  it('named experiments must exist, be deleted and be old enough', async () => {
    const { store, e1, e2 } = await fixture();
    const active = await errorOf(garbageCollect(store, { experimentIds: [e1, e2] }));
    expect(active.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(active.message).toBe(`Experiments ['${e1}'] are not in the deleted lifecycle stage. Only experiments in the deleted lifecycle stage can be hard-deleted.`);
    expect((await errorOf(garbageCollect(store, { experimentIds: ['999'] }))).message).toBe('No Experiment with id=999 exists');
    const young = await errorOf(garbageCollect(store, { experimentIds: [e2], olderThan: '2d' }));
    expect(young.message).toBe(`Experiments ['${e2}'] are not older than the required age. Only experiments older than 2d can be deleted.`);
    expect((await store.getExperiment(e2)).lifecycle_stage).toBe('deleted');
  });

  it('named logged models must exist and be deleted', async () => {
    const { store, m1, m2 } = await fixture();
    const active = await errorOf(garbageCollect(store, { loggedModelIds: [m2] }));
    expect(active.message).toBe(`Logged model ${m2} is not in \`deleted\` lifecycle stage. Only logged models in \`deleted\` lifecycle stage can be deleted.`);
    const missing = await errorOf(garbageCollect(store, { loggedModelIds: ['m-0000'] }));
    expect(missing.errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect(missing.message).toBe("Logged model with ID 'm-0000' not found.");
    const young = await errorOf(garbageCollect(store, { loggedModelIds: [m1], olderThan: '1d' }));
    expect(young.message).toBe(`Logged model ${m1} is not older than the required age. Only logged models older than 1d can be deleted.`);
    expect((await garbageCollect(store, { loggedModelIds: [m1] })).loggedModels).toEqual([m1]);
  });

  it('an artifact deletion failure is logged and skipped; the metadata still goes', async () => {
    const { store, b, c } = await fixture();
    const warnings: unknown[] = [];
    const logger = { warn: (o: unknown) => warnings.push(o), child: () => logger } as unknown as Logger;
    const report = await garbageCollect(store, {
      logger,
      deleteArtifacts: async (uri) => {
        if (uri.includes(b)) throw new Error('permission denied');
      },
    });
    expect(report.runs.sort()).toEqual([b, c].sort());
    expect(report.artifactFailures).toHaveLength(1);
    expect(report.artifactFailures[0]).toMatchObject({ kind: 'run', id: b });
    expect(warnings).toHaveLength(1);
    expect((await errorOf(store.getRun(b))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('removes model metrics of a removed run and everything left in a removed experiment', async () => {
    const store = new MemoryTrackingStore({ artifactRoot: '/tmp/gc-root' });
    const e = await store.createExperiment('e');
    const run = (await store.createRun({ experimentId: e })).info.run_id;
    const model = (await store.createLoggedModel({ experimentId: e })).info.model_id;
    await store.logBatch(run, { metrics: [{ key: 'acc', value: 0.5, timestamp: 1, step: 0, model_id: model }] });
    await store.deleteExperiment(e);
    await store.restoreRun(run); // an active run inside a deleted experiment goes with the experiment
    const report = await garbageCollect(store, {});
    expect(report).toMatchObject({ runs: [], loggedModels: [], experiments: [e] });
    expect((await errorOf(store.getRun(run))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
    expect((await errorOf(store.getLoggedModel(model))).errorCode).toBe('RESOURCE_DOES_NOT_EXIST');
  });

  it('stops with CANCELLED when aborted', async () => {
    const { store } = await fixture();
    const ac = new AbortController();
    ac.abort();
    expect((await errorOf(garbageCollect(store, { signal: ac.signal }))).errorCode).toBe('CANCELLED');
    expect(await store.deletedRuns()).toHaveLength(2);
  });
});
