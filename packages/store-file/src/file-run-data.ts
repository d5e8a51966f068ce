import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodePageToken,
  encodePageToken,
  MlflowError,
  validateMaxResults,
  validatePathComponent,
  type DatasetSummary,
  type Metric,
  type MetricHistoryRequest,
  type PagedList,
  type Param,
  type RunTag,
} from '@mlstore/core';
import { appendText, readTextIfExists } from './file-io.js';
import type { RunLocation } from './mlruns-layout.js';
import { readRunInputs } from './mlruns-inputs.js';
import { META, METRICS, MODELS, PARAMS, TAGS } from './mlruns-meta.js';
import { checkMetricLineFields, formatModelMetricLine, formatRunMetricLine, metricLines, parseRunMetricLine } from './metric-file.js';
import type { FileStoreContext } from './file-store-base.js';

const DATASET_CONTEXT_TAG = 'mlflow.data.context';
const MAX_DATASET_SUMMARIES_RESULTS = 1000;

function paramConflict(runId: string, key: string, old: string, value: string): MlflowError {
  return MlflowError.invalidParameter(
    `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old}' ` +
      `for run ID='${runId}'. Attempted logging new value '${value}'.`,
  );
}

/**
 * Writes validated params, metrics and tags of one run (MLflow's order: params, metrics, tags).
 * Params are create-once files (link(2)), so two processes logging different values cannot both win;
 * all params are checked before anything is written. Metric lines are grouped per key and appended
 * in one write each. Metrics carrying a `model_id` of a model in the run's experiment are also
 * appended to that model's metric file.
 */
export async function writeRunData(
  ctx: FileStoreContext,
  loc: RunLocation,
  metrics: readonly Metric[],
  params: readonly Param[],
  tags: readonly RunTag[],
): Promise<void> {
  const runId = loc.meta.info.run_id;
  for (const m of metrics) {
    checkMetricLineFields(m);
    // A model id names a folder of the experiment: checked for every metric before anything is written.
    if (m.model_id) validatePathComponent(m.model_id, 'model_id');
  }
  const existing = await Promise.all(params.map((p) => readTextIfExists(join(loc.dir, PARAMS, p.key))));
  params.forEach((p, i) => {
    const old = existing[i];
    if (old !== undefined && old !== p.value) throw paramConflict(runId, p.key, old, p.value);
  });
  for (const p of params) {
    if (await ctx.io.createExclusive(join(loc.dir, PARAMS, p.key), p.value)) continue;
    const old = (await readTextIfExists(join(loc.dir, PARAMS, p.key))) ?? '';
    if (old !== p.value) throw paramConflict(runId, p.key, old, p.value);
  }
  await appendGrouped(metrics, (m) => join(loc.dir, METRICS, m.key), formatRunMetricLine);
  const modelMetrics = metrics.filter((m) => m.model_id && existsSync(join(loc.experimentDir, MODELS, m.model_id, META)));
  await appendGrouped(
    modelMetrics,
    (m) => join(loc.experimentDir, MODELS, m.model_id as string, METRICS, m.key),
    (m) => formatModelMetricLine(m, runId),
  );
  for (const t of tags) await ctx.io.writeAtomic(join(loc.dir, TAGS, t.key), t.value ?? '');
}

async function appendGrouped(metrics: readonly Metric[], pathOf: (m: Metric) => string, line: (m: Metric) => string): Promise<void> {
  const groups = new Map<string, string>();
  for (const m of metrics) {
    const path = pathOf(m);
    groups.set(path, (groups.get(path) ?? '') + line(m));
  }
  await Promise.all([...groups].map(([path, text]) => appendText(path, text)));
}

/** Every value of one metric of a run, in the order logged, paged only when `maxResults` is given. */
export async function readMetricHistory(loc: RunLocation, key: string, request: MetricHistoryRequest): Promise<PagedList<Metric>> {
  const text = await readTextIfExists(join(loc.dir, METRICS, key));
  const runId = loc.meta.info.run_id;
  const rows = text === undefined ? [] : metricLines(text).map((l) => ({ ...parseRunMetricLine(key, l), run_id: runId }));
  const offset = request.pageToken ? decodePageToken(request.pageToken) : 0;
  if (request.maxResults === undefined || request.maxResults === null) return { items: rows.slice(offset) };
  validateMaxResults(request.maxResults, { threshold: Number.MAX_SAFE_INTEGER });
  const end = offset + request.maxResults;
  const page: PagedList<Metric> = { items: rows.slice(offset, end) };
  if (end < rows.length) page.nextPageToken = encodePageToken(end);
  return page;
}

/** Distinct (experiment, dataset name, digest, context) over the experiments' runs, at most 1000. */
export async function searchDatasetSummaries(ctx: FileStoreContext, experimentIds: readonly string[]): Promise<DatasetSummary[]> {
  const seen = new Set<string>();
  const out: DatasetSummary[] = [];
  for (const expId of experimentIds) {
    const { loc, experiment } = await ctx.layout.requireExperiment(String(expId));
    for (const name of ctx.layout.runFolderNames(loc.dir)) {
      const inputs = await readRunInputs(join(loc.dir, name), loc.dir, ctx.logger);
      for (const input of inputs.dataset_inputs) {
        const context = input.tags.find((t) => t.key === DATASET_CONTEXT_TAG)?.value;
        const id = JSON.stringify([experiment.experiment_id, input.dataset.name, input.dataset.digest, context ?? null]);
        if (seen.has(id)) continue;
        seen.add(id);
        const summary: DatasetSummary = { experiment_id: experiment.experiment_id, name: input.dataset.name, digest: input.dataset.digest };
        if (context !== undefined) summary.context = context;
        out.push(summary);
        if (out.length >= MAX_DATASET_SUMMARIES_RESULTS) return out;
      }
    }
  }
  return out;
}
