/**
 * The interop scenario: one deterministic list of tracking operations that both writers replay —
 * our store (`apply-scenario.ts`) and the MLflow Python client (`fill_via_client.py`) — plus the
 * searches both readers run (`store-dump.ts`, `dump_via_client.py`).
 *
 * It is built here once and handed to Python as JSON, so both sides log bit-identical doubles.
 * Non-finite numbers travel as the strings "NaN", "Infinity", "-Infinity", and -0 as "-0" (see
 * `encodeNumber`); the dumps spell them the same way.
 */

import {
  decodeNumber,
  encodeNumber,
  type ExperimentQuery,
  type JsonNumber,
  type Queries,
  type RunQuery,
  type ScenarioDataset,
  type ScenarioKeyValue,
  type ViewTypeName,
} from '@mlstore/testkit';

// The shapes both dumps share live in @mlstore/testkit (store-file's own tests read them too).
export { decodeNumber, encodeNumber };
export type { ExperimentQuery, JsonNumber, Queries, RunQuery, ScenarioDataset, ScenarioKeyValue, ViewTypeName };

export interface ScenarioMetric {
  key: string;
  value: JsonNumber;
  timestamp: number;
  step: number;
  /** MLflow 3 metric fields; both or neither (the file store writes them as two extra line fields). */
  dataset_name?: string;
  dataset_digest?: string;
}

export interface ScenarioDatasetInput {
  dataset: ScenarioDataset;
  tags: ScenarioKeyValue[];
}

export type ScenarioOp =
  | { op: 'create_experiment'; ref: string; name: string; artifact_location?: string; tags: ScenarioKeyValue[] }
  | { op: 'set_experiment_tag'; experiment: string; key: string; value: string }
  | { op: 'delete_experiment_tag'; experiment: string; key: string }
  | { op: 'delete_experiment'; experiment: string }
  | { op: 'create_run'; ref: string; experiment: string; run_name: string; start_time: number; tags: ScenarioKeyValue[] }
  | { op: 'log_batch'; run: string; metrics: ScenarioMetric[]; params: ScenarioKeyValue[]; tags: ScenarioKeyValue[] }
  | { op: 'set_terminated'; run: string; status: 'FINISHED' | 'FAILED' | 'KILLED'; end_time: number }
  | { op: 'delete_tag'; run: string; key: string }
  | { op: 'delete_run'; run: string }
  | { op: 'restore_run'; run: string }
  | { op: 'restore_experiment'; experiment: string }
  | { op: 'log_inputs'; run: string; datasets: ScenarioDatasetInput[] };

export interface Scenario {
  ops: ScenarioOp[];
  queries: Queries;
}

/** 2024-04-24T22:13:20Z: every run and metric timestamp is an offset from here. */
export const T0 = 1_714_000_000_000;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** The largest double: what MLflow's SQL store writes for +Infinity (and its negative for -Infinity). */
export const SQL_MAX_DOUBLE = 1.7976931348623157e308;

const kv = (entries: Record<string, string>): ScenarioKeyValue[] =>
  Object.entries(entries).map(([key, value]) => ({ key, value }));

/** A deterministic string of exactly `length` UTF-16 units, mixing ASCII and non-ASCII text. */
function longText(seed: string, length: number): string {
  let out = '';
  for (let i = 0; out.length < length; i++) out += `${seed}[${i}] naïve café Ωμέγα; `;
  return out.slice(0, length);
}

/** Curves with non-terminating binary fractions, so any rounding anywhere shows up. */
const decay = (step: number, rate: number) => 1 / (1 + step * rate) + step / 7_000_003;
const rise = (step: number, ceil: number) => ceil * (1 - 1 / (1 + step / 13)) + 1 / 3;

interface RunPlan {
  ref: string;
  experiment: string;
  runName: string;
  startOffset: number;
  tags: Record<string, string>;
  params: Record<string, string>;
  metrics: ScenarioMetric[];
  end?: { status: 'FINISHED' | 'FAILED' | 'KILLED'; afterMs: number };
}

function history(key: string, start: number, steps: number, value: (step: number) => number): ScenarioMetric[] {
  return Array.from({ length: steps }, (_, step) => ({
    key,
    value: encodeNumber(value(step)),
    timestamp: start + step * 1_000,
    step,
  }));
}

