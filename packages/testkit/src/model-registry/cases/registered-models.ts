import { expect } from 'vitest';
import { aliasMap, expectRegistryError, newModel, newVersion, rmExists, rmNotFound, startingWith, tagMap, tick } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

/** Registered models: create, get, update, rename, delete, and the timestamps §1.3 makes portable. */
export const registeredModelsGroup: RegistryCaseGroup = {
  name: 'registered models',
  define(ctx) {
    const s = () => ctx.store();

    ctx.it('createRegisteredModel returns the model with name, timestamps and no versions', async () => {
      const name = ctx.uniq();
      const before = Date.now();
      const rm = await s().createRegisteredModel(name);
      expect(rm.name).toBe(name);
      expect(rm.creation_timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(rm.creation_timestamp).toBeLessThanOrEqual(Date.now() + 1000);
      expect(rm.last_updated_timestamp).toBe(rm.creation_timestamp);
      expect(rm.latest_versions).toEqual([]);
      expect(rm.aliases).toEqual([]);
      expect(rm.tags).toEqual([]);
    });

    ctx.it('getRegisteredModel returns what create stored', async () => {
      const name = ctx.uniq();
      const created = await s().createRegisteredModel(name, [{ key: 'team', value: 'a' }], 'first model');
      const rm = await s().getRegisteredModel(name);
      expect(rm.name).toBe(name);
      expect(rm.description).toBe('first model');
      expect(tagMap(rm.tags)).toEqual({ team: 'a' });
      expect(rm.creation_timestamp).toBe(created.creation_timestamp);
    });

    ctx.it('a model created without description has none (undefined or empty)', async () => {
      const rm = await s().getRegisteredModel(await newModel(ctx));
      expect([undefined, '']).toContain(rm.description);
    });

    ctx.it('create keeps an empty-string description as empty', async () => {
      const name = ctx.uniq();
      await s().createRegisteredModel(name, [], '');
      expect([undefined, '']).toContain((await s().getRegisteredModel(name)).description);
    });

    ctx.it('create stores several tags', async () => {
      const name = await newModel(ctx, { tags: [{ key: 'a', value: '1' }, { key: 'b', value: '' }, { key: 'c.d/e f:g', value: 'x y' }] });
      expect(tagMap((await s().getRegisteredModel(name)).tags)).toEqual({ a: '1', b: '', 'c.d/e f:g': 'x y' });
    });

    ctx.it('create with a duplicated tag key keeps the last value', async () => {
      const name = await newModel(ctx, { tags: [{ key: 'k', value: 'first' }, { key: 'k', value: 'last' }] });
      const rm = await s().getRegisteredModel(name);
      expect(tagMap(rm.tags)).toEqual({ k: 'last' });
      expect(rm.tags).toHaveLength(1);
    });

    ctx.it('create keeps a 100000-character tag value', async () => {
      const value = 'v'.repeat(100_000);
      const name = await newModel(ctx, { tags: [{ key: 'big', value }] });
      expect(tagMap((await s().getRegisteredModel(name)).tags).big).toBe(value);
    });

    ctx.it('create twice with one name → RESOURCE_ALREADY_EXISTS', async () => {
      const name = await newModel(ctx);
      await expectRegistryError(s().createRegisteredModel(name), 'RESOURCE_ALREADY_EXISTS', rmExists(name));
    });

    ctx.it('names are case-sensitive: "X" and "x" are two models', async () => {
      const base = ctx.uniq('case');
      await s().createRegisteredModel(`${base}-A`);
      await s().createRegisteredModel(`${base}-a`);
      expect((await s().getRegisteredModel(`${base}-A`)).name).toBe(`${base}-A`);
      expect((await s().getRegisteredModel(`${base}-a`)).name).toBe(`${base}-a`);
    });

    ctx.it('a failed duplicate create leaves the first model untouched', async () => {
      const name = await newModel(ctx, { tags: [{ key: 'orig', value: '1' }], description: 'd' });
      await expectRegistryError(s().createRegisteredModel(name, [{ key: 'new', value: '2' }], 'other'), 'RESOURCE_ALREADY_EXISTS', rmExists(name));
      const rm = await s().getRegisteredModel(name);
      expect(rm.description).toBe('d');
      expect(tagMap(rm.tags)).toEqual({ orig: '1' });
    });

    ctx.it('create with an invalid tag creates nothing', async () => {
      const name = ctx.uniq();
      await expectRegistryError(s().createRegisteredModel(name, [{ key: 'bad!', value: 'v' }]), 'INVALID_PARAMETER_VALUE', startingWith('Invalid value "bad!" for parameter \'key\''));
      await expectRegistryError(s().getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('create on a taken name with an invalid tag: SQL validates tags first, File checks the name first', async () => {
      const name = await newModel(ctx);
      const call = () => s().createRegisteredModel(name, [{ key: 'bad!', value: 'v' }]);
      if (ctx.flavour() === 'SqlStore') await expectRegistryError(call, 'INVALID_PARAMETER_VALUE', startingWith('Invalid value "bad!"'));
      else await expectRegistryError(call, 'RESOURCE_ALREADY_EXISTS', rmExists(name));
    });

    ctx.it('getRegisteredModel of a missing model → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = ctx.uniq('missing');
      await expectRegistryError(s().getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('updateRegisteredModel sets the description and bumps last_updated_timestamp', async () => {
      const name = ctx.uniq();
      const created = await s().createRegisteredModel(name, [], 'old');
      await tick();
      const updated = await s().updateRegisteredModel(name, 'new');
      expect(updated.name).toBe(name);
      expect(updated.description).toBe('new');
      expect(updated.creation_timestamp).toBe(created.creation_timestamp);
      expect(updated.last_updated_timestamp).toBeGreaterThan(created.creation_timestamp);
      const got = await s().getRegisteredModel(name);
      expect(got.description).toBe('new');
      expect(got.last_updated_timestamp).toBe(updated.last_updated_timestamp);
    });

    ctx.it('updateRegisteredModel with an empty description clears it', async () => {
      const name = await newModel(ctx, { description: 'something' });
      await s().updateRegisteredModel(name, '');
      expect([undefined, '']).toContain((await s().getRegisteredModel(name)).description);
    });

    ctx.it('updateRegisteredModel keeps tags, versions and aliases', async () => {
      const name = await newModel(ctx, { tags: [{ key: 't', value: '1' }] });
      await newVersion(ctx, name);
      await s().setRegisteredModelAlias(name, 'champ', '1');
      await s().updateRegisteredModel(name, 'd2');
      const rm = await s().getRegisteredModel(name);
      expect(tagMap(rm.tags)).toEqual({ t: '1' });
      expect(aliasMap(rm)).toEqual({ champ: '1' });
      expect(rm.latest_versions.map((v) => v.version)).toEqual(['1']);
    });

    ctx.it('updateRegisteredModel keeps a 5001-character description', async () => {
      const name = await newModel(ctx);
      const text = 'd'.repeat(5001);
      await s().updateRegisteredModel(name, text);
      expect((await s().getRegisteredModel(name)).description).toBe(text);
    });

    ctx.it('updateRegisteredModel of a missing model → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = ctx.uniq('missing');
      await expectRegistryError(s().updateRegisteredModel(name, 'x'), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('deleteRegisteredModel removes it: get → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = await newModel(ctx);
      await s().deleteRegisteredModel(name);
      await expectRegistryError(s().getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('deleteRegisteredModel twice → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = await newModel(ctx);
      await s().deleteRegisteredModel(name);
      await expectRegistryError(s().deleteRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('deleteRegisteredModel of a missing model → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = ctx.uniq('missing');
      await expectRegistryError(s().deleteRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('deleteRegisteredModel removes versions, tags and aliases: a re-created model starts empty at version 1', async () => {
      const name = await newModel(ctx, { tags: [{ key: 't', value: '1' }] });
      await newVersion(ctx, name, { tags: [{ key: 'vt', value: '1' }] });
      await newVersion(ctx, name);
      await s().deleteModelVersion(name, '2');
      await s().setRegisteredModelAlias(name, 'champ', '1');
      await s().deleteRegisteredModel(name);
      await expectRegistryError(s().getModelVersion(name, '1'), 'RESOURCE_DOES_NOT_EXIST', /not found/);
      expect((await s().searchModelVersions({ filterString: `name = '${name}'` })).items).toEqual([]);
      const again = await s().createRegisteredModel(name);
      expect(again.tags).toEqual([]);
      const rm = await s().getRegisteredModel(name);
      expect(rm.tags).toEqual([]);
      expect(rm.aliases).toEqual([]);
      expect(rm.latest_versions).toEqual([]);
      const v = await newVersion(ctx, name);
      expect(v.version).toBe('1');
      expect(v.tags).toEqual([]);
      expect(v.aliases).toEqual([]);
    });

    ctx.it('deleting one model leaves a model with a similar name alone', async () => {
      const name = await newModel(ctx);
      await s().createRegisteredModel(`${name}-b`);
      await newVersion(ctx, `${name}-b`);
      await s().deleteRegisteredModel(name);
      expect((await s().getRegisteredModel(`${name}-b`)).latest_versions).toHaveLength(1);
    });

    // --- rename (§5.5) ---

    ctx.it('renameRegisteredModel moves the model: the new name resolves, the old is gone', async () => {
      const name = await newModel(ctx, { description: 'd' });
      const newName = ctx.uniq('renamed');
      const renamed = await s().renameRegisteredModel(name, newName);
      expect(renamed.name).toBe(newName);
      expect(renamed.description).toBe('d');
      expect((await s().getRegisteredModel(newName)).description).toBe('d');
      await expectRegistryError(s().getRegisteredModel(name), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('rename keeps creation_timestamp and bumps last_updated_timestamp', async () => {
      const name = ctx.uniq();
      const created = await s().createRegisteredModel(name);
      await tick();
      const newName = ctx.uniq('renamed');
      const renamed = await s().renameRegisteredModel(name, newName);
      expect(renamed.creation_timestamp).toBe(created.creation_timestamp);
      expect(renamed.last_updated_timestamp).toBeGreaterThan(created.creation_timestamp);
    });

    ctx.it('rename moves every version (deleted ones too: the numbering continues) and bumps their timestamps', async () => {
      const name = await newModel(ctx);
      const v1 = await newVersion(ctx, name);
      await newVersion(ctx, name);
      await s().deleteModelVersion(name, '2');
      await tick();
      const newName = ctx.uniq('renamed');
      const renamed = await s().renameRegisteredModel(name, newName);
      const mv = await s().getModelVersion(newName, '1');
      expect(mv.name).toBe(newName);
      expect(mv.creation_timestamp).toBe(v1.creation_timestamp);
      expect(mv.last_updated_timestamp).toBe(renamed.last_updated_timestamp);
      await expectRegistryError(s().getModelVersion(newName, '2'), 'RESOURCE_DOES_NOT_EXIST', /not found/);
      expect((await newVersion(ctx, newName)).version).toBe('3');
      expect((await s().searchModelVersions({ filterString: `name = '${name}'` })).items).toEqual([]);
    });

    ctx.it('rename keeps the versions\' tags and stages', async () => {
      const name = await newModel(ctx);
      await newVersion(ctx, name, { tags: [{ key: 'vt', value: 'x' }] });
      await s().transitionModelVersionStage(name, '1', 'Production', false);
      const newName = ctx.uniq('renamed');
      await s().renameRegisteredModel(name, newName);
      const mv = await s().getModelVersion(newName, '1');
      expect(tagMap(mv.tags)).toEqual({ vt: 'x' });
      expect(mv.current_stage).toBe('Production');
    });

    ctx.it('rename carries registered-model tags and aliases (as SQL does; §5.5)', async () => {
      const name = await newModel(ctx, { tags: [{ key: 't', value: '1' }] });
      await newVersion(ctx, name);
      await s().setRegisteredModelAlias(name, 'champ', '1');
      const newName = ctx.uniq('renamed');
      await s().renameRegisteredModel(name, newName);
      const rm = await s().getRegisteredModel(newName);
      expect(tagMap(rm.tags)).toEqual({ t: '1' });
      expect(aliasMap(rm)).toEqual({ champ: '1' });
      expect((await s().getModelVersionByAlias(newName, 'champ')).version).toBe('1');
    });

    ctx.it('the old name can be reused after a rename and starts at version 1', async () => {
      const name = await newModel(ctx);
      await newVersion(ctx, name);
      await s().renameRegisteredModel(name, ctx.uniq('renamed'));
      await s().createRegisteredModel(name);
      expect((await newVersion(ctx, name)).version).toBe('1');
    });

    ctx.it('rename onto an existing model → RESOURCE_ALREADY_EXISTS and both stay', async () => {
      const a = await newModel(ctx);
      const b = await newModel(ctx);
      await expectRegistryError(s().renameRegisteredModel(a, b), 'RESOURCE_ALREADY_EXISTS', startingWith(rmExists(b)));
      expect((await s().getRegisteredModel(a)).name).toBe(a);
      expect((await s().getRegisteredModel(b)).name).toBe(b);
    });

    ctx.it('rename to the same name: SQL succeeds, File → RESOURCE_ALREADY_EXISTS', async () => {
      const name = await newModel(ctx);
      if (ctx.flavour() === 'SqlStore') expect((await s().renameRegisteredModel(name, name)).name).toBe(name);
      else await expectRegistryError(s().renameRegisteredModel(name, name), 'RESOURCE_ALREADY_EXISTS', rmExists(name));
    });

    ctx.it('rename of a missing model → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = ctx.uniq('missing');
      await expectRegistryError(s().renameRegisteredModel(name, ctx.uniq('new')), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('rename of a missing model to an invalid name: SQL validates new_name first, File answers 404', async () => {
      const name = ctx.uniq('missing');
      const call = () => s().renameRegisteredModel(name, 'a/b');
      if (ctx.flavour() === 'SqlStore') await expectRegistryError(call, 'INVALID_PARAMETER_VALUE', "Invalid model name 'a/b'. Names cannot contain '/' or ':'.");
      else await expectRegistryError(call, 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('rename to an empty name: SQL names new_name, File names name', async () => {
      const name = await newModel(ctx);
      const field = ctx.flavour() === 'SqlStore' ? 'new_name' : 'name';
      await expectRegistryError(s().renameRegisteredModel(name, ''), 'INVALID_PARAMETER_VALUE', `Missing value for required parameter '${field}'.`);
      expect((await s().getRegisteredModel(name)).name).toBe(name);
    });
  },
};
