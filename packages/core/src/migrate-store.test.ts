import { describe, expect, it } from 'vitest';
import { isMlflowError } from './errors.js';
import type { RunExport } from './maintenance.js';
import { MemoryTrackingStore } from './memory/index.js';
import { migrateStore, MigrationVerificationError, type MigrationProgress } from './migrate-store.js';

async function errorOf(p: Promise<unknown>): Promise<Error & { errorCode: string }> {
  try {
    await p;
  } catch (e) {
    expect(isMlflowError(e)).toBe(true);
    return e as Error & { errorCode: string };
  }
  throw new Error('expected a rejection');
}

/** Two experiments (one deleted, with tags), `n` runs with params, tags, histories, inputs; one deleted run; two models. */
async function sourceStore(n = 20) {
  const s = new MemoryTrackingStore({ artifactRoot: '/tmp/src' });
  const e1 = await s.createExperiment('train', undefined, [{ key: 'team', value: 'a' }]);
  const e2 = await s.createExperiment('old', '/elsewhere/old', [{ key: 'x', value: 'y' }]);
  const runIds: string[] = [];
  for (let i = 0; i < n; i++) {
    const run = await s.createRun({ experimentId: i % 3 === 0 ? e2 : e1, startTime: 1000 + i, tags: [{ key: 'i', value: String(i) }] });
    const id = run.info.run_id;
    runIds.push(id);
    await s.logBatch(id, {
      params: [{ key: 'lr', value: String(i / 10) }],
      metrics: [
        { key: 'loss', value: 1 / (i + 1), timestamp: 1, step: 0 },
        { key: 'loss', value: i % 2 ? NaN : Infinity, timestamp: 2, step: 1 },
        { key: 'acc', value: -0, timestamp: 3, step: 0 },
      ],
    });
    await s.logInputs(id, { datasets: [{ dataset: { name: 'ds', digest: `d${i % 2}`, source_type: 'local', source: '/data' }, tags: [{ key: 'mlflow.data.context', value: 'train' }] }] });
    await s.updateRunInfo(id, { status: 'FINISHED', endTime: 2000 + i });
  }
  const m1 = (await s.createLoggedModel({ experimentId: e1, sourceRunId: runIds[1], tags: [{ key: 't', value: 'v' }] })).info.model_id;
  const m2 = (await s.createLoggedModel({ experimentId: e1 })).info.model_id;
  await s.logBatch(runIds[1] as string, { metrics: [{ key: 'acc', value: 0.9, timestamp: 5, step: 1, model_id: m1 }] });
  await s.logOutputs(runIds[1] as string, [{ model_id: m1, step: 1 }]);
  await s.deleteLoggedModel(m2);
  await s.deleteRun(runIds[2] as string);
  await s.deleteExperiment(e2);
  return { s, e1, e2, runIds, m1, m2 };
}

