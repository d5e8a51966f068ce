/**
 * `models:/` URIs in the artifact registry (core's `registerModelsArtifactRepository`) over the
 * in-memory tracking and registry stores and `@mlstore/artifact-local`: every URI form MLflow's
 * `ModelsArtifactRepository` takes (version, stage, `latest`, alias, logged model, a sub-path after
 * the version or alias), a `runs:/` download URI resolved through the run, writes refused for
 * registered models as MLflow refuses them, and MLflow's errors for bad URIs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { registerLocalArtifactRepository } from '@mlstore/artifact-local';
import {
  createArtifactRepositoryRegistry,
  MemoryModelRegistryStore,
  MemoryTrackingStore,
  ModelsArtifactRepository,
  registerModelsArtifactRepository,
  splitModelsUri,
  type ArtifactRepository,
} from '@mlstore/core';
import { describe, expect, it } from 'vitest';

async function setup() {
  const root = mkdtempSync(join(tmpdir(), 'mlstore-models-uri-'));
  const trackingStore = new MemoryTrackingStore({ artifactRoot: root });
  const registryStore = new MemoryModelRegistryStore({ trackingStore });
  const artifacts = registerModelsArtifactRepository(registerLocalArtifactRepository(createArtifactRepositoryRegistry()), { registryStore, trackingStore });
  const run = await trackingStore.createRun({ experimentId: '0' });
  const runDir = run.info.artifact_uri.replace(/^file:\/\//, '');
  // Three versions, each a model folder with its own MLmodel text.
  await registryStore.createRegisteredModel('m');
  for (const v of [1, 2, 3]) {
    await mkdir(join(runDir, `model${v}`, 'sub'), { recursive: true });
    await writeFile(join(runDir, `model${v}`, 'MLmodel'), `version ${v}`);
    await writeFile(join(runDir, `model${v}`, 'sub', 'x.txt'), `x of ${v}`);
    // v1 by a runs:/ URI (resolved through the run), the others by their location.
    const source = v === 1 ? `runs:/${run.info.run_id}/model1` : `${run.info.artifact_uri}/model${v}`;
    await registryStore.createModelVersion({ name: 'm', source, runId: run.info.run_id });
  }
  await registryStore.transitionModelVersionStage('m', '2', 'Production', false);
  await registryStore.setRegisteredModelAlias('m', 'champion', '1');
  const text = async (repo: ArtifactRepository, path: string) => {
    const chunks: Buffer[] = [];
    for await (const c of await repo.openArtifact(path)) chunks.push(Buffer.from(c as Uint8Array));
    return Buffer.concat(chunks).toString('utf8');
  };
  return { root, trackingStore, registryStore, artifacts, run, runDir, text };
}

describe('models:/ URIs in the artifact registry', () => {
  it('resolves a version, a stage, latest and an alias (runs:/ sources through the run)', async () => {
    const { artifacts, text } = await setup();
    expect(await text(await artifacts.resolve('models:/m/1'), 'MLmodel')).toBe('version 1');
    expect(await text(await artifacts.resolve('models:/m/3'), 'MLmodel')).toBe('version 3');
    expect(await text(await artifacts.resolve('models:/m/production'), 'MLmodel')).toBe('version 2');
    expect(await text(await artifacts.resolve('models:/m/latest'), 'MLmodel')).toBe('version 3');
    expect(await text(await artifacts.resolve('models:/m@champion'), 'MLmodel')).toBe('version 1');
  });

  it('takes a sub-path after the version or the alias, as MLflow splits it', async () => {
    const { artifacts, text } = await setup();
    expect(splitModelsUri('models:/m/3/sub/x.txt')).toEqual({ modelUri: 'models:/m/3', path: 'sub/x.txt' });
    expect(splitModelsUri('models:/m@champion/sub/')).toEqual({ modelUri: 'models:/m@champion', path: 'sub' });
    expect(splitModelsUri('models:/m-abc')).toEqual({ modelUri: 'models:/m-abc', path: '' });
    expect(await text(await artifacts.resolve('models:/m/3/sub'), 'x.txt')).toBe('x of 3');
    expect(await text(await artifacts.resolve('models:/m@champion/sub'), 'x.txt')).toBe('x of 1');
  });

  it('downloads a version whole and lists it', async () => {
    const { artifacts } = await setup();
    const repo = await artifacts.resolve('models:/m@champion');
    expect((await repo.listArtifacts()).map((f) => f.path).sort()).toEqual(['MLmodel', 'sub']);
    const out = await repo.downloadArtifacts('', mkdtempSync(join(tmpdir(), 'mlstore-models-dl-')));
    expect(readFileSync(join(out, 'sub', 'x.txt'), 'utf8')).toBe('x of 1');
  });

  it('serves a logged model (models:/<model_id>) and lets it be written, as MLflow does', async () => {
    const { artifacts, trackingStore, text } = await setup();
    const lm = await trackingStore.createLoggedModel({ experimentId: '0', name: 'lm' });
    const repo = await artifacts.resolve(`models:/${lm.info.model_id}`);
    expect(repo).toBeInstanceOf(ModelsArtifactRepository);
    await repo.writeArtifact('MLmodel', 'logged');
    expect(await text(repo, 'MLmodel')).toBe('logged');
  });

  it('refuses writes to a registered version with MLflow\'s message', async () => {
    const { artifacts } = await setup();
    const repo = await artifacts.resolve('models:/m/1');
    await expect(repo.writeArtifact('x', 'y')).rejects.toMatchObject({
      errorCode: 'INVALID_PARAMETER_VALUE',
      message: 'write_artifact is not supported for models:/<name>/<version> URIs. Use register_model instead.',
    });
    await expect(repo.logArtifact('/etc/hostname')).rejects.toThrow(/^log_artifact is not supported for models:\/<name>\/<version> URIs/);
    await expect(repo.deleteArtifacts()).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
  });

  it('answers unknown models, versions and aliases and malformed URIs with MLflow\'s errors', async () => {
    const { artifacts } = await setup();
    await expect(artifacts.resolve('models:/nope/1')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
    await expect(artifacts.resolve('models:/m/9')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST', message: 'Model Version (name=m, version=9) not found' });
    await expect(artifacts.resolve('models:/m@nope')).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE', message: 'Registered model alias nope not found.' });
    await expect(artifacts.resolve('models:/m/Staging')).rejects.toMatchObject({ errorCode: 'INTERNAL_ERROR', message: "No versions of model with name 'm' and stage 'Staging' found" });
    await expect(artifacts.resolve('models:/m@')).rejects.toMatchObject({ errorCode: 'INTERNAL_ERROR', message: expect.stringMatching(/^Not a proper models:\/ URI: models:\/m@\./) });
  });
});
