import { expect } from 'vitest';
import { expectRegistryError, newModel, rmExists } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

const PROMPT_TAG = { key: 'mlflow.prompt.is_prompt', value: 'true' };
const clash = (name: string, created: 'prompt' | 'registered model', taken: 'prompt' | 'registered model') =>
  `Tried to create a ${created} with name '${name}', but the name is already taken by a ${taken}. MLflow does not allow creating a model and a prompt with the same name.`;

/** Prompt/model name clashes (§3.8) and concurrent version creation (§6.2). */
export const promptsConcurrencyGroup: RegistryCaseGroup = {
  name: 'prompts and concurrency',
  define(ctx) {
    const s = () => ctx.store();

    ctx.it('creating a model on a prompt\'s name names the clash', async () => {
      const name = await newModel(ctx, { tags: [PROMPT_TAG] });
      await expectRegistryError(s().createRegisteredModel(name), 'RESOURCE_ALREADY_EXISTS', clash(name, 'registered model', 'prompt'));
    });

    ctx.it('creating a prompt on a model\'s name names the clash', async () => {
      const name = await newModel(ctx);
      await expectRegistryError(s().createRegisteredModel(name, [PROMPT_TAG]), 'RESOURCE_ALREADY_EXISTS', clash(name, 'prompt', 'registered model'));
    });

    ctx.it('creating a prompt twice → "Prompt (name=…) already exists."', async () => {
      const name = await newModel(ctx, { tags: [PROMPT_TAG] });
      await expectRegistryError(s().createRegisteredModel(name, [PROMPT_TAG]), 'RESOURCE_ALREADY_EXISTS', `Prompt (name=${name}) already exists.`);
    });

    ctx.each(
      [{ value: 'false' }, { value: '' }, { value: 'TRUE' }],
      'prompt-ness is the tag\'s presence: an existing model tagged is_prompt=$value is a prompt',
      async (row) => {
        const name = await newModel(ctx, { tags: [{ key: 'mlflow.prompt.is_prompt', value: row.value }] });
        await expectRegistryError(s().createRegisteredModel(name), 'RESOURCE_ALREADY_EXISTS', clash(name, 'registered model', 'prompt'));
      },
    );

    ctx.it('a new request tagged is_prompt=false on a prompt\'s name is a prompt too', async () => {
      const name = await newModel(ctx, { tags: [PROMPT_TAG] });
      await expectRegistryError(s().createRegisteredModel(name, [{ key: 'mlflow.prompt.is_prompt', value: 'false' }]), 'RESOURCE_ALREADY_EXISTS', `Prompt (name=${name}) already exists.`);
    });

    ctx.it('a plain model clash keeps the plain message', async () => {
      const name = await newModel(ctx, { tags: [{ key: 'other', value: 'true' }] });
      await expectRegistryError(s().createRegisteredModel(name, [{ key: 'x', value: '1' }]), 'RESOURCE_ALREADY_EXISTS', rmExists(name));
    });

    ctx.it('prompts are hidden from searchRegisteredModels by default and shown when asked', async () => {
      const name = await newModel(ctx, { tags: [PROMPT_TAG] });
      expect((await s().searchRegisteredModels({ filterString: `name = '${name}'` })).items).toEqual([]);
      const shown = await s().searchRegisteredModels({ filterString: `name = '${name}' AND tags.\`mlflow.prompt.is_prompt\` = 'true'` });
      expect(shown.items.map((r) => r.name)).toEqual([name]);
      expect((await s().getRegisteredModel(name)).name).toBe(name);
    });

    ctx.it('20 concurrent createModelVersion calls on one model get versions 1..20 exactly once', async () => {
      const name = await newModel(ctx);
      const created = await Promise.all(Array.from({ length: 20 }, (_, i) => s().createModelVersion({ name, source: `s3://b/c${i}` })));
      const numbers = created.map((m) => Number(m.version)).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const bySource = new Map(created.map((m) => [m.version, m.source]));
      for (const v of ['1', '10', '20']) expect((await s().getModelVersion(name, v)).source).toBe(bySource.get(v));
      const listed = await s().searchModelVersions({ filterString: `name = '${name}'`, orderBy: ['version_number'] });
      expect(listed.items.map((m) => m.version)).toEqual(Array.from({ length: 20 }, (_, i) => String(i + 1)));
    });

    ctx.it('concurrent creations on two models number each model independently', async () => {
      const a = await newModel(ctx);
      const b = await newModel(ctx);
      const created = await Promise.all(Array.from({ length: 10 }, (_, i) => s().createModelVersion({ name: i % 2 ? a : b, source: 's3://b/x' })));
      for (const n of [a, b]) {
        const mine = created.filter((m) => m.name === n).map((m) => Number(m.version)).sort((x, y) => x - y);
        expect(mine).toEqual([1, 2, 3, 4, 5]);
      }
    });

    ctx.it('concurrent createRegisteredModel with one name: exactly one succeeds', async () => {
      const name = ctx.uniq();
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => s().createRegisteredModel(name)));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) if (r.status === 'rejected') await expectRegistryError(Promise.reject(r.reason), 'RESOURCE_ALREADY_EXISTS', rmExists(name));
    });
  },
};
