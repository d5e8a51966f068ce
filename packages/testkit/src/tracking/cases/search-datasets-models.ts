import type { LoggedModel, SearchLoggedModelsRequest } from '@mlstore/core';
import { expect } from 'vitest';
import type { TrackingKitContext } from '../context.js';
import { expectMlflowError } from '../expect-error.js';
import type { TrackingCaseGroup } from './group.js';

const dataset = (name: string, digest: string) => ({ name, digest, source_type: 'local', source: `file:///data/${name}` });

interface Fixture {
  exp: string;
  byLabel: Record<string, string>;
}

/** Runs a (train-ds, context training), b (eval-ds, context eval; also train-ds without context), c (no inputs). */
function datasetFixture(ctx: TrackingKitContext): () => Promise<Fixture> {
  let pending: Promise<Fixture> | undefined;
  return () =>
    (pending ??= (async () => {
      const s = ctx.store();
      const exp = await s.createExperiment(ctx.uniq('srchds'));
      const byLabel: Record<string, string> = {};
      for (const [label, start] of [['a', 3], ['b', 2], ['c', 1]] as const) {
        byLabel[label] = (await s.createRun({ experimentId: exp, startTime: start })).info.run_id;
      }
      await s.logInputs(byLabel['a'] as string, { datasets: [{ dataset: dataset('train-ds', 'd1'), tags: [{ key: 'mlflow.data.context', value: 'training' }] }] });
      await s.logInputs(byLabel['b'] as string, {
        datasets: [
          { dataset: dataset('eval-ds', 'd2'), tags: [{ key: 'mlflow.data.context', value: 'eval' }] },
          { dataset: dataset('train-ds', 'd1'), tags: [] },
        ],
      });
      return { exp, byLabel };
    })());
}

const DATASET_CASES: { filter: string; expected: string[] }[] = [
  { filter: "datasets.name = 'train-ds'", expected: ['a', 'b'] },
  { filter: "datasets.name = 'eval-ds'", expected: ['b'] },
  { filter: "datasets.name != 'train-ds'", expected: ['b'] },
  { filter: "datasets.name LIKE '%-ds'", expected: ['a', 'b'] },
  { filter: "datasets.name LIKE 'TRAIN%'", expected: [] },
  { filter: "datasets.name ILIKE 'TRAIN%'", expected: ['a', 'b'] },
  { filter: "datasets.digest = 'd2'", expected: ['b'] },
  { filter: "datasets.digest IN ('d1', 'd2')", expected: ['a', 'b'] },
  { filter: "datasets.digest NOT IN ('d1')", expected: ['b'] },
  { filter: "datasets.context = 'training'", expected: ['a'] },
  { filter: "datasets.context = 'eval'", expected: ['b'] },
  { filter: "datasets.context LIKE '%'", expected: ['a', 'b'] },
  { filter: "datasets.context IN ('eval', 'nope')", expected: ['b'] },
  { filter: "dataset.name = 'train-ds' AND datasets.context = 'eval'", expected: ['b'] },
  { filter: "datasets.name = 'missing'", expected: [] },
];

