import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerLocalArtifactRepository } from '@mlstore/artifact-local';
import {
  createArtifactRepositoryRegistry,
  MemoryTrackingStore,
  isMlflowError,
  migrateStore,
  verifyMigration,
  type MigrationReport,
  type PortableStore,
} from '@mlstore/core';
import { FileTrackingStore } from '@mlstore/store-file';
import { SqlTrackingStore } from '@mlstore/store-sql';
import { dumpStore, fillStore, type FilledStore } from './migrate-fixture.js';

// The issue's demonstration: `migrate` moves a 1,000-run store into SQLite and verifies it;
// interrupted halfway and restarted, it finishes with the same result.
const RUNS = 1000;
const dir = mkdtempSync(join(tmpdir(), 'mlstore-migrate-'));
let n = 0;
const sqlite = () => SqlTrackingStore.open(`sqlite:///${join(dir, `target-${n++}.db`)}`, { artifactRoot: join(dir, 'artifacts') });
const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  for (const s of opened) await s.close();
});

async function runIdsIn(store: PortableStore, experimentIds: readonly string[]): Promise<string[]> {
  const ids: string[] = [];
  for (const e of experimentIds) for await (const r of store.exportRuns(e)) ids.push(r.info.run_id);
  return ids;
}

/**
 * The two halves of the demonstration for one source: a straight migration into SQLite, and one
 * aborted after half the runs and restarted, which must end with exactly the same target.
 */
function describeMigration(name: string, makeSource: () => Promise<PortableStore & { close(): Promise<void> }>) {
  describe(`migrate a ${RUNS}-run ${name} into SQLite`, () => {
    let source: PortableStore;
    let filled: FilledStore;
    let straight: MigrationReport;
    let straightTarget: SqlTrackingStore;

    beforeAll(async () => {
      const s = await makeSource();
      opened.push(s);
      source = s;
      filled = await fillStore(s, RUNS);
    }, 600_000);

    it('copies every experiment, run, metric value and model, and verifies counts and metric hashes', async () => {
      straightTarget = await sqlite();
      opened.push(straightTarget);
      straight = await migrateStore(source, straightTarget);
      expect(straight.runs).toEqual({ created: RUNS, skipped: 0 });
      expect(straight.experiments.created + straight.experiments.skipped).toBe(filled.experimentIds.length);
      expect(straight.loggedModels).toEqual({ created: filled.modelIds.length, skipped: 0 });
      // Ten traces per experiment, the deleted experiment's ten included.
      expect(straight.traces).toEqual({ created: filled.traceIds.length, skipped: 0 });
      const v = straight.verification;
      expect(v?.ok).toBe(true);
      expect(v?.target).toEqual(v?.source);
      expect(v?.target).toMatchObject({ runs: RUNS, deletedRuns: filled.deletedRunIds.length + RUNS / 4, metricValues: filled.metricValues, deletedExperiments: 1 });
      expect(v?.target).toMatchObject({ traces: 30, assessments: 60, spans: filled.spans > 0 ? 30 : 0 });
      const traceId = filled.traceIds[12] as string;
      const [traceCopy, traceOriginal] = await Promise.all([straightTarget.getTraceInfo(traceId), source.getTraceInfo(traceId)]);
      expect(traceCopy).toMatchObject({ ...traceOriginal, trace_metadata: expect.any(Object), tags: expect.any(Object), assessments: expect.any(Array) });
      // MLflow's FileStore reads expectations back without `valid` (SQL stores say true).
      // Assessments created in the same millisecond come back in store order: compared by id.
      const comparable = (xs: typeof traceCopy.assessments) =>
        xs.map(({ valid: _valid, ...a }) => a).sort((a, b) => String(a.assessment_id).localeCompare(String(b.assessment_id)));
      expect(comparable(traceCopy.assessments)).toEqual(comparable(traceOriginal.assessments));
      expect(v?.target.metricSeries).toBeGreaterThan(2 * RUNS);
      // Spot checks through the ordinary API of the target.
      const deleted = await straightTarget.getExperiment(filled.deletedExperimentId);
      expect(deleted).toMatchObject({ name: 'gamma', lifecycle_stage: 'deleted', tags: [{ key: 'archived', value: 'yes' }] });
      const edgeRun = filled.runIds[7] as string;
      const history = (await straightTarget.getMetricHistory(edgeRun, 'edge')).items.map((m) => m.value);
      expect(history.some(Number.isNaN)).toBe(true);
      expect(history).toContain(1.7976931348623157e308);
      const byKey = <T extends { key: string }>(xs: T[]) => [...xs].sort((a, b) => a.key.localeCompare(b.key));
      const [copy, original] = await Promise.all([straightTarget.getRun(filled.runIds[10] as string), source.getRun(filled.runIds[10] as string)]);
      expect(copy.info).toEqual(original.info);
      expect(byKey(copy.data.params)).toEqual(byKey(original.data.params));
      expect(byKey(copy.data.tags)).toEqual(byKey(original.data.tags));
      expect(byKey(copy.data.metrics)).toEqual(byKey(original.data.metrics));
      expect(copy.inputs.dataset_inputs).toHaveLength(2);
      // Straight after: a second migration has nothing left to copy.
      const again = await migrateStore(source, straightTarget, { verify: false });
      expect(again.runs).toEqual({ created: 0, skipped: RUNS });
    }, 600_000);

    it('interrupted after half the runs holds a strict subset; restarted it ends with the same target', async () => {
      const target = await sqlite();
      opened.push(target);
      const ac = new AbortController();
      const err = await migrateStore(source, target, {
        signal: ac.signal,
        onProgress: (p) => {
          if (p.phase === 'runs' && p.done === RUNS / 2) ac.abort(new Error('simulated interruption'));
        },
      }).catch((e: unknown) => e);
      expect(isMlflowError(err) && err.errorCode).toBe('CANCELLED');

      const copied = await runIdsIn(target, filled.experimentIds);
      expect(copied.length).toBeGreaterThanOrEqual(RUNS / 2);
      expect(copied.length).toBeLessThan(RUNS);
      expect(filled.runIds).toEqual(expect.arrayContaining(copied));
      // Atomic imports: what is there is complete; everything else is simply missing.
      const partial = await verifyMigration(source, target);
      expect(partial.ok).toBe(false);
      expect(new Set(partial.mismatches.map((m) => m.field))).toEqual(new Set(['missing']));
      expect(partial.mismatches.filter((m) => m.entity === 'run')).toHaveLength(RUNS - copied.length);

      const resumed = await migrateStore(source, target);
      expect(resumed.runs).toEqual({ created: RUNS - copied.length, skipped: copied.length });
      expect(resumed.verification).toEqual(straight.verification);
      expect(await dumpStore(target)).toEqual(await dumpStore(straightTarget));
    }, 600_000);
  });
}

