import type { ModelVersion, RegisteredModel } from '@mlstore/core';
import { expect } from 'vitest';
import { allModelVersionPages, allRegisteredModelPages, tick } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';
import type { ModelRegistryKitContext } from '../context.js';

const PROMPT = '`mlflow.prompt.is_prompt`';
const names = (rms: RegisteredModel[]) => rms.map((r) => r.name);
const labels = (mvs: ModelVersion[]) => mvs.map((m) => `${m.name}/${m.version}`);

/** Four models under one prefix: alpha, Beta, gamma (+ a prompt that searches hide by default). */
async function rmFixture(ctx: ModelRegistryKitContext): Promise<string> {
  const p = ctx.uniq('srm');
  const s = ctx.store();
  await s.createRegisteredModel(`${p}-alpha`, [{ key: 'env', value: 'prod' }, { key: 'team', value: 'a' }]);
  await s.createRegisteredModel(`${p}-Beta`, [{ key: 'env', value: 'dev' }]);
  await s.createRegisteredModel(`${p}-gamma`);
  await s.createRegisteredModel(`${p}-prompt`, [{ key: 'mlflow.prompt.is_prompt', value: 'true' }]);
  return p;
}

/** RM filters (ANDed with the prefix) and the suffixes they find (§4.1, §4.2, §4.4). */
const RM_FILTERS: { filter: string; want: string[] }[] = [
  { filter: "name = '{p}-alpha'", want: ['alpha'] },
  { filter: 'name = "{p}-alpha"', want: ['alpha'] },
  { filter: "attribute.name = '{p}-alpha'", want: ['alpha'] },
  { filter: "name = '{p}-ALPHA'", want: [] },
  { filter: "name != '{p}-alpha'", want: ['Beta', 'gamma'] },
  { filter: "name LIKE '%-alp%'", want: ['alpha'] },
  { filter: "name LIKE '%-bet%'", want: [] },
  { filter: "name ILIKE '%-bet%'", want: ['Beta'] },
  { filter: "name LIKE '{p}-_eta'", want: ['Beta'] },
  { filter: "name ILIKE '{p}-GAMMA'", want: ['gamma'] },
  { filter: "name IN ('{p}-alpha', '{p}-gamma')", want: ['alpha', 'gamma'] },
  { filter: "name NOT IN ('{p}-alpha')", want: ['Beta', 'gamma'] },
  { filter: "tags.env = 'prod'", want: ['alpha'] },
  { filter: "tag.env = 'prod'", want: ['alpha'] },
  { filter: "tags.`env` = 'prod'", want: ['alpha'] },
  { filter: 'tags.env = "dev"', want: ['Beta'] },
  { filter: "tags.env != 'prod'", want: ['Beta'] },
  { filter: "tags.env LIKE 'pr%'", want: ['alpha'] },
  { filter: "tags.env LIKE 'PR%'", want: [] },
  { filter: "tags.env ILIKE 'PR%'", want: ['alpha'] },
  { filter: "tags.env = 'prod' AND tags.team = 'a'", want: ['alpha'] },
  { filter: "tags.env = 'dev' AND tags.team = 'a'", want: [] },
  { filter: "tags.missing = 'x'", want: [] },
  { filter: "name LIKE '%' AND tags.env ILIKE '%'", want: ['alpha', 'Beta'] },
  { filter: '', want: ['alpha', 'Beta', 'gamma'] },
  { filter: `tags.${PROMPT} = 'true'`, want: ['prompt'] },
  { filter: "tags.mlflow.prompt.is_prompt = 'true'", want: ['prompt'] },
  { filter: `tags.${PROMPT} != 'false'`, want: ['prompt'] },
  { filter: `tags.${PROMPT} = 'false'`, want: ['alpha', 'Beta', 'gamma'] },
];

