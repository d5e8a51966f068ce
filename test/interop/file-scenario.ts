/**
 * The interop scenario for the `mlruns` file store: the shared scenario (scenario.ts) plus what only
 * a file store makes interesting — Python float spelling of metric values, nested keys (sub-folders),
 * empty and multi-line values (raw file bytes), dataset inputs (md5-named folders), deleted-then-
 * restored runs and experiments (meta.yaml rewrites, `.trash` moves), and 5-field metric lines.
 */
import { buildScenario, encodeNumber, T0, type Queries, type Scenario, type ScenarioMetric, type ScenarioOp } from './scenario.js';

const MINUTE = 60_000;
const VISION = 'interop/vision — ResNet ✓';
const NLP = 'interop/nlp 日本語';
const ABANDONED = 'interop/abandoned';
const EXPLICIT = 'interop/explicit-location';
// Longer than PyYAML's 80-column line width, with spaces: meta.yaml holds it folded over two lines.
const REVIVED = 'interop/revived — deleted, then restored, with a name long enough for PyYAML to fold it in meta.yaml';

/**
 * Values whose text differs between Python's `str(float)` (what the metric file holds) and
 * JavaScript's `String(number)`: the exponent thresholds (Python: < 1e-4 or ≥ 1e16; JS: < 1e-6 or
 * ≥ 1e21), the `.0` of integral values, `inf`/`nan`/`-0.0`, the extremes of the double range.
 */
export const REPR_VALUES: number[] = [
  0.1, 3, 1e15, 1e16, 1e20, 1e21, 1e22, 123456789012345680000, 1e-4, 1e-5, 1e-6, 1e-7, 1.5e-7, 0.30000000000000004,
  1 / 3, -2.5e-8, 2 ** 53, 2 ** 53 + 2, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, -1e16, 0, -0, NaN,
  Infinity, -Infinity, 100, 1234.5,
];

/** Steps beyond 32 bits (the file store writes them as plain integers). */
export const BIG_STEPS: number[] = [2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 0];

const mnistTrain = {
  name: 'mnist-train',
  digest: 'd1g3st01',
  source_type: 'local',
  source: '{"uri": "/data/mnist/train.csv"}',
  schema: '{"mlflow_colspec": [{"type": "double", "name": "x"}]}',
  profile: '{"num_rows": 60000}',
};
const mnistEval = { name: 'mnist-eval', digest: 'd1g3st02', source_type: 'local', source: '{"uri": "/data/mnist/eval.csv"}' };
// A source longer than PyYAML's 80-column line width, with spaces: PyYAML folds it over lines.
const wiki = {
  name: 'wiki-日本語',
  digest: 'ffee0011',
  source_type: 'http',
  source: '{"url": "https://example.org/datasets/wiki ü/2024-04-24/train.parquet", "headers": {"accept": "application/x-parquet"}}',
  profile: '{"rows": 3}',
};