describeMigration('memory store', async () => new MemoryTrackingStore({ artifactRoot: join(dir, 'memory-artifacts') }));
describeMigration('file store (mlruns) written by FileTrackingStore', async () => FileTrackingStore.open(join(dir, `mlruns-${n++}`)));

describe('an mlruns with exact duplicate metric lines (as MLflow 3.18 log_model leaves them), and --copy-artifacts', () => {
  const artifacts = registerLocalArtifactRepository(createArtifactRepositoryRegistry());
  const resolve = (uri: string) => artifacts.resolve(uri);

  async function smallMlruns(root: string) {
    const store = await FileTrackingStore.open(root);
    opened.push(store);
    const e = await store.createExperiment('dups');
    const run = await store.createRun({ experimentId: e });
    const id = run.info.run_id;
    await store.logBatch(id, { metrics: [0, 1, 2].map((s) => ({ key: 'loss', value: 1 / (s + 1), timestamp: 1_700_000_000_000 + s, step: s })) });
    const repo = await resolve(run.info.artifact_uri);
    await repo.writeArtifact('model/MLmodel', 'flavors: {}\n');
    await repo.writeArtifact('plot.bin', Buffer.alloc(300_000, 7));
    return { store, e, id };
  }

  it('a hand-made duplicate line migrates into SQLite, verified, with the fold reported', async () => {
    const root = join(dir, `mlruns-dups-${n++}`);
    const { store, e, id } = await smallMlruns(root);
    const file = join(root, e, id, 'metrics', 'loss');
    appendFileSync(file, readFileSync(file, 'utf8').split('\n')[0] + '\n');
    expect((await store.getMetricHistory(id, 'loss')).items).toHaveLength(4);
    const target = await sqlite();
    opened.push(target);
    const report = await migrateStore(store, target);
    expect(report.verification?.ok).toBe(true);
    expect(report.verification?.source).toMatchObject({ metricValues: 3, duplicateMetricValues: 1 });
    expect(report.verification?.target).toMatchObject({ metricValues: 3, duplicateMetricValues: 0 });
    expect((await target.getMetricHistory(id, 'loss')).items).toHaveLength(3);
    // Artifacts were left alone; the target points at the mlruns.
    expect(report.artifacts).toMatchObject({ copied: false, sourceLocations: [`file://${root}`] });
    expect((await target.getRun(id)).info.artifact_uri).toBe(`file://${root}/${e}/${id}/artifacts`);
  });

  it("copies artifacts into a file-store target's own root, verified, and the copy survives the source", async () => {
    const root = join(dir, `mlruns-art-${n++}`);
    const { store, e, id } = await smallMlruns(root);
    const targetRoot = join(dir, `mlruns-target-${n++}`);
    const target = await FileTrackingStore.open(targetRoot);
    opened.push(target);
    const report = await migrateStore(store, target, { copyArtifacts: { resolve } });
    expect(report.verification?.ok).toBe(true);
    expect(report.artifacts).toMatchObject({ copied: true, destination: `file://${targetRoot}`, files: 2, bytes: 300_000 + 12, runs: { copied: 1, skipped: 0, inPlace: 0 } });
    expect((await target.getExperiment(e)).artifact_location).toBe(`file://${targetRoot}/${e}`);
    expect((await target.getRun(id)).info.artifact_uri).toBe(`file://${targetRoot}/${e}/${id}/artifacts`);
    rmSync(root, { recursive: true });
    const copy = await resolve((await target.getRun(id)).info.artifact_uri);
    expect((await copy.listArtifacts()).map((f) => f.path).sort()).toEqual(['model', 'plot.bin']);
    expect(readdirSync(join(targetRoot, e, id, 'artifacts', 'model'))).toEqual(['MLmodel']);
    const again = await migrateStore(target, await sqlite(), { copyArtifacts: { resolve, destination: join(dir, `again-${n++}`) } });
    expect(again.artifacts.files).toBe(2);
  });
});
