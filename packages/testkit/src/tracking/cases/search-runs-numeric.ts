import type { Run } from '@mlstore/core';
import { expect } from 'vitest';
import type { TrackingKitContext } from '../context.js';
import { expectMlflowError } from '../expect-error.js';
import { metric } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';

/*
 * Number literals that are not plain int64 values, compared with the int64 columns (run start and
 * end times, experiment and logged-model timestamps) and with metrics. MLflow hands the literal to
 * the database, which compares an integer column with a fraction or a 20-digit number exactly; every
 * store must select the same rows, and none may fail (PostgreSQL refuses to bind '1.5' or '1e+20' to
 * a bigint parameter, MySQL cannot bind Infinity).
 *
 * Runs: a (start 1000, end 1500, m 1), b (start 2000, end 2500, m +Infinity), c (start 3000, running,
 * m -Infinity), d (start 2^53, running, no metric). 2^53 + 1 has no double: an integer literal is
 * exact (`int(token)`), so `start_time = 9007199254740993` must not select d.
 */
const BIG = 2 ** 53;

const RUN_FILTERS: { filter: string; expected: string[] }[] = [
  { filter: 'attributes.end_time = 1.5', expected: [] },
  { filter: 'attributes.end_time != 1.5', expected: ['a', 'b'] },
  { filter: 'attributes.end_time > 99999999999999999999', expected: [] },
  { filter: 'attributes.end_time < 99999999999999999999', expected: ['a', 'b'] },
  { filter: 'attributes.end_time >= -99999999999999999999', expected: ['a', 'b'] },
  { filter: 'attributes.end_time = 99999999999999999999', expected: [] },
  { filter: 'attributes.end_time != 99999999999999999999', expected: ['a', 'b'] },
  { filter: 'attributes.end_time <= 1500.9', expected: ['a'] },
  { filter: 'attributes.start_time > 1999.5', expected: ['b', 'c', 'd'] },
  { filter: 'attributes.start_time >= 2000.5', expected: ['c', 'd'] },
  { filter: 'attributes.start_time < 2000.5', expected: ['a', 'b'] },
  { filter: 'attributes.start_time <= 1999.5', expected: ['a'] },
  { filter: 'attributes.start_time = 2000.0', expected: ['b'] },
  { filter: 'attributes.start_time = 2e3', expected: ['b'] },
  { filter: 'attributes.start_time != 2e3', expected: ['a', 'c', 'd'] },
  // A literal with a dot is a double, as Python's float(): this one is 2000.0 exactly.
  { filter: 'attributes.start_time = 2000.0000000000001', expected: ['b'] },
  { filter: 'attributes.start_time < -1.5', expected: [] },
  { filter: 'attributes.start_time < 1e400', expected: ['a', 'b', 'c', 'd'] },
  { filter: 'attributes.start_time > -1e400', expected: ['a', 'b', 'c', 'd'] },
  { filter: 'attributes.start_time > 1e400', expected: [] },
  { filter: 'attributes.start_time <= 9223372036854775807', expected: ['a', 'b', 'c', 'd'] },
  { filter: 'attributes.start_time > 9223372036854775807', expected: [] },
  { filter: 'attributes.start_time >= 9223372036854775808', expected: [] },
  { filter: 'attributes.start_time > -9223372036854775809', expected: ['a', 'b', 'c', 'd'] },
  { filter: 'attributes.start_time < -9223372036854775808', expected: [] },
  { filter: 'attributes.start_time = 9007199254740993', expected: [] },
  { filter: 'attributes.start_time = 9007199254740992', expected: ['d'] },
  { filter: 'attributes.start_time < 9007199254740993', expected: ['a', 'b', 'c', 'd'] },
  { filter: 'attributes.start_time > 9007199254740992', expected: [] },
  { filter: 'attributes.start_time >= 9007199254740991.5', expected: ['d'] },
  { filter: 'attributes.created < 1e30 AND attributes.end_time > 1e3', expected: ['a', 'b'] },
  // ±Infinity metrics compare as SQL stores hold them (±max double).
  { filter: 'metrics.m > 1e400', expected: [] },
  { filter: 'metrics.m >= 1e400', expected: ['b'] },
  { filter: 'metrics.m = 1e400', expected: ['b'] },
  { filter: 'metrics.m = 1.7976931348623157e308', expected: ['b'] },
  { filter: 'metrics.m < -1e400', expected: [] },
  { filter: 'metrics.m <= -1e999', expected: ['c'] },
  { filter: 'metrics.m > 1e308', expected: ['b'] },
  { filter: 'metrics.m < 1e400', expected: ['a', 'c'] },
  { filter: 'metrics.m != 1e400', expected: ['a', 'c'] },
  { filter: 'metrics.m > 99999999999999999999', expected: ['b'] },
];

