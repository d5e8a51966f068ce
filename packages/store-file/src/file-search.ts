import {
  compareRuns,
  lifecycleStagesFor,
  paginate,
  parseRunFilter,
  parseRunOrderBy,
  posixNormpath,
  resolveSearchMaxResults,
  runMatches,
  throwIfAborted,
  type CallOptions,
  type Metric,
  type OrderByClause,
  type PagedList,
  type Run,
  type SearchComparison,
  type SearchRunsRequest,
} from '@mlstore/core';
import { readRunInputs } from './mlruns-inputs.js';
import { METRICS, PARAMS, TAGS } from './mlruns-meta.js';
import type { FileStoreContext } from './file-store-base.js';
import type { RunLocation } from './mlruns-layout.js';

/** Batch size between yields to the event loop while scanning (reads are synchronous, see FileCache). */
const YIELD_EVERY = 256;

/** What a filter and an order need to read per run, beyond meta.yaml. */
interface Needs {
  metrics: string[];
  params: string[];
  tags: string[];
  inputs: boolean;
}

/**
 * Keys become file paths; a key that would resolve elsewhere (`..`, absolute, `a//b`) can name no
 * stored value (MLflow refuses to log it), so it is never read.
 */
function storableKey(key: string): boolean {
  return key !== '' && posixNormpath(key) === key && !key.startsWith('..') && !key.startsWith('/');
}

function needsOf(clauses: readonly (SearchComparison | OrderByClause)[], already?: Needs): Needs {
  const metrics = new Set<string>();
  const params = new Set<string>();
  const tags = new Set<string>();
  let inputs = false;
  for (const c of clauses) {
    if ((c.type === 'metric' || c.type === 'parameter' || c.type === 'tag') && !storableKey(c.key)) continue;
    if (c.type === 'metric') metrics.add(c.key);
    else if (c.type === 'parameter') params.add(c.key);
    else if (c.type === 'tag') tags.add(c.key);
    else if (c.type === 'dataset') inputs = true;
    else if (c.type === 'attribute' && c.key === 'run_name') tags.add('mlflow.runName');
  }
  const without = (set: Set<string>, done?: string[]) => [...set].filter((k) => !done?.includes(k));
  return {
    metrics: without(metrics, already?.metrics),
    params: without(params, already?.params),
    tags: without(tags, already?.tags),
    inputs: inputs && !already?.inputs,
  };
}

// Paths below are built by concatenation: path.join's normalisation showed in search profiles, and
// every part is already a normalised absolute folder or a validated key.
const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * search_runs over mlruns folders. MLflow's FileStore loads every file of every run; this reads each
 * run's meta.yaml (cached while unchanged) and only the metric, param and tag files the filter and
 * order name (metric files by their cached latest value, extended by their appended tail), filters
 * and sorts those partial runs with the shared search semantics, and loads the page's runs whole.
 */
export async function searchRunFolders(ctx: FileStoreContext, request: SearchRunsRequest, opts?: CallOptions): Promise<PagedList<Run>> {
  const maxResults = resolveSearchMaxResults(request.maxResults);
  const stages = new Set<string>(lifecycleStagesFor(request.runViewType));
  const filter = parseRunFilter(request.filterString);
  const orderBy = parseRunOrderBy(request.orderBy);
  // What the filter needs is read for every run; what only the order needs, for matching runs only.
  const filterNeeds = needsOf(filter);
  const orderNeeds = needsOf(orderBy, filterNeeds);
  const matched: { run: Run; loc: RunLocation }[] = [];
  let scanned = 0;
  for (const expId of new Set((request.experimentIds ?? []).map(String))) {
    const exp = ctx.layout.locateExperiment(expId);
    if (!exp) continue;
    for (const name of ctx.layout.runFolderNames(exp.dir)) {
      if (++scanned % YIELD_EVERY === 0) {
        throwIfAborted(opts);
        await yieldToLoop();
      }
      const dir = `${exp.dir}/${name}`;
      const meta = ctx.layout.readRunMeta(dir);
      if (!meta || meta.info.experiment_id !== expId || meta.info.run_id !== name || !stages.has(meta.info.lifecycle_stage)) continue;
      const loc: RunLocation = { dir, experimentDir: exp.dir, meta };
      const run = partialRun(loc);
      await readNeeds(ctx, run, loc, filterNeeds);
      if (!runMatches(run, filter)) continue;
      await readNeeds(ctx, run, loc, orderNeeds);
      matched.push({ run, loc });
    }
  }
  const compare = compareRuns(orderBy);
  matched.sort((a, b) => compare(a.run, b.run));
  const page = paginate(matched, maxResults, request.pageToken);
  const items = await Promise.all(page.items.map((m) => ctx.layout.loadRun(m.loc)));
  return page.nextPageToken ? { items, nextPageToken: page.nextPageToken } : { items };
}

/** A run with its meta.yaml info and no data yet. */
function partialRun(loc: RunLocation): Run {
  return {
    info: { ...loc.meta.info },
    data: { metrics: [], params: [], tags: [] },
    inputs: { dataset_inputs: [], model_inputs: [] },
    outputs: { model_outputs: [] },
  };
}

/** Adds the latest values of the needed metrics and the needed params, tags and inputs to `run`. */
async function readNeeds(ctx: FileStoreContext, run: Run, loc: RunLocation, needs: Needs): Promise<void> {
  for (const key of needs.metrics) {
    const m = ctx.layout.cache.latestMetric(`${loc.dir}/${METRICS}/${key}`, key);
    if (m) run.data.metrics.push(m);
  }
  const read = (folder: string, keys: string[], into: { key: string; value: string }[]) => {
    for (const key of keys) {
      const value = ctx.layout.cache.read(`${loc.dir}/${folder}/${key}`, (t) => t);
      if (value !== undefined) into.push({ key, value });
    }
  };
  read(PARAMS, needs.params, run.data.params);
  read(TAGS, needs.tags, run.data.tags);
  if (!run.info.run_name) run.info.run_name = run.data.tags.find((t) => t.key === 'mlflow.runName')?.value ?? '';
  if (needs.inputs) run.inputs = await readRunInputs(loc.dir, loc.experimentDir, ctx.logger);
}
