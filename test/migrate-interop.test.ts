import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { registerLocalArtifactRepository } from '@mlstore/artifact-local';
import { createArtifactRepositoryRegistry, migrateStore } from '@mlstore/core';
import { FileTrackingStore } from '@mlstore/store-file';
import { SqlTrackingStore } from '@mlstore/store-sql';
import { lastJsonLine, mlflowVenv, mlflowVenvProblem, runPythonCode } from './interop/mlflow-python.js';
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

// An mlruns as MLflow 3.18.0 itself writes it: metrics logged, then pyfunc.log_model, which
// re-appends the run's metric lines to its metric files (exact duplicates a SQL store holds once).
const WRITE_WITH_MLFLOW = `
import json, sys, mlflow, mlflow.pyfunc
class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input
mlflow.set_tracking_uri("file://" + sys.argv[1])
mlflow.set_experiment("pyfunc")
with mlflow.start_run() as run:
    mlflow.log_param("lr", "0.1")
    for s in range(3):
        mlflow.log_metric("loss", 1.0 / (s + 1), step=s, timestamp=1_700_000_000_000 + s)
    mlflow.log_text("hello", "notes/readme.txt")
    info = mlflow.pyfunc.log_model(name="model", python_model=Echo())
print(json.dumps({"run_id": run.info.run_id, "experiment_id": run.info.experiment_id, "model_id": info.model_id}))
`;

// Reads the migrated SQLite store with MLflow once the old mlruns is gone: the run's artifacts and
// the logged model must load from where --copy-artifacts put them.
const READ_COPIED = `
import json, sys, tempfile, os, mlflow, mlflow.pyfunc
from mlflow.tracking import MlflowClient
mlflow.set_tracking_uri(sys.argv[1])
c = MlflowClient()
run = c.get_run(sys.argv[2])
d = c.download_artifacts(sys.argv[2], "notes", tempfile.mkdtemp())
model = mlflow.pyfunc.load_model("models:/" + sys.argv[3])
print(json.dumps({
  "artifact_uri": run.info.artifact_uri,
  "model_uri": c.get_logged_model(sys.argv[3]).artifact_location,
  "readme": open(os.path.join(d, "readme.txt")).read(),
  "predicted": model.predict([1, 2]),
  "history": [[m.step, m.value] for m in c.get_metric_history(sys.argv[2], "loss")],
}))
`;

if (problem && !(enabled && requireServices)) {
  if (enabled) console.warn(`[migrate-interop] skipped: ${problem}`);
  describe.skip(`${title} (${problem})`, () => it('needs the MLflow venv', () => {}));
} else {
  describe("an mlruns written by MLflow 3.18.0 (pyfunc.log_model) migrated into SQLite with --copy-artifacts", () => {
    it('folds the duplicate metric lines, copies the artifacts, and MLflow loads the model once the mlruns is gone', async () => {
      if (problem) throw new Error(`[migrate-interop] ${problem}`);
      const dir = mkdtempSync(join(tmpdir(), 'mlstore-migrate-pyfunc-'));
      const mlruns = join(dir, 'mlruns');
      const env = { MLFLOW_ALLOW_FILE_STORE: 'true' };
      const ids = lastJsonLine<{ run_id: string; experiment_id: string; model_id: string }>(await runPythonCode(WRITE_WITH_MLFLOW, [mlruns], { cwd: dir, timeoutMs: 240_000, env }));
      // What the issue is about: MLflow wrote the same line twice.
      const lines = readFileSync(join(mlruns, ids.experiment_id, ids.run_id, 'metrics', 'loss'), 'utf8').trim().split('\n');
      expect(lines.length).toBeGreaterThan(new Set(lines).size);

      const source = await FileTrackingStore.open(mlruns);
      const uri = `sqlite:///${join(dir, 'mlflow.db')}`;
      const target = await SqlTrackingStore.open(uri, { artifactRoot: join(dir, 'unused') });
      const artifacts = registerLocalArtifactRepository(createArtifactRepositoryRegistry());
      const destination = join(dir, 'artifacts');
      const report = await migrateStore(source, target, { copyArtifacts: { destination, resolve: (u) => artifacts.resolve(u) } });
      await target.close();
      await source.close();
      expect(report.verification?.ok).toBe(true);
      expect(report.verification?.source.duplicateMetricValues).toBe(lines.length - new Set(lines).size);
      expect(report.verification?.target).toMatchObject({ metricValues: new Set(lines).size, duplicateMetricValues: 0 });
      expect(report.artifacts).toMatchObject({ copied: true, destination, runs: { copied: 1, skipped: 0, inPlace: 0 }, loggedModels: { copied: 1, skipped: 0, inPlace: 0 }, notMoved: [] });
      expect(readdirSync(join(destination, ids.experiment_id, 'models', ids.model_id, 'artifacts'))).toContain('MLmodel');

      rmSync(mlruns, { recursive: true });
      const out = lastJsonLine<Record<string, unknown>>(await runPythonCode(READ_COPIED, [uri, ids.run_id, ids.model_id], { cwd: dir, timeoutMs: 240_000 }));
      expect(out['artifact_uri']).toBe(join(destination, ids.experiment_id, ids.run_id, 'artifacts'));
      expect(out['model_uri']).toBe(join(destination, ids.experiment_id, 'models', ids.model_id, 'artifacts'));
      expect(out['readme']).toBe('hello');
      expect(out['predicted']).toEqual([1, 2]);
      expect(out['history']).toEqual([[0, 1], [1, 0.5], [2, 1 / 3]]);
    }, 600_000);
  });

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
