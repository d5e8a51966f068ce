import { describe, expect, it } from 'vitest';
import { MemoryModelRegistryStore } from './memory-model-registry-store.js';
import { migrateRegistry, type RegisteredModelExport } from './portable-registry.js';

async function seeded(): Promise<MemoryModelRegistryStore> {
  const store = new MemoryModelRegistryStore();
  await store.createRegisteredModel('m', [{ key: 'team', value: 'a' }]);
  await store.createModelVersion({ name: 'm', source: '/old/root/1/run/artifacts/model', tags: [{ key: 'k', value: 'v' }] });
  await store.createModelVersion({ name: 'm', source: 's3://bucket/model' });
  await store.setRegisteredModelAlias('m', 'champion', '1');
  await store.deleteModelVersion('m', '2');
  return store;
}

describe('migrateRegistry', () => {
  it('copies and verifies every model; run again, it skips them', async () => {
    const source = await seeded();
    const target = new MemoryModelRegistryStore();
    const first = await migrateRegistry(source, target);
    expect(first).toMatchObject({ registeredModels: { created: 1, skipped: 0 }, modelVersions: 2, verification: { ok: true, registeredModels: 1, modelVersions: 2, mismatches: [] } });
    expect(await target.getModelVersionByAlias('m', 'champion')).toEqual(await source.getModelVersionByAlias('m', 'champion'));
    expect((await migrateRegistry(source, target)).registeredModels).toEqual({ created: 0, skipped: 1 });
  });

  it('reports what the copy lost, field by field', async () => {
    const source = await seeded();
    const target = new MemoryModelRegistryStore();
    const lossy = Object.assign(target, {
      importRegisteredModel: (m: RegisteredModelExport) =>
        MemoryModelRegistryStore.prototype.importRegisteredModel.call(target, { ...m, versions: m.versions.slice(0, 1).map((v) => ({ ...v, tags: [] })) }),
    });
    const report = await migrateRegistry(source, lossy);
    expect(report.verification?.ok).toBe(false);
    expect(report.verification?.mismatches).toEqual([
      { entity: 'model-version', id: 'm/1', field: 'tags', source: '[{"key":"k","value":"v"}]', target: '[]' },
      { entity: 'model-version', id: 'm/2', field: 'missing', source: 'Deleted_Internal', target: null },
    ]);
  });

  it('relocate moves sources and storage locations the migration copied; others stay', async () => {
    const source = await seeded();
    const target = new MemoryModelRegistryStore();
    const relocate = (uri: string) => uri.replace(/^\/old\/root\//, '/new/root/');
    expect((await migrateRegistry(source, target, { relocate })).verification?.ok).toBe(true);
    expect((await target.getModelVersion('m', '1')).source).toBe('/new/root/1/run/artifacts/model');
    expect(await target.getModelVersionDownloadUri('m', '1')).toBe('/new/root/1/run/artifacts/model');
  });
});