/** Models m1 (versions 1–4, 4 deleted) and m2 (version 1) with run ids, sources and tags. */
const R1 = '1'.repeat(32);
const R2 = '2'.repeat(32);
async function mvFixture(ctx: ModelRegistryKitContext): Promise<string> {
  const p = ctx.uniq('smv');
  const s = ctx.store();
  await s.createRegisteredModel(`${p}-m1`);
  await s.createRegisteredModel(`${p}-m2`);
  await s.createModelVersion({ name: `${p}-m1`, source: 's3://b/a', runId: R1, tags: [{ key: 'k', value: 'v' }] });
  await s.createModelVersion({ name: `${p}-m1`, source: 's3://b/b', runId: R1, tags: [{ key: 'k', value: 'w' }] });
  await s.createModelVersion({ name: `${p}-m1`, source: 'gs://c/d', runId: R2 });
  await s.createModelVersion({ name: `${p}-m1`, source: 's3://b/deleted', runId: R1 });
  await s.deleteModelVersion(`${p}-m1`, '4');
  await s.createModelVersion({ name: `${p}-m2`, source: 's3://b/a', runId: R2 });
  return p;
}

const MV_FILTERS: { filter: string; want: string[] }[] = [
  { filter: '', want: ['m1/1', 'm1/2', 'm1/3', 'm2/1'] },
  { filter: "name = '{p}-m2'", want: ['m2/1'] },
  { filter: "name != '{p}-m2'", want: ['m1/1', 'm1/2', 'm1/3'] },
  { filter: "name IN ('{p}-m1')", want: ['m1/1', 'm1/2', 'm1/3'] },
  { filter: "name NOT IN ('{p}-m1')", want: ['m2/1'] },
  { filter: "name ILIKE '%-M2'", want: ['m2/1'] },
  { filter: "name LIKE '%-M2'", want: [] },
  { filter: 'version_number = 2', want: ['m1/2'] },
  { filter: "version_number = '3'", want: ['m1/3'] },
  { filter: 'version_number != 1', want: ['m1/2', 'm1/3'] },
  { filter: 'version_number > 1', want: ['m1/2', 'm1/3'] },
  { filter: 'version_number >= 2', want: ['m1/2', 'm1/3'] },
  { filter: 'version_number < 2', want: ['m1/1', 'm2/1'] },
  { filter: 'version_number <= 1', want: ['m1/1', 'm2/1'] },
  { filter: 'version_number = 4', want: [] },
  { filter: `run_id = '${R1}'`, want: ['m1/1', 'm1/2'] },
  { filter: `run_id != '${R1}'`, want: ['m1/3', 'm2/1'] },
  { filter: `run_id IN ('${R1}', '${R2}')`, want: ['m1/1', 'm1/2', 'm1/3', 'm2/1'] },
  { filter: `run_id NOT IN ('${R1}')`, want: ['m1/3', 'm2/1'] },
  { filter: "source_path = 's3://b/a'", want: ['m1/1', 'm2/1'] },
  { filter: "source_path LIKE 's3://%'", want: ['m1/1', 'm1/2', 'm2/1'] },
  { filter: "source_path LIKE 'S3://%'", want: [] },
  { filter: "source_path ILIKE 'S3://%'", want: ['m1/1', 'm1/2', 'm2/1'] },
  { filter: "source_path != 's3://b/a'", want: ['m1/2', 'm1/3'] },
  { filter: "tags.k = 'v'", want: ['m1/1'] },
  { filter: "tag.k != 'v'", want: ['m1/2'] },
  { filter: "tags.k LIKE '%'", want: ['m1/1', 'm1/2'] },
  { filter: "tags.k ILIKE 'W'", want: ['m1/2'] },
  { filter: "name = '{p}-m1' AND version_number >= 2 AND run_id = '" + R1 + "'", want: ['m1/2'] },
];

