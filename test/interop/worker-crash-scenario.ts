/**
 * A worker of `mlstore server --workers 2` killed with `kill -9` under load (test/multi-process.test.ts):
 * CLIENTS clients write without pause (log_metric with a step of their own, create_run) through
 * the primary's port; after KILL_AFTER acknowledged writes one worker gets SIGKILL. The load stops
 * once the replacement worker has answered REPLACEMENT_SERVES requests (a count, never a time);
 * then the log, the processes and the database are checked.
 */
import { expect } from 'vitest';
import { api, inParallel, ok, startBuiltServer } from './built-server.js';
import { CLIENTS, metricHistory, searchAllRuns } from './multi-process-scenarios.js';

const KILL_AFTER = 60;
const REPLACEMENT_SERVES = 16;
/** A bound on the whole load, should the replacement never serve. */
const MAX_REQUESTS = 20_000;

interface Sent {
  kind: 'metric' | 'run';
  step: number;
  status?: number;
  runId?: string;
  body?: unknown;
  error?: Error & { cause?: { code?: string; message?: string } };
}

/** Errors below HTTP that a client retries: the connection reset or closed before an answer. */
const CONNECTION_LEVEL = /ECONNRESET|EPIPE|UND_ERR_SOCKET|socket hang up|other side closed/;
const describeError = (e: NonNullable<Sent['error']>) => `${e.message} (${e.cause?.code ?? ''} ${e.cause?.message ?? ''})`;

export async function workerCrashUnderLoad(uri: string, opts: { artifactsDestination: string; cwd: string; label: string }): Promise<void> {
  const server = await startBuiltServer(uri, { artifactsDestination: opts.artifactsDestination, cwd: opts.cwd, extraArgs: ['--workers', '2'] });
  try {
    const pids = server.lines().find((l) => typeof l['workers'] === 'number')!['pids'] as number[];
    expect(pids).toHaveLength(2);
    const victim = pids[0] as number;
    const experimentId = (await ok(server.url, 'experiments/create', { name: `crash-${opts.label}` }))['experiment_id'] as string;
    const runId = (await ok(server.url, 'runs/create', { experiment_id: experimentId }))['run']['info']['run_id'] as string;
    // Worker ids count up from 1: the replacement of the first two is the third.
    const replacementServed = () => server.served().filter((s) => s.worker > 2 && s.status === 200).length;

    let sent = 0;
    let acked = 0;
    let inFlight = 0;
    let kill: { inFlight: number; at: number; sent: number } | undefined;
    const records = await inParallel(CLIENTS, async (c) => {
      const mine: Sent[] = [];
      for (let j = 0; sent < MAX_REQUESTS && !(kill && replacementServed() >= REPLACEMENT_SERVES); j++) {
        const record: Sent = { kind: j % 2 === 0 ? 'metric' : 'run', step: c * 1_000_000 + j };
        sent++;
        inFlight++;
        try {
          const a =
            record.kind === 'metric'
              ? await api(server.url, 'runs/log-metric', { run_id: runId, key: 'load', value: j, timestamp: Date.now(), step: record.step })
              : await api(server.url, 'runs/create', { experiment_id: experimentId, run_name: `c${c}-${j}`, start_time: Date.now() });
          record.status = a.status;
          if (a.status === 200) {
            acked++;
            if (record.kind === 'run') record.runId = a.json['run']['info']['run_id'] as string;
          } else {
            record.body = a.json;
          }
        } catch (err) {
          record.error = err as Sent['error'];
        } finally {
          inFlight--;
        }
        mine.push(record);
        if (!kill && acked >= KILL_AFTER) {
          kill = { inFlight, at: Date.now(), sent };
          process.kill(victim, 'SIGKILL');
        }
      }
      return mine;
    });
    const all = records.flat();
    const failed = all.filter((r) => r.error);
    const listening = server.lines().find((l) => Number(l.worker) > 2 && String(l.msg).startsWith('mlstore server listening'));
    const counts = new Map<number, number>();
    for (const r of all) if (r.status !== undefined) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    const statuses = [...counts].map(([status, n]) => `${n} × ${status}`);
    console.info(
      `[multi-process] ${opts.label} --workers 2: ${all.length} requests (${statuses.join(', ')}, ${failed.length} failed below HTTP: ` +
        `${[...new Set(failed.map((r) => describeError(r.error!)))].join('; ')}); ${kill?.inFlight} in flight at the kill (after ${kill?.sent} sent); ` +
        `replacement listening ${listening ? `${Number(listening.time) - (kill?.at ?? 0)} ms after the kill` : 'never'}, served ${replacementServed()}`,
    );
    expect(kill, `${KILL_AFTER} writes were acknowledged before the kill`).toBeDefined();
    expect(replacementServed(), `the replacement served within ${MAX_REQUESTS} requests\n${server.tail()}`).toBeGreaterThanOrEqual(REPLACEMENT_SERVES);

    // The primary saw the exit, started another worker, and that one serves.
    const exitLine = await server.waitFor((l) => l.msg === 'a server worker exited; starting another' && l['pid'] === victim, 'the exit was logged');
    expect(exitLine['signal']).toBe('SIGKILL');
    await server.waitFor((l) => Number(l.worker) > 2 && String(l.msg).startsWith('mlstore server listening'), 'the replacement listened');
    const children = server.children();
    expect(children).toHaveLength(2);
    expect(children).toContain(pids[1]);
    expect(children).not.toContain(victim);

    // Failed requests: below HTTP only, at most those in flight at the kill.
    const answeredBadly = all.filter((r) => r.status !== undefined && r.status !== 200);
    expect(answeredBadly.map((r) => `${r.kind} ${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
    for (const r of failed) expect(describeError(r.error!)).toMatch(CONNECTION_LEVEL);
    expect(failed.length).toBeLessThanOrEqual(kill!.inFlight);

    // Every acknowledged write is stored exactly once; an unanswered one at most once.
    const history = (await metricHistory(server.url, runId, 'load')).map(([step]) => step);
    expect(new Set(history).size).toBe(history.length);
    const steps = new Set(history);
    const metrics = all.filter((r) => r.kind === 'metric');
    expect(metrics.filter((r) => r.status === 200 && !steps.has(r.step)).map((r) => r.step)).toEqual([]);
    const sentSteps = new Set(metrics.map((r) => r.step));
    expect(history.filter((s) => !sentSteps.has(s))).toEqual([]);
    const listed = await searchAllRuns(server.url, experimentId);
    expect(new Set(listed).size).toBe(listed.length);
    const ackedRuns = all.filter((r) => r.runId).map((r) => r.runId as string);
    const listedSet = new Set(listed);
    expect(ackedRuns.filter((id) => !listedSet.has(id))).toEqual([]);
    const failedRuns = failed.filter((r) => r.kind === 'run').length;
    expect(listed.length - 1 - ackedRuns.length).toBeGreaterThanOrEqual(0);
    expect(listed.length - 1 - ackedRuns.length).toBeLessThanOrEqual(failedRuns);
  } finally {
    await server.stop();
  }
}
