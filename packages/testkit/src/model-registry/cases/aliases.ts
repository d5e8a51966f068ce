import type { ModelRegistryStore } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../../tracking/expect-error.js';
import { aliasMap, expectRegistryError, modelWithVersions, mvNotFound, rmNotFound } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

const BAD_ALIAS = 'Names may only contain alphanumerics, underscores (_), and dashes (-).';
const EMPTY = 'Registered model alias name cannot be empty.';
const TOO_LONG = "'Registered model alias name' exceeds the maximum length of 255 characters";

/** Aliases refused by set, delete and get alike (§3.4). */
const INVALID_ALIASES: { label: string; alias: string; message: string }[] = [
  { label: 'empty', alias: '', message: EMPTY },
  { label: 'a space', alias: 'a b', message: `Invalid alias name: 'a b'. ${BAD_ALIAS}` },
  { label: 'a dot', alias: 'a.b', message: `Invalid alias name: 'a.b'. ${BAD_ALIAS}` },
  { label: 'a slash', alias: 'a/b', message: `Invalid alias name: 'a/b'. ${BAD_ALIAS}` },
  { label: 'an at sign', alias: 'a@b', message: `Invalid alias name: 'a@b'. ${BAD_ALIAS}` },
  { label: 'a colon', alias: 'a:b', message: `Invalid alias name: 'a:b'. ${BAD_ALIAS}` },
  { label: 'a plus', alias: 'a+b', message: `Invalid alias name: 'a+b'. ${BAD_ALIAS}` },
  { label: 'a trailing newline', alias: 'champ\n', message: `Invalid alias name: 'champ\n'. ${BAD_ALIAS}` },
  { label: 'an emoji', alias: 'go-🚀', message: `Invalid alias name: 'go-🚀'. ${BAD_ALIAS}` },
  { label: '256 characters', alias: 'a'.repeat(256), message: TOO_LONG },
];

/** Aliases refused by set only (reserved names), with the message. */
const RESERVED: { alias: string; message: string }[] = [
  { alias: 'latest', message: "'latest' alias name (case insensitive) is reserved." },
  { alias: 'LATEST', message: "'latest' alias name (case insensitive) is reserved." },
  { alias: 'Latest', message: "'latest' alias name (case insensitive) is reserved." },
  { alias: 'v1', message: "Version alias name 'v1' is reserved." },
  { alias: 'V1', message: "Version alias name 'V1' is reserved." },
  { alias: 'v0', message: "Version alias name 'v0' is reserved." },
  { alias: 'v123', message: "Version alias name 'v123' is reserved." },
  { alias: 'v007', message: "Version alias name 'v007' is reserved." },
];

/** Aliases that look close to reserved but are allowed. */
const ALLOWED: string[] = ['champion', 'v', 'v1a', 'va1', 'ver1', '1', '-', '_', 'latest-1', 'latest_v', 'v-1', 'x'.repeat(255), 'ünï', 'A-b_C'];

type AliasOp = { op: string; call: (s: ModelRegistryStore, name: string, alias: string) => Promise<unknown> };
const ALIAS_OPS: AliasOp[] = [
  { op: 'setRegisteredModelAlias', call: (s, n, a) => s.setRegisteredModelAlias(n, a, '1') },
  { op: 'deleteRegisteredModelAlias', call: (s, n, a) => s.deleteRegisteredModelAlias(n, a) },
  { op: 'getModelVersionByAlias', call: (s, n, a) => s.getModelVersionByAlias(n, a) },
];

