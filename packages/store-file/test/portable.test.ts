import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { garbageCollect, LoggedModelStatus, migrateStore, MemoryTrackingStore } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { FileTrackingStore } from '../src/index.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'mlstore-file-portable-'));

/** A small but complete source: tags, deleted run and experiment, histories with NaN/Inf, inputs, models. */
async function fill(store: FileTrackingStore | MemoryTrackingStore): Promise<{ exp: string; deletedRun: string; model: string }> {
  const exp = await store.createExperiment('source', undefined, [{ key: 'team', value: 'a/b' }]);
  const doomed = await store.createExperiment('doomed');
  await store.createRun({ experimentId: doomed });
  await store.deleteExperiment(doomed);
  let deletedRun = '';
  for (let i = 0; i < 6; i++) {
    const run = await store.createRun({ experimentId: exp, runName: `r${i}`, tags: [{ key: 'k/nested', value: `v${i}` }] });
    const id = run.info.run_id;
    await store.logBatch(id, {
      params: [{ key: 'lr', value: String(i / 10) }],
      metrics: [
        { key: 'loss', value: 1 / (i + 1), timestamp: 10, step: 0 },
        { key: 'loss', value: Number.NaN, timestamp: 11, step: 1 },
        { key: 'loss', value: Number.POSITIVE_INFINITY, timestamp: 12, step: 2 },
      ],
    });
    await store.logInputs(id, { datasets: [{ dataset: { name: 'ds', digest: 'd1', source_type: 'local', source: '{}' }, tags: [{ key: 'mlflow.data.context', value: 'train' }] }] });
    if (i === 5) {
      await store.deleteRun(id);
      deletedRun = id;
    }
  }
  const model = await store.createLoggedModel({ experimentId: exp, name: 'm', params: [{ key: 'a', value: '1' }], tags: [{ key: 't', value: 'x' }] });
  await store.finalizeLoggedModel(model.info.model_id, LoggedModelStatus.READY);
  return { exp, deletedRun, model: model.info.model_id };
}

describe('file store as a migration source and target', () => {
  it('file → file keeps ids, lifecycles, histories and models, and verifies', async () => {
    const source = await FileTrackingStore.open(join(tmp(), 'a'));
    const { exp, deletedRun, model } = await fill(source);
    const target = await FileTrackingStore.open(join(tmp(), 'b'));
    const report = await migrateStore(source, target);
    expect(report.verification?.ok).toBe(true);
    expect((await target.getExperiment(exp)).tags).toEqual([{ key: 'team', value: 'a/b' }]);
    expect((await target.getRun(deletedRun)).info.lifecycle_stage).toBe('deleted');
    const history = (await target.getMetricHistory(deletedRun, 'loss')).items.map((m) => m.value);
    expect(history).toEqual([1 / 6, Number.NaN, Number.POSITIVE_INFINITY]);
    expect((await target.getLoggedModel(model)).info.status).toBe(LoggedModelStatus.READY);
    const again = await migrateStore(source, target);
    expect(again.verification?.ok).toBe(true);
  });

  it('memory → file: sequential ids become folder names', async () => {
    const source = new MemoryTrackingStore();
    const { exp } = await fill(source);
    const root = join(tmp(), 'c');
    const target = await FileTrackingStore.open(root);
    const report = await migrateStore(source, target);
    expect(report.verification?.ok).toBe(true);
    expect(existsSync(join(root, exp, 'meta.yaml'))).toBe(true);
    const runs = await target.searchRuns({ experimentIds: [exp], orderBy: ['params.lr DESC'] });
    expect(runs.items.map((r) => r.data.params[0]?.value)).toEqual(['0.4', '0.3', '0.2', '0.1', '0']);
  });

  it("an interrupted import's folder is rebuilt, keeping the artifacts/ copied into it before the import", async () => {
    const source = await FileTrackingStore.open(join(tmp(), 'src'));
    const { exp } = await fill(source);
    const root = join(tmp(), 'dst');
    const target = await FileTrackingStore.open(root);
    for await (const e of source.exportExperiments()) await target.importExperiment(e);
    const [run] = (await source.searchRuns({ experimentIds: [exp], maxResults: 1 })).items;
    const id = run?.info.run_id as string;
    // What a kill in the middle of an import leaves (no meta.yaml), plus what `migrate --copy-artifacts` put there first.
    mkdirSync(join(root, exp, id, 'metrics'), { recursive: true });
    writeFileSync(join(root, exp, id, 'metrics', 'stale'), '1 2 3\n');
    mkdirSync(join(root, exp, id, 'artifacts', 'model'), { recursive: true });
    writeFileSync(join(root, exp, id, 'artifacts', 'model', 'MLmodel'), 'flavors: {}\n');
    for await (const r of source.exportRuns(exp)) if (r.info.run_id === id) expect(await target.importRun(r)).toBe('created');
    expect(readdirSync(join(root, exp, id, 'metrics'))).toEqual(['loss']);
    expect(readFileSync(join(root, exp, id, 'artifacts', 'model', 'MLmodel'), 'utf8')).toBe('flavors: {}\n');
  });
});

describe('gc on the file store', () => {
  it('removes deleted runs, experiments in .trash and deleted models, and nothing else', async () => {
    const root = join(tmp(), 'g');
    const store = await FileTrackingStore.open(root);
    const { exp, deletedRun, model } = await fill(store);
    await store.deleteLoggedModel(model);
    const removedArtifacts: string[] = [];
    await garbageCollect(store, { deleteArtifacts: async (uri) => void removedArtifacts.push(uri) });
    expect(existsSync(join(root, exp, deletedRun))).toBe(false);
    expect(readdirSync(join(root, '.trash'))).toEqual([]);
    expect(existsSync(join(root, exp, 'models', model))).toBe(false);
    expect(removedArtifacts.some((u) => u.endsWith(`${deletedRun}/artifacts`))).toBe(true);
    const left = await store.searchRuns({ experimentIds: [exp] });
    expect(left.items).toHaveLength(5);
  });
});