function fileOps(): ScenarioOp[] {
  const numbersStart = T0 + 20 * 10 * MINUTE;
  const repr: ScenarioMetric[] = REPR_VALUES.map((v, i) => ({ key: 'repr', value: encodeNumber(v), timestamp: numbersStart + i, step: i }));
  const steps: ScenarioMetric[] = BIG_STEPS.map((step, i) => ({ key: 'steps/big', value: i, timestamp: numbersStart + 1_000 + i, step }));
  // Steps and timestamps rise together, so the latest value is the last line whether a reader takes
  // the step from the line (ours) or reads 0 for every 5-field line (MLflow 3.18's FileStore).
  const withDataset: ScenarioMetric[] = [1, 2, 3].map((step) => ({
    key: 'eval/ds_loss',
    value: 1 / (step + 1),
    timestamp: numbersStart + 2_000 + step,
    step,
    dataset_name: 'mnist-eval',
    dataset_digest: 'd1g3st02',
  }));
  return [
    { op: 'set_experiment_tag', experiment: 'vision', key: 'org/unit/lead', value: 'Zoë' },
    { op: 'set_experiment_tag', experiment: 'vision', key: 'empty', value: '' },
    {
      op: 'create_run',
      ref: 'numbers',
      experiment: 'explicit',
      run_name: 'numbers',
      start_time: numbersStart,
      tags: [
        { key: 'mlflow.user', value: 'erin' },
        { key: 'nested/deep/key', value: 'deep' },
      ],
    },
    {
      op: 'log_batch',
      run: 'numbers',
      metrics: [],
      params: [
        { key: 'model/encoder/layers', value: '12' },
        { key: 'empty', value: '' },
        { key: 'padded', value: '  two spaces each side  ' },
      ],
      tags: [
        { key: 'multi/line', value: 'first\nsecond\n' },
        { key: 'blank', value: '' },
        { key: 'crlf', value: 'a\r\nb' },
      ],
    },
    { op: 'log_batch', run: 'numbers', metrics: [...repr, ...steps, ...withDataset], params: [], tags: [] },
    { op: 'set_terminated', run: 'numbers', status: 'FINISHED', end_time: numbersStart + 5 * MINUTE },

    // Datasets: one dataset shared by two runs (one dataset folder), two inputs on one run, a
    // unicode name (the folder is md5 of the UTF-8 bytes), and a repeated input (a no-op).
    {
      op: 'log_inputs',
      run: 'baseline',
      datasets: [
        { dataset: mnistTrain, tags: [{ key: 'mlflow.data.context', value: 'training' }] },
        { dataset: mnistEval, tags: [{ key: 'mlflow.data.context', value: 'evaluation' }, { key: 'split', value: 'holdout ✓' }] },
      ],
    },
    { op: 'log_inputs', run: 'diverged', datasets: [{ dataset: mnistTrain, tags: [{ key: 'mlflow.data.context', value: 'training' }] }] },
    { op: 'log_inputs', run: 'baseline', datasets: [{ dataset: mnistTrain, tags: [{ key: 'mlflow.data.context', value: 'training' }] }] },
    { op: 'log_inputs', run: 'bert-small', datasets: [{ dataset: wiki, tags: [] }] },

    // A run deleted and restored (its meta.yaml loses `deleted_time`).
    { op: 'create_run', ref: 'revivable', experiment: 'vision', run_name: 'resnet-revivable', start_time: T0 + 21 * 10 * MINUTE, tags: [{ key: 'mlflow.user', value: 'alice' }] },
    { op: 'log_batch', run: 'revivable', metrics: [{ key: 'loss', value: 0.42, timestamp: T0 + 21 * 10 * MINUTE, step: 0 }], params: [{ key: 'optimizer', value: 'sgd' }], tags: [] },
    { op: 'delete_run', run: 'revivable' },
    { op: 'restore_run', run: 'revivable' },

    // An experiment deleted and restored: restoring re-activates every deleted run, including the
    // one deleted before the experiment was.
    { op: 'create_experiment', ref: 'revived', name: REVIVED, tags: [{ key: 'team', value: 'revival' }] },
    { op: 'create_run', ref: 'revived-active', experiment: 'revived', run_name: 'revived-active', start_time: T0 + 22 * 10 * MINUTE, tags: [{ key: 'mlflow.user', value: 'frank' }] },
    { op: 'create_run', ref: 'revived-early', experiment: 'revived', run_name: 'revived-early-deleted', start_time: T0 + 23 * 10 * MINUTE, tags: [{ key: 'mlflow.user', value: 'frank' }] },
    { op: 'log_batch', run: 'revived-early', metrics: [{ key: 'loss', value: 1, timestamp: T0 + 23 * 10 * MINUTE, step: 0 }], params: [], tags: [] },
    { op: 'delete_run', run: 'revived-early' },
    { op: 'delete_experiment', experiment: 'revived' },
    { op: 'restore_experiment', experiment: 'revived' },
  ];
}

function fileQueries(base: Queries): Queries {
  return {
    runs: [
      ...base.runs,
      {
        name: 'dataset name and context',
        experiments: [VISION, NLP],
        filter: "datasets.name = 'mnist-train' and datasets.context = 'training'",
        order_by: ['attributes.start_time ASC'],
        view: 'ALL',
        max_results: 10,
      },
      {
        name: 'nested param and tag keys',
        experiments: [VISION, EXPLICIT],
        filter: "params.`model/encoder/layers` = '12' and tags.`nested/deep/key` = 'deep'",
        order_by: [],
        view: 'ACTIVE_ONLY',
        max_results: 10,
      },
      {
        name: 'restored runs are active again',
        experiments: [VISION, REVIVED, ABANDONED],
        filter: "attributes.run_name LIKE '%revi%'",
        order_by: ['attributes.start_time DESC'],
        view: 'ACTIVE_ONLY',
        max_results: 2,
      },
      {
        name: 'special values in order_by (Python sorts NaN and Inf its own way)',
        experiments: [VISION, EXPLICIT],
        filter: '',
        order_by: ['metrics.repr DESC', 'metrics.loss DESC', 'attributes.run_name ASC'],
        view: 'ALL',
        max_results: 3,
      },
    ],
    experiments: [
      ...base.experiments,
      { name: 'nested tag key', filter: "tags.`org/unit/lead` = 'Zoë'", order_by: [], view: 'ALL', max_results: 10 },
      { name: 'default order (creation_time DESC, id ASC)', filter: '', order_by: [], view: 'ALL', max_results: 3 },
    ],
  };
}

/** The shared scenario followed by the file-store extras (fresh objects each call). */
export function buildFileScenario(): Scenario {
  const base = buildScenario();
  return { ops: [...base.ops, ...fileOps()], queries: fileQueries(base.queries) };
}
