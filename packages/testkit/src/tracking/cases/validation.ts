import type { AbstractStore } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { metric, newExperiment, newRunId, runParams, runTags, withEnv } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

const TRUNCATE = 'MLFLOW_TRUNCATE_LONG_VALUES';

/** Keys MLflow refuses for params, metrics, run tags and experiment tags. */
const BAD_KEYS: { label: string; key: string }[] = [
  { label: 'a//b', key: 'a//b' },
  { label: 'a/./b', key: 'a/./b' },
  { label: 'a/../b', key: 'a/../b' },
  { label: 'a/', key: 'a/' },
  { label: '/a', key: '/a' },
  { label: '..x', key: '..x' },
  { label: '..', key: '..' },
  { label: '.', key: '.' },
  { label: 'the empty string', key: '' },
  { label: 'a backslash', key: 'a\\b' },
  { label: 'a star', key: 'a*b' },
  { label: 'a question mark', key: 'a?b' },
  { label: 'a quote', key: 'a"b' },
  { label: 'a newline', key: 'a\nb' },
  { label: '251 characters', key: 'k'.repeat(251) },
];

/** Keys MLflow accepts everywhere (POSIX rules). */
const GOOD_KEYS: { label: string; key: string }[] = [
  { label: 'a plain word', key: 'loss' },
  { label: 'a slash path', key: 'train/loss' },
  { label: 'dots, dashes and underscores', key: 'a.b-c_d' },
  { label: 'a space', key: 'val loss' },
  { label: 'a colon', key: 'epoch:1' },
  { label: 'a leading dot', key: '.hidden' },
  { label: 'double dots inside', key: 'a..b' },
  { label: 'digits only', key: '123' },
  { label: 'non-ASCII letters', key: 'größe' },
  { label: '250 characters', key: 'k'.repeat(250) },
];

type Surface = { surface: string; write(store: AbstractStore, ids: { run: string; exp: string }, key: string): Promise<unknown> };

const SURFACES: Surface[] = [
  { surface: 'param', write: (s, ids, key) => s.logParam(ids.run, { key, value: 'v' }) },
  { surface: 'metric', write: (s, ids, key) => s.logMetric(ids.run, metric(key, 1)) },
  { surface: 'run tag', write: (s, ids, key) => s.setTag(ids.run, { key, value: 'v' }) },
  { surface: 'experiment tag', write: (s, ids, key) => s.setExperimentTag(ids.exp, { key, value: 'v' }) },
  { surface: 'batch param', write: (s, ids, key) => s.logBatch(ids.run, { params: [{ key, value: 'v' }] }) },
  { surface: 'batch tag', write: (s, ids, key) => s.logBatch(ids.run, { tags: [{ key, value: 'v' }] }) },
];