describe('migrateStore', () => {
  it('copies everything with ids, lifecycle and deletion times, and verifies', async () => {
    const { s, e1, e2, runIds, m2 } = await sourceStore();
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    const progress: MigrationProgress[] = [];
    const report = await migrateStore(s, t, { onProgress: (p) => progress.push(p) });
    // The target's own (empty) default experiment takes the source's metadata.
    expect(report.experiments).toEqual({ created: 3, skipped: 0 });
    expect(await t.getExperiment('0')).toEqual(await s.getExperiment('0'));
    expect(report.runs).toEqual({ created: 20, skipped: 0 });
    expect(report.loggedModels).toEqual({ created: 2, skipped: 0 });
    expect(report.verification?.ok).toBe(true);
    expect(report.verification?.source.metricValues).toBe(61);
    const last = progress.filter((p) => p.phase !== 'verifying').at(-1);
    expect(last).toMatchObject({ phase: 'logged-models', overallDone: 25, overallTotal: 25 });
    expect(progress.some((p) => p.phase === 'verifying')).toBe(true);

    const e2copy = await t.getExperiment(e2);
    expect(e2copy).toEqual(await s.getExperiment(e2));
    for (const id of runIds) expect(await t.getRun(id)).toEqual(await s.getRun(id));
    const history = await t.getMetricHistory(runIds[1] as string, 'loss');
    expect(Number.isNaN(history.items[1]?.value)).toBe(true);
    const [deleted] = await t.deletedRuns();
    expect(deleted?.deletedTime).toBe((await s.deletedRuns()).find((r) => r.id === deleted?.id)?.deletedTime);
    expect((await t.deletedLoggedModels()).map((m) => m.id).sort()).toEqual([m2]);
    // New ids continue after the imported ones.
    expect(await t.createExperiment('after')).toBe(String(Number(e2) + 1));
    expect((await t.searchDatasets([e1])).length).toBe(2);
  });

  it("imports the runs in batches through the target's importRuns when it has one, bounded in runs", async () => {
    const s = new MemoryTrackingStore({ artifactRoot: '/tmp/src' });
    const e = await s.createExperiment('many');
    for (let i = 0; i < 501; i++) await s.createRun({ experimentId: e, startTime: i });
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    const batches: number[] = [];
    const single = t.importRun.bind(t);
    t.importRun = () => Promise.reject(new Error('importRun was called'));
    Object.assign(t, { importRuns: async (runs: readonly RunExport[]) => (batches.push(runs.length), Promise.all(runs.map((r) => single(r)))) });
    const progress: MigrationProgress[] = [];
    const report = await migrateStore(s, t, { concurrency: 2, onProgress: (p) => progress.push(p) });
    expect(batches.sort((a, b) => b - a)).toEqual([500, 1]);
    expect(report.runs).toEqual({ created: 501, skipped: 0 });
    expect(report.verification?.ok).toBe(true);
    expect(progress.filter((p) => p.phase === 'runs').at(-1)).toMatchObject({ done: 501, total: 501 });
    expect((await migrateStore(s, t)).runs).toEqual({ created: 0, skipped: 501 });
  });

  it('is idempotent: a second run skips everything and verifies again', async () => {
    const { s } = await sourceStore(5);
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    await migrateStore(s, t);
    const again = await migrateStore(s, t, { concurrency: 1 });
    expect(again.experiments).toEqual({ created: 0, skipped: 3 });
    expect(again.runs).toEqual({ created: 0, skipped: 5 });
    expect(again.loggedModels).toEqual({ created: 0, skipped: 2 });
    expect(again.verification?.ok).toBe(true);
  });

  it('resumes after an abort and ends with the same copy', async () => {
    const { s } = await sourceStore(30);
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    const ac = new AbortController();
    const err = await errorOf(
      migrateStore(s, t, { signal: ac.signal, concurrency: 3, onProgress: (p) => p.phase === 'runs' && p.done === 15 && ac.abort() }),
    );
    expect(err.errorCode).toBe('CANCELLED');
    const copied = (await t.searchRuns({ experimentIds: ['1', '2'], runViewType: 'ALL' })).items.length;
    expect(copied).toBeGreaterThanOrEqual(15);
    expect(copied).toBeLessThan(30);
    const resumed = await migrateStore(s, t);
    expect(resumed.runs.created + resumed.runs.skipped).toBe(30);
    expect(resumed.runs.skipped).toBe(copied);
    const fresh = await migrateStore(s, new MemoryTrackingStore({ artifactRoot: '/tmp/dst' }));
    expect(resumed.verification).toEqual(fresh.verification);
  });

  it('throws INVALID_STATE with the report when verification fails', async () => {
    const { s, runIds } = await sourceStore(3);
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    await migrateStore(s, t, { verify: false });
    await t.logBatch(runIds[1] as string, { params: [{ key: 'extra', value: '1' }] });
    const err = await errorOf(migrateStore(s, t));
    expect(err).toBeInstanceOf(MigrationVerificationError);
    expect(err.errorCode).toBe('INVALID_STATE');
    expect(err.message).toContain(`run ${runIds[1]}: params 1 in the source, 2 in the target`);
    expect((err as MigrationVerificationError).report.verification.mismatches).toHaveLength(1);
  });

  it('refuses to merge an experiment into another one with the same id or name', async () => {
    const { s } = await sourceStore(3);
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    await t.createExperiment('someone-else');
    const err = await errorOf(migrateStore(s, t));
    expect(err.errorCode).toBe('RESOURCE_ALREADY_EXISTS');
    expect(err.message).toBe("Experiment with id=1 already exists with another name ('someone-else').");
  });

  it("keeps the target's default experiment once something was logged to it", async () => {
    const { s } = await sourceStore(3);
    await s.setExperimentTag('0', { key: 'source', value: 'yes' });
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    await t.createRun({ experimentId: '0' });
    const err = await errorOf(migrateStore(s, t));
    // Kept as it is, so the verification reports the difference (tags, and the run only in the target).
    expect(err.errorCode).toBe('INVALID_STATE');
    expect(err.message).toContain('experiment 0: tags 1 in the source, 0 in the target');
  });
});

