/**
 * Contested writes through two server processes on one database (test/multi-process.test.ts):
 * CLIENTS concurrent clients, client `c` sends its `i`-th request to server `(c + i) % 2`, so every
 * contested name or key reaches both processes. Each scenario asserts what MLflow 3.18's
 * SqlAlchemyStore guarantees (mlflow/store/tracking/sqlalchemy_store.py): a unique experiment name
 * (`create_experiment`: IntegrityError → RESOURCE_ALREADY_EXISTS), immutable params
 * (`log_param`/`_log_params` → INVALID_PARAMETER_VALUE), latest_metrics moved only by a strictly
 * greater (step, timestamp, value) (`_update_latest_metrics_if_necessary`), and a log_batch whose
 * params fail writing nothing else.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { api, inParallel, ok, type ApiAnswer } from './built-server.js';

export const CLIENTS = 16;

const pick = (urls: string[], c: number, i: number) => urls[(c + i) % urls.length] as string;
const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString('hex')}`;

async function newRun(url: string): Promise<{ experimentId: string; runId: string }> {
  const experimentId = (await ok(url, 'experiments/create', { name: unique('mp') }))['experiment_id'] as string;
  const run = await ok(url, 'runs/create', { experiment_id: experimentId, start_time: Date.now() });
  return { experimentId, runId: run['run']['info']['run_id'] as string };
}

/** Every run of an experiment, all pages, as read through `url`. */
export async function searchAllRuns(url: string, experimentId: string): Promise<string[]> {
  const ids: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await ok(url, 'runs/search', { experiment_ids: [experimentId], max_results: 1000, ...(pageToken ? { page_token: pageToken } : {}) });
    ids.push(...((page['runs'] ?? []) as { info: { run_id: string } }[]).map((r) => r.info.run_id));
    pageToken = page['next_page_token'] as string | undefined;
  } while (pageToken);
  return ids;
}

/** A metric as the REST API returns it, reduced to what identifies it. */
export type MetricTriple = [step: number, timestamp: number, value: number];
const triple = (m: { step?: unknown; timestamp?: unknown; value?: unknown }): MetricTriple => [Number(m.step ?? 0), Number(m.timestamp), Number(m.value)];
const byTriple = (a: MetricTriple, b: MetricTriple) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2];

/** The full history of one metric, read through `url` (no page left over). */
export async function metricHistory(url: string, runId: string, key: string): Promise<MetricTriple[]> {
  const r = await ok(url, 'metrics/get-history', undefined, { run_id: runId, metric_key: key });
  expect(r['next_page_token'] ?? '').toBe('');
  return ((r['metrics'] ?? []) as object[]).map(triple).sort(byTriple);
}

function expectOneWinner(answers: ApiAnswer[], loserCode: string): number {
  const winners = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
  expect(winners, `one 200 among ${answers.map((a) => a.status).join(',')}`).toHaveLength(1);
  for (const a of answers) if (a.status !== 200) expect({ status: a.status, code: a.json['error_code'] }).toEqual({ status: 400, code: loserCode });
  return winners[0] as number;
}

