import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrateStore } from '@mlstore/core';
import { FileTrackingStore } from '@mlstore/store-file';
import { SqlTrackingStore } from '@mlstore/store-sql';
import { mlflowVenv, mlflowVenvProblem } from './interop/mlflow-python.js';
import { fillStore } from './migrate-fixture.js';

// A file store migrated into SQLite keeps its random 18-digit experiment ids; the real MLflow
// 3.18.0 must read that database and keep working in it (as after its own migrate-filestore).
const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const requireServices = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const title = 'MLflow 3.18.0 reads a file store migrated into SQLite by mlstore';
const problem = enabled ? mlflowVenvProblem() : 'needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1';

const READ = `
import json, sys
from mlflow.tracking import MlflowClient
from mlflow.entities import ViewType
c = MlflowClient(tracking_uri=sys.argv[1])
exp_id = sys.argv[2]
out = {
  "experiments": sorted(e.experiment_id for e in c.search_experiments(view_type=ViewType.ALL)),
  "name": c.get_experiment(exp_id).name,
  "runs": len(c.search_runs([exp_id], run_view_type=ViewType.ALL, max_results=5000)),
  "models": len(c.search_logged_models(experiment_ids=[exp_id])),
  "history": [[m.step, m.value] for m in c.get_metric_history(sys.argv[3], "loss")][:3],
  "new_run_experiment": c.create_run(exp_id).info.experiment_id,
  "new_experiment": c.create_experiment("created-by-mlflow"),
}
print(json.dumps(out))
`;

if (problem && !(enabled && requireServices)) {
  if (enabled) console.warn(`[migrate-interop] skipped: ${problem}`);
  describe.skip(`${title} (${problem})`, () => it('needs the MLflow venv', () => {}));
} else {
  describe(title, () => {
    it('lists, gets, searches and extends the migrated experiments', async () => {
      if (problem) throw new Error(`[migrate-interop] ${problem}`);
      const dir = mkdtempSync(join(tmpdir(), 'mlstore-migrate-interop-'));
      const source = await FileTrackingStore.open(join(dir, 'mlruns'));
      const filled = await fillStore(source, 60);
      const uri = `sqlite:///${join(dir, 'mlflow.db')}`;
      const target = await SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'artifacts') });
      expect((await migrateStore(source, target)).verification?.ok).toBe(true);
      await target.close();
      await source.close();

      const experimentId = filled.experimentIds[1] as string;
      expect(experimentId).toMatch(/^\d{18}$/);
      const run = spawnSync(join(mlflowVenv, 'bin', 'python'), ['-c', READ, uri, experimentId, filled.runIds[1] as string], {
        encoding: 'utf8',
        timeout: 240_000,
        env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' },
      });
      expect(run.status, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout.trim().split('\n').at(-1) as string) as Record<string, unknown>;
      expect(out['experiments']).toEqual([...filled.experimentIds].sort());
      expect(out['name']).toBe('alpha');
      expect(out['runs']).toBe(15);
      expect(out['models']).toBe(4); // 6 models in the experiment, 2 of them deleted
      expect(out['history']).toEqual([[0, 0.5], [1, 1 / 3], [2, 0.25]]);
      expect(out['new_run_experiment']).toBe(experimentId);
      // MLflow continues after the largest id, exactly (Python ints), as our store does.
      expect(BigInt(out['new_experiment'] as string)).toBe(BigInt(filled.experimentIds.reduce((a, b) => (BigInt(a) > BigInt(b) ? a : b))) + 1n);
    }, 600_000);
  });
}
