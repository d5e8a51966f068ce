import type { KeyValue, ModelRegistryStore } from '@mlstore/core';
import { expect } from 'vitest';
import { expectRegistryError, mvNotFound, newModel, newVersion, rmNotFound, tagMap } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

const BAD_CHARS = 'Names may only contain alphanumerics, underscores (_), dashes (-), periods (.), spaces ( ), colon(:) and slashes (/).';
const RESOLVE = 'Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to';
const badChars = (json: string) => `Invalid value ${json} for parameter 'key' supplied: ${BAD_CHARS}`;
const resolves = (json: string, norm: string) => `Invalid value ${json} for parameter 'key' supplied: ${RESOLVE} '${norm}'`;

/** Tag keys both flavours refuse (§3.3), with the message (values are `json.dumps`-quoted, ASCII-escaped). */
const INVALID_KEYS: { label: string; key: string; message: string }[] = [
  { label: 'an exclamation mark', key: 'bad!', message: badChars('"bad!"') },
  { label: 'a backslash', key: 'a\\b', message: badChars('"a\\\\b"') },
  { label: 'a hash', key: 'a#b', message: badChars('"a#b"') },
  { label: 'an at sign', key: 'a@b', message: badChars('"a@b"') },
  { label: 'a comma', key: 'a,b', message: badChars('"a,b"') },
  { label: 'an equals sign', key: 'a=b', message: badChars('"a=b"') },
  { label: 'a percent sign', key: 'a%b', message: badChars('"a%b"') },
  { label: 'a single quote', key: "a'b", message: badChars('"a\'b"') },
  { label: 'a double quote', key: 'a"b', message: badChars('"a\\"b"') },
  { label: 'a tab', key: 'a\tb', message: badChars('"a\\tb"') },
  { label: 'a trailing newline', key: 'x\n', message: badChars('"x\\n"') },
  { label: 'a euro sign (escaped as \\u20ac)', key: 'price€', message: badChars('"price\\u20ac"') },
  { label: 'empty', key: '', message: resolves('""', '.') },
  { label: 'a dot', key: '.', message: resolves('"."', '.') },
  { label: 'two dots', key: '..', message: resolves('".."', '..') },
  { label: 'a parent reference', key: '../x', message: resolves('"../x"', '../x') },
  { label: 'an inner parent reference', key: 'a/../b', message: resolves('"a/../b"', 'b') },
  { label: 'a leading slash', key: '/abs', message: resolves('"/abs"', '/abs') },
  { label: 'two leading slashes', key: '//a', message: resolves('"//a"', '//a') },
  { label: 'a trailing slash', key: 'a/', message: resolves('"a/"', 'a') },
  { label: 'a double slash', key: 'a//b', message: resolves('"a//b"', 'a/b') },
  { label: 'a dot segment', key: './a', message: resolves('"./a"', 'a') },
];

/** Keys every store accepts (Unicode `\w`, spaces, colons, slashes as nested names). */
const VALID_KEYS: { label: string; key: string }[] = [
  { label: 'plain', key: 'team' },
  { label: 'dotted', key: 'mlflow.source.name' },
  { label: 'dashes and underscores', key: 'a-b_c' },
  { label: 'a space', key: 'a b' },
  { label: 'a colon', key: 'ns:key' },
  { label: 'a slash', key: 'group/key' },
  { label: 'Cyrillic letters', key: 'ключ' },
  { label: 'CJK letters', key: '标签' },
  { label: 'digits only', key: '123' },
  { label: '250 characters', key: 'k'.repeat(250) },
];

const VALID_VALUES: { label: string; value: string }[] = [
  { label: 'empty', value: '' },
  { label: 'spaces', value: '  a  b  ' },
  { label: 'newlines', value: 'line1\nline2\n' },
  { label: 'Unicode and emoji', value: 'ünïcødé 🚀' },
  { label: 'JSON', value: '{"a": [1, 2]}' },
  { label: '100000 characters', value: 'v'.repeat(100_000) },
];

type Target = { target: string; set: (s: ModelRegistryStore, name: string, tag: KeyValue) => Promise<void>; read: (s: ModelRegistryStore, name: string) => Promise<KeyValue[]>; del: (s: ModelRegistryStore, name: string, key: string) => Promise<void> };
const TARGETS: Target[] = [
  {
    target: 'registered model',
    set: (s, n, t) => s.setRegisteredModelTag(n, t),
    read: async (s, n) => (await s.getRegisteredModel(n)).tags,
    del: (s, n, k) => s.deleteRegisteredModelTag(n, k),
  },
  {
    target: 'model version',
    set: (s, n, t) => s.setModelVersionTag(n, '1', t),
    read: async (s, n) => (await s.getModelVersion(n, '1')).tags,
    del: (s, n, k) => s.deleteModelVersionTag(n, '1', k),
  },
];

