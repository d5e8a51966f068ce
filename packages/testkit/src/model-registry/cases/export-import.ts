import { isPortableModelRegistryStore, type PortableModelRegistryStore, type RegisteredModelExport } from '@mlstore/core';
import { expect } from 'vitest';
import type { RegistryCaseGroup } from './group.js';

async function exported(store: PortableModelRegistryStore, name: string): Promise<RegisteredModelExport> {
  for await (const m of store.exportRegisteredModels()) if (m.name === name) return m;
  throw new Error(`exportRegisteredModels has no model '${name}'`);
}

/** The export with tags and aliases in key order, so two stores' listings compare. */
function sorted(m: RegisteredModelExport): RegisteredModelExport {
  const byKey = (a: { key: string }, b: { key: string }) => a.key.localeCompare(b.key);
  return {
    ...m,
    tags: [...m.tags].sort(byKey),
    aliases: [...m.aliases].sort((a, b) => a.alias.localeCompare(b.alias)),
    versions: m.versions.map((v) => ({ ...v, tags: [...v.tags].sort(byKey) })),
  };
}

/** A model that was written by a store (not made up), as `mlstore migrate` meets them. */
const SOURCE = 'file:///tmp/kit-export/artifacts/model';

/**
 * `exportRegisteredModels` / `importRegisteredModel` (what `mlstore migrate` moves a registry
 * with): a model with live and deleted versions, stages, tags and aliases comes back whole under
 * another name; numbers continue after the highest imported (deleted ones count); a model that is
 * there already is left alone.
 */
export const exportImportGroup: RegistryCaseGroup = {
  name: 'export and import',
  define({ it, store, uniq }) {
    const portable = (): PortableModelRegistryStore => {
      const s = store();
      if (!isPortableModelRegistryStore(s)) throw new Error('the store does not implement exportRegisteredModels/importRegisteredModel');
      return s;
    };

    /** A model with 4 versions: 1 Archived, 2 Production with alias `champion`, 3 Staging, 4 deleted; tags everywhere. */
    async function seeded(): Promise<string> {
      const s = portable();
      const name = uniq('exp');
      await s.createRegisteredModel(name, [{ key: 'team', value: 'ml' }, { key: 'empty', value: '' }], 'a model');
      for (let i = 1; i <= 4; i++) {
        await s.createModelVersion({ name, source: `${SOURCE}-${i}`, runId: `r${i}`.padEnd(32, '0'), description: `v${i}`, tags: [{ key: 'k', value: `v${i}` }] });
      }
      await s.transitionModelVersionStage(name, '1', 'Archived', false);
      await s.transitionModelVersionStage(name, '2', 'Production', false);
      await s.transitionModelVersionStage(name, '3', 'Staging', false);
      await s.setRegisteredModelAlias(name, 'champion', '2');
      await s.setModelVersionTag(name, '3', { key: 'extra', value: 'x' });
      await s.deleteModelVersion(name, '4');
      return name;
    }

    it('a model comes back whole under another name: versions (a deleted one too), stages, timestamps, tags, aliases', async () => {
      const s = portable();
      const original = await exported(s, await seeded());
      expect(original.versions.map((v) => [v.version, v.current_stage])).toEqual([
        ['1', 'Archived'],
        ['2', 'Production'],
        ['3', 'Staging'],
        ['4', 'Deleted_Internal'],
      ]);
      const copyName = uniq('imp');
      expect(await s.importRegisteredModel({ ...original, name: copyName })).toBe('created');
      expect(sorted(await exported(s, copyName))).toEqual(sorted({ ...original, name: copyName }));
    });

    it('an imported model answers through the API as its original did', async () => {
      const s = portable();
      const name = await seeded();
      const copyName = uniq('imp');
      await s.importRegisteredModel({ ...(await exported(s, name)), name: copyName });
      const strip = <T extends { name: string }>(x: T) => ({ ...x, name: '' });
      expect(strip(await s.getModelVersionByAlias(copyName, 'champion'))).toEqual(strip(await s.getModelVersionByAlias(name, 'champion')));
      expect((await s.getLatestVersions(copyName)).map(strip)).toEqual((await s.getLatestVersions(name)).map(strip));
      const [a, b] = [await s.getRegisteredModel(copyName), await s.getRegisteredModel(name)];
      expect({ ...a, name: '', latest_versions: a.latest_versions.map(strip) }).toEqual({ ...b, name: '', latest_versions: b.latest_versions.map(strip) });
      await expect(s.getModelVersion(copyName, '4')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
      const found = await s.searchModelVersions({ filterString: `name = '${copyName}'`, maxResults: 100 });
      expect(found.items.map((v) => v.version).sort()).toEqual(['1', '2', '3']);
    });

    it('the next version of an imported model follows the highest imported number, a deleted one included', async () => {
      const s = portable();
      const name = uniq('imp');
      const version = (n: number, stage: string) => ({ version: String(n), creation_timestamp: 1_600_000_000_000 + n, last_updated_timestamp: 1_600_000_000_000 + n, current_stage: stage, status: 'READY', source: `${SOURCE}-${n}`, tags: [] });
      const model: RegisteredModelExport = {
        name,
        creation_timestamp: 1_600_000_000_000,
        last_updated_timestamp: 1_600_000_000_007,
        tags: [],
        aliases: [],
        versions: [version(1, 'None'), version(2, 'Deleted_Internal'), version(7, 'Deleted_Internal')],
      };
      expect(await s.importRegisteredModel(model)).toBe('created');
      const created = await s.createModelVersion({ name, source: `${SOURCE}-8` });
      expect(created.version).toBe('8');
      expect((await s.getRegisteredModel(name)).creation_timestamp).toBe(1_600_000_000_000);
      expect((await s.getModelVersion(name, '1')).creation_timestamp).toBe(1_600_000_000_001);
    });

    it('importing a model whose name is taken is `exists` and changes nothing', async () => {
      const s = portable();
      const name = await seeded();
      const before = await exported(s, name);
      const other: RegisteredModelExport = { ...before, description: 'another', tags: [], aliases: [], versions: before.versions.slice(0, 1) };
      expect(await s.importRegisteredModel(other)).toBe('exists');
      expect(sorted(await exported(s, name))).toEqual(sorted(before));
    });
  },
};
