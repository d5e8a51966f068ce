import type { AbstractStore, CallOptions } from './abstract-store.js';
import { pythonJsonDumps } from './base-store.js';

/** The logged-model tag listing the registered versions made from the model (`mlflow.modelVersions`). */
export const MLFLOW_MODEL_VERSIONS_TAG = 'mlflow.modelVersions';

/**
 * Records on a logged model that a registered model version was created from it, as MLflow's
 * tracking `AbstractStore.set_model_versions_tags` does: the tag `mlflow.modelVersions` holds the
 * Python-`json.dumps` list of `{"name": …, "version": <int>}`; a new entry is appended. MLflow
 * quirk kept: when the entry is already listed, the tag is rewritten to that single entry.
 *
 * @throws MlflowError RESOURCE_DOES_NOT_EXIST when the logged model is unknown; a stored tag
 *   that is not JSON propagates as a `SyntaxError`, as MLflow's `json.loads` would fail.
 */
export async function setModelVersionsTag(
  store: Pick<AbstractStore, 'getLoggedModel' | 'setLoggedModelTags'>,
  name: string,
  version: string | number,
  modelId: string,
  opts?: CallOptions,
): Promise<void> {
  const entry = { name, version: Number(version) };
  let entries: unknown[] = [entry];
  const model = await store.getLoggedModel(modelId, opts);
  const existing = model.info.tags.find((t) => t.key === MLFLOW_MODEL_VERSIONS_TAG)?.value;
  if (existing) {
    const parsed = JSON.parse(existing) as unknown;
    const list = Array.isArray(parsed) ? parsed : [];
    const listed = list.some((e) => e !== null && typeof e === 'object' && (e as Record<string, unknown>)['name'] === name && (e as Record<string, unknown>)['version'] === entry.version && Object.keys(e as object).length === 2);
    if (!listed) entries = [...list, entry];
  }
  await store.setLoggedModelTags(modelId, [{ key: MLFLOW_MODEL_VERSIONS_TAG, value: pythonJsonDumps(entries) }], opts);
}