function runPlans(): RunPlan[] {
  const plans: RunPlan[] = [];
  const at = (i: number) => T0 + i * 10 * MINUTE;

  // A finished baseline: long histories, several values at one step, a same-(step, timestamp) tie,
  // a metric logged with steps going backwards in time, and a step beyond 32 bits.
  {
    const s = at(0);
    const metrics: ScenarioMetric[] = [
      ...history('loss', s, 200, (k) => decay(k, 0.05)),
      ...history('acc', s, 200, (k) => rise(k, 0.6)),
      // Three more values at step 50 (later timestamps), then two values at one (step, timestamp).
      { key: 'loss', value: 0.123456789, timestamp: s + 50_000 + 1, step: 50 },
      { key: 'loss', value: 0.987654321, timestamp: s + 50_000 + 2, step: 50 },
      { key: 'loss', value: 1e-300, timestamp: s + 50_000 + 3, step: 50 },
      { key: 'val/acc', value: 0.25, timestamp: s + 300_000, step: 7 },
      { key: 'val/acc', value: 0.75, timestamp: s + 300_000, step: 7 },
      // Steps 9..0 at increasing timestamps: history order (by timestamp) ≠ step order; latest is step 9.
      ...Array.from({ length: 10 }, (_, i) => ({
        key: 'eval/score',
        value: 0.5 + (9 - i) / 100,
        timestamp: s + 400_000 + i,
        step: 9 - i,
      })),
      { key: 'big_step', value: 42, timestamp: s + 500_000, step: 2 ** 33 + 1 },
      { key: 'big_step', value: -42.5, timestamp: s + 500_001, step: 3 },
      { key: 'big_step', value: encodeNumber(-0), timestamp: s + 500_002, step: 4 },
    ];
    plans.push({
      ref: 'baseline',
      experiment: 'vision',
      runName: 'resnet-baseline',
      startOffset: 0,
      tags: { 'mlflow.user': 'alice', 'mlflow.source.name': 'train.py', stage: 'baseline', 'note.ünïcödé': 'Grüße, 世界 🚀' },
      params: {
        lr: '0.1',
        optimizer: 'sgd',
        epochs: '200',
        description: 'Résumé des paramètres — 学习率 и шаг',
        layer_config: longText('conv', 5_000),
      },
      metrics,
      end: { status: 'FINISHED', afterMs: 2 * HOUR },
    });
  }

  // Diverged: loss ends in NaN (latest value NaN), grad_norm hits +Infinity then -Infinity.
  {
    const s = at(1);
    const loss = history('loss', s, 120, (k) => (k < 119 ? decay(k, 0.01) * (1 + k / 10) : NaN));
    const grad = history('grad_norm', s, 60, (k) => (k === 40 ? Infinity : k === 59 ? -Infinity : 2 ** (k / 8)));
    plans.push({
      ref: 'diverged',
      experiment: 'vision',
      runName: 'resnet-diverged',
      startOffset: 1,
      tags: { 'mlflow.user': 'bob', stage: 'tuning' },
      params: { lr: '1.5', optimizer: 'sgd', epochs: '200' },
      metrics: [...loss, ...grad, ...history('acc', s, 120, (k) => rise(k, 0.3))],
      end: { status: 'FAILED', afterMs: 20 * MINUTE },
    });
  }

  // Exploding: the latest loss is +Infinity.
  {
    const s = at(2);
    plans.push({
      ref: 'exploding',
      experiment: 'vision',
      runName: 'resnet-exploding',
      startOffset: 2,
      tags: { 'mlflow.user': 'bob', stage: 'tuning' },
      params: { lr: '0.9', optimizer: 'sgd', epochs: '200' },
      metrics: [
        ...history('loss', s, 80, (k) => (k < 79 ? decay(k, 0.02) + k * k : Infinity)),
        ...history('acc', s, 80, (k) => rise(k, 0.1)),
      ],
      end: { status: 'FINISHED', afterMs: 30 * MINUTE },
    });
  }

  // Still running (no end_time), no loss at all.
  {
    const s = at(3);
    plans.push({
      ref: 'running',
      experiment: 'vision',
      runName: 'resnet-running',
      startOffset: 3,
      tags: { 'mlflow.user': 'alice', stage: 'scratch', 'to-remove': 'gone soon' },
      params: { lr: '0.01', optimizer: 'sgd' },
      metrics: history('acc', s, 30, (k) => rise(k, 0.9)),
    });
  }

  // An adam run (filtered out of the sgd search), and a run that gets deleted.
  plans.push({
    ref: 'adam',
    experiment: 'vision',
    runName: 'resnet-adam',
    startOffset: 4,
    tags: { 'mlflow.user': 'carol' },
    params: { lr: '0.001', optimizer: 'adam', epochs: '50' },
    metrics: [...history('loss', at(4), 50, (k) => decay(k, 0.2)), ...history('acc', at(4), 50, (k) => rise(k, 0.8))],
    end: { status: 'FINISHED', afterMs: HOUR },
  });
  plans.push({
    ref: 'deleted',
    experiment: 'vision',
    runName: 'resnet-deleted',
    startOffset: 5,
    tags: { 'mlflow.user': 'alice' },
    params: { lr: '0.5', optimizer: 'sgd' },
    metrics: history('loss', at(5), 10, (k) => decay(k, 1)),
    end: { status: 'KILLED', afterMs: 5 * MINUTE },
  });

  // NLP: a Japanese experiment name, unicode params and tags, a long tag value.
  plans.push({
    ref: 'bert-small',
    experiment: 'nlp',
    runName: 'bert-small',
    startOffset: 6,
    tags: { 'mlflow.user': 'Zoë', 'mlflow.note.content': longText('note', 7_500), 語: '日本語のタグ' },
    params: { lr: '3e-5', optimizer: 'adamw', 学习率: '0.00003', tokenizer: 'wordpiece' },
    metrics: [
      ...history('loss', at(6), 150, (k) => decay(k, 0.03)),
      ...history('f1', at(6), 150, (k) => rise(k, 0.55)),
      ...history('acc', at(6), 150, (k) => rise(k, 0.5)),
    ],
    end: { status: 'FINISHED', afterMs: 3 * HOUR },
  });
  plans.push({
    ref: 'bert-large',
    experiment: 'nlp',
    runName: 'bert-large ✂',
    startOffset: 7,
    tags: { 'mlflow.user': 'Zoë' },
    params: { lr: '1e-5', optimizer: 'adamw', 学习率: '0.00001' },
    metrics: history('loss', at(7), 40, (k) => decay(k, 0.01)),
    end: { status: 'KILLED', afterMs: 45 * MINUTE },
  });

  // The run of the experiment that gets deleted (MLflow marks it deleted with its experiment).
  plans.push({
    ref: 'orphan',
    experiment: 'abandoned',
    runName: 'orphan',
    startOffset: 8,
    tags: { 'mlflow.user': 'dave' },
    params: { seed: '7' },
    metrics: history('loss', at(8), 20, (k) => decay(k, 0.5)),
    end: { status: 'FINISHED', afterMs: 10 * MINUTE },
  });
  return plans;
}

