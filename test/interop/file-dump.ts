/**
 * Dump helpers for the `mlruns` interop tests: the one MLflow FileStore quirk that has to be
 * normalised before two dumps of one folder can be compared, and the by-name view used to compare
 * the same scenario written by two writers (file-store ids are random on both sides).
 */
import type { Dump, DumpMetric, DumpRun } from './store-dump.js';

/**
 * MLflow 3.18's FileStore reads a 5-field metric line (`<ts> <value> <step> <dataset_name>
 * <dataset_digest>`, which it writes itself for metrics logged with a dataset) with step 0:
 * `_get_metric_from_line` takes the step only from 3-field lines. Our store reports the step that
 * was logged. Such metrics are recognisable on both sides by their dataset fields; their step is
 * replaced by a marker here and checked separately (ours = logged step, MLflow = 0).
 */
export const FIVE_FIELD_STEP = '<5-field line: MLflow 3.18 reads step 0>';

function maskMetric(m: DumpMetric): DumpMetric {
  return m.dataset_name !== undefined ? { ...m, step: FIVE_FIELD_STEP as unknown as number } : m;
}

function maskRun<T extends DumpRun>(run: T): T {
  const out: T = { ...run, metrics: run.metrics.map(maskMetric) };
  if ('histories' in run) {
    const histories = (run as unknown as { histories: Record<string, DumpMetric[]> }).histories;
    (out as unknown as { histories: Record<string, DumpMetric[]> }).histories = Object.fromEntries(
      Object.entries(histories).map(([key, history]) => [key, history.map(maskMetric)]),
    );
  }
  return out;
}

/** Applies the FileStore quirk masks above to every run of a dump (latest values, histories, searches). */
export function maskFileStoreQuirks(dump: Dump): Dump {
  return {
    ...dump,
    runs: dump.runs.map(maskRun),
    run_searches: dump.run_searches.map((s) => ({ name: s.name, runs: s.runs.map(maskRun) })),
  };
}

/**
 * Experiment searches whose order depends on which writer won a random draw: `creation_time DESC`
 * breaks millisecond ties by (random) experiment id, so two writers may list tied experiments in
 * different orders. Compared by (writer, reader) pairs on one folder, not across writers.
 */
export const ORDER_DEPENDS_ON_RANDOM_IDS = new Set(['default order (creation_time DESC, id ASC)']);

/**
 * A dump keyed by names instead of random ids, for comparing what two writers produced: experiment
 * and run ids become names, artifact locations are made relative to the root (the writers used
 * different folders), and the wall-clock experiment times are dropped.
 */
export function fileByName(dump: Dump) {
  const root = dump.experiments.find((e) => e.experiment_id === '0')?.artifact_location.replace(/\/0$/, '') ?? '<none>';
  const expNames = new Map(dump.experiments.map((e) => [e.experiment_id, e.name]));
  const runNames = new Map(dump.runs.map((r) => [r.info.run_id, r.info.run_name]));
  const rel = (uri: string) => {
    let out = uri.startsWith(root) ? `<root>${uri.slice(root.length)}` : uri;
    for (const [id, name] of expNames) if (id !== '0') out = out.split(`/${id}/`).join(`/<exp:${name}>/`).replace(new RegExp(`/${id}$`), `/<exp:${name}>`);
    for (const [id, name] of runNames) out = out.split(id).join(`<run:${name}>`);
    return out;
  };
  const run = (r: DumpRun) => ({
    ...r,
    info: { ...r.info, run_id: '<id>', experiment_id: expNames.get(r.info.experiment_id) ?? r.info.experiment_id, artifact_uri: rel(r.info.artifact_uri) },
  });
  return {
    experiments: Object.fromEntries(
      dump.experiments.map(({ creation_time: _c, last_update_time: _u, experiment_id: _id, ...e }) => [e.name, { ...e, artifact_location: rel(e.artifact_location) }]),
    ),
    runs: Object.fromEntries(dump.runs.map((r) => [r.info.run_name, run(r)])),
    run_searches: dump.run_searches.map((s) => ({ name: s.name, runs: s.runs.map((r) => runNames.get(r.info.run_id) ?? r.info.run_id) })),
    experiment_searches: dump.experiment_searches.map((s) => ({
      name: s.name,
      experiments: s.experiment_ids.map((id) => expNames.get(id) ?? id),
    })),
  };
}