describe('migrateStore: traces', () => {
  const b64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
  const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

  /** Traces in `exp`: i started (with a tag, metadata and a feedback), the even ones with two spans logged. */
  async function withTraces(s: MemoryTrackingStore, exp: string, n: number): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = `tr-${hex(i + 1, 32)}`;
      ids.push(id);
      if (i % 2 === 0) {
        const start = 1_700_000_000_000_000_000n + BigInt(i) * 1_000_000n;
        const span = (sid: string, parent: string | null, name: string) => ({
          trace_id: b64(id.slice(3)),
          span_id: b64(sid),
          parent_span_id: parent ? b64(parent) : null,
          name,
          start_time_unix_nano: start.toString(),
          end_time_unix_nano: (start + 5_000_000n).toString(),
          status: { code: 'STATUS_CODE_OK', message: '' },
          attributes: { 'mlflow.traceRequestId': JSON.stringify(id), 'mlflow.spanType': '"CHAIN"' },
        });
        await s.logSpans(exp, [span(hex(2 * i + 1, 16), null, 'root'), span(hex(2 * i + 2, 16), hex(2 * i + 1, 16), 'child')]);
      }
      await s.startTrace({
        trace_id: id,
        trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: exp } },
        request_time: 1_700_000_000_000 + i,
        execution_duration: 5,
        state: i % 3 === 0 ? 'ERROR' : 'OK',
        trace_metadata: { 'mlflow.sourceRun': `r${i}` },
        tags: { team: 'a', 'mlflow.traceName': `t${i}` },
        assessments: [],
      });
      await s.createAssessment({
        trace_id: id,
        assessment_name: 'quality',
        source: { source_type: 'HUMAN', source_id: 'me' },
        feedback: { value: i },
      } as never);
    }
    return ids;
  }

  it('copies traces with tags, metadata, assessments and spans, verifies them, and is idempotent', async () => {
    const { s, e1, e2 } = await sourceStore(3);
    const ids = [...(await withTraces(s, e1, 5)), ...(await withTraces(s, e2, 0))];
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    const report = await migrateStore(s, t);
    expect(report.traces).toEqual({ created: 5, skipped: 0 });
    expect(report.verification?.ok).toBe(true);
    expect(report.verification?.target).toMatchObject({ traces: 5, assessments: 5, spans: 6 });
    for (const id of ids) expect(await t.getTraceInfo(id)).toEqual(await s.getTraceInfo(id));
    expect(await t.getTrace(ids[0] as string)).toEqual(await s.getTrace(ids[0] as string));

    const again = await migrateStore(s, t, { concurrency: 1 });
    expect(again.traces).toEqual({ created: 0, skipped: 5 });
    expect(again.verification?.ok).toBe(true);
  });

  it("copies a deleted experiment's traces (with spans) into its deleted copy, which stays deleted", async () => {
    const { s, e1 } = await sourceStore(3);
    const ids = await withTraces(s, e1, 3);
    await s.deleteExperiment(e1);
    const before = await s.getExperiment(e1);
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    const report = await migrateStore(s, t);
    expect(report.traces).toEqual({ created: 3, skipped: 0 });
    expect(report.verification?.ok).toBe(true);
    expect(report.verification?.target).toMatchObject({ traces: 3, assessments: 3, spans: 4, deletedExperiments: 2 });
    expect(await t.getExperiment(e1)).toMatchObject({ lifecycle_stage: 'deleted', last_update_time: before.last_update_time });
    for (const id of ids) expect(await t.getTraceInfo(id)).toEqual(await s.getTraceInfo(id));
    expect(await t.getTrace(ids[0] as string)).toEqual(await s.getTrace(ids[0] as string));
    // The ordinary route still refuses a deleted experiment; only the import takes it.
    await expect(t.startTrace({ ...(await s.getTraceInfo(ids[1] as string)), trace_id: 'tr-new' })).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    expect((await migrateStore(s, t)).traces).toEqual({ created: 0, skipped: 3 });
  });

  it('completes a trace whose info was copied but not its spans (an import interrupted between the two steps)', async () => {
    const { s, e1 } = await sourceStore(3);
    const [id] = await withTraces(s, e1, 1);
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    await migrateStore(s, t, { verify: false });
    const bare = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    await migrateStore(s, bare, { verify: false });
    await bare.deleteTraces(e1, { traceIds: [id as string] });
    const info = await s.getTraceInfo(id as string);
    await bare.startTrace({ ...info, tags: { ...info.tags, 'mlflow.trace.spansLocation': 'TRACKING_STORE' } });
    const check = await migrateStore(s, bare, { verify: false });
    expect(check.traces).toEqual({ created: 0, skipped: 1 });
    expect((await bare.getTrace(id as string)).data.spans).toEqual((await t.getTrace(id as string)).data.spans);
  });

  it('refuses to move spans into a store that cannot hold them', async () => {
    const { s, e1 } = await sourceStore(3);
    await withTraces(s, e1, 1);
    const t = new MemoryTrackingStore({ artifactRoot: '/tmp/dst' });
    Object.defineProperty(t, 'capabilities', { value: { ...t.capabilities, traceSpans: false } });
    const err = await errorOf(migrateStore(s, t));
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.message).toMatch(/has 2 spans in the source store, and the target store cannot store spans/);
  });
});