/** MLflow's log_batch limits: 1000 metrics, 100 params + tags per call. */
const METRICS_PER_BATCH = 500;

function buildOps(): ScenarioOp[] {
  const ops: ScenarioOp[] = [
    {
      op: 'create_experiment',
      ref: 'vision',
      name: 'interop/vision — ResNet ✓',
      tags: kv({ team: 'vision', owner: 'Zoë Ångström', 'mlflow.note.content': 'Image classifiers.\nZweite Zeile 🚀' }),
    },
    { op: 'create_experiment', ref: 'nlp', name: 'interop/nlp 日本語', tags: kv({ team: 'nlp', priority: 'high', temp: 'x' }) },
    { op: 'create_experiment', ref: 'abandoned', name: 'interop/abandoned', tags: kv({ team: 'misc' }) },
    {
      op: 'create_experiment',
      ref: 'explicit',
      name: 'interop/explicit-location',
      artifact_location: 'file:///nonexistent/mlstore-interop/explicit',
      tags: [],
    },
    { op: 'set_experiment_tag', experiment: 'nlp', key: 'priority', value: 'low' },
    { op: 'delete_experiment_tag', experiment: 'nlp', key: 'temp' },
  ];
  for (const plan of runPlans()) {
    ops.push({
      op: 'create_run',
      ref: plan.ref,
      experiment: plan.experiment,
      run_name: plan.runName,
      start_time: T0 + plan.startOffset * 10 * MINUTE,
      tags: kv(plan.tags),
    });
    ops.push({ op: 'log_batch', run: plan.ref, metrics: [], params: kv(plan.params), tags: [] });
    for (let i = 0; i < plan.metrics.length; i += METRICS_PER_BATCH) {
      ops.push({ op: 'log_batch', run: plan.ref, metrics: plan.metrics.slice(i, i + METRICS_PER_BATCH), params: [], tags: [] });
    }
    if (plan.end) {
      ops.push({ op: 'set_terminated', run: plan.ref, status: plan.end.status, end_time: T0 + plan.startOffset * 10 * MINUTE + plan.end.afterMs });
    }
  }
  ops.push(
    // Re-logging values that exist already is a no-op in MLflow (duplicate rows are skipped).
    {
      op: 'log_batch',
      run: 'baseline',
      metrics: [
        { key: 'loss', value: 0.123456789, timestamp: T0 + 50_000 + 1, step: 50 },
        { key: 'acc', value: encodeNumber(rise(0, 0.6)), timestamp: T0, step: 0 },
      ],
      params: [{ key: 'lr', value: '0.1' }],
      tags: [{ key: 'stage', value: 'baseline-final' }],
    },
    // Ties at one (step, timestamp) decide the latest value by value, where MLflow compares the
    // stored value: NaN counts as 0 (so it beats -1 but loses to 0.5), +Infinity as the max double.
    // The first batch sets a latest value, the second competes with it.
    {
      op: 'log_batch',
      run: 'baseline',
      metrics: [
        { key: 'tie/nan_vs_neg', value: -1, timestamp: T0 + 600_000, step: 5 },
        { key: 'tie/nan_vs_pos', value: 'NaN', timestamp: T0 + 600_000, step: 5 },
      ],
      params: [],
      tags: [],
    },
    {
      op: 'log_batch',
      run: 'baseline',
      metrics: [
        { key: 'tie/nan_vs_neg', value: 'NaN', timestamp: T0 + 600_000, step: 5 },
        { key: 'tie/nan_vs_pos', value: 0.5, timestamp: T0 + 600_000, step: 5 },
        { key: 'tie/inf_vs_big', value: 1e308, timestamp: T0 + 600_000, step: 1 },
        { key: 'tie/inf_vs_big', value: 'Infinity', timestamp: T0 + 600_000, step: 1 },
        { key: 'tie/inf_vs_big', value: 1.5e308, timestamp: T0 + 600_000, step: 1 },
      ],
      params: [],
      tags: [],
    },
    { op: 'delete_tag', run: 'running', key: 'to-remove' },
    { op: 'delete_run', run: 'deleted' },
    { op: 'delete_experiment', experiment: 'abandoned' },
  );
  return ops;
}

