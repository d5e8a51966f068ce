/**
 * The comparisons of the `mlruns` interop tests, as vitest cases: two dumps of one folder (one by
 * our store, one by MLflow) must be identical — ids, times and numbers exact — once the one
 * documented FileStore quirk is masked (file-dump.ts). Also what MLflow's FileStore itself reports
 * for the special values of the scenario, which pins the semantics our store has to follow.
 */
import { expect, it } from 'vitest';
import { FIVE_FIELD_STEP, maskFileStoreQuirks } from './file-dump.js';
import { BIG_STEPS, REPR_VALUES } from './file-scenario.js';
import { encodeNumber, T0 } from './scenario.js';
import type { Dump, DumpRun } from './store-dump.js';

const byRunId = (runs: DumpRun[]) => runs.map((r) => r.info.run_id);
const runLabel = (run: DumpRun) => `run '${run.info.run_name}' (${run.info.run_id})`;

/** Experiments and runs the file scenario creates: Default + 5, and 9 shared runs + 4 file-only. */
export const FILE_SCENARIO_EXPERIMENTS = 6;
export const FILE_SCENARIO_RUNS = 13;

/** `get` returns our store's dump and MLflow's dump of the same folder (undefined when setup failed). */
export function describeDumpComparison(get: () => { ours?: Dump | undefined; mlflow?: Dump | undefined }) {
  const both = () => {
    const { ours, mlflow } = get();
    if (!ours || !mlflow) throw new Error(`setup failed (${!ours ? 'our dump' : 'MLflow dump'} missing); see the beforeAll error above`);
    return { ours: maskFileStoreQuirks(ours), mlflow: maskFileStoreQuirks(mlflow) };
  };

  it('both sides see the whole scenario (not two empty dumps)', () => {
    const { ours, mlflow } = both();
    for (const dump of [ours, mlflow]) {
      expect(dump.experiments.map((e) => e.name)).toContain('interop/nlp 日本語');
      expect(dump.experiments).toHaveLength(FILE_SCENARIO_EXPERIMENTS);
      expect(dump.runs).toHaveLength(FILE_SCENARIO_RUNS);
      expect(dump.runs.reduce((n, r) => n + Object.values(r.histories).flat().length, 0)).toBeGreaterThan(1_500);
    }
  });

  it('experiments: ids, names, artifact locations, lifecycle stages (deleted = in .trash), times and tags', () => {
    const { ours, mlflow } = both();
    expect(mlflow.experiments.map((e) => e.experiment_id)).toEqual(ours.experiments.map((e) => e.experiment_id));
    for (const [i, exp] of ours.experiments.entries()) {
      expect(mlflow.experiments[i], `experiment '${exp.name}'`).toEqual(exp);
    }
  });

  it('runs: info (name, user, status, times, artifact uri, lifecycle stage), params and tags', () => {
    const { ours, mlflow } = both();
    expect(byRunId(mlflow.runs)).toEqual(byRunId(ours.runs));
    for (const [i, run] of ours.runs.entries()) {
      const other = mlflow.runs[i]!;
      expect(other.info, `${runLabel(run)} info`).toEqual(run.info);
      expect(other.params, `${runLabel(run)} params`).toEqual(run.params);
      expect(other.tags, `${runLabel(run)} tags`).toEqual(run.tags);
    }
  });

  it('dataset inputs of every run (dataset fields and input tags)', () => {
    const { ours, mlflow } = both();
    for (const [i, run] of ours.runs.entries()) {
      expect(mlflow.runs[i]?.inputs, `${runLabel(run)} inputs`).toEqual(run.inputs);
    }
    expect(ours.runs.reduce((n, r) => n + r.inputs.length, 0)).toBe(4);
  });

  it('latest metrics (value, timestamp, step) of every run', () => {
    const { ours, mlflow } = both();
    for (const [i, run] of ours.runs.entries()) {
      expect(mlflow.runs[i]?.metrics, `${runLabel(run)} latest metrics`).toEqual(run.metrics);
    }
  });

  it('full metric histories, in file (append) order', () => {
    const { ours, mlflow } = both();
    for (const [i, run] of ours.runs.entries()) {
      const other = mlflow.runs[i]!;
      expect(Object.keys(other.histories), `${runLabel(run)} metric keys`).toEqual(Object.keys(run.histories));
      for (const [key, history] of Object.entries(run.histories)) {
        expect(other.histories[key], `${runLabel(run)} history of '${key}'`).toEqual(history);
      }
    }
  });

  it('search_runs: filters, order_by and paging give the same runs in the same order', () => {
    const { ours, mlflow } = both();
    expect(mlflow.run_searches.map((s) => s.name)).toEqual(ours.run_searches.map((s) => s.name));
    for (const [i, search] of ours.run_searches.entries()) {
      const other = mlflow.run_searches[i]!;
      expect(byRunId(other.runs), `search '${search.name}': run order`).toEqual(byRunId(search.runs));
      expect(other.runs, `search '${search.name}': runs`).toEqual(search.runs);
    }
  });

  it('search_experiments: filters, order_by and paging give the same experiments in the same order', () => {
    const { ours, mlflow } = both();
    expect(mlflow.experiment_searches).toEqual(ours.experiment_searches);
  });
}