/** Validation: key names, value lengths, truncation under MLFLOW_TRUNCATE_LONG_VALUES. */
export const validationGroup: TrackingCaseGroup = {
  name: 'validation',
  define(ctx) {
    const s = () => ctx.store();
    const ids = async () => {
      const exp = await newExperiment(ctx);
      return { exp, run: await newRunId(ctx, exp) };
    };

    for (const surface of SURFACES) {
      ctx.each(BAD_KEYS, `${surface.surface} key $label is refused with INVALID_PARAMETER_VALUE`, async ({ key }) => {
        await expectMlflowError(surface.write(s(), await ids(), key), 'INVALID_PARAMETER_VALUE');
      });
    }

    for (const surface of SURFACES.slice(0, 4)) {
      ctx.each(GOOD_KEYS, `${surface.surface} key $label is accepted`, async ({ key }) => {
        const target = await ids();
        await surface.write(s(), target, key);
        const run = await s().getRun(target.run);
        const keys = [
          ...run.data.params.map((p) => p.key),
          ...run.data.metrics.map((m) => m.key),
          ...run.data.tags.map((t) => t.key),
          ...(await s().getExperiment(target.exp)).tags.map((t) => t.key),
        ];
        expect(keys).toContain(key);
      });
    }

    const limits = [
      { what: 'param value', limit: 6000, write: (st: AbstractStore, id: string, v: string) => st.logParam(id, { key: 'p', value: v }), read: async (st: AbstractStore, id: string) => (await runParams(st, id)).p },
      { what: 'run tag value', limit: 8000, write: (st: AbstractStore, id: string, v: string) => st.setTag(id, { key: 't', value: v }), read: async (st: AbstractStore, id: string) => (await runTags(st, id)).t },
      { what: 'batch param value', limit: 6000, write: (st: AbstractStore, id: string, v: string) => st.logBatch(id, { params: [{ key: 'p', value: v }] }), read: async (st: AbstractStore, id: string) => (await runParams(st, id)).p },
      { what: 'batch tag value', limit: 8000, write: (st: AbstractStore, id: string, v: string) => st.logBatch(id, { tags: [{ key: 't', value: v }] }), read: async (st: AbstractStore, id: string) => (await runTags(st, id)).t },
    ];

    ctx.each(limits, '$what at its limit is stored whole', async ({ limit, write, read }) => {
      const id = await newRunId(ctx);
      const value = 'x'.repeat(limit);
      await withEnv(TRUNCATE, 'false', () => write(s(), id, value));
      expect(await read(s(), id)).toBe(value);
    });

    ctx.each(limits, '$what over its limit is refused [env MLFLOW_TRUNCATE_LONG_VALUES=false]', async ({ limit, write }) => {
      const id = await newRunId(ctx);
      await withEnv(TRUNCATE, 'false', () =>
        expectMlflowError(write(s(), id, 'x'.repeat(limit + 1)), 'INVALID_PARAMETER_VALUE', new RegExp(`${limit}`)),
      );
    });

    ctx.each(limits, '$what over its limit is truncated [env MLFLOW_TRUNCATE_LONG_VALUES=true]', async ({ limit, write, read }) => {
      const id = await newRunId(ctx);
      const value = 'a'.repeat(limit) + 'b'.repeat(10);
      await withEnv(TRUNCATE, 'true', () => write(s(), id, value));
      expect(await read(s(), id)).toBe('a'.repeat(limit));
    });

    ctx.each(limits, '$what over its limit is truncated by default [env MLFLOW_TRUNCATE_LONG_VALUES unset]', async ({ limit, write, read }) => {
      const id = await newRunId(ctx);
      await withEnv(TRUNCATE, undefined, () => write(s(), id, 'z'.repeat(limit + 1)));
      expect((await read(s(), id))?.length).toBe(limit);
    });

    ctx.it('param keys are never truncated [env MLFLOW_TRUNCATE_LONG_VALUES=true]', async () => {
      const id = await newRunId(ctx);
      await withEnv(TRUNCATE, 'true', () => expectMlflowError(s().logParam(id, { key: 'k'.repeat(251), value: 'v' }), 'INVALID_PARAMETER_VALUE'));
    });

    ctx.it('tag keys are never truncated [env MLFLOW_TRUNCATE_LONG_VALUES=true]', async () => {
      const id = await newRunId(ctx);
      await withEnv(TRUNCATE, 'true', () => expectMlflowError(s().setTag(id, { key: 't'.repeat(251), value: 'v' }), 'INVALID_PARAMETER_VALUE'));
    });

    ctx.it('experiment tag value of 20000 characters is stored whole', async () => {
      const exp = await newExperiment(ctx);
      await s().setExperimentTag(exp, { key: 'long', value: 'e'.repeat(20000) });
      expect((await s().getExperiment(exp)).tags.find((t) => t.key === 'long')?.value.length).toBe(20000);
    });

    ctx.it('experiment tag value over 20000 characters is refused even when truncation is on [env MLFLOW_TRUNCATE_LONG_VALUES=true]', async () => {
      const exp = await newExperiment(ctx);
      await withEnv(TRUNCATE, 'true', () =>
        expectMlflowError(s().setExperimentTag(exp, { key: 'long', value: 'e'.repeat(20001) }), 'INVALID_PARAMETER_VALUE', /20000/),
      );
    });

    ctx.it('createExperiment refuses an over-long tag value', async () => {
      await expectMlflowError(s().createExperiment(ctx.uniq('exp'), undefined, [{ key: 'k', value: 'e'.repeat(20001) }]), 'INVALID_PARAMETER_VALUE');
    });

    ctx.each(BAD_KEYS.slice(0, 6), 'createExperiment refuses tag key $label', async ({ key }) => {
      await expectMlflowError(s().createExperiment(ctx.uniq('exp'), undefined, [{ key, value: 'v' }]), 'INVALID_PARAMETER_VALUE');
    });

    ctx.it('a refused key leaves the run unchanged', async () => {
      const id = await newRunId(ctx);
      await expectMlflowError(s().logBatch(id, { params: [{ key: 'ok', value: '1' }, { key: 'a//b', value: '2' }] }), 'INVALID_PARAMETER_VALUE');
      expect((await s().getRun(id)).data.params).toEqual([]);
    });
  },
};
