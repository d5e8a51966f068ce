import { expect } from 'vitest';
import { expectRegistryError, modelWithVersions, mvNotFound, rmNotFound, tick, versionStages } from './fixtures.js';
import type { RegistryCaseGroup } from './group.js';

const invalidStage = (stage: string) => `Invalid Model Version stage: ${stage}. Value must be one of None, Staging, Production, Archived.`;
const cannotArchive = (stage: string) =>
  `Model version transition cannot archive existing model versions because '${stage}' is not an Active stage. Valid stages are ['Staging', 'Production']`;

/** Any case of a stage name is canonicalised (§3.6). */
const STAGE_SPELLINGS: { given: string; canonical: string }[] = [
  { given: 'None', canonical: 'None' },
  { given: 'none', canonical: 'None' },
  { given: 'NONE', canonical: 'None' },
  { given: 'Staging', canonical: 'Staging' },
  { given: 'staging', canonical: 'Staging' },
  { given: 'STAGING', canonical: 'Staging' },
  { given: 'sTaGiNg', canonical: 'Staging' },
  { given: 'Production', canonical: 'Production' },
  { given: 'production', canonical: 'Production' },
  { given: 'PRODUCTION', canonical: 'Production' },
  { given: 'Archived', canonical: 'Archived' },
  { given: 'archived', canonical: 'Archived' },
  { given: 'ARCHIVED', canonical: 'Archived' },
];

const INVALID_STAGES = ['', 'prod', 'Deleted_Internal', 'deleted_internal', ' Staging', 'Staging ', 'Stage', 'Null', 'active'];

