/**
 * The pages of MLflow's web UI that test/ui-e2e.test.ts visits on both servers, built from what
 * test/ui/populate_ui_store.py reported, and how their text is normalised before comparing.
 */
import type { Page } from 'puppeteer-core';
import type { ObservedRequest, UiPageSpec } from './ui-browser.js';

/** The JSON line test/ui/populate_ui_store.py prints. */
export interface PopulateReport {
  ok: boolean;
  experiments: { training: string; second: string };
  runs: Record<'parent-sweep' | 'child-lr-0.01' | 'child-lr-0.1' | 'baseline' | 'second-run', string>;
  model_id: string;
  registered_model: string;
}

const SEARCH_BOX = 'input[data-testid="search-box"]';

async function typeFilter(page: Page, filter: string): Promise<void> {
  const box = await page.waitForSelector(SEARCH_BOX, { timeout: 15_000 });
  await box!.click();
  await box!.type(filter);
  await page.keyboard.press('Enter');
}

/** The metric page's route as the 3.18 bundle builds it (its `getMetricPageRoute` with the default plot settings). */
function metricPage(runs: string[], metric: string, experiments: string[]): string {
  const q = [
    `runs=${JSON.stringify(runs)}`,
    `metric=${encodeURIComponent(JSON.stringify(metric))}`,
    `experiments=${JSON.stringify(experiments)}`,
    `plot_metric_keys=${encodeURIComponent(JSON.stringify([metric]))}`,
    'plot_layout={}&x_axis=step&y_axis_scale=linear&line_smoothness=1&show_point=false&deselected_curves=[]&last_linear_y_axis_range=[]',
  ];
  return `#/metric/${encodeURIComponent(metric)}?${q.join('&')}`;
}

/** Every page the suite compares, in visiting order. */
export function uiPages(data: PopulateReport): UiPageSpec[] {
  const exp = data.experiments.training;
  const base = data.runs.baseline;
  const child = data.runs['child-lr-0.1'];
  const run = `#/experiments/${exp}/runs/${base}`;
  const model = data.registered_model;
  return [
    { name: 'experiments-list', path: '#/experiments', ready: ['ui-e2e-training', 'ui-e2e-second', 'Training runs for the UI'] },
    { name: 'runs-table', path: `#/experiments/${exp}/runs`, ready: ['baseline', 'parent-sweep', '4 matching runs'] },
    {
      name: 'runs-filtered',
      path: `#/experiments/${exp}/runs`,
      ready: ['baseline', '4 matching runs'],
      act: (page) => typeFilter(page, 'metrics.loss < 0.5'),
      readyAfter: ['parent-sweep', '3 matching runs'],
    },
    { name: 'runs-chart', path: `#/experiments/${exp}/runs?compareRunsMode=CHART`, ready: ['4 matching runs', 'Model metrics', 'System metrics', 'baseline (loss)'] },
    { name: 'run-overview', path: run, ready: ['Baseline with plain SGD.', 'Parameters (3)', 'ui-e2e-model', 'Run ID'] },
    { name: 'run-model-metrics', path: `${run}/model-metrics`, ready: ['baseline (loss)', 'baseline (accuracy)', 'eval_accuracy'] },
    { name: 'run-system-metrics', path: `${run}/system-metrics`, ready: ['baseline (system/cpu_utilization_percentage)', 'baseline (system/system_memory_usage_megabytes)'] },
    { name: 'run-artifact-image', path: `${run}/artifacts/plots/curve.png`, ready: ['plots/curve.png', 'Path: mlflow-artifacts:/'], imagePreview: true },
    {
      name: 'run-artifact-text',
      path: `${run}/artifacts/notes/summary.txt`,
      ready: ['notes/summary.txt', 'final loss: 1.8'],
    },
    { name: 'metric-page', path: metricPage([base, child], 'loss', [exp]), ready: ['Comparing 2 Runs', 'child-lr-0.1 (loss)', '0.004032 (step=99)'] },
    { name: 'compare-runs', path: `#/compare-runs?runs=${JSON.stringify([base, child])}&experiments=${JSON.stringify([exp])}`, ready: ['Comparing 2 Runs', 'Run details', 'child-lr-0.1', 'optimizer'] },
    { name: 'logged-models', path: `#/experiments/${exp}/models`, ready: ['model', 'baseline', model] },
    { name: 'logged-model', path: `#/experiments/${exp}/models/${data.model_id}`, ready: ['About this logged model', 'threshold', 'eval_accuracy', data.model_id] },
    { name: 'registered-models', path: '#/models', ready: [model, 'Version 1'] },
    { name: 'model-version', path: `#/models/${encodeURIComponent(model)}/versions/1`, ready: [model, 'Version 1', 'Source Run', 'validated'] },
  ];
}

/**
 * The page text with what must differ between two servers serving the same data replaced: the
 * server's origin and port, and relative times ("20 seconds ago", "a minute ago"), which move
 * while the suite runs.
 */
export function normaliseText(text: string, origin: string): string {
  const port = new URL(origin).port;
  return text
    .split(origin).join('<server>')
    .replace(new RegExp(`\\b${port}\\b`, 'g'), '<port>')
    .replace(/\b(?:a few|an?|\d+) (?:second|minute|hour|day|week|month|year)s? ago\b/g, '<time> ago')
    .replace(/\bjust now\b/g, '<time> ago')
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** A request's key without the server's origin and with the port normalised, for comparing servers. */
export function requestKey(r: ObservedRequest, origin: string): string {
  return normaliseText(r.key, origin);
}

/** The failed requests of a page (status ≥ 400, or no response), aborted navigations aside. */
export function failedRequests(requests: ObservedRequest[]): ObservedRequest[] {
  return requests.filter((r) => (typeof r.status === 'number' ? r.status >= 400 : r.status !== 'net::ERR_ABORTED'));
}