/** Search filters with fractional, huge and infinite number literals. */
export const searchNumericGroup: TrackingCaseGroup = {
  name: 'search numeric literals',
  define(ctx) {
    let pending: Promise<{ exp: string; labels: Map<string, string> }> | undefined;
    const runs = () =>
      (pending ??= (async () => {
        const store = ctx.store();
        const exp = await store.createExperiment(ctx.uniq('srchnum'));
        const labels = new Map<string, string>();
        const specs: [string, number, number | undefined, number | undefined][] = [
          ['a', 1000, 1500, 1],
          ['b', 2000, 2500, Infinity],
          ['c', 3000, undefined, -Infinity],
          ['d', BIG, undefined, undefined],
        ];
        for (const [label, start, end, m] of specs) {
          const run = await store.createRun({ experimentId: exp, userId: 'kit', startTime: start });
          if (m !== undefined) await store.logMetric(run.info.run_id, metric('m', m));
          if (end !== undefined) await store.updateRunInfo(run.info.run_id, { status: 'FINISHED', endTime: end });
          labels.set(run.info.run_id, label);
        }
        return { exp, labels };
      })());
    const labelsOf = (labels: Map<string, string>, items: Run[]) => items.map((r) => labels.get(r.info.run_id) ?? '?').sort();

    ctx.each(RUN_FILTERS, 'search_runs filter `$filter`', async ({ filter, expected }) => {
      const { exp, labels } = await runs();
      const page = await ctx.store().searchRuns({ experimentIds: [exp], filterString: filter });
      expect(labelsOf(labels, page.items)).toEqual(expected);
    });

    ctx.it('search_experiments compares creation_time with a 20-digit integer exactly', async () => {
      const store = ctx.store();
      const name = ctx.uniq('srchnum');
      await store.createExperiment(name);
      const names = async (filter: string) => (await store.searchExperiments({ filterString: `name = '${name}' AND ${filter}` })).items.map((e) => e.name);
      expect(await names('creation_time < 99999999999999999999')).toEqual([name]);
      expect(await names('creation_time > -99999999999999999999')).toEqual([name]);
      expect(await names('last_update_time != 99999999999999999999')).toEqual([name]);
      expect(await names('creation_time > 99999999999999999999')).toEqual([]);
      expect(await names('creation_time = 9223372036854775808')).toEqual([]);
    });

    // MLflow's SQL store: "Invalid value for numeric attribute 'creation_time': '1.5'".
    ctx.each([{ filter: 'creation_time > 1.5' }, { filter: 'last_update_time = 1e3' }], 'search_experiments refuses the float literal in `$filter`', async ({ filter }) => {
      await expectMlflowError(ctx.store().searchExperiments({ filterString: filter }), 'INVALID_PARAMETER_VALUE');
    });

    ctx.it('search_experiments compares experiment_id as an integer', async () => {
      const store = ctx.store();
      const name = ctx.uniq('srchnum');
      const id = await store.createExperiment(name);
      const names = async (filter: string) => (await store.searchExperiments({ filterString: `name = '${name}' AND ${filter}` })).items.map((e) => e.name);
      expect(await names(`experiment_id = '00${id}'`)).toEqual([name]);
      expect(await names(`experiment_id IN ('99999999999999999999', ' +${id} ')`)).toEqual([name]);
      expect(await names("experiment_id = '99999999999999999999'")).toEqual([]);
      expect(await names("experiment_id != '99999999999999999999'")).toEqual([name]);
      expect(await names(`experiment_id NOT IN ('${id}')`)).toEqual([]);
      await expectMlflowError(store.searchExperiments({ filterString: "experiment_id = 'abc'" }), 'INVALID_PARAMETER_VALUE');
      await expectMlflowError(store.searchExperiments({ filterString: "experiment_id LIKE '1%'" }), 'INVALID_PARAMETER_VALUE');
    });

    ctx.it('search_logged_models compares timestamps with fractions and 20-digit numbers', async () => {
      const store = ctx.store();
      const exp = await store.createExperiment(ctx.uniq('srchnum'));
      const run = (await store.createRun({ experimentId: exp })).info.run_id;
      const model = await store.createLoggedModel({ experimentId: exp, name: 'num', sourceRunId: run });
      await store.logBatch(run, { metrics: [{ key: 'acc', value: Infinity, timestamp: 1, step: 0, model_id: model.info.model_id }] });
      const count = async (filter: string) => (await store.searchLoggedModels({ experimentIds: [exp], filterString: filter })).items.length;
      const created = model.info.creation_timestamp_ms;
      expect(await count(`creation_timestamp_ms > ${created - 1}.5`)).toBe(1);
      expect(await count(`creation_timestamp_ms = ${created}.5`)).toBe(0);
      expect(await count(`creation_timestamp_ms != ${created}.5`)).toBe(1);
      expect(await count('creation_time < 99999999999999999999')).toBe(1);
      expect(await count('last_updated_timestamp_ms > 99999999999999999999')).toBe(0);
      expect(await count('creation_timestamp_ms > -1e400')).toBe(1);
      expect(await count('metrics.acc >= 1e400')).toBe(1);
      expect(await count('metrics.acc > 1e400')).toBe(0);
    }, ['loggedModels']);

    ctx.each(
      [{ what: 'a NUL character', filter: "tags.t = 'a\u0000b'" }, { what: 'an unpaired surrogate', filter: "params.p LIKE '\ud800%'" }],
      'search_runs refuses a filter holding $what (no store can compare it the same way)',
      async ({ filter }) => {
        const { exp } = await runs();
        await expectMlflowError(ctx.store().searchRuns({ experimentIds: [exp], filterString: filter }), 'INVALID_PARAMETER_VALUE');
      },
    );
  },
};