/** Aliases: set (upsert), move, delete, get, reserved names, `latest` (§3.4). */
export const aliasesGroup: RegistryCaseGroup = {
  name: 'aliases',
  define(ctx) {
    const s = () => ctx.store();

    ctx.each(
      ALIAS_OPS.flatMap((o) => INVALID_ALIASES.map((a) => ({ ...o, ...a }))),
      '$op refuses an alias that is $label',
      async (row) => {
        const name = await modelWithVersions(ctx, 1);
        await expectRegistryError(row.call(s(), name, row.alias), 'INVALID_PARAMETER_VALUE', row.message);
      },
    );

    ctx.each(RESERVED, 'set refuses the reserved alias $alias', async (row) => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().setRegisteredModelAlias(name, row.alias, '1'), 'INVALID_PARAMETER_VALUE', row.message);
      expect((await s().getRegisteredModel(name)).aliases).toEqual([]);
    });

    ctx.each(
      RESERVED.filter((r) => r.alias.toLowerCase() !== 'latest'),
      'delete and get accept the reserved-looking alias $alias (no reserved check)',
      async (row) => {
        const name = await modelWithVersions(ctx, 1);
        await s().deleteRegisteredModelAlias(name, row.alias);
        await expectRegistryError(s().getModelVersionByAlias(name, row.alias), 'INVALID_PARAMETER_VALUE', `Registered model alias ${row.alias} not found.`);
      },
    );

    ctx.each(
      ALLOWED.map((alias) => ({ alias, label: alias.length > 40 ? `${alias.slice(0, 5)}… (${alias.length} chars)` : alias })),
      'alias "$label" can be set, read and deleted',
      async (row) => {
        const name = await modelWithVersions(ctx, 1);
        await s().setRegisteredModelAlias(name, row.alias, '1');
        expect(aliasMap(await s().getRegisteredModel(name))).toEqual({ [row.alias]: '1' });
        expect((await s().getModelVersionByAlias(name, row.alias)).version).toBe('1');
        await s().deleteRegisteredModelAlias(name, row.alias);
        expect((await s().getRegisteredModel(name)).aliases).toEqual([]);
      },
    );

    ctx.it('set then get by alias returns the version with its aliases', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().setRegisteredModelAlias(name, 'champ', '2');
      const mv = await s().getModelVersionByAlias(name, 'champ');
      expect(mv).toMatchObject({ name, version: '2', aliases: ['champ'] });
      expect((await s().getModelVersion(name, '2')).aliases).toEqual(['champ']);
      expect((await s().getModelVersion(name, '1')).aliases).toEqual([]);
    });

    ctx.it('setting an existing alias moves it to the new version', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().setRegisteredModelAlias(name, 'champ', '1');
      await s().setRegisteredModelAlias(name, 'champ', '2');
      expect(aliasMap(await s().getRegisteredModel(name))).toEqual({ champ: '2' });
      expect((await s().getModelVersion(name, '1')).aliases).toEqual([]);
      expect((await s().getModelVersionByAlias(name, 'champ')).version).toBe('2');
    });

    ctx.it('several aliases may point at one version', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().setRegisteredModelAlias(name, 'a', '1');
      await s().setRegisteredModelAlias(name, 'b', '1');
      expect([...(await s().getModelVersion(name, '1')).aliases].sort()).toEqual(['a', 'b']);
      expect(aliasMap(await s().getRegisteredModel(name))).toEqual({ a: '1', b: '1' });
    });

    ctx.it('aliases are case-sensitive', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().setRegisteredModelAlias(name, 'Champ', '1');
      await s().setRegisteredModelAlias(name, 'champ', '2');
      expect(aliasMap(await s().getRegisteredModel(name))).toEqual({ Champ: '1', champ: '2' });
    });

    ctx.it('aliases are per model: the same alias on two models', async () => {
      const a = await modelWithVersions(ctx, 1);
      const b = await modelWithVersions(ctx, 2);
      await s().setRegisteredModelAlias(a, 'champ', '1');
      await s().setRegisteredModelAlias(b, 'champ', '2');
      expect((await s().getModelVersionByAlias(a, 'champ')).version).toBe('1');
      expect((await s().getModelVersionByAlias(b, 'champ')).version).toBe('2');
    });

    ctx.it('set on a missing version → 404 and no alias', async () => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().setRegisteredModelAlias(name, 'champ', '2'), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 2));
      expect((await s().getRegisteredModel(name)).aliases).toEqual([]);
    });

    ctx.it('set on a deleted version → 404', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().deleteModelVersion(name, '2');
      await expectRegistryError(s().setRegisteredModelAlias(name, 'champ', '2'), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 2));
    });

    ctx.it('set on a missing model: SQL names the version, File the model', async () => {
      const name = ctx.uniq('missing');
      const message = ctx.flavour() === 'SqlStore' ? mvNotFound(name, 1) : rmNotFound(name);
      await expectRegistryError(s().setRegisteredModelAlias(name, 'champ', '1'), 'RESOURCE_DOES_NOT_EXIST', message);
    });

    ctx.it('a reserved alias is reported before a missing version', async () => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().setRegisteredModelAlias(name, 'v9', '9'), 'INVALID_PARAMETER_VALUE', "Version alias name 'v9' is reserved.");
    });

    ctx.it('delete removes the alias; get then → INVALID_PARAMETER_VALUE (400, not 404)', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().setRegisteredModelAlias(name, 'champ', '1');
      await s().deleteRegisteredModelAlias(name, 'champ');
      expect((await s().getRegisteredModel(name)).aliases).toEqual([]);
      expect((await s().getModelVersion(name, '1')).aliases).toEqual([]);
      await expectRegistryError(s().getModelVersionByAlias(name, 'champ'), 'INVALID_PARAMETER_VALUE', 'Registered model alias champ not found.');
    });

    ctx.it('delete of an absent alias is a silent no-op', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().setRegisteredModelAlias(name, 'keep', '1');
      await s().deleteRegisteredModelAlias(name, 'never-set');
      expect(aliasMap(await s().getRegisteredModel(name))).toEqual({ keep: '1' });
    });

    ctx.it('delete and get on a missing model → 404', async () => {
      const name = ctx.uniq('missing');
      await expectRegistryError(s().deleteRegisteredModelAlias(name, 'champ'), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
      await expectRegistryError(s().getModelVersionByAlias(name, 'champ'), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.each(
      [{ alias: 'latest' }, { alias: 'LATEST' }, { alias: 'Latest' }, { alias: 'lAtEsT' }],
      'get by "$alias" returns the highest non-deleted version over all stages',
      async (row) => {
        const name = await modelWithVersions(ctx, 4);
        await s().transitionModelVersionStage(name, '2', 'Production', false);
        await s().transitionModelVersionStage(name, '3', 'Archived', false);
        await s().deleteModelVersion(name, '4');
        const mv = await s().getModelVersionByAlias(name, row.alias);
        expect(mv.version).toBe('3');
        expect(mv.current_stage).toBe('Archived');
      },
    );

    ctx.it('get by "latest" compares numbers (10 beats 9)', async () => {
      const name = await modelWithVersions(ctx, 10);
      expect((await s().getModelVersionByAlias(name, 'latest')).version).toBe('10');
    });

    ctx.it('get by "latest" on a model without versions: SQL → 404 "Latest version not found", File fails with a coded error', async () => {
      const name = await modelWithVersions(ctx, 0);
      if (ctx.flavour() === 'SqlStore') {
        await expectRegistryError(s().getModelVersionByAlias(name, 'latest'), 'RESOURCE_DOES_NOT_EXIST', `Latest version not found for model ${name}.`);
      } else {
        // MLflow's File store crashes here (max() of an empty list, HTML 500; §3.4, §11.12): any coded error, no crash.
        await expectMlflowError(s().getModelVersionByAlias(name, 'latest'), ['RESOURCE_DOES_NOT_EXIST', 'INTERNAL_ERROR']);
      }
    });

    ctx.it('get by "latest" on a missing model → 404', async () => {
      const name = ctx.uniq('missing');
      await expectRegistryError(s().getModelVersionByAlias(name, 'latest'), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('a "latest" lookup with an invalid character is refused as an alias name', async () => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().getModelVersionByAlias(name, 'latest.'), 'INVALID_PARAMETER_VALUE', `Invalid alias name: 'latest.'. ${BAD_ALIAS}`);
    });

    ctx.it('an alias survives stage transitions and other versions being deleted', async () => {
      const name = await modelWithVersions(ctx, 3);
      await s().setRegisteredModelAlias(name, 'champ', '2');
      await s().transitionModelVersionStage(name, '2', 'Production', true);
      await s().deleteModelVersion(name, '3');
      expect((await s().getModelVersionByAlias(name, 'champ')).version).toBe('2');
    });
  },
};