export const contestedWrites: Record<string, (urls: string[]) => Promise<void>> = {
  'experiment names: one 200 per name, the rest RESOURCE_ALREADY_EXISTS 400, one experiment each': async (urls) => {
    const names = Array.from({ length: 6 }, (_, i) => unique(`name${i}`));
    const answers = await inParallel(CLIENTS, async (c) => {
      const mine: ApiAnswer[] = [];
      for (const [i, name] of names.entries()) mine.push(await api(pick(urls, c, i), 'experiments/create', { name }));
      return mine;
    });
    for (const [i, name] of names.entries()) {
      const perName = answers.map((mine) => mine[i] as ApiAnswer);
      const winner = perName[expectOneWinner(perName, 'RESOURCE_ALREADY_EXISTS')] as ApiAnswer;
      for (const a of perName.filter((x) => x.status !== 200)) expect(a.json['message']).toBe(`Experiment(name=${name}) already exists.`);
      // Both processes resolve the name to the winner's experiment, and list it once.
      for (const url of urls) {
        const got = await ok(url, 'experiments/get-by-name', undefined, { experiment_name: name });
        expect(got['experiment']['experiment_id']).toBe(winner.json['experiment_id']);
        const listed = await ok(url, 'experiments/search', { max_results: 10, filter: `name = '${name}'` });
        expect(listed['experiments']).toHaveLength(1);
      }
    }
  },

  'create_run: every run id distinct and listed once by both processes': async (urls) => {
    const { experimentId } = await newRun(urls[0] as string);
    const created = await inParallel(CLIENTS, async (c) => {
      const ids: string[] = [];
      for (let i = 0; i < 4; i++) ids.push((await ok(pick(urls, c, i), 'runs/create', { experiment_id: experimentId, run_name: `c${c}-${i}`, start_time: Date.now() }))['run']['info']['run_id']);
      return ids;
    });
    const all = created.flat();
    expect(new Set(all).size).toBe(CLIENTS * 4);
    for (const url of urls) {
      const listed = await searchAllRuns(url, experimentId);
      expect(listed.filter((id) => all.includes(id)).sort()).toEqual([...all].sort());
      expect(listed).toHaveLength(all.length + 1); // and the run newRun made
    }
  },

  'log_metric and log_batch on one run: latest_metrics is the greatest (step, timestamp, value) acknowledged, the history each acknowledged metric once': async (urls) => {
    const { runId } = await newRun(urls[0] as string);
    const N = 8;
    // Few steps and timestamps: many ties, decided by timestamp, then value. Values are unique
    // (7 is prime to CLIENTS * N), so each acknowledged metric is one distinct history row.
    const acked = await inParallel(CLIENTS, async (c) => {
      const mine: Record<string, MetricTriple[]> = { m: [], n: [] };
      for (let i = 0; i < N; i++) {
        const k = c * N + i;
        const m: MetricTriple = [(k * 5) % 7, 1_000 + ((k * 3) % 4), (k * 7) % (CLIENTS * N)];
        const n: MetricTriple = [(k * 3) % 5, 2_000 + (k % 3), -((k * 11) % (CLIENTS * N)) - 0.5];
        const url = pick(urls, c, i);
        if (i % 2 === 0) {
          await ok(url, 'runs/log-metric', { run_id: runId, key: 'm', step: m[0], timestamp: m[1], value: m[2] });
          mine['m']!.push(m);
        } else {
          const metrics = [{ key: 'm', step: m[0], timestamp: m[1], value: m[2] }, { key: 'n', step: n[0], timestamp: n[1], value: n[2] }];
          await ok(url, 'runs/log-batch', { run_id: runId, metrics });
          mine['m']!.push(m);
          mine['n']!.push(n);
        }
      }
      return mine;
    });
    for (const key of ['m', 'n']) {
      const all = acked.flatMap((mine) => mine[key] as MetricTriple[]).sort(byTriple);
      const greatest = all.at(-1) as MetricTriple;
      for (const url of urls) {
        expect(await metricHistory(url, runId, key)).toEqual(all);
        const run = await ok(url, 'runs/get', undefined, { run_id: runId });
        const latest = (run['run']['data']['metrics'] as { key: string; step?: number; timestamp: number; value: number }[]).find((x) => x.key === key);
        expect(latest && triple(latest)).toEqual(greatest);
      }
    }
  },

  'log_param: one winner per key, the others INVALID_PARAMETER_VALUE 400 naming its value, which is stored': async (urls) => {
    const { runId } = await newRun(urls[0] as string);
    const keys = Array.from({ length: 5 }, (_, i) => `p${i}`);
    const answers = await inParallel(CLIENTS, async (c) => {
      const mine: ApiAnswer[] = [];
      for (const [i, key] of keys.entries()) mine.push(await api(pick(urls, c, i), 'runs/log-parameter', { run_id: runId, key, value: `v${c}` }));
      return mine;
    });
    const stored = new Map<string, string>();
    for (const [i, key] of keys.entries()) {
      const perKey = answers.map((mine) => mine[i] as ApiAnswer);
      const winner = `v${expectOneWinner(perKey, 'INVALID_PARAMETER_VALUE')}`;
      stored.set(key, winner);
      for (const [c, a] of perKey.entries()) {
        if (a.status === 200) continue;
        expect(a.json['message']).toBe(
          `Changing param values is not allowed. Param with key='${key}' was already logged with value='${winner}' for run ID='${runId}'. Attempted logging new value 'v${c}'.`,
        );
      }
    }
    for (const url of urls) {
      const run = await ok(url, 'runs/get', undefined, { run_id: runId });
      const params = new Map((run['run']['data']['params'] as { key: string; value: string }[]).map((p) => [p.key, p.value]));
      expect(params).toEqual(stored);
    }
  },

  'log_batch: of batches contesting the same params one wins; a loser writes none of its params, metrics or tags': async (urls) => {
    const runs = await Promise.all(Array.from({ length: 2 }, () => newRun(urls[0] as string)));
    const answers = await inParallel(CLIENTS, async (c) => {
      const mine: ApiAnswer[] = [];
      for (const [i, { runId }] of runs.entries()) {
        mine.push(
          await api(pick(urls, c, i), 'runs/log-batch', {
            run_id: runId,
            // Every batch also writes a param of its own: a loser must not leave it behind.
            params: [...['q0', 'q1', 'q2', 'q3'].map((key) => ({ key, value: `v${c}` })), { key: `own${c}`, value: 'x' }],
            metrics: [{ key: `bm${c}`, value: c, timestamp: 1_000 + c, step: c }],
            tags: [{ key: `bt${c}`, value: `t${c}` }],
          }),
        );
      }
      return mine;
    });
    for (const [i, { runId }] of runs.entries()) {
      const w = expectOneWinner(answers.map((mine) => mine[i] as ApiAnswer), 'INVALID_PARAMETER_VALUE');
      for (const url of urls) {
        const { data } = (await ok(url, 'runs/get', undefined, { run_id: runId }))['run'] as { data: Record<string, { key: string; value: unknown }[]> };
        expect(Object.fromEntries((data['params'] ?? []).map((p) => [p.key, p.value]))).toEqual({ q0: `v${w}`, q1: `v${w}`, q2: `v${w}`, q3: `v${w}`, [`own${w}`]: 'x' });
        expect((data['metrics'] ?? []).map((m) => [m.key, m.value])).toEqual([[`bm${w}`, w]]);
        expect((data['tags'] ?? []).filter((t) => t.key.startsWith('bt')).map((t) => [t.key, t.value])).toEqual([[`bt${w}`, `t${w}`]]);
      }
    }
  },
};
