import type { ModelRegistryStore } from '@mlstore/core';
import { expect } from 'vitest';
import { expectRegistryError, rmNotFound } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

const RESOLVE =
  'Names may be treated as files in certain cases, and must not resolve to other names when treated as such. This name would resolve to';

/** Names every store refuses (§3.2), with MLflow's message. `MISSING` marks rule 1 (its field varies). */
const MISSING = Symbol('missing');
const INVALID_NAMES: { label: string; name: string; message: string | typeof MISSING }[] = [
  { label: 'empty', name: '', message: MISSING },
  { label: 'one space', name: ' ', message: MISSING },
  { label: 'spaces', name: '   ', message: MISSING },
  { label: 'a tab', name: '\t', message: MISSING },
  { label: 'newlines', name: '\n\n', message: MISSING },
  { label: 'a slash', name: 'a/b', message: "Invalid model name 'a/b'. Names cannot contain '/' or ':'." },
  { label: 'a leading slash', name: '/abs', message: "Invalid model name '/abs'. Names cannot contain '/' or ':'." },
  { label: 'a trailing slash', name: 'dir/', message: "Invalid model name 'dir/'. Names cannot contain '/' or ':'." },
  { label: 'a colon', name: 'a:b', message: "Invalid model name 'a:b'. Names cannot contain '/' or ':'." },
  { label: 'a models URI', name: 'models:/x/1', message: "Invalid model name 'models:/x/1'. Names cannot contain '/' or ':'." },
  { label: 'dot slash', name: './a', message: "Invalid model name './a'. Names cannot contain '/' or ':'." },
  { label: 'dot dot slash', name: '../a', message: "Invalid model name '../a'. Names cannot contain '/' or ':'." },
  { label: 'a double slash', name: 'a//b', message: "Invalid model name 'a//b'. Names cannot contain '/' or ':'." },
  { label: 'a Windows drive', name: 'C:model', message: "Invalid model name 'C:model'. Names cannot contain '/' or ':'." },
  { label: 'a dot', name: '.', message: `Invalid value "." for parameter 'name' supplied: ${RESOLVE} '.'` },
  { label: 'two dots', name: '..', message: `Invalid value ".." for parameter 'name' supplied: ${RESOLVE} '..'` },
  { label: 'three dots', name: '...', message: `Invalid value "..." for parameter 'name' supplied: ${RESOLVE} '...'` },
  { label: 'two dots then a word', name: '..model', message: `Invalid value "..model" for parameter 'name' supplied: ${RESOLVE} '..model'` },
];

/** Suffixes appended to a unique prefix that every store accepts (§3.2: no length check, Unicode ok). */
const VALID_SUFFIXES: { label: string; suffix: string }[] = [
  { label: 'a space', suffix: ' with space' },
  { label: 'a trailing space', suffix: 'trailing ' },
  { label: 'a backslash', suffix: 'back\\slash' },
  { label: 'Unicode letters', suffix: 'ünïcødé-模型' },
  { label: 'an emoji', suffix: 'rocket-🚀' },
  { label: 'dots inside', suffix: 'a..b.c' },
  { label: 'a trailing dot', suffix: 'end.' },
  { label: 'a single quote', suffix: "it's" },
  { label: 'a double quote', suffix: 'say "hi"' },
  { label: 'upper case', suffix: 'UPPER' },
  { label: 'underscores and dashes', suffix: '_a-b_' },
  { label: 'brackets and symbols', suffix: '[x]{y}(z)!@#$^&*+=,;~' },
];

type Op = { op: string; call: (s: ModelRegistryStore, name: string) => Promise<unknown> };
/** Calls that validate the model name before anything else (both flavours). */
const NAME_OPS: Op[] = [
  { op: 'createRegisteredModel', call: (s, n) => s.createRegisteredModel(n) },
  { op: 'getRegisteredModel', call: (s, n) => s.getRegisteredModel(n) },
  { op: 'updateRegisteredModel', call: (s, n) => s.updateRegisteredModel(n, 'd') },
  { op: 'deleteRegisteredModel', call: (s, n) => s.deleteRegisteredModel(n) },
  { op: 'getLatestVersions', call: (s, n) => s.getLatestVersions(n) },
  { op: 'setRegisteredModelTag', call: (s, n) => s.setRegisteredModelTag(n, { key: 'k', value: 'v' }) },
];

/** Registered-model name validation (§3.2) on every call that takes a name. */
export const namesGroup: RegistryCaseGroup = {
  name: 'names',
  define(ctx) {
    const s = () => ctx.store();

    const rows = NAME_OPS.flatMap((op) => INVALID_NAMES.map((n) => ({ ...op, ...n })));
    ctx.each(rows, '$op refuses a name that is $label', async (row) => {
      const message = row.message === MISSING ? "Missing value for required parameter 'name'." : row.message;
      await expectRegistryError(row.call(s(), row.name), 'INVALID_PARAMETER_VALUE', message);
    });

    ctx.each(INVALID_NAMES, 'renameRegisteredModel refuses a new name that is $label', async (row) => {
      const name = ctx.uniq();
      await s().createRegisteredModel(name);
      const field = ctx.flavour() === 'SqlStore' ? 'new_name' : 'name';
      const message = row.message === MISSING ? `Missing value for required parameter '${field}'.` : row.message;
      await expectRegistryError(s().renameRegisteredModel(name, row.name), 'INVALID_PARAMETER_VALUE', message);
      expect((await s().getRegisteredModel(name)).name).toBe(name);
    });

    ctx.each(VALID_SUFFIXES, 'a name with $label is accepted, stored and found again', async (row) => {
      const name = `${ctx.uniq()}${row.suffix}`;
      expect((await s().createRegisteredModel(name)).name).toBe(name);
      expect((await s().getRegisteredModel(name)).name).toBe(name);
      const v = await s().createModelVersion({ name, source: 's3://b/m' });
      expect(v.name).toBe(name);
      expect((await s().getModelVersion(name, '1')).name).toBe(name);
    });

    // 200, not 256: a file store keeps the name as a directory name (255 bytes on most file systems).
    ctx.it('a 200-character name is accepted', async () => {
      const name = ctx.uniq().padEnd(200, 'n');
      expect((await s().createRegisteredModel(name)).name).toBe(name);
    });

    ctx.it('a leading space is part of the name (" x" and "x" differ)', async () => {
      const base = ctx.uniq();
      await s().createRegisteredModel(` ${base}`);
      await expectRegistryError(s().getRegisteredModel(base), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(base));
    });

    ctx.it('a name containing % : SQL accepts it, File refuses it', async () => {
      const name = `${ctx.uniq()}%b`;
      if (ctx.flavour() === 'SqlStore') {
        expect((await s().createRegisteredModel(name)).name).toBe(name);
        expect((await s().getRegisteredModel(name)).name).toBe(name);
      } else {
        await expectRegistryError(s().createRegisteredModel(name), 'INVALID_PARAMETER_VALUE', `Invalid name: '${name}'. Registered model name cannot contain '%' character`);
      }
    });

    ctx.it('an invalid name is reported before an invalid tag', async () => {
      await expectRegistryError(s().createRegisteredModel('a/b', [{ key: 'bad!', value: 'v' }]), 'INVALID_PARAMETER_VALUE', "Invalid model name 'a/b'. Names cannot contain '/' or ':'.");
    });

    ctx.it('createModelVersion refuses an invalid model name', async () => {
      await expectRegistryError(s().createModelVersion({ name: 'a:b', source: 's3://b/m' }), 'INVALID_PARAMETER_VALUE', "Invalid model name 'a:b'. Names cannot contain '/' or ':'.");
    });
  },
};