/** Registered-model and model-version tags: set, overwrite, delete, validation tables (§3.3). */
export const tagsGroup: RegistryCaseGroup = {
  name: 'tags',
  define(ctx) {
    const s = () => ctx.store();
    /** A model with version 1, so both targets exist. */
    const target = async () => {
      const name = await newModel(ctx);
      await newVersion(ctx, name);
      return name;
    };

    ctx.each(
      TARGETS.flatMap((t) => INVALID_KEYS.map((k) => ({ ...t, ...k }))),
      '$target tag: a key with $label is refused',
      async (row) => {
        const name = await target();
        await expectRegistryError(row.set(s(), name, { key: row.key, value: 'v' }), 'INVALID_PARAMETER_VALUE', row.message);
        expect(await row.read(s(), name)).toEqual([]);
      },
    );

    ctx.each(
      TARGETS.flatMap((t) => INVALID_KEYS.map((k) => ({ ...t, ...k }))),
      '$target tag delete: a key with $label is refused',
      async (row) => {
        const name = await target();
        await expectRegistryError(row.del(s(), name, row.key), 'INVALID_PARAMETER_VALUE', row.message);
      },
    );

    ctx.each(
      TARGETS.flatMap((t) => VALID_KEYS.map((k) => ({ ...t, ...k }))),
      '$target tag: a $label key is stored and deleted',
      async (row) => {
        const name = await target();
        await row.set(s(), name, { key: row.key, value: 'v' });
        expect(tagMap(await row.read(s(), name))).toEqual({ [row.key]: 'v' });
        await row.del(s(), name, row.key);
        expect(await row.read(s(), name)).toEqual([]);
      },
    );

    ctx.each(
      TARGETS.flatMap((t) => VALID_VALUES.map((v) => ({ ...t, ...v }))),
      '$target tag: a value that is $label round-trips',
      async (row) => {
        const name = await target();
        await row.set(s(), name, { key: 'k', value: row.value });
        expect(tagMap(await row.read(s(), name)).k).toBe(row.value);
      },
    );

    ctx.each(TARGETS, '$target tag: a 251-character key is refused', async (row) => {
      const name = await target();
      await expectRegistryError(row.set(s(), name, { key: 'k'.repeat(251), value: 'v' }), 'INVALID_PARAMETER_VALUE', "'key' exceeds the maximum length of 250 characters");
    });

    ctx.each(TARGETS, '$target tag: a 100001-character value is refused', async (row) => {
      const name = await target();
      await expectRegistryError(row.set(s(), name, { key: 'k', value: 'v'.repeat(100_001) }), 'INVALID_PARAMETER_VALUE', "'value' exceeds the maximum length of 100000 characters");
      expect(await row.read(s(), name)).toEqual([]);
    });

    ctx.each(TARGETS, '$target tag: setting a key again overwrites its value', async (row) => {
      const name = await target();
      await row.set(s(), name, { key: 'k', value: 'one' });
      await row.set(s(), name, { key: 'k', value: 'two' });
      const tags = await row.read(s(), name);
      expect(tags).toEqual([{ key: 'k', value: 'two' }]);
    });

    ctx.each(TARGETS, '$target tag: keys are case-sensitive', async (row) => {
      const name = await target();
      await row.set(s(), name, { key: 'Key', value: 'upper' });
      await row.set(s(), name, { key: 'key', value: 'lower' });
      expect(tagMap(await row.read(s(), name))).toEqual({ Key: 'upper', key: 'lower' });
    });

    ctx.each(TARGETS, '$target tag: deleting one key keeps the others', async (row) => {
      const name = await target();
      await row.set(s(), name, { key: 'a', value: '1' });
      await row.set(s(), name, { key: 'b', value: '2' });
      await row.del(s(), name, 'a');
      expect(tagMap(await row.read(s(), name))).toEqual({ b: '2' });
    });

    ctx.each(TARGETS, '$target tag: deleting an absent key is a silent no-op', async (row) => {
      const name = await target();
      await row.set(s(), name, { key: 'a', value: '1' });
      await row.del(s(), name, 'never-set');
      expect(tagMap(await row.read(s(), name))).toEqual({ a: '1' });
    });

    ctx.each(TARGETS, '$target tag: delete does not check the key length', async (row) => {
      const name = await target();
      await row.del(s(), name, 'k'.repeat(300));
    });

    ctx.it('registered model tag on a missing model → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = ctx.uniq('missing');
      await expectRegistryError(s().setRegisteredModelTag(name, { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
      await expectRegistryError(s().deleteRegisteredModelTag(name, 'k'), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('model version tag on a missing version → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = await target();
      await expectRegistryError(s().setModelVersionTag(name, '2', { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 2));
      await expectRegistryError(s().deleteModelVersionTag(name, '2', 'k'), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 2));
    });

    ctx.it('model version tag on a missing model: SQL names the version, File the model', async () => {
      const name = ctx.uniq('missing');
      const message = ctx.flavour() === 'SqlStore' ? mvNotFound(name, 1) : rmNotFound(name);
      await expectRegistryError(s().setModelVersionTag(name, '1', { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST', message);
      await expectRegistryError(s().deleteModelVersionTag(name, '1', 'k'), 'RESOURCE_DOES_NOT_EXIST', message);
    });

    ctx.it('model version tag on a deleted version → RESOURCE_DOES_NOT_EXIST', async () => {
      const name = await target();
      await newVersion(ctx, name);
      await s().deleteModelVersion(name, '2');
      await expectRegistryError(s().setModelVersionTag(name, '2', { key: 'k', value: 'v' }), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 2));
    });

    ctx.it('model version tag value null → "Tag value cannot be None"', async () => {
      const name = await target();
      await expectRegistryError(s().setModelVersionTag(name, '1', { key: 'k', value: null as unknown as string }), 'INVALID_PARAMETER_VALUE', 'Tag value cannot be None');
    });

    ctx.it('model version tag mlflow.prompt.text over 100000 characters has its own message', async () => {
      const name = await target();
      await expectRegistryError(s().setModelVersionTag(name, '1', { key: 'mlflow.prompt.text', value: 'p'.repeat(100_001) }), 'INVALID_PARAMETER_VALUE', 'Prompt text exceeds max length of 100000 characters.');
    });

    ctx.it('createModelVersion validates its tags: an invalid key creates nothing', async () => {
      const name = await newModel(ctx);
      await expectRegistryError(s().createModelVersion({ name, source: 's3://b/m', tags: [{ key: 'bad!', value: 'v' }] }), 'INVALID_PARAMETER_VALUE', badChars('"bad!"'));
      expect((await s().createModelVersion({ name, source: 's3://b/m' })).version).toBe('1');
    });

    ctx.it('createModelVersion refuses a null tag value', async () => {
      const name = await newModel(ctx);
      await expectRegistryError(s().createModelVersion({ name, source: 's3://b/m', tags: [{ key: 'k', value: null as unknown as string }] }), 'INVALID_PARAMETER_VALUE', 'Tag value cannot be None');
    });

    ctx.it('version tags belong to their version only', async () => {
      const name = await target();
      await newVersion(ctx, name);
      await s().setModelVersionTag(name, '1', { key: 'only', value: 'v1' });
      expect((await s().getModelVersion(name, '2')).tags).toEqual([]);
      expect((await s().getRegisteredModel(name)).tags).toEqual([]);
    });

    ctx.it('model tags do not show on versions', async () => {
      const name = await target();
      await s().setRegisteredModelTag(name, { key: 'rm', value: '1' });
      expect((await s().getModelVersion(name, '1')).tags).toEqual([]);
    });

    ctx.it('set tag with an invalid name and an invalid key: SQL reports the name, File the key', async () => {
      const call = () => s().setRegisteredModelTag('a/b', { key: 'bad!', value: 'v' });
      if (ctx.flavour() === 'SqlStore') await expectRegistryError(call, 'INVALID_PARAMETER_VALUE', "Invalid model name 'a/b'. Names cannot contain '/' or ':'.");
      else await expectRegistryError(call, 'INVALID_PARAMETER_VALUE', badChars('"bad!"'));
    });

    ctx.it('createModelVersion with tags stores them, last value per key', async () => {
      const name = await newModel(ctx);
      const mv = await s().createModelVersion({ name, source: 's3://b/m', tags: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }, { key: 'a', value: '3' }] });
      expect(tagMap(mv.tags)).toEqual({ a: '3', b: '2' });
      expect(tagMap((await s().getModelVersion(name, '1')).tags)).toEqual({ a: '3', b: '2' });
    });
  },
};