/** search_runs on dataset inputs, and search_logged_models. */
export const searchDatasetsModelsGroup: TrackingCaseGroup = {
  name: 'search datasets and logged models',
  define(ctx) {
    const fx = datasetFixture(ctx);
    ctx.each(DATASET_CASES, 'search_runs $filter', async ({ filter, expected }) => {
      const { exp, byLabel } = await fx();
      const page = await ctx.store().searchRuns({ experimentIds: [exp], filterString: filter });
      const labelOf = Object.fromEntries(Object.entries(byLabel).map(([l, id]) => [id, l]));
      expect(page.items.map((r) => labelOf[r.info.run_id]).sort()).toEqual(expected);
    });

    const models = modelFixture(ctx);
    const names = async (req: Partial<SearchLoggedModelsRequest>) => {
      const { exp } = await models();
      const page = await ctx.store().searchLoggedModels({ experimentIds: [exp], ...req });
      return page.items.map((m: LoggedModel) => m.info.name);
    };
    const it = (name: string, fn: () => Promise<void>) => ctx.it(name, fn, ['loggedModels']);
    it('search_logged_models returns every model, newest first by default', async () => {
      expect(await names({})).toEqual(['m-c', 'm-b', 'm-a']);
    });
    it("search_logged_models name = 'm-b'", async () => expect(await names({ filterString: "name = 'm-b'" })).toEqual(['m-b']));
    it("search_logged_models name LIKE 'm-%' ordered by name", async () =>
      expect(await names({ filterString: "name LIKE 'm-%'", orderBy: [{ field_name: 'name', ascending: true }] })).toEqual(['m-a', 'm-b', 'm-c']));
    it("search_logged_models tags.stage = 'prod'", async () => expect(await names({ filterString: "tags.stage = 'prod'" })).toEqual(['m-a']));
    it("search_logged_models params.lr = '0.1'", async () => expect((await names({ filterString: "params.lr = '0.1'" })).sort()).toEqual(['m-a', 'm-b']));
    it('search_logged_models metrics.acc > 0.5', async () => expect(await names({ filterString: 'metrics.acc > 0.5' })).toEqual(['m-b']));
    it('search_logged_models orders by a metric, missing last', async () =>
      expect(await names({ orderBy: [{ field_name: 'metrics.acc', ascending: true }] })).toEqual(['m-a', 'm-b', 'm-c']));
    it('search_logged_models orders by a metric descending, missing last', async () =>
      expect(await names({ orderBy: [{ field_name: 'metrics.acc', ascending: false }] })).toEqual(['m-b', 'm-a', 'm-c']));
    it('search_logged_models paginates', async () => {
      const { exp } = await models();
      const seen: string[] = [];
      let token: string | undefined;
      for (let i = 0; i < 5; i++) {
        const page = await ctx.store().searchLoggedModels({ experimentIds: [exp], maxResults: 2, pageToken: token });
        seen.push(...page.items.map((m) => m.info.name));
        token = page.nextPageToken;
        if (!token) break;
      }
      expect(seen).toEqual(['m-c', 'm-b', 'm-a']);
    });
    it('search_logged_models refuses a page token made for another query', async () => {
      const { exp } = await models();
      const first = await ctx.store().searchLoggedModels({ experimentIds: [exp], maxResults: 1 });
      expect(first.nextPageToken).toBeDefined();
      await expectMlflowError(
        ctx.store().searchLoggedModels({ experimentIds: [exp], maxResults: 1, filterString: "name = 'm-a'", pageToken: first.nextPageToken }),
        'INVALID_PARAMETER_VALUE',
      );
    });
    it('search_logged_models refuses an invalid filter', async () => {
      const { exp } = await models();
      await expectMlflowError(ctx.store().searchLoggedModels({ experimentIds: [exp], filterString: "name = 'a' OR name = 'b'" }), 'INVALID_PARAMETER_VALUE');
    });
    it('search_logged_models compares status with MLflow status names', async () => {
      expect((await names({ filterString: "status = 'PENDING'" })).sort()).toEqual(['m-a', 'm-b', 'm-c']);
      expect((await names({ filterString: "status != 'READY'" })).sort()).toEqual(['m-a', 'm-b', 'm-c']);
      expect(await names({ filterString: "status IN ('READY', 'FAILED')" })).toEqual([]);
    });
    // MLflow's SQL store: "Invalid comparison operator for status" / "Unknown model status in filter".
    for (const filter of ["status LIKE 'P%'", "status = 'LOGGED_MODEL_PENDING'", "status IN ('PENDING', 'x')"]) {
      it(`search_logged_models refuses \`${filter}\``, async () => {
        const { exp } = await models();
        await expectMlflowError(ctx.store().searchLoggedModels({ experimentIds: [exp], filterString: filter }), 'INVALID_PARAMETER_VALUE');
      });
    }
    it('search_logged_models does not return deleted models', async () => {
      const { exp } = await models();
      const extra = await ctx.store().createLoggedModel({ experimentId: exp, name: 'm-deleted' });
      await ctx.store().deleteLoggedModel(extra.info.model_id);
      expect(await names({})).not.toContain('m-deleted');
    });
  },
};

/** Models m-a (tag stage=prod, lr 0.1, acc 0.3), m-b (lr 0.1, acc 0.9), m-c (no metric), created in that order. */
function modelFixture(ctx: TrackingKitContext): () => Promise<{ exp: string }> {
  let pending: Promise<{ exp: string }> | undefined;
  return () =>
    (pending ??= (async () => {
      const s = ctx.store();
      const exp = await s.createExperiment(ctx.uniq('srchlm'));
      const run = (await s.createRun({ experimentId: exp })).info.run_id;
      const ids: string[] = [];
      for (const name of ['m-a', 'm-b', 'm-c']) {
        ids.push((await s.createLoggedModel({ experimentId: exp, name, sourceRunId: run })).info.model_id);
        await new Promise((r) => setTimeout(r, 3)); // distinct creation timestamps
      }
      await s.setLoggedModelTags(ids[0] as string, [{ key: 'stage', value: 'prod' }]);
      await s.logLoggedModelParams(ids[0] as string, [{ key: 'lr', value: '0.1' }]);
      await s.logLoggedModelParams(ids[1] as string, [{ key: 'lr', value: '0.1' }]);
      await s.logBatch(run, {
        metrics: [
          { key: 'acc', value: 0.3, timestamp: 1000, step: 0, model_id: ids[0] },
          { key: 'acc', value: 0.9, timestamp: 1000, step: 0, model_id: ids[1] },
        ],
      });
      return { exp };
    })());
}
