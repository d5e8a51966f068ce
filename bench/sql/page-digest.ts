// One canonical form of a page of runs, hashed, so the orchestrator can prove that the hand-written
// "physical limit" query (limit-side.ts) returned exactly the data our searchRuns returned: the
// runs in the same order, each with its info, latest metrics, params and tags in the same order,
// its dataset inputs (with their tags) and its model inputs/outputs.
import { createHash } from 'node:crypto';
import type { Run } from '@mlstore/core';

/** The canonical JSON of one run (NaN metric values become null, as JSON has no NaN). */
function canonical(run: Run): unknown[] {
  const i = run.info;
  return [
    i.run_id,
    i.run_name,
    i.experiment_id,
    i.user_id,
    i.status,
    i.start_time,
    i.end_time ?? null,
    i.artifact_uri,
    i.lifecycle_stage,
    run.data.metrics.map((m) => [m.key, Number.isNaN(m.value) ? null : m.value, m.timestamp, m.step]),
    run.data.params.map((p) => [p.key, p.value]),
    run.data.tags.map((t) => [t.key, t.value]),
    run.inputs.dataset_inputs.map((d) => [d.dataset.name, d.dataset.digest, d.dataset.source_type, d.dataset.source, d.dataset.schema ?? null, d.dataset.profile ?? null, d.tags.map((t) => [t.key, t.value])]),
    run.inputs.model_inputs.map((m) => m.model_id),
    run.outputs.model_outputs.map((m) => [m.model_id, m.step]),
  ];
}

/** SHA-256 (first 16 hex digits) of the canonical form of `runs`, in their order. */
export function pageDigest(runs: readonly Run[]): string {
  return createHash('sha256').update(JSON.stringify(runs.map(canonical))).digest('hex').slice(0, 16);
}
