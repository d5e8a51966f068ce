import type { AbstractStore } from '@mlstore/core';
import { decodeNumber, type Scenario } from './scenario.js';

/** Ids our store assigned, by scenario ref (the same shape `fill_via_client.py` prints). */
export interface FillResult {
  experiments: Record<string, string>;
  runs: Record<string, string>;
}

function lookup(ids: Record<string, string>, ref: string, what: string): string {
  const id = ids[ref];
  if (id === undefined) throw new Error(`scenario refers to unknown ${what} '${ref}'`);
  return id;
}

/**
 * Replays the scenario through an `AbstractStore`, call for call as `fill_via_client.py` does through
 * `MlflowClient` (which is why a run's user id comes from its `mlflow.user` tag, like MlflowClient.create_run).
 */
export async function applyScenario(store: AbstractStore, scenario: Scenario): Promise<FillResult> {
  const experiments: Record<string, string> = {};
  const runs: Record<string, string> = {};
  for (const op of scenario.ops) {
    switch (op.op) {
      case 'create_experiment':
        experiments[op.ref] = await store.createExperiment(op.name, op.artifact_location ?? null, op.tags);
        break;
      case 'set_experiment_tag':
        await store.setExperimentTag(lookup(experiments, op.experiment, 'experiment'), { key: op.key, value: op.value });
        break;
      case 'delete_experiment_tag':
        await store.deleteExperimentTag(lookup(experiments, op.experiment, 'experiment'), op.key);
        break;
      case 'delete_experiment':
        await store.deleteExperiment(lookup(experiments, op.experiment, 'experiment'));
        break;
      case 'create_run': {
        const run = await store.createRun({
          experimentId: lookup(experiments, op.experiment, 'experiment'),
          userId: op.tags.find((t) => t.key === 'mlflow.user')?.value ?? 'unknown',
          startTime: op.start_time,
          tags: op.tags,
          runName: op.run_name,
        });
        runs[op.ref] = run.info.run_id;
        break;
      }
      case 'log_batch':
        await store.logBatch(lookup(runs, op.run, 'run'), {
          metrics: op.metrics.map((m) => ({
            key: m.key,
            value: decodeNumber(m.value),
            timestamp: m.timestamp,
            step: m.step,
            ...(m.dataset_name !== undefined ? { dataset_name: m.dataset_name, dataset_digest: m.dataset_digest } : {}),
          })),
          params: op.params,
          tags: op.tags,
        });
        break;
      case 'set_terminated':
        await store.updateRunInfo(lookup(runs, op.run, 'run'), { status: op.status, endTime: op.end_time });
        break;
      case 'delete_tag':
        await store.deleteTag(lookup(runs, op.run, 'run'), op.key);
        break;
      case 'delete_run':
        await store.deleteRun(lookup(runs, op.run, 'run'));
        break;
      case 'restore_run':
        await store.restoreRun(lookup(runs, op.run, 'run'));
        break;
      case 'restore_experiment':
        await store.restoreExperiment(lookup(experiments, op.experiment, 'experiment'));
        break;
      case 'log_inputs':
        await store.logInputs(lookup(runs, op.run, 'run'), { datasets: op.datasets });
        break;
      default: {
        const never: never = op;
        throw new Error(`unknown scenario op ${JSON.stringify(never)}`);
      }
    }
  }
  return { experiments, runs };
}
