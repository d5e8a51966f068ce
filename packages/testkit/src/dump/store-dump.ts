/**
 * The dump format both readers produce — `dumpStore` from a tracking store here, the interop
 * tests' `dump_via_client.py` from the MLflow Python client — and `normalizeDump`, which sorts what has no meaningful order so the
 * two can be compared with one deep equality. Orders that are meaningful are kept: metric histories
 * (MLflow returns them by timestamp, step, value) and search results.
 */
import type { AbstractStore, DatasetInput, Experiment, Metric, PagedList, Run, ViewType } from '@mlstore/core';
import { encodeNumber, type JsonNumber, type Queries, type ScenarioDataset, type ScenarioKeyValue } from './dump-queries.js';

/** A metric value as dumped (numbers JSON cannot spell as strings). */
export interface DumpMetric {
  key: string;
  value: JsonNumber;
  timestamp: number;
  step: number;
  dataset_name?: string;
  dataset_digest?: string;
  model_id?: string;
}

/** An experiment as dumped. */
export interface DumpExperiment {
  experiment_id: string;
  name: string;
  artifact_location: string;
  lifecycle_stage: string;
  creation_time: number | null;
  last_update_time: number | null;
  tags: ScenarioKeyValue[];
}

/** A run's info as dumped. */
export interface DumpRunInfo {
  run_id: string;
  run_name: string;
  experiment_id: string;
  user_id: string;
  status: string;
  start_time: number;
  end_time: number | null;
  artifact_uri: string;
  lifecycle_stage: string;
}

export interface DumpDatasetInput {
  /** `schema` and `profile` only when non-empty (MLflow's readers differ on null vs ""). */
  dataset: ScenarioDataset;
  tags: ScenarioKeyValue[];
}

/** A run as `getRun`/`search_runs` return it. */
export interface DumpRun {
  info: DumpRunInfo;
  params: ScenarioKeyValue[];
  tags: ScenarioKeyValue[];
  /** Latest value per key. */
  metrics: DumpMetric[];
  /** Dataset inputs of the run. */
  inputs: DumpDatasetInput[];
}

/** A run with the whole history of each of its metrics. */
export interface DumpRunWithHistory extends DumpRun {
  histories: Record<string, DumpMetric[]>;
}

/** Everything a reader saw: experiments, runs with histories, and the searches' results. */
export interface Dump {
  experiments: DumpExperiment[];
  runs: DumpRunWithHistory[];
  run_searches: { name: string; runs: DumpRun[] }[];
  experiment_searches: { name: string; experiment_ids: string[] }[];
}

/** Bounds every page-token loop (as `MAX_PAGES` in dump_via_client.py). */
const MAX_PAGES = 1000;

async function allPages<T>(fetch: (pageToken: string | undefined) => Promise<PagedList<T>>): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await fetch(token);
    items.push(...result.items);
    token = result.nextPageToken;
    if (!token) return items;
  }
  throw new Error(`more than ${MAX_PAGES} pages: the page token never ends`);
}

function dumpMetric(metric: Metric): DumpMetric {
  const out: DumpMetric = { key: metric.key, value: encodeNumber(metric.value), timestamp: metric.timestamp, step: metric.step };
  if (metric.dataset_name) out.dataset_name = metric.dataset_name;
  if (metric.dataset_digest) out.dataset_digest = metric.dataset_digest;
  if (metric.model_id) out.model_id = metric.model_id;
  return out;
}

function dumpExperiment(e: Experiment): DumpExperiment {
  return {
    experiment_id: e.experiment_id,
    name: e.name,
    artifact_location: e.artifact_location,
    lifecycle_stage: e.lifecycle_stage,
    creation_time: e.creation_time ?? null,
    last_update_time: e.last_update_time ?? null,
    tags: e.tags.map(({ key, value }) => ({ key, value })),
  };
}

function dumpDatasetInput(input: DatasetInput): DumpDatasetInput {
  const d = input.dataset;
  const dataset: ScenarioDataset = { name: d.name, digest: d.digest, source_type: d.source_type, source: d.source };
  if (d.schema) dataset.schema = d.schema;
  if (d.profile) dataset.profile = d.profile;
  return { dataset, tags: input.tags.map(({ key, value }) => ({ key, value })) };
}

function dumpRun(run: Run): DumpRun {
  const i = run.info;
  return {
    info: {
      run_id: i.run_id,
      run_name: i.run_name,
      experiment_id: i.experiment_id,
      user_id: i.user_id,
      status: i.status,
      start_time: i.start_time,
      end_time: i.end_time ?? null,
      artifact_uri: i.artifact_uri,
      lifecycle_stage: i.lifecycle_stage,
    },
    params: run.data.params.map(({ key, value }) => ({ key, value })),
    tags: run.data.tags.map(({ key, value }) => ({ key, value })),
    metrics: run.data.metrics.map(dumpMetric),
    inputs: (run.inputs?.dataset_inputs ?? []).map(dumpDatasetInput),
  };
}

