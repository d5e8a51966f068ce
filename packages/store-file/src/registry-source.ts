/**
 * Where a `models:/…` version source lives (docs/model-registry-3.18.md §6.2): a logged model
 * (`models:/m-…`) resolves to its artifact location and run, a registered version
 * (`models:/<name>/<version>`) to that version's download URI; any failure is MLflow's
 * INTERNAL_ERROR `Unable to fetch model from model URI source artifact location '<source>'.Error: <e>`.
 */
import { MlflowError, type AbstractStore } from '@mlstore/core';

/** The storage location (and run) behind a `models:` source; other shapes are kept as given. */
export async function resolveModelsSource(
  source: string,
  trackingStore: Pick<AbstractStore, 'getLoggedModel'> | undefined,
  downloadUri: (name: string, version: string) => Promise<string>,
): Promise<{ location: string; runId?: string }> {
  const fail = (e: unknown) =>
    new MlflowError(`Unable to fetch model from model URI source artifact location '${source}'.Error: ${e instanceof Error ? e.message : String(e)}`, 'INTERNAL_ERROR', {
      cause: e,
    });
  const rest = /^models:\/(.*)$/is.exec(source)?.[1] ?? '';
  const slash = rest.indexOf('/');
  if (slash < 0 && rest.startsWith('m-')) {
    if (!trackingStore) throw fail(new Error(`no tracking store to resolve logged model '${rest}'`));
    try {
      const lm = await trackingStore.getLoggedModel(rest);
      return lm.info.source_run_id ? { location: lm.info.artifact_uri, runId: lm.info.source_run_id } : { location: lm.info.artifact_uri };
    } catch (e) {
      throw fail(e);
    }
  }
  if (slash > 0) {
    try {
      return { location: await downloadUri(rest.slice(0, slash), rest.slice(slash + 1)) };
    } catch (e) {
      throw fail(e);
    }
  }
  return { location: source };
}
