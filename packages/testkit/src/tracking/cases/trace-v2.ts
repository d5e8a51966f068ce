import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';
import { TRACES } from './trace-fixtures.js';

const UNKNOWN_V2_ID = 'ffffffffffffffffffffffffffffffff';

/**
 * MLflow's deprecated v2 trace paths (`deprecated_start_trace_v2` / `deprecated_end_trace_v2`,
 * the legacy `POST`/`PATCH /api/2.0/mlflow/traces` routes), gated on the `traces` capability.
 */
export const traceV2Group: TrackingCaseGroup = {
  name: 'traces-v2',
  define(ctx) {
    const s = () => ctx.store();
    const it = (name: string, fn: () => Promise<void>) => ctx.it(name, fn, [...TRACES]);

    it('deprecatedStartTraceV2: a uuid4-hex id, IN_PROGRESS, no duration, the metadata exactly as given, tags with the artifact location', async () => {
      const exp = await newExperiment(ctx);
      const loc = (await s().getExperiment(exp)).artifact_location.replace(/\/+$/, '');
      const metadata = { 'mlflow.sourceRun': 'r1', 'mlflow.trace.session': 's1', custom: 'm' };
      const started = await s().deprecatedStartTraceV2({
        experimentId: exp,
        timestampMs: 1234,
        requestMetadata: metadata,
        tags: { 'mlflow.traceName': 'v2-trace', team: 'a' },
      });
      const id = started.trace_id;
      expect(id).toMatch(/^[0-9a-f]{32}$/);
      expect(started).toMatchObject({
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
        request_time: 1234,
        state: 'IN_PROGRESS',
      });
      // The v2 message cannot say "no duration": MLflow's TraceInfoV2.to_proto writes 0.
      expect(started.execution_duration ?? 0).toBe(0);
      const tags = { 'mlflow.traceName': 'v2-trace', team: 'a', 'mlflow.artifactLocation': `${loc}/traces/${id}/artifacts` };
      expect(started.trace_metadata).toEqual(metadata);
      expect(started.tags).toEqual(tags);
      const got = await s().getTraceInfo(id);
      expect(got).toMatchObject({ trace_id: id, request_time: 1234, state: 'IN_PROGRESS' });
      expect(got.execution_duration ?? undefined).toBeUndefined();
      expect(got.trace_metadata).toEqual(metadata);
      expect(got.tags).toEqual(tags);
    });

    it('deprecatedEndTraceV2: duration = end − start, the status, metadata and tags merged (the trace name too)', async () => {
      const exp = await newExperiment(ctx);
      const started = await s().deprecatedStartTraceV2({
        experimentId: exp,
        timestampMs: 1000,
        requestMetadata: { a: '1', keep: 'k' },
        tags: { t1: 'x', 'mlflow.traceName': 'first' },
      });
      const id = started.trace_id;
      const ended = await s().deprecatedEndTraceV2(id, {
        timestampMs: 1250,
        status: 'ERROR',
        requestMetadata: { a: '2', b: '3' },
        tags: { t1: 'y', t2: 'z', 'mlflow.traceName': 'second' },
      });
      const artifactLocation = started.tags['mlflow.artifactLocation'];
      expect(artifactLocation).toMatch(new RegExp(`/traces/${id}/artifacts$`));
      for (const info of [ended, await s().getTraceInfo(id)]) {
        expect(info).toMatchObject({ trace_id: id, request_time: 1000, execution_duration: 250, state: 'ERROR' });
        expect(info.trace_metadata).toEqual({ a: '2', keep: 'k', b: '3' });
        expect(info.tags).toEqual({ t1: 'y', t2: 'z', 'mlflow.traceName': 'second', 'mlflow.artifactLocation': artifactLocation });
      }
      const again = await s().deprecatedEndTraceV2(id, { timestampMs: 1100, status: 'OK' });
      expect(again).toMatchObject({ execution_duration: 100, state: 'OK' });
      expect(again.trace_metadata).toEqual({ a: '2', keep: 'k', b: '3' });
    });

    it('deprecatedEndTraceV2 of an unknown id fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(
        s().deprecatedEndTraceV2(UNKNOWN_V2_ID, { timestampMs: 1, status: 'OK' }),
        'RESOURCE_DOES_NOT_EXIST',
        new RegExp(`Trace with ID '${UNKNOWN_V2_ID}' not found`),
      );
    });

    it('deprecatedStartTraceV2 in an unknown experiment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().deprecatedStartTraceV2({ experimentId: '987654321019', timestampMs: 1 }), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('deprecatedStartTraceV2 in a deleted experiment fails with INVALID_PARAMETER_VALUE', async () => {
      const exp = await newExperiment(ctx);
      await s().deleteExperiment(exp);
      await expectMlflowError(
        s().deprecatedStartTraceV2({ experimentId: exp, timestampMs: 1 }),
        'INVALID_PARAMETER_VALUE',
        new RegExp(`The experiment ${exp} must be in the 'active' state. Current state is deleted.`),
      );
    });

    it('deprecatedStartTraceV2 refuses a trace name over 4096 characters', async () => {
      const exp = await newExperiment(ctx);
      await expectMlflowError(
        s().deprecatedStartTraceV2({ experimentId: exp, timestampMs: 1, tags: { 'mlflow.traceName': 'n'.repeat(4097) } }),
        'INVALID_PARAMETER_VALUE',
        /'Trace name' exceeds the maximum length of 4096 characters/,
      );
    });
  },
};
