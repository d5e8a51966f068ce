import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createModelRegistryStoreRegistry, isMlflowError } from '@mlstore/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileModelRegistryStore } from './file-model-registry-store.js';
import { registerFileModelRegistryStore } from './register-file-model-registry-store.js';

const newRoot = () => mkdtempSync(join(tmpdir(), 'mlstore-file-registry-'));

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    if (isMlflowError(err)) return { code: err.errorCode, message: err.message };
    throw err;
  }
  throw new Error('expected an MlflowError');
}

describe('FileModelRegistryStore', () => {
  afterEach(() => vi.restoreAllMocks());

  it('refuses an absent max_results as MLflow\'s FileStore does (library callers; the server always sends one)', async () => {
    const s = await FileModelRegistryStore.open(newRoot());
    const none = { code: 'INVALID_PARAMETER_VALUE', message: 'Invalid value for max_results. It must be a positive integer, but got None' };
    expect(await failure(s.searchRegisteredModels())).toEqual(none);
    expect(await failure(s.searchModelVersions())).toEqual(none);
    expect((await s.searchRegisteredModels({ maxResults: 1 })).items).toEqual([]);
  });

  it('refuses a name with a NUL (no file can be named so; MLflow\'s FileStore answers 500 there)', async () => {
    const s = await FileModelRegistryStore.open(newRoot());
    const nul = { code: 'INVALID_PARAMETER_VALUE', message: "'name' cannot contain NUL (0x00) characters" };
    expect(await failure(s.createRegisteredModel('a\0b'))).toEqual(nul);
    expect(await failure(s.getRegisteredModel('a\0b'))).toEqual(nul);
    await s.createRegisteredModel('m');
    expect(await failure(s.renameRegisteredModel('m', 'a\0b'))).toEqual(nul);
    expect(await failure(s.getModelVersion('a\0b', '1'))).toEqual(nul);
  });

  it("version_number = 'x' fails only while compared with a live version, as int('x') in MLflow's FileStore", async () => {
    const s = await FileModelRegistryStore.open(newRoot());
    const filterString = "version_number = 'x'";
    expect(await s.searchModelVersions({ filterString, maxResults: 10 })).toEqual({ items: [] });
    await s.createRegisteredModel('m');
    await s.createModelVersion({ name: 'm', source: 's3://b/x' });
    expect((await failure(s.searchModelVersions({ filterString, maxResults: 10 }))).code).toBe('INTERNAL_ERROR');
  });

  it('writes MLflow\'s layout: nested tag folders, alias files with the canonical number, soft-deleted version folders', async () => {
    const root = newRoot();
    const s = await FileModelRegistryStore.open(root);
    await s.createRegisteredModel('m', [{ key: 'a/b', value: 'v' }]);
    await s.createModelVersion({ name: 'm', source: 's3://b/1', tags: [{ key: 'x/y/z', value: '1' }] });
    await s.createModelVersion({ name: 'm', source: 's3://b/2' });
    await s.setRegisteredModelAlias('m', 'champ', ' 2');
    await s.deleteModelVersion('m', '1');
    const dir = join(root, 'models', 'm');
    expect(readFileSync(join(dir, 'tags', 'a', 'b'), 'utf8')).toBe('v');
    expect(readFileSync(join(dir, 'aliases', 'champ'), 'utf8')).toBe('2');
    expect(readFileSync(join(dir, 'version-1', 'tags', 'x', 'y', 'z'), 'utf8')).toBe('1');
    expect(readFileSync(join(dir, 'version-1', 'meta.yaml'), 'utf8')).toContain('current_stage: Deleted_Internal\n');
    expect(readFileSync(join(dir, 'meta.yaml'), 'utf8')).toContain("aliases:\n  champ: '2'\n");
    expect((await s.getModelVersionByAlias('m', 'champ')).aliases).toEqual(['champ']);
    expect((await s.createModelVersion({ name: 'm', source: 's3://b/3' })).version).toBe('3');
  });

  it('bumps the model on every tag and alias write (the file flavour, §1.3)', async () => {
    const s = await FileModelRegistryStore.open(newRoot());
    const now = vi.spyOn(Date, 'now').mockReturnValue(1000);
    await s.createRegisteredModel('m');
    await s.createModelVersion({ name: 'm', source: 's3://b/1' });
    now.mockReturnValue(2000);
    await s.setRegisteredModelTag('m', { key: 'k', value: 'v' });
    expect((await s.getRegisteredModel('m')).last_updated_timestamp).toBe(2000);
    now.mockReturnValue(3000);
    await s.setModelVersionTag('m', '1', { key: 'k', value: 'v' });
    expect((await s.getRegisteredModel('m')).last_updated_timestamp).toBe(3000);
    now.mockReturnValue(4000);
    await s.setRegisteredModelAlias('m', 'a', '1');
    expect((await s.getRegisteredModel('m')).last_updated_timestamp).toBe(4000);
    expect((await s.getModelVersion('m', '1')).last_updated_timestamp).toBe(1000);
    now.mockReturnValue(5000);
    await s.deleteRegisteredModelAlias('m', 'absent');
    expect((await s.getRegisteredModel('m')).last_updated_timestamp).toBe(4000);
  });

  it('keeps model_id in the version (the file store stores it)', async () => {
    const s = await FileModelRegistryStore.open(newRoot());
    await s.createRegisteredModel('m');
    expect((await s.createModelVersion({ name: 'm', source: 's3://b/1', runId: 'r', modelId: 'm-1' })).model_id).toBe('m-1');
    expect((await s.getModelVersion('m', '1')).model_id).toBe('m-1');
  });

  it('rename carries tags, aliases and tagged versions (deleted ones too), where MLflow 3.18 crashes', async () => {
    const root = newRoot();
    const s = await FileModelRegistryStore.open(root);
    await s.createRegisteredModel('old', [{ key: 'rm/tag', value: '1' }], 'd');
    await s.createModelVersion({ name: 'old', source: 's3://b/1', tags: [{ key: 'mv', value: 'x' }] });
    await s.createModelVersion({ name: 'old', source: 's3://b/2', tags: [{ key: 'gone', value: 'y' }] });
    await s.setRegisteredModelAlias('old', 'champ', '1');
    await s.deleteModelVersion('old', '2');
    const renamed = await s.renameRegisteredModel('old', 'new');
    expect(renamed).toMatchObject({ name: 'new', description: 'd', tags: [{ key: 'rm/tag', value: '1' }], aliases: [{ alias: 'champ', version: '1' }] });
    expect(await s.getModelVersion('new', '1')).toMatchObject({ name: 'new', tags: [{ key: 'mv', value: 'x' }], aliases: ['champ'] });
    expect(readFileSync(join(root, 'models', 'new', 'version-2', 'meta.yaml'), 'utf8')).toContain('current_stage: Deleted_Internal');
    expect(readFileSync(join(root, 'models', 'new', 'version-2', 'tags', 'gone'), 'utf8')).toBe('y');
    expect(existsSync(join(root, 'models', 'old'))).toBe(false);
    expect((await s.createModelVersion({ name: 'new', source: 's3://b/3' })).version).toBe('3');
  });

  it('a refused rename leaves both models intact and no staging folder behind', async () => {
    const root = newRoot();
    const s = await FileModelRegistryStore.open(root);
    await s.createRegisteredModel('a', [{ key: 't', value: '1' }]);
    await s.createModelVersion({ name: 'a', source: 's3://b/1' });
    await s.createRegisteredModel('b');
    expect(await failure(s.renameRegisteredModel('a', 'b'))).toEqual({ code: 'RESOURCE_ALREADY_EXISTS', message: 'Registered Model (name=b) already exists.' });
    expect((await s.getRegisteredModel('a')).tags).toEqual([{ key: 't', value: '1' }]);
    expect(readdirSync(join(root, 'models', 'a')).sort()).toEqual(['meta.yaml', 'tags', 'version-1']);
  });

  it('registers for plain paths and file: URIs', async () => {
    const root = newRoot();
    const registry = registerFileModelRegistryStore(createModelRegistryStoreRegistry());
    const byUri = await registry.resolve(pathToFileURL(root).href, {});
    await byUri.createRegisteredModel('m');
    const byPath = await registry.resolve(root, {});
    expect((await byPath.getRegisteredModel('m')).name).toBe('m');
    expect(byPath.capabilities.flavour).toBe('FileStore');
  });
});
