// One writer process of concurrency.test.ts, run as `node --import tsx concurrency-worker.ts '<config>'`.
// It opens the store, prints `ready`, waits for `go` on stdin (so all writers start together), then
// performs `ops` operations mixing every write the file store has, against runs and experiments the
// other writers also use, and writes a journal of what it attempted and what succeeded. The test
// derives every expectation from the journals alone, so nothing here asserts.
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { isMlflowError, type AbstractStore, type RunStatus } from '@mlstore/core';
import { FileTrackingStore } from '../src/index.js';

export interface WorkerConfig {
  root: string;
  worker: number;
  ops: number;
  /** Created by the test before the writers start. */
  sharedExperiments: string[];
  sharedRuns: string[];
  /**
   * Every writer tries to create `contestedNames[i / contestedEvery]` at op i, i.e. all at about the
   * same moment, and halfway between two of those logs its own value of the same new param.
   */
  contestedNames: string[];
  contestedEvery: number;
  journal: string;
}

/** [timestamp, value, step] as logged. */
export type MetricTriple = [number, number, number];

export interface OpRecord {
  i: number;
  op:
    | 'logMetric'
    | 'logBatch'
    | 'logParam'
    | 'setTag'
    | 'createRun'
    | 'createExperiment'
    | 'updateRunInfo'
    | 'deleteRun'
    | 'restoreRun'
    | 'probeDeletedRun'
    | 'getRun'
    | 'searchRuns';
  runId?: string;
  experimentId?: string;
  name?: string;
  metrics?: { key: string; m: MetricTriple }[];
  params?: { key: string; value: string }[];
  tags?: { key: string; value: string }[];
  status?: RunStatus;
  endTime?: number;
  ok: boolean;
  code?: string;
  message?: string;
  /** Wall-clock ms (sub-ms precision) when the call started and returned, comparable across writers. */
  t0: number;
  t1: number;
  /** createRun: the new run id; createExperiment: the new id, or (when it lost) the winner's id as read back. */
  result?: string;
}

const BASE_TS = 1_700_000_000_000;
const AGREED_KEYS = 6;
const CONFLICT_KEYS = 6;
const SHARED_METRIC_KEYS = ['loss', 'acc', 'nested/lr', 'throughput'];
const SHARED_TAG_KEYS = ['owner', 'team/lead', 'team/size', 'note'];
const STATUSES: RunStatus[] = ['RUNNING', 'FINISHED', 'FAILED', 'KILLED'];