const VISION = 'interop/vision — ResNet ✓';
const NLP = 'interop/nlp 日本語';
const ABANDONED = 'interop/abandoned';
const EXPLICIT = 'interop/explicit-location';

function buildQueries(): Queries {
  return {
    runs: [
      {
        // NaN and ±Inf latest values in order_by: finite < +Inf (stored as the max double) < NaN < missing.
        name: 'sgd runs by loss',
        experiments: [VISION],
        filter: "params.optimizer = 'sgd'",
        order_by: ['metrics.loss ASC', 'attributes.start_time DESC'],
        view: 'ACTIVE_ONLY',
        max_results: 2,
      },
      {
        name: 'finished with good acc, by lr string desc',
        experiments: [VISION, NLP],
        filter: "metrics.acc >= 0.3 and attributes.status = 'FINISHED'",
        order_by: ['params.lr DESC', 'attributes.run_name ASC'],
        view: 'ACTIVE_ONLY',
        max_results: 3,
      },
      {
        name: 'unicode tag and name match over all lifecycle stages',
        experiments: [VISION, NLP, ABANDONED, EXPLICIT],
        filter: "tags.`mlflow.user` = 'Zoë' and attributes.run_name LIKE 'bert%'",
        order_by: ['attributes.end_time DESC'],
        view: 'ALL',
        max_results: 1,
      },
      {
        name: 'deleted runs',
        experiments: [VISION, NLP, ABANDONED, EXPLICIT],
        filter: '',
        order_by: ['attributes.start_time ASC'],
        view: 'DELETED_ONLY',
        max_results: 10,
      },
      {
        name: 'loss descending with a metric comparison',
        experiments: [VISION, NLP, ABANDONED],
        filter: 'metrics.loss > 0.01',
        order_by: ['metrics.loss DESC'],
        view: 'ALL',
        max_results: 4,
      },
    ],
    experiments: [
      { name: 'all interop by name', filter: "name LIKE 'interop/%'", order_by: ['name ASC'], view: 'ALL', max_results: 2 },
      { name: 'deleted experiments', filter: '', order_by: [], view: 'DELETED_ONLY', max_results: 10 },
      { name: 'by tag', filter: "tags.team = 'nlp'", order_by: ['creation_time DESC'], view: 'ACTIVE_ONLY', max_results: 10 },
    ],
  };
}

/** The scenario (fresh objects each call). */
export function buildScenario(): Scenario {
  return { ops: buildOps(), queries: buildQueries() };
}