async function experimentIdByName(store: AbstractStore, name: string): Promise<string> {
  const experiment = await store.getExperimentByName(name);
  if (!experiment) throw new Error(`experiment '${name}' not found`);
  return experiment.experiment_id;
}

/** Reads everything back from our store, call for call as dump_via_client.py does with MlflowClient. */
export async function dumpStore(store: AbstractStore, queries: Queries): Promise<Dump> {
  const experiments = await allPages((pageToken) => store.searchExperiments({ viewType: 'ALL', maxResults: 1000, pageToken }));
  const runs: DumpRunWithHistory[] = [];
  for (const experiment of experiments) {
    const found = await allPages((pageToken) =>
      store.searchRuns({ experimentIds: [experiment.experiment_id], runViewType: 'ALL', maxResults: 1000, pageToken }),
    );
    for (const listed of found) {
      const run = await store.getRun(listed.info.run_id);
      const histories: Record<string, DumpMetric[]> = {};
      for (const { key } of run.data.metrics) {
        const history = await allPages((pageToken) => store.getMetricHistory(run.info.run_id, key, { pageToken }));
        histories[key] = history.map(dumpMetric);
      }
      runs.push({ ...dumpRun(run), histories });
    }
  }

  const runSearches: Dump['run_searches'] = [];
  for (const query of queries.runs) {
    const experimentIds = await Promise.all(query.experiments.map((name) => experimentIdByName(store, name)));
    const found = await allPages((pageToken) =>
      store.searchRuns({
        experimentIds,
        filterString: query.filter,
        runViewType: query.view satisfies ViewType,
        maxResults: query.max_results,
        orderBy: query.order_by,
        pageToken,
      }),
    );
    runSearches.push({ name: query.name, runs: found.map(dumpRun) });
  }

  const experimentSearches: Dump['experiment_searches'] = [];
  for (const query of queries.experiments) {
    const found = await allPages((pageToken) =>
      store.searchExperiments({
        viewType: query.view,
        maxResults: query.max_results,
        filterString: query.filter,
        orderBy: query.order_by,
        pageToken,
      }),
    );
    experimentSearches.push({ name: query.name, experiment_ids: found.map((e) => e.experiment_id) });
  }

  return { experiments: experiments.map(dumpExperiment), runs, run_searches: runSearches, experiment_searches: experimentSearches };
}

/** Code-point order (what Python's sorted() does), not UTF-16 order. */
export function compareStrings(a: string, b: string): number {
  const x = [...a].map((c) => c.codePointAt(0) ?? 0);
  const y = [...b].map((c) => c.codePointAt(0) ?? 0);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return (x[i] ?? 0) - (y[i] ?? 0);
  }
  return x.length - y.length;
}

const byKey = <T extends { key: string }>(items: T[]): T[] => [...items].sort((a, b) => compareStrings(a.key, b.key));

/** Dataset inputs come in directory-listing order from a file store: sort by (name, digest). */
function sortInputs(inputs: DumpDatasetInput[] | undefined): DumpDatasetInput[] {
  return (inputs ?? [])
    .map((i) => ({ dataset: i.dataset, tags: byKey(i.tags) }))
    .sort((a, b) => compareStrings(a.dataset.name, b.dataset.name) || compareStrings(a.dataset.digest, b.dataset.digest));
}

function normalizeRun<T extends DumpRun>(run: T): T {
  return { ...run, params: byKey(run.params), tags: byKey(run.tags), metrics: byKey(run.metrics), inputs: sortInputs(run.inputs) };
}

/** Sorts every list whose order MLflow does not define; keeps histories and search results in order. */
export function normalizeDump(dump: Dump): Dump {
  return {
    experiments: [...dump.experiments]
      .map((e) => ({ ...e, tags: byKey(e.tags) }))
      .sort((a, b) => Number(a.experiment_id) - Number(b.experiment_id) || compareStrings(a.experiment_id, b.experiment_id)),
    runs: [...dump.runs]
      .map((r) => {
        const run = normalizeRun(r);
        const histories = Object.fromEntries(Object.keys(r.histories).sort(compareStrings).map((k) => [k, r.histories[k] ?? []]));
        return { ...run, histories };
      })
      .sort((a, b) => compareStrings(a.info.run_id, b.info.run_id)),
    run_searches: dump.run_searches.map((s) => ({ name: s.name, runs: s.runs.map(normalizeRun) })),
    experiment_searches: dump.experiment_searches,
  };
}
