import { mkdtempSync, mkdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryModelRegistryStore, MemoryTrackingStore, MlflowError, parseModelUri } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { checkModelVersionSource } from './model-version-source.js';

// Local sources are checked against the run's local artifact directory (resolved, symlinks
// followed), which the recorded replay (a proxied server) cannot reach.
async function setup() {
  const root = mkdtempSync(join(tmpdir(), 'mlstore-mv-source-'));
  const trackingStore = new MemoryTrackingStore({ artifactRoot: root });
  const registry = new MemoryModelRegistryStore({ trackingStore });
  const run = await trackingStore.createRun({ experimentId: '0' });
  const ctx = { trackingStore, registry, hostPolicy: () => undefined, sourceRegex: undefined };
  const check = (source: string, runId?: string, modelId?: string) => checkModelVersionSource({ source, runId, modelId, tags: [] }, ctx);
  return { root, run, check, trackingStore };
}

const localMessage = (shown: string, id = 'run_id') =>
  `Invalid model version source: '${shown}'. To use a local path as a model version source, the ${id} request parameter has to be specified and the local path has to be contained within the artifact directory of the run specified by the ${id}.`;

describe('checkModelVersionSource: local sources', () => {
  it('accepts a path (or file: URI) inside the run\'s artifact directory', async () => {
    const { run, check } = await setup();
    const dir = run.info.artifact_uri.replace(/^file:\/\//, '');
    await expect(check(`${dir}/model`, run.info.run_id)).resolves.toMatchObject({ source: `${dir}/model`, runId: run.info.run_id });
    await expect(check(`file://${dir}/model`, run.info.run_id)).resolves.toMatchObject({ isPrompt: false });
  });

  it('refuses an escape by .. or by a symlink, naming the resolved path', async () => {
    const { root, run, check } = await setup();
    const dir = run.info.artifact_uri.replace(/^file:\/\//, '');
    await expect(check(`${dir}/../../x`, run.info.run_id)).rejects.toThrow(localMessage(join(dir, '../../x')));
    mkdirSync(dir, { recursive: true });
    const outside = mkdtempSync(join(tmpdir(), 'mlstore-outside-'));
    symlinkSync(outside, join(dir, 'link'));
    await expect(check(`${dir}/link/model`, run.info.run_id)).rejects.toThrow(localMessage(join(outside, 'model')));
    expect(root).toBeTruthy();
  });

  it('refuses a file: URI naming another host with INTERNAL_ERROR, as MLflow (no error code)', async () => {
    const { run, check } = await setup();
    const err = await check('file://123.456.789.123/path/to/source', run.info.run_id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowError);
    expect([(err as MlflowError).errorCode, (err as MlflowError).httpStatus]).toEqual(['INTERNAL_ERROR', 500]);
    expect((err as MlflowError).message).toMatch(/^file:\/\/123\.456\.789\.123\/path\/to\/source is not a valid remote uri\./);
  });

  it('needs a run id (then shows the source as given) and a run that exists', async () => {
    const { check } = await setup();
    await expect(check('/tmp/x/../y')).rejects.toThrow(localMessage('/tmp/x/../y'));
    await expect(check('/tmp/x', '0123456789abcdef0123456789abcdef')).rejects.toThrow(
      "Invalid model version source: '/tmp/x'. The run_id request parameter must identify the resource that contains the source.",
    );
  });

  it('checks a local source against the logged model when a model_id is given', async () => {
    const { check, trackingStore, run } = await setup();
    const lm = await trackingStore.createLoggedModel({ experimentId: '0', sourceRunId: run.info.run_id });
    const dir = lm.info.artifact_uri.replace(/^file:\/\//, '');
    await expect(check(`${dir}/MLmodel`, undefined, lm.info.model_id)).resolves.toMatchObject({ modelId: lm.info.model_id });
    await expect(check('/elsewhere', undefined, lm.info.model_id)).rejects.toThrow(localMessage('/elsewhere', 'model_id'));
  });
});

describe('parseModelUri', () => {
  it('reads versions, stages, latest, aliases and logged-model ids as MLflow does', () => {
    expect(parseModelUri('models:/m/3')).toEqual({ name: 'm', version: '3' });
    expect(parseModelUri('models:/m/LATEST')).toEqual({ name: 'm' });
    expect(parseModelUri('models:/m/Staging')).toEqual({ name: 'm', stage: 'Staging' });
    expect(parseModelUri('models:/a@b@champ')).toEqual({ name: 'a@b', alias: 'champ' });
    expect(parseModelUri('models:/m-abc')).toEqual({ modelId: 'm-abc' });
  });

  it('refuses malformed URIs with INTERNAL_ERROR', () => {
    for (const uri of ['models:/', 'models:/a/b/c', 'models:/m/', 'models:/m@', 'runs:/m/1', 'models:m/1']) {
      expect(() => parseModelUri(uri), uri).toThrow(MlflowError);
      try {
        parseModelUri(uri);
      } catch (e) {
        expect((e as MlflowError).errorCode).toBe('INTERNAL_ERROR');
        expect((e as MlflowError).message).toMatch(new RegExp(`^Not a proper models:/ URI: ${uri.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\. `));
      }
    }
  });
});
