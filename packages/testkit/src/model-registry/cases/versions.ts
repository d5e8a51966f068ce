import { expect } from 'vitest';
import { expectRegistryError, modelWithVersions, mvNotFound, newModel, newVersion, rmNotFound, tagMap, tick } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

/** Model versions: numbering, create/get/update/delete (soft delete), download URI (§5.3, §6.2, §6.3). */
export const versionsGroup: RegistryCaseGroup = {
  name: 'model versions',
  define(ctx) {
    const s = () => ctx.store();

    ctx.it('the first version is "1", READY, in stage None, with no aliases', async () => {
      const name = await newModel(ctx);
      const before = Date.now();
      const mv = await s().createModelVersion({ name, source: 's3://b/path/model' });
      expect(mv).toMatchObject({ name, version: '1', current_stage: 'None', status: 'READY', source: 's3://b/path/model', aliases: [] });
      expect(mv.creation_timestamp).toBeGreaterThanOrEqual(before - 1000);
      expect(mv.creation_timestamp).toBeLessThanOrEqual(Date.now() + 1000);
      expect(mv.last_updated_timestamp).toBe(mv.creation_timestamp);
      expect(mv.status_message ?? undefined).toBeUndefined();
      expect(mv.user_id ?? undefined).toBeUndefined();
    });

    ctx.it('versions are numbered 1, 2, 3 as strings', async () => {
      const name = await newModel(ctx);
      const numbers = [];
      for (let i = 0; i < 3; i++) numbers.push((await newVersion(ctx, name)).version);
      expect(numbers).toEqual(['1', '2', '3']);
    });

    ctx.it('numbering is per model', async () => {
      const a = await modelWithVersions(ctx, 2);
      const b = await newModel(ctx);
      expect((await newVersion(ctx, b)).version).toBe('1');
      expect((await newVersion(ctx, a)).version).toBe('3');
    });

    ctx.it('a deleted number is never reused: delete v2 of {1,2}, the next is 3', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().deleteModelVersion(name, '2');
      expect((await newVersion(ctx, name)).version).toBe('3');
    });

    ctx.it('deleting every version keeps the counter: the next is max+1', async () => {
      const name = await modelWithVersions(ctx, 3);
      for (const v of ['1', '2', '3']) await s().deleteModelVersion(name, v);
      expect((await newVersion(ctx, name)).version).toBe('4');
    });

    ctx.it('create stores run_id, run_link and description', async () => {
      const name = await newModel(ctx);
      const runId = 'a'.repeat(32);
      await s().createModelVersion({ name, source: 's3://b/m', runId, runLink: 'http://ui/run', description: 'first' });
      const mv = await s().getModelVersion(name, '1');
      expect(mv).toMatchObject({ run_id: runId, run_link: 'http://ui/run', description: 'first', source: 's3://b/m' });
    });

    ctx.it('create keeps empty-string description, run_id and run_link as empty strings', async () => {
      const name = await newModel(ctx);
      await s().createModelVersion({ name, source: 's3://b/m', runId: '', runLink: '', description: '' });
      const mv = await s().getModelVersion(name, '1');
      expect(mv.description).toBe('');
      expect(mv.run_id).toBe('');
      expect(mv.run_link).toBe('');
    });

    ctx.it('create on a missing model: SQL → 404, File → INTERNAL_ERROR after 3 attempts', async () => {
      const name = ctx.uniq('missing');
      const call = () => s().createModelVersion({ name, source: 's3://b/m' });
      if (ctx.flavour() === 'SqlStore') await expectRegistryError(call, 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
      else await expectRegistryError(call, 'INTERNAL_ERROR', `Model Version creation error (name=${name}). Error: ${rmNotFound(name)}. Giving up after 3 attempts.`);
    });

    ctx.it('create sets the model\'s last_updated_timestamp to the version\'s creation time', async () => {
      const name = await newModel(ctx);
      await tick();
      const mv = await newVersion(ctx, name);
      expect((await s().getRegisteredModel(name)).last_updated_timestamp).toBe(mv.creation_timestamp);
    });

    ctx.it('a models:/<name>/<version> source resolves its download URI to that version\'s location', async () => {
      const src = await newModel(ctx);
      await s().createModelVersion({ name: src, source: 's3://bucket/original' });
      const dst = await newModel(ctx);
      const mv = await s().createModelVersion({ name: dst, source: `models:/${src}/1` });
      expect(mv.source).toBe(`models:/${src}/1`);
      expect(await s().getModelVersionDownloadUri(dst, '1')).toBe('s3://bucket/original');
    });

    ctx.it('models:/ chains collapse to the first concrete location', async () => {
      const a = await newModel(ctx);
      await s().createModelVersion({ name: a, source: 's3://bucket/root' });
      const b = await newModel(ctx);
      await s().createModelVersion({ name: b, source: `models:/${a}/1` });
      const c = await newModel(ctx);
      await s().createModelVersion({ name: c, source: `models:/${b}/1` });
      expect(await s().getModelVersionDownloadUri(c, '1')).toBe('s3://bucket/root');
    });

    ctx.each(
      [{ src: 's3://b/p/model' }, { src: 'gs://b/p' }, { src: 'runs:/0123456789abcdef0123456789abcdef/model' }, { src: 'wasbs://c@acct.blob.core.windows.net/p' }],
      'getModelVersionDownloadUri returns the source $src as is',
      async (row) => {
        const name = await newModel(ctx);
        await s().createModelVersion({ name, source: row.src });
        expect(await s().getModelVersionDownloadUri(name, '1')).toBe(row.src);
      },
    );

    ctx.it('getModelVersionDownloadUri of a deleted version → 404', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().deleteModelVersion(name, '1');
      await expectRegistryError(s().getModelVersionDownloadUri(name, '1'), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 1));
    });

    ctx.it('getModelVersion of a missing version of an existing model → 404', async () => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().getModelVersion(name, '2'), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 2));
    });

    ctx.it('version calls on a missing model: SQL names the version, File the model', async () => {
      const name = ctx.uniq('missing');
      const message = ctx.flavour() === 'SqlStore' ? mvNotFound(name, 1) : rmNotFound(name);
      await expectRegistryError(s().getModelVersion(name, '1'), 'RESOURCE_DOES_NOT_EXIST', message);
      await expectRegistryError(s().updateModelVersion(name, '1', 'd'), 'RESOURCE_DOES_NOT_EXIST', message);
      await expectRegistryError(s().deleteModelVersion(name, '1'), 'RESOURCE_DOES_NOT_EXIST', message);
      await expectRegistryError(s().getModelVersionDownloadUri(name, '1'), 'RESOURCE_DOES_NOT_EXIST', message);
      await expectRegistryError(s().transitionModelVersionStage(name, '1', 'Staging', false), 'RESOURCE_DOES_NOT_EXIST', message);
    });

    ctx.it('updateModelVersion sets the description and bumps only the version\'s timestamp', async () => {
      const name = await modelWithVersions(ctx, 1);
      const rmBefore = await s().getRegisteredModel(name);
      const mv = await s().getModelVersion(name, '1');
      await tick();
      const updated = await s().updateModelVersion(name, '1', 'better');
      expect(updated.description).toBe('better');
      expect(updated.creation_timestamp).toBe(mv.creation_timestamp);
      expect(updated.last_updated_timestamp).toBeGreaterThan(mv.creation_timestamp);
      expect((await s().getModelVersion(name, '1')).description).toBe('better');
      expect((await s().getRegisteredModel(name)).last_updated_timestamp).toBe(rmBefore.last_updated_timestamp);
    });

    ctx.it('updateModelVersion without a description clears it', async () => {
      const name = await newModel(ctx);
      await newVersion(ctx, name, { description: 'was here' });
      await s().updateModelVersion(name, '1', undefined);
      expect((await s().getModelVersion(name, '1')).description ?? undefined).toBeUndefined();
    });

    ctx.it('updateModelVersion keeps source, tags and stage', async () => {
      const name = await newModel(ctx);
      await newVersion(ctx, name, { tags: [{ key: 't', value: '1' }], src: 's3://b/keep' });
      await s().transitionModelVersionStage(name, '1', 'Staging', false);
      const updated = await s().updateModelVersion(name, '1', 'd');
      expect(updated).toMatchObject({ source: 's3://b/keep', current_stage: 'Staging' });
      expect(tagMap(updated.tags)).toEqual({ t: '1' });
    });

    ctx.it('update returns the version with its aliases', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().setRegisteredModelAlias(name, 'champ', '1');
      expect((await s().updateModelVersion(name, '1', 'd')).aliases).toEqual(['champ']);
    });

    ctx.it('deleteModelVersion hides the version from get, update, delete and tags', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().deleteModelVersion(name, '1');
      const nf = mvNotFound(name, 1);
      await expectRegistryError(s().getModelVersion(name, '1'), 'RESOURCE_DOES_NOT_EXIST', nf);
      await expectRegistryError(s().updateModelVersion(name, '1', 'd'), 'RESOURCE_DOES_NOT_EXIST', nf);
      await expectRegistryError(s().deleteModelVersion(name, '1'), 'RESOURCE_DOES_NOT_EXIST', nf);
      await expectRegistryError(s().deleteModelVersionTag(name, '1', 'k'), 'RESOURCE_DOES_NOT_EXIST', nf);
      await expectRegistryError(s().transitionModelVersionStage(name, '1', 'Production', false), 'RESOURCE_DOES_NOT_EXIST', nf);
      expect((await s().getModelVersion(name, '2')).version).toBe('2');
    });

    ctx.it('deleteModelVersion bumps the model\'s last_updated_timestamp', async () => {
      const name = await modelWithVersions(ctx, 1);
      const before = (await s().getRegisteredModel(name)).last_updated_timestamp ?? 0;
      await tick();
      await s().deleteModelVersion(name, '1');
      expect((await s().getRegisteredModel(name)).last_updated_timestamp).toBeGreaterThan(before);
    });

    ctx.it('a deleted version drops out of latest_versions and search', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().deleteModelVersion(name, '2');
      expect((await s().getRegisteredModel(name)).latest_versions.map((v) => v.version)).toEqual(['1']);
      expect((await s().getLatestVersions(name)).map((v) => v.version)).toEqual(['1']);
      expect((await s().searchModelVersions({ filterString: `name = '${name}'` })).items.map((v) => v.version)).toEqual(['1']);
    });

    ctx.it('deleting a version removes the aliases pointing at it, not the others', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().setRegisteredModelAlias(name, 'a1', '1');
      await s().setRegisteredModelAlias(name, 'a2', '2');
      await s().deleteModelVersion(name, '1');
      const rm = await s().getRegisteredModel(name);
      expect(rm.aliases).toEqual([{ alias: 'a2', version: '2' }]);
      await expectRegistryError(s().getModelVersionByAlias(name, 'a1'), 'INVALID_PARAMETER_VALUE', 'Registered model alias a1 not found.');
    });

    ctx.it('a deleted version\'s number keeps creating after it: 1, 2, delete 2, 3, 4', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().deleteModelVersion(name, '2');
      expect((await newVersion(ctx, name)).version).toBe('3');
      expect((await newVersion(ctx, name)).version).toBe('4');
      expect((await s().getLatestVersions(name)).map((v) => v.version)).toEqual(['4']);
    });
  },
};