/** Stages, transitions with archive_existing_versions (§5.1) and get_latest_versions (§5.2). */
export const stagesGroup: RegistryCaseGroup = {
  name: 'stages',
  define(ctx) {
    const s = () => ctx.store();

    ctx.each(STAGE_SPELLINGS, 'transition to "$given" stores stage $canonical', async (row) => {
      const name = await modelWithVersions(ctx, 1);
      const mv = await s().transitionModelVersionStage(name, '1', row.given, false);
      expect(mv.current_stage).toBe(row.canonical);
      expect((await s().getModelVersion(name, '1')).current_stage).toBe(row.canonical);
    });

    ctx.each(INVALID_STAGES.map((stage) => ({ stage })), 'transition to invalid stage "$stage" → INVALID_PARAMETER_VALUE', async (row) => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().transitionModelVersionStage(name, '1', row.stage, false), 'INVALID_PARAMETER_VALUE', invalidStage(row.stage));
      expect((await s().getModelVersion(name, '1')).current_stage).toBe('None');
    });

    ctx.each(INVALID_STAGES.map((stage) => ({ stage })), 'getLatestVersions with invalid stage "$stage" → INVALID_PARAMETER_VALUE', async (row) => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().getLatestVersions(name, [row.stage]), 'INVALID_PARAMETER_VALUE', invalidStage(row.stage));
    });

    ctx.each(
      [{ stage: 'None' }, { stage: 'none' }, { stage: 'Archived' }, { stage: 'ARCHIVED' }],
      'archive_existing_versions with non-active stage "$stage" → INTERNAL_ERROR',
      async (row) => {
        const name = await modelWithVersions(ctx, 1);
        await expectRegistryError(s().transitionModelVersionStage(name, '1', row.stage, true), 'INTERNAL_ERROR', cannotArchive(row.stage));
        expect((await s().getModelVersion(name, '1')).current_stage).toBe('None');
      },
    );

    ctx.it('an invalid stage is reported before archive_existing_versions', async () => {
      const name = await modelWithVersions(ctx, 1);
      await expectRegistryError(s().transitionModelVersionStage(name, '1', 'bogus', true), 'INVALID_PARAMETER_VALUE', invalidStage('bogus'));
    });

    ctx.each(
      [{ stage: 'Staging' }, { stage: 'Production' }, { stage: 'production' }],
      'archive_existing_versions to $stage archives the others in that stage only',
      async (row) => {
        const name = await modelWithVersions(ctx, 4);
        const canonical = row.stage === 'Staging' ? 'Staging' : 'Production';
        const other = canonical === 'Staging' ? 'Production' : 'Staging';
        await s().transitionModelVersionStage(name, '1', canonical, false);
        await s().transitionModelVersionStage(name, '2', canonical, false);
        await s().transitionModelVersionStage(name, '3', other, false);
        const target = await s().transitionModelVersionStage(name, '4', row.stage, true);
        expect(target.current_stage).toBe(canonical);
        const all = await Promise.all(['1', '2', '3', '4'].map((v) => s().getModelVersion(name, v)));
        expect(versionStages(all)).toEqual([
          ['1', 'Archived'],
          ['2', 'Archived'],
          ['3', other],
          ['4', canonical],
        ]);
      },
    );

    ctx.it('archived versions, the target and the model share one last_updated_timestamp', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().transitionModelVersionStage(name, '1', 'Production', false);
      await tick();
      const target = await s().transitionModelVersionStage(name, '2', 'Production', true);
      const archived = await s().getModelVersion(name, '1');
      expect(archived.current_stage).toBe('Archived');
      expect(archived.last_updated_timestamp).toBe(target.last_updated_timestamp);
      expect((await s().getRegisteredModel(name)).last_updated_timestamp).toBe(target.last_updated_timestamp);
    });

    ctx.it('without archive_existing_versions two versions can share a stage', async () => {
      const name = await modelWithVersions(ctx, 2);
      await s().transitionModelVersionStage(name, '1', 'Production', false);
      await s().transitionModelVersionStage(name, '2', 'Production', false);
      expect((await s().getModelVersion(name, '1')).current_stage).toBe('Production');
    });

    ctx.it('transition to the current stage with archive keeps the target in its stage', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().transitionModelVersionStage(name, '1', 'Staging', false);
      expect((await s().transitionModelVersionStage(name, '1', 'Staging', true)).current_stage).toBe('Staging');
    });

    ctx.it('archive does not touch deleted versions or other models', async () => {
      const name = await modelWithVersions(ctx, 3);
      const other = await modelWithVersions(ctx, 1);
      await s().transitionModelVersionStage(name, '1', 'Production', false);
      await s().transitionModelVersionStage(other, '1', 'Production', false);
      await s().deleteModelVersion(name, '1');
      await s().transitionModelVersionStage(name, '2', 'Production', false);
      await s().transitionModelVersionStage(name, '3', 'Production', true);
      expect((await s().getModelVersion(other, '1')).current_stage).toBe('Production');
      expect((await s().getModelVersion(name, '2')).current_stage).toBe('Archived');
      await expectRegistryError(s().getModelVersion(name, '1'), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 1));
    });

    ctx.it('transition of a missing version with archive: SQL archives nothing, File archives first (§5.1)', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().transitionModelVersionStage(name, '1', 'Production', false);
      await expectRegistryError(s().transitionModelVersionStage(name, '99', 'Production', true), 'RESOURCE_DOES_NOT_EXIST', mvNotFound(name, 99));
      const expected = ctx.flavour() === 'SqlStore' ? 'Production' : 'Archived';
      expect((await s().getModelVersion(name, '1')).current_stage).toBe(expected);
    });

    ctx.it('stages move freely (no state machine): Archived → None → Production', async () => {
      const name = await modelWithVersions(ctx, 1);
      for (const stage of ['Archived', 'None', 'Production']) {
        expect((await s().transitionModelVersionStage(name, '1', stage, false)).current_stage).toBe(stage);
      }
    });

    ctx.it('transition keeps aliases and returns them', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().setRegisteredModelAlias(name, 'champ', '1');
      const mv = await s().transitionModelVersionStage(name, '1', 'Staging', false);
      expect(mv.aliases).toEqual(['champ']);
      expect((await s().getModelVersionByAlias(name, 'champ')).current_stage).toBe('Staging');
    });

    ctx.it('transition bumps the version and the model last_updated_timestamp', async () => {
      const name = await modelWithVersions(ctx, 1);
      const before = await s().getModelVersion(name, '1');
      await tick();
      const mv = await s().transitionModelVersionStage(name, '1', 'Staging', false);
      expect(mv.last_updated_timestamp).toBeGreaterThan(before.last_updated_timestamp ?? 0);
      expect((await s().getRegisteredModel(name)).last_updated_timestamp).toBe(mv.last_updated_timestamp);
    });

    // --- get_latest_versions (§5.2) ---

    ctx.it('getLatestVersions of a model without versions is empty', async () => {
      const name = await modelWithVersions(ctx, 0);
      expect(await s().getLatestVersions(name)).toEqual([]);
    });

    ctx.it('getLatestVersions of a missing model → 404', async () => {
      const name = ctx.uniq('missing');
      await expectRegistryError(s().getLatestVersions(name), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
      await expectRegistryError(s().getLatestVersions(name, ['Production']), 'RESOURCE_DOES_NOT_EXIST', rmNotFound(name));
    });

    ctx.it('getLatestVersions without stages: the highest version of each stage', async () => {
      const name = await modelWithVersions(ctx, 6);
      await s().transitionModelVersionStage(name, '1', 'Archived', false);
      await s().transitionModelVersionStage(name, '2', 'Production', false);
      await s().transitionModelVersionStage(name, '3', 'Production', false);
      await s().transitionModelVersionStage(name, '4', 'Staging', false);
      // 5 and 6 stay in None.
      expect(versionStages(await s().getLatestVersions(name))).toEqual([
        ['1', 'Archived'],
        ['3', 'Production'],
        ['4', 'Staging'],
        ['6', 'None'],
      ]);
      expect(versionStages(await s().getLatestVersions(name, []))).toEqual(versionStages(await s().getLatestVersions(name)));
    });

    ctx.each(
      [
        { stages: ['Production'], want: [['3', 'Production']] },
        { stages: ['production'], want: [['3', 'Production']] },
        { stages: ['Staging', 'None'], want: [['4', 'Staging'], ['6', 'None']] },
        { stages: ['Archived'], want: [['1', 'Archived']] },
        { stages: ['NONE', 'none'], want: [['6', 'None']] },
        { stages: ['Production', 'Staging', 'Archived', 'None'], want: [['1', 'Archived'], ['3', 'Production'], ['4', 'Staging'], ['6', 'None']] },
      ],
      'getLatestVersions for stages $stages',
      async (row) => {
        const name = await modelWithVersions(ctx, 6);
        await s().transitionModelVersionStage(name, '1', 'Archived', false);
        await s().transitionModelVersionStage(name, '2', 'Production', false);
        await s().transitionModelVersionStage(name, '3', 'Production', false);
        await s().transitionModelVersionStage(name, '4', 'Staging', false);
        expect(versionStages(await s().getLatestVersions(name, row.stages))).toEqual(row.want);
      },
    );

    ctx.it('getLatestVersions for a stage nobody is in is empty', async () => {
      const name = await modelWithVersions(ctx, 2);
      expect(await s().getLatestVersions(name, ['Production'])).toEqual([]);
    });

    ctx.it('getLatestVersions skips deleted versions', async () => {
      const name = await modelWithVersions(ctx, 3);
      await s().deleteModelVersion(name, '3');
      expect(versionStages(await s().getLatestVersions(name))).toEqual([['2', 'None']]);
    });

    ctx.it('getLatestVersions compares numbers, not strings (10 beats 9)', async () => {
      const name = await modelWithVersions(ctx, 10);
      expect(versionStages(await s().getLatestVersions(name, ['None']))).toEqual([['10', 'None']]);
    });

    ctx.it('getLatestVersions returns versions with their aliases', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().setRegisteredModelAlias(name, 'champ', '1');
      expect((await s().getLatestVersions(name))[0]?.aliases).toEqual(['champ']);
    });

    ctx.it('RegisteredModel.latest_versions matches getLatestVersions (sorted)', async () => {
      const name = await modelWithVersions(ctx, 3);
      await s().transitionModelVersionStage(name, '2', 'Staging', false);
      const rm = await s().getRegisteredModel(name);
      expect(versionStages(rm.latest_versions)).toEqual([
        ['2', 'Staging'],
        ['3', 'None'],
      ]);
    });

    ctx.it('RegisteredModel.latest_versions carries aliases in File only (§2.3)', async () => {
      const name = await modelWithVersions(ctx, 1);
      await s().setRegisteredModelAlias(name, 'champ', '1');
      const latest = (await s().getRegisteredModel(name)).latest_versions;
      expect(latest[0]?.aliases).toEqual(ctx.flavour() === 'SqlStore' ? [] : ['champ']);
    });
  },
};