/** mulberry32: a tiny seeded PRNG, so a failing schedule can be replayed by its worker number. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const wallNow = () => performance.timeOrigin + performance.now();

async function main(): Promise<void> {
  const cfg = JSON.parse(process.argv[2]!) as WorkerConfig;
  const w = cfg.worker;
  const rnd = prng(0x5eed + w * 7919);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const store: AbstractStore = await FileTrackingStore.open(cfg.root);
  const journal: OpRecord[] = [];
  /** This writer's own runs (no other writer touches them), and whether each is deleted. */
  const own = new Map<string, { deleted: boolean }>();
  /** Experiments this writer may create runs in: the shared ones plus contested ones it has seen. */
  const experiments = [...cfg.sharedExperiments];

  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once('line', () => resolve()));

  const run = async (rec: Omit<OpRecord, 'ok' | 't0' | 't1'>, call: () => Promise<string | void>) => {
    const r: OpRecord = { ...rec, ok: false, t0: wallNow(), t1: 0 };
    try {
      const out = await call();
      r.ok = true;
      if (typeof out === 'string') r.result = out;
    } catch (e) {
      r.code = isMlflowError(e) ? e.errorCode : `NOT_AN_MLFLOW_ERROR ${(e as Error)?.name}`;
      r.message = String((e as Error)?.message ?? e).slice(0, 500);
    }
    r.t1 = wallNow();
    journal.push(r);
    return r;
  };
  const activeOwn = () => [...own].filter(([, s]) => !s.deleted).map(([id]) => id);
  const deletedOwn = () => [...own].filter(([, s]) => s.deleted).map(([id]) => id);
  // Metric values are unique per writer, op and position, so every line in a file names its writer.
  const metric = (i: number, j: number): MetricTriple => [BASE_TS + w * 1_000_000 + i * 100 + j, w * 1_000_000 + i * 100 + j + 0.25, i];

  const createRun = async (i: number, experimentId: string) => {
    const r = await run({ i, op: 'createRun', experimentId, name: `w${w}-run-${i}` }, async () =>
      (await store.createRun({ experimentId, userId: `worker-${w}`, startTime: BASE_TS + i, runName: `w${w}-run-${i}`, tags: [{ key: 'worker', value: String(w) }] })).info.run_id,
    );
    if (r.ok && r.result) own.set(r.result, { deleted: false });
  };

  for (let i = 0; i < cfg.ops; i++) {
    if (i % cfg.contestedEvery === 0 && i / cfg.contestedEvery < cfg.contestedNames.length) {
      // Every writer reaches op i at about the same moment: at most one may create the name.
      const name = cfg.contestedNames[i / cfg.contestedEvery]!;
      const r = await run({ i, op: 'createExperiment', name }, () => store.createExperiment(name));
      if (!r.ok && r.code === 'RESOURCE_ALREADY_EXISTS') r.result = (await store.getExperimentByName(name))?.experiment_id;
      if (r.result) experiments.push(r.result);
      continue;
    }
    if (i % cfg.contestedEvery === Math.floor(cfg.contestedEvery / 2)) {
      // Likewise for a param's first write: every writer logs its own value at once; one must win.
      const p = { key: `race-${i}`, value: `w${w}` };
      const target = cfg.sharedRuns[0]!;
      await run({ i, op: 'logParam', runId: target, params: [p] }, () => store.logParam(target, p));
      continue;
    }
    const x = rnd();
    const shared = pick(cfg.sharedRuns);
    const mine = activeOwn();
    if (x < 0.2) {
      const key = rnd() < 0.8 ? pick(SHARED_METRIC_KEYS) : `w${w}/m`;
      const m = metric(i, 0);
      await run({ i, op: 'logMetric', runId: shared, metrics: [{ key, m }] }, () => store.logMetric(shared, { key, timestamp: m[0], value: m[1], step: m[2] }));
    } else if (x < 0.3 || (x < 0.38 && mine.length > 0)) {
      // A batch onto a shared run, or (x in [0.3, 0.38)) onto one of this writer's own runs.
      const target = x < 0.3 ? shared : pick(mine);
      const metrics = Array.from({ length: 1 + Math.floor(rnd() * 40) }, (_, j) => ({ key: pick(SHARED_METRIC_KEYS), m: metric(i, j) }));
      // Params in a batch only where they cannot conflict: agreed values, or keys unique to this op.
      const params = [{ key: `agree-${Math.floor(rnd() * AGREED_KEYS)}`, value: 'agreed' }, { key: `w${w}/p${i}`, value: `v${i}` }];
      const tags = [{ key: `w${w}/t`, value: `batch-${i}` }];
      await run({ i, op: 'logBatch', runId: target, metrics, params, tags }, () =>
        store.logBatch(target, { metrics: metrics.map(({ key, m }) => ({ key, timestamp: m[0], value: m[1], step: m[2] })), params, tags }),
      );
    } else if (x < 0.38) {
      await createRun(i, pick(experiments));
    } else if (x < 0.48) {
      // Agreed keys: every writer logs the same value, all must succeed. Conflict keys: each writer
      // logs its own value; the first wins and every other value must fail.
      const agreed = rnd() < 0.5;
      const k = Math.floor(rnd() * (agreed ? AGREED_KEYS : CONFLICT_KEYS));
      const p = agreed ? { key: `agree-${k}`, value: 'agreed' } : { key: `conflict-${k}`, value: `w${w}` };
      const target = mine.length > 0 && rnd() < 0.2 ? pick(mine) : shared;
      await run({ i, op: 'logParam', runId: target, params: [p] }, () => store.logParam(target, p));
    } else if (x < 0.6) {
      const target = mine.length > 0 && rnd() < 0.25 ? pick(mine) : shared;
      const tag = { key: pick(SHARED_TAG_KEYS), value: `w${w}-i${i}` };
      await run({ i, op: 'setTag', runId: target, tags: [tag] }, () => store.setTag(target, tag));
    } else if (x < 0.67) {
      await createRun(i, pick(experiments));
    } else if (x < 0.74) {
      const target = mine.length > 0 && rnd() < 0.5 ? pick(mine) : shared;
      const status = pick(STATUSES);
      const endTime = BASE_TS + w * 1_000_000 + i;
      await run({ i, op: 'updateRunInfo', runId: target, status, endTime }, async () => void (await store.updateRunInfo(target, { status, endTime })));
    } else if (x < 0.8 && own.size > 0) {
      const [target, state] = pick([...own]);
      const op = state.deleted ? 'restoreRun' : 'deleteRun';
      const r = await run({ i, op, runId: target }, () => (state.deleted ? store.restoreRun(target) : store.deleteRun(target)));
      if (r.ok) state.deleted = !state.deleted;
    } else if (x < 0.83 && deletedOwn().length > 0) {
      // Writing to a deleted run must fail and leave nothing behind.
      const target = pick(deletedOwn());
      const m = metric(i, 0);
      await run({ i, op: 'probeDeletedRun', runId: target, metrics: [{ key: 'probe', m }] }, () => store.logMetric(target, { key: 'probe', timestamp: m[0], value: m[1], step: m[2] }));
    } else if (x < 0.87 && mine.length > 0) {
      // A run name set through its tag must reach meta.yaml's run_name.
      const target = pick(mine);
      const tag = { key: 'mlflow.runName', value: `w${w}-renamed-${i}` };
      await run({ i, op: 'setTag', runId: target, tags: [tag] }, () => store.setTag(target, tag));
    } else if (x < 0.95) {
      // Reads while the others write: a torn meta.yaml or metric line would make these fail.
      await run({ i, op: 'getRun', runId: shared }, async () => void (await store.getRun(shared)));
    } else {
      await run({ i, op: 'searchRuns' }, async () => void (await store.searchRuns({ experimentIds: cfg.sharedExperiments, filterString: 'metrics.loss > 0', maxResults: 50 })));
    }
  }
  await store.close();
  writeFileSync(cfg.journal, JSON.stringify(journal));
}

await main();
