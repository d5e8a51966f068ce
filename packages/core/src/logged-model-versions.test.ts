import { describe, expect, it } from 'vitest';
import { MLFLOW_MODEL_VERSIONS_TAG, setModelVersionsTag } from './logged-model-versions.js';
import { MemoryTrackingStore } from './memory/index.js';

const tagOf = async (store: MemoryTrackingStore, id: string) => (await store.getLoggedModel(id)).info.tags.find((t) => t.key === MLFLOW_MODEL_VERSIONS_TAG)?.value;

describe('setModelVersionsTag (MLflow tracking set_model_versions_tags)', () => {
  it('writes and appends Python json.dumps entries with integer versions', async () => {
    const store = new MemoryTrackingStore();
    const { info } = await store.createLoggedModel({ experimentId: '0' });
    await setModelVersionsTag(store, 'm2', '3', info.model_id);
    expect(await tagOf(store, info.model_id)).toBe('[{"name": "m2", "version": 3}]');
    await setModelVersionsTag(store, 'mé', '4', info.model_id);
    expect(await tagOf(store, info.model_id)).toBe('[{"name": "m2", "version": 3}, {"name": "m\\u00e9", "version": 4}]');
  });

  it('rewrites the tag to the one entry when it is already listed (MLflow 3.18 quirk)', async () => {
    const store = new MemoryTrackingStore();
    const { info } = await store.createLoggedModel({ experimentId: '0' });
    await setModelVersionsTag(store, 'a', '1', info.model_id);
    await setModelVersionsTag(store, 'b', '1', info.model_id);
    await setModelVersionsTag(store, 'a', '1', info.model_id);
    expect(await tagOf(store, info.model_id)).toBe('[{"name": "a", "version": 1}]');
  });

  it('fails for an unknown logged model', async () => {
    await expect(setModelVersionsTag(new MemoryTrackingStore(), 'a', '1', 'm-missing')).rejects.toMatchObject({ errorCode: 'RESOURCE_DOES_NOT_EXIST' });
  });
});