/**
 * What MLflow's FileStore reports for the special values (asserted on MLflow's dump, whichever side
 * wrote the folder): the file keeps NaN/±Inf/-0.0 exactly (no SQL clamping), histories come back in
 * append order with duplicates kept, and the latest value is Python's max over (step, timestamp,
 * value), where a NaN never compares greater — so the first of two tied lines wins against NaN.
 */
export function fileStoreFacts(get: () => Dump | undefined) {
  const dump = () => {
    const d = get();
    if (!d) throw new Error("setup failed (MLflow's dump missing); see the beforeAll error above");
    return d;
  };
  const run = (name: string) => {
    const found = dump().runs.find((r) => r.info.run_name === name);
    if (!found) throw new Error(`no run '${name}' in the dump`);
    return found;
  };
  const latest = (name: string, key: string) => run(name).metrics.find((m) => m.key === key);
  const values = (name: string, key: string) => (run(name).histories[key] ?? []).map((m) => m.value);

  it('NaN, +Infinity and -Infinity are read back exactly (no clamping to the max double)', () => {
    expect(latest('resnet-diverged', 'loss')?.value).toBe('NaN');
    expect(latest('resnet-exploding', 'loss')?.value).toBe('Infinity');
    const grad = run('resnet-diverged').histories.grad_norm!;
    expect(grad.find((m) => m.step === 40)?.value).toBe('Infinity');
    expect(grad.find((m) => m.step === 59)?.value).toBe('-Infinity');
    expect(latest('resnet-diverged', 'grad_norm')?.value).toBe('-Infinity');
  });

  it('every value of the Python-float-spelling list round-trips bit for bit, -0.0 included', () => {
    expect(values('numbers', 'repr')).toEqual(REPR_VALUES.map(encodeNumber));
    expect(values('resnet-baseline', 'big_step')).toEqual([42, -42.5, '-0']);
  });

  it('steps beyond 32 bits (up to 2^53 - 1) are kept', () => {
    expect(run('numbers').histories['steps/big']!.map((m) => m.step)).toEqual(BIG_STEPS);
    expect(latest('resnet-baseline', 'big_step')?.step).toBe(2 ** 33 + 1);
  });

  it('ties at one (step, timestamp): the first line wins against NaN, NaN wins when it comes first', () => {
    expect(latest('resnet-baseline', 'tie/nan_vs_neg')?.value).toBe(-1);
    expect(latest('resnet-baseline', 'tie/nan_vs_pos')?.value).toBe('NaN');
    expect(latest('resnet-baseline', 'tie/inf_vs_big')?.value).toBe('Infinity');
    expect(values('resnet-baseline', 'tie/nan_vs_neg')).toEqual([-1, 'NaN']);
    expect(values('resnet-baseline', 'tie/nan_vs_pos')).toEqual(['NaN', 0.5]);
    expect(values('resnet-baseline', 'tie/inf_vs_big')).toEqual([1e308, 'Infinity', 1.5e308]);
  });

  it('histories are in append order and keep re-logged duplicates (200 + 3 + 1 loss lines)', () => {
    const loss = run('resnet-baseline').histories.loss!;
    expect(loss).toHaveLength(204);
    expect(loss.at(-1)).toEqual({ key: 'loss', value: 0.123456789, timestamp: T0 + 50_001, step: 50 });
    expect(run('resnet-baseline').histories['eval/score']!.map((m) => m.step)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
  });

  it(`metrics logged with a dataset: MLflow reads their 5-field lines with step 0 (masked as "${FIVE_FIELD_STEP}")`, () => {
    const history = run('numbers').histories['eval/ds_loss']!;
    expect(history.map((m) => [m.step, m.dataset_name, m.dataset_digest])).toEqual([
      [0, 'mnist-eval', 'd1g3st02'],
      [0, 'mnist-eval', 'd1g3st02'],
      [0, 'mnist-eval', 'd1g3st02'],
    ]);
  });

  it('restoring runs and experiments re-activates them; the deleted experiment stays deleted with its run', () => {
    for (const name of ['resnet-revivable', 'revived-active', 'revived-early-deleted']) expect(run(name).info.lifecycle_stage).toBe('active');
    expect(run('orphan').info.lifecycle_stage).toBe('deleted');
    expect(run('resnet-deleted').info.lifecycle_stage).toBe('deleted');
    expect(dump().experiments.find((e) => e.name === 'interop/abandoned')?.lifecycle_stage).toBe('deleted');
  });
}

/** Our store reads the 5-field lines with the step that was logged (1, 2, 3), unlike MLflow. */
export function ourFiveFieldSteps(get: () => Dump | undefined) {
  it('our store reads 5-field metric lines with the logged step and the dataset fields', () => {
    const d = get();
    if (!d) throw new Error('setup failed (our dump missing); see the beforeAll error above');
    const history = d.runs.find((r) => r.info.run_name === 'numbers')?.histories['eval/ds_loss'];
    expect(history?.map((m) => [m.step, m.dataset_name, m.dataset_digest])).toEqual([
      [1, 'mnist-eval', 'd1g3st02'],
      [2, 'mnist-eval', 'd1g3st02'],
      [3, 'mnist-eval', 'd1g3st02'],
    ]);
  });
}
