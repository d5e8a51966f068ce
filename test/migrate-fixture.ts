import type { AbstractStore, Metric, PortableStore, RunExport } from '@mlstore/core';

/** What {@link fillStore} wrote, for assertions. */
export interface FilledStore {
  experimentIds: string[];
  deletedExperimentId: string;
  runIds: string[];
  deletedRunIds: string[];
  modelIds: string[];
  metricValues: number;
  traceIds: string[];
  /** Spans logged (stores with `capabilities.traceSpans`; 0 elsewhere). */
  spans: number;
}

/** Values a metric history may hold that stores treat specially. */
const EDGE_VALUES = [NaN, Infinity, -Infinity, -0, 1e-300, -1.5e300, 0.1 + 0.2];

/**
 * Writes a store through the ordinary AbstractStore API: experiments (one deleted at the end, with
 * tags), `runs` runs spread over them and the default experiment, each with params, tags and
 * metric histories (every 7th with NaN/±Inf/−0 values), every 10th with dataset inputs (shared
 * datasets), every 50th deleted, and logged models (a third deleted) with params, tags, model
 * metrics logged from runs and run outputs. Deterministic apart from the ids the store assigns.
 */
export async function fillStore(store: AbstractStore, runs = 1000): Promise<FilledStore> {
  const experimentIds = ['0'];
  experimentIds.push(await store.createExperiment('alpha', undefined, [{ key: 'team', value: 'vision' }, { key: 'mlflow.note.content', value: 'first' }]));
  experimentIds.push(await store.createExperiment('beta'));
  const deletedExperimentId = await store.createExperiment('gamma', undefined, [{ key: 'archived', value: 'yes' }]);
  experimentIds.push(deletedExperimentId);
  const out: FilledStore = { experimentIds, deletedExperimentId, runIds: [], deletedRunIds: [], modelIds: [], metricValues: 0, traceIds: [], spans: 0 };

  for (let m = 0; m < 12; m++) {
    const exp = experimentIds[1 + (m % 2)] as string;
    const model = await store.createLoggedModel({ experimentId: exp, name: `model-${m}`, tags: [{ key: 'stage', value: `s${m % 3}` }], params: [{ key: 'depth', value: String(m) }], modelType: 'sklearn' });
    out.modelIds.push(model.info.model_id);
  }

  for (let i = 0; i < runs; i++) {
    const experimentId = experimentIds[i % experimentIds.length] as string;
    const run = await store.createRun({ experimentId, userId: `user${i % 5}`, startTime: 1_700_000_000_000 + i, tags: [{ key: 'seq', value: String(i) }], runName: `run-${i}` });
    const id = run.info.run_id;
    out.runIds.push(id);
    const metrics: Metric[] = [];
    for (let s = 0; s < 12; s++) metrics.push({ key: 'loss', value: 1 / (1 + s + i), timestamp: 1_700_000_000_000 + s * 1000, step: s });
    for (let s = 0; s < 4; s++) metrics.push({ key: 'acc', value: (s * i) / 1000, timestamp: 1_700_000_000_000 + s, step: s * 10 });
    if (i % 7 === 0) EDGE_VALUES.forEach((value, s) => metrics.push({ key: 'edge', value, timestamp: 1_700_000_000_000 + s, step: s }));
    if (i % 25 === 3 && experimentId !== '0' && experimentId !== deletedExperimentId) {
      const modelId = out.modelIds.find((_, m) => experimentIds[1 + (m % 2)] === experimentId) as string;
      metrics.push({ key: 'model_score', value: i / 100, timestamp: 1_700_000_000_000, step: 0, model_id: modelId, dataset_name: 'train', dataset_digest: 'd1' });
      await store.logOutputs(id, [{ model_id: modelId, step: i }]);
    }
    out.metricValues += metrics.length;
    await store.logBatch(id, { metrics, params: [{ key: 'lr', value: String(0.001 * (i % 10)) }, { key: 'batch', value: '32' }, { key: 'i', value: String(i) }], tags: [{ key: 'parity', value: i % 2 ? 'odd' : 'even' }] });
    if (i % 10 === 0) {
      await store.logInputs(id, {
        datasets: [
          { dataset: { name: 'train', digest: 'd1', source_type: 'local', source: '/data/train.csv', schema: '{"cols": 3}' }, tags: [{ key: 'mlflow.data.context', value: 'training' }] },
          { dataset: { name: 'eval', digest: `e${i % 3}`, source_type: 'local', source: '/data/eval.csv' }, tags: [] },
        ],
      });
    }
    await store.updateRunInfo(id, { status: i % 13 === 0 ? 'FAILED' : 'FINISHED', endTime: 1_700_000_100_000 + i });
    if (i % 50 === 0) {
      await store.deleteRun(id);
      out.deletedRunIds.push(id);
    }
  }
  for (const [m, id] of out.modelIds.entries()) {
    if (m % 3 === 0) await store.deleteLoggedModel(id);
    else await store.finalizeLoggedModel(id, 'LOGGED_MODEL_READY');
  }
  await addTraces(store, experimentIds.slice(1), out);
  await store.deleteExperiment(deletedExperimentId);
  return out;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');
const b64 = (h: string) => Buffer.from(h, 'hex').toString('base64');

/**
 * Ten traces per experiment (the one deleted later too): tags, metadata, a feedback and an
 * expectation each, linked to a run; where the store keeps spans, the even ones with a root and
 * a child span logged before start_trace (as MLflow's client does).
 */
async function addTraces(store: AbstractStore, experimentIds: string[], out: FilledStore): Promise<void> {
  if (!store.capabilities.traces) return;
  for (const [e, experimentId] of experimentIds.entries()) {
    for (let i = 0; i < 10; i++) {
      const n = e * 10 + i + 1;
      const traceId = `tr-${hex(n, 32)}`;
      out.traceIds.push(traceId);
      if (store.capabilities.traceSpans && i % 2 === 0) {
        const start = 1_700_000_000_000_000_000n + BigInt(n) * 1_000_000n;
        const span = (id: number, parent: number | null, name: string) => ({
          trace_id: b64(hex(n, 32)),
          span_id: b64(hex(id, 16)),
          parent_span_id: parent === null ? null : b64(hex(parent, 16)),
          name,
          start_time_unix_nano: start.toString(),
          end_time_unix_nano: (start + 7_000_000n).toString(),
          status: { code: 'STATUS_CODE_OK', message: '' },
          attributes: { 'mlflow.traceRequestId': JSON.stringify(traceId), 'mlflow.spanType': '"LLM"', 'mlflow.spanInputs': JSON.stringify({ q: `question ${n}` }) },
        });
        await store.logSpans(experimentId, [span(2 * n, null, 'root'), span(2 * n + 1, 2 * n, 'child')]);
        out.spans += 2;
      }
      await store.startTrace({
        trace_id: traceId,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
        request_time: 1_700_000_000_000 + n,
        execution_duration: 7,
        state: i % 4 === 3 ? 'ERROR' : 'OK',
        request_preview: `{"q": "question ${n}"}`,
        response_preview: `"answer ${n}"`,
        trace_metadata: { 'mlflow.trace.session': `s${i % 3}`, custom: String(n) },
        tags: { 'mlflow.traceName': `trace-${n}`, team: i % 2 ? 'a' : 'b' },
        assessments: [],
      });
      await store.createAssessment({ trace_id: traceId, assessment_name: 'quality', source: { source_type: 'HUMAN', source_id: 'rater' }, feedback: { value: i / 10 }, rationale: 'ok' } as never);
      await store.createAssessment({ trace_id: traceId, assessment_name: 'expected', source: { source_type: 'HUMAN', source_id: 'rater' }, expectation: { value: `answer ${n}` } } as never);
      // MLflow's FileStore cannot link traces to runs.
      const runId = out.runIds[i];
      if (runId !== undefined && store.capabilities.mlflowStoreType !== 'FileStore') await store.linkTracesToRun([traceId], runId);
    }
  }
}

/** Everything a portable store holds, in a canonical order (for comparing two targets). */
export async function dumpStore(store: PortableStore): Promise<unknown> {
  const experiments = [];
  for await (const e of store.exportExperiments()) {
    const runs: RunExport[] = [];
    for await (const r of store.exportRuns(e.experiment_id)) {
      r.inputs.dataset_inputs.sort((a, b) => `${a.dataset.name}/${a.dataset.digest}`.localeCompare(`${b.dataset.name}/${b.dataset.digest}`));
      r.metrics.sort((a, b) => a.key.localeCompare(b.key) || a.timestamp - b.timestamp || a.step - b.step || String(a.value).localeCompare(String(b.value)));
      runs.push(r);
    }
    runs.sort((a, b) => a.info.run_id.localeCompare(b.info.run_id));
    const models = [];
    for await (const m of store.exportLoggedModels(e.experiment_id)) models.push(m);
    models.sort((a, b) => a.model.info.model_id.localeCompare(b.model.info.model_id));
    const traces = [];
    if (store.capabilities.traces) {
      const page = await store.searchTraces({ locations: [e.experiment_id], maxResults: 1000 });
      for (const info of page.items) {
        const inStore = info.tags['mlflow.trace.spansLocation'] === 'TRACKING_STORE';
        traces.push(inStore ? await store.getTrace(info.trace_id, { allowPartial: true }) : { info });
      }
      traces.sort((a, b) => a.info.trace_id.localeCompare(b.info.trace_id));
    }
    experiments.push({ experiment: e, runs, models, traces });
  }
  return experiments.sort((a, b) => a.experiment.experiment_id.localeCompare(b.experiment.experiment_id));
}
