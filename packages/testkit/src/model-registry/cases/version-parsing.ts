import type { ModelRegistryStore, ModelVersion } from '@mlstore/core';
import { expect } from 'vitest';
import { expectRegistryError, modelWithVersions, mvNotFound, notInteger } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

/** Strings Python's `int()` reads as 3 (§3.5): whitespace, sign, leading zeros, `_`, non-ASCII digits. */
const MEANS_THREE: { label: string; v: string }[] = [
  { label: '"3"', v: '3' },
  { label: 'a leading space', v: ' 3' },
  { label: 'a trailing space', v: '3 ' },
  { label: 'tabs and newlines around', v: '\t3\n' },
  { label: 'a plus sign', v: '+3' },
  { label: 'leading zeros', v: '003' },
  { label: 'an underscore after a zero', v: '0_3' },
  { label: 'an Arabic-Indic digit', v: '٣' },
  { label: 'a fullwidth digit', v: '３' },
];

/** Strings `int()` refuses. */
const NOT_INTEGERS: { label: string; v: string }[] = [
  { label: 'empty', v: '' },
  { label: 'blank', v: '   ' },
  { label: 'a float', v: '3.0' },
  { label: 'hex', v: '0x3' },
  { label: 'an exponent', v: '1e3' },
  { label: 'a word', v: 'three' },
  { label: 'a trailing letter', v: '3a' },
  { label: 'a double underscore', v: '1__0' },
  { label: 'a leading underscore', v: '_1' },
  { label: 'a trailing underscore', v: '1_' },
  { label: 'two signs', v: '+-3' },
  { label: 'an inner space', v: '1 0' },
  { label: 'a stage name', v: 'Production' },
  { label: 'latest', v: 'latest' },
];

/** Strings that parse but name no version (the message prints the parsed int). */
const NOT_FOUND: { label: string; v: string; n: number }[] = [
  { label: 'zero', v: '0', n: 0 },
  { label: 'a negative number', v: '-1', n: -1 },
  { label: 'an underscore grouping (1_0 = 10)', v: '1_0', n: 10 },
  { label: 'leading zeros of a missing version', v: '0099', n: 99 },
];

type Op = { op: string; call: (s: ModelRegistryStore, name: string, v: string) => Promise<ModelVersion | string | void> };
const OPS: Op[] = [
  { op: 'getModelVersion', call: (s, n, v) => s.getModelVersion(n, v) },
  { op: 'updateModelVersion', call: (s, n, v) => s.updateModelVersion(n, v, 'd') },
  { op: 'transitionModelVersionStage', call: (s, n, v) => s.transitionModelVersionStage(n, v, 'Staging', false) },
  { op: 'getModelVersionDownloadUri', call: (s, n, v) => s.getModelVersionDownloadUri(n, v) },
  { op: 'setModelVersionTag', call: (s, n, v) => s.setModelVersionTag(n, v, { key: 'k', value: 'v' }) },
  { op: 'deleteModelVersionTag', call: (s, n, v) => s.deleteModelVersionTag(n, v, 'k') },
  { op: 'setRegisteredModelAlias', call: (s, n, v) => s.setRegisteredModelAlias(n, 'champ', v) },
];

/** Version arguments are parsed with Python's `int()` semantics by every call that takes one (§3.5). */
export const versionParsingGroup: RegistryCaseGroup = {
  name: 'version parsing',
  define(ctx) {
    const s = () => ctx.store();

    ctx.each(MEANS_THREE, 'getModelVersion reads $label as version 3', async (row) => {
      const name = await modelWithVersions(ctx, 3);
      const mv = await s().getModelVersion(name, row.v);
      expect(mv.version).toBe('3');
    });

    ctx.each(
      OPS.flatMap((o) => NOT_INTEGERS.map((n) => ({ ...o, ...n }))),
      '$op refuses a version that is $label',
      async (row) => {
        const name = await modelWithVersions(ctx, 1);
        await expectRegistryError(row.call(s(), name, row.v), 'INVALID_PARAMETER_VALUE', notInteger(row.v));
      },
    );

    ctx.each(
      OPS.flatMap((o) => NOT_FOUND.map((n) => ({ ...o, ...n }))),
      '$op: $label names a missing version → 404 with the parsed number',
      async (row) => {
        const name = await modelWithVersions(ctx, 1);
        await expectRegistryError(row.call(s(), name, row.v), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, row.n));
      },
    );

    ctx.each(
      [
        { op: 'updateModelVersion', call: (st: ModelRegistryStore, n: string) => st.updateModelVersion(n, ' 03 ', 'via padded') },
        { op: 'transitionModelVersionStage', call: (st: ModelRegistryStore, n: string) => st.transitionModelVersionStage(n, '+3', 'Production', false) },
      ],
      '$op returns version "3" for a padded argument',
      async (row) => {
        const name = await modelWithVersions(ctx, 3);
        const mv = await row.call(s(), name);
        expect(mv.version).toBe('3');
        expect(mv.name).toBe(name);
      },
    );

    ctx.it('setModelVersionTag with "03" tags version 3', async () => {
      const name = await modelWithVersions(ctx, 3);
      await s().setModelVersionTag(name, '03', { key: 'k', value: 'v' });
      expect((await s().getModelVersion(name, '3')).tags).toEqual([{ key: 'k', value: 'v' }]);
    });

    ctx.it('setRegisteredModelAlias with " 2" points the alias at version 2', async () => {
      const name = await modelWithVersions(ctx, 3);
      await s().setRegisteredModelAlias(name, 'champ', ' 2');
      expect((await s().getModelVersionByAlias(name, 'champ')).version).toBe('2');
    });

    ctx.it('getModelVersionDownloadUri accepts "+1"', async () => {
      const name = await modelWithVersions(ctx, 1);
      expect(await s().getModelVersionDownloadUri(name, '+1')).toBe((await s().getModelVersion(name, '1')).source);
    });

    ctx.it('deleteModelVersion with "01" deletes version 1', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().deleteModelVersion(name, '01');
      await expectRegistryError(s().getModelVersion(name, '1'), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 1));
    });

    ctx.it('deleteModelVersion refuses "1.0"', async () => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().deleteModelVersion(name, '1.0'), 'INVALID_PARAMETER_VALUE', notInteger('1.0'));
    });
  },
};