/** Both searches: filter tables, prompt exclusion, order_by per flavour, paging through every page. */
export const searchGroup: RegistryCaseGroup = {
  name: 'search',
  define(ctx) {
    const s = () => ctx.store();

    ctx.each(RM_FILTERS, 'searchRegisteredModels filter: $filter', async (row) => {
      const p = await rmFixture(ctx);
      const filter = [`name LIKE '${p}%'`, row.filter.replaceAll('{p}', p)].filter(Boolean).join(' AND ');
      const found = names((await s().searchRegisteredModels({ filterString: filter })).items).map((n) => n.slice(p.length + 1));
      expect(found.sort()).toEqual([...row.want].sort());
    });

    ctx.each(MV_FILTERS, 'searchModelVersions filter: $filter', async (row) => {
      const p = await mvFixture(ctx);
      const filter = [`name LIKE '${p}%'`, row.filter.replaceAll('{p}', p)].filter(Boolean).join(' AND ');
      const found = labels((await s().searchModelVersions({ filterString: filter })).items).map((n) => n.slice(p.length + 1));
      expect(found.sort()).toEqual([...row.want].sort());
    });

    ctx.it('prompt versions are hidden from version search unless asked for', async () => {
      const p = ctx.uniq('spv');
      await s().createRegisteredModel(`${p}-prompt`, [{ key: 'mlflow.prompt.is_prompt', value: 'true' }]);
      await s().createModelVersion({ name: `${p}-prompt`, source: 'prompt-template', tags: [{ key: 'mlflow.prompt.is_prompt', value: 'true' }, { key: 'mlflow.prompt.text', value: 'hi {{x}}' }] });
      expect((await s().searchModelVersions({ filterString: `name = '${p}-prompt'` })).items).toEqual([]);
      const only = await s().searchModelVersions({ filterString: `name = '${p}-prompt' AND tags.${PROMPT} = 'true'` });
      expect(labels(only.items)).toEqual([`${p}-prompt/1`]);
    });

    ctx.it('search results carry tags and latest_versions', async () => {
      const p = ctx.uniq('srt');
      await s().createRegisteredModel(`${p}-x`, [{ key: 't', value: '1' }]);
      await s().createModelVersion({ name: `${p}-x`, source: 's3://b/x' });
      const [rm] = (await s().searchRegisteredModels({ filterString: `name = '${p}-x'` })).items;
      expect(rm?.tags).toEqual([{ key: 't', value: '1' }]);
      expect(rm?.latest_versions.map((v) => v.version)).toEqual(['1']);
    });

    ctx.it('version search results carry aliases in File only (§2.3)', async () => {
      const p = ctx.uniq('sra');
      await s().createRegisteredModel(p);
      await s().createModelVersion({ name: p, source: 's3://b/x' });
      await s().setRegisteredModelAlias(p, 'champ', '1');
      const [mv] = (await s().searchModelVersions({ filterString: `name = '${p}'` })).items;
      expect(mv?.aliases).toEqual(ctx.flavour() === 'SqlStore' ? [] : ['champ']);
    });

    // --- order_by ---

    /** Models p-c, p-a, p-b created in that order, then p-c updated last. */
    const ordered = async () => {
      const p = ctx.uniq('sob');
      for (const n of ['c', 'a', 'b']) {
        await s().createRegisteredModel(`${p}-${n}`);
        await tick();
      }
      await s().updateRegisteredModel(`${p}-a`, 'touched');
      await tick();
      await s().updateRegisteredModel(`${p}-c`, 'touched');
      return p;
    };
    const rmOrder = async (p: string, orderBy?: string[]) =>
      names((await s().searchRegisteredModels({ filterString: `name LIKE '${p}%'`, orderBy })).items).map((n) => n.slice(p.length + 1));

    ctx.each(
      [
        { orderBy: undefined, want: 'a b c' },
        { orderBy: [], want: 'a b c' },
        { orderBy: ['name'], want: 'a b c' },
        { orderBy: ['name ASC'], want: 'a b c' },
        { orderBy: ['name DESC'], want: 'c b a' },
        { orderBy: ['name desc'], want: 'c b a' },
        { orderBy: ['last_updated_timestamp'], want: 'b a c' },
        { orderBy: ['last_updated_timestamp DESC'], want: 'c a b' },
      ],
      'searchRegisteredModels order_by $orderBy',
      async (row) => {
        const p = await ordered();
        expect((await rmOrder(p, row.orderBy)).join(' ')).toBe(row.want);
      },
    );

    ctx.it('registered-model order by the flavour\'s timestamp key: SQL timestamp, File creation_timestamp', async () => {
      const p = await ordered();
      if (ctx.flavour() === 'SqlStore') {
        expect((await rmOrder(p, ['timestamp DESC'])).join(' ')).toBe('c a b');
      } else {
        expect((await rmOrder(p, ['creation_timestamp'])).join(' ')).toBe('c a b');
        expect((await rmOrder(p, ['creation_timestamp DESC'])).join(' ')).toBe('b a c');
      }
    });

    const mvOrder = async (p: string, orderBy?: string[]) =>
      labels((await s().searchModelVersions({ filterString: `name LIKE '${p}%'`, orderBy })).items).map((n) => n.slice(p.length + 1));

    ctx.each(
      [
        { orderBy: ['version_number'], want: 'm1/1 m2/1 m1/2 m1/3' },
        { orderBy: ['version_number DESC'], want: 'm1/3 m1/2 m1/1 m2/1' },
        { orderBy: ['attribute.version_number DESC'], want: 'm1/3 m1/2 m1/1 m2/1' },
        { orderBy: ['name', 'version_number'], want: 'm1/1 m1/2 m1/3 m2/1' },
        { orderBy: ['name DESC'], want: 'm2/1 m1/3 m1/2 m1/1' },
        { orderBy: ['creation_timestamp'], want: 'm1/1 m1/2 m1/3 m2/1' },
        { orderBy: ['creation_timestamp DESC'], want: 'm2/1 m1/3 m1/2 m1/1' },
        { orderBy: undefined, want: 'm2/1 m1/3 m1/2 m1/1' },
        { orderBy: ['last_updated_timestamp'], want: 'm1/1 m1/2 m1/3 m2/1' },
      ],
      'searchModelVersions order_by $orderBy',
      async (row) => {
        const p = ctx.uniq('smo');
        await s().createRegisteredModel(`${p}-m1`);
        await s().createRegisteredModel(`${p}-m2`);
        for (const n of ['m1', 'm1', 'm1', 'm2']) {
          await s().createModelVersion({ name: `${p}-${n}`, source: 's3://b/x' });
          await tick();
        }
        expect((await mvOrder(p, row.orderBy)).join(' ')).toBe(row.want);
      },
    );

    // --- paging ---

    ctx.each([{ per: 1 }, { per: 2 }, { per: 3 }, { per: 7 }, { per: 100 }], 'searchRegisteredModels pages through 7 models, $per per page', async (row) => {
      const p = ctx.uniq('spg');
      const all = Array.from({ length: 7 }, (_, i) => `${p}-${i}`);
      for (const n of all) await s().createRegisteredModel(n);
      const pages = await allRegisteredModelPages(s(), { filterString: `name LIKE '${p}%'`, maxResults: row.per });
      expect(pages.length).toBe(Math.max(1, Math.ceil(7 / row.per)));
      for (const page of pages.slice(0, -1)) expect(page).toHaveLength(row.per);
      expect(pages.flat().map((r) => r.name)).toEqual(all);
    });

    ctx.each([{ per: 1 }, { per: 2 }, { per: 5 }, { per: 6 }], 'searchModelVersions pages through 6 versions, $per per page', async (row) => {
      const p = ctx.uniq('spv');
      await s().createRegisteredModel(p);
      for (let i = 0; i < 6; i++) await s().createModelVersion({ name: p, source: 's3://b/x' });
      const pages = await allModelVersionPages(s(), { filterString: `name = '${p}'`, maxResults: row.per, orderBy: ['version_number'] });
      expect(pages.length).toBe(Math.ceil(6 / row.per));
      expect(pages.flat().map((m) => m.version)).toEqual(['1', '2', '3', '4', '5', '6']);
    });

    ctx.it('the page token is base64 of {"offset": N} with Python\'s separators', async () => {
      const p = ctx.uniq('stk');
      for (let i = 0; i < 3; i++) await s().createRegisteredModel(`${p}-${i}`);
      const first = await s().searchRegisteredModels({ filterString: `name LIKE '${p}%'`, maxResults: 2 });
      expect(first.nextPageToken).toBe('eyJvZmZzZXQiOiAyfQ==');
      const mvs = await s().searchModelVersions({ filterString: `name LIKE '${p}%'`, maxResults: 2 });
      expect(mvs.nextPageToken ?? '').toBe('');
    });

    ctx.it('the last page has no token; an exact fit has none either', async () => {
      const p = ctx.uniq('stl');
      for (let i = 0; i < 2; i++) await s().createRegisteredModel(`${p}-${i}`);
      const page = await s().searchRegisteredModels({ filterString: `name LIKE '${p}%'`, maxResults: 2 });
      expect(page.items).toHaveLength(2);
      expect(page.nextPageToken ?? '').toBe('');
    });

    ctx.it('a token past the end answers an empty page', async () => {
      const p = ctx.uniq('ste');
      await s().createRegisteredModel(`${p}-0`);
      // {"offset": 50}
      const page = await s().searchRegisteredModels({ filterString: `name LIKE '${p}%'`, pageToken: 'eyJvZmZzZXQiOiA1MH0=' });
      expect(page.items).toEqual([]);
    });
  },
};
