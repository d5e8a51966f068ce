/**
 * kill -9 durability: the real `mlstore server` (apps/demo through tsx, as users run it) on each
 * target, 8 concurrent clients writing runs, batches, metrics, tags and proxied artifacts, and a
 * SIGKILL of the server's process group while writes are in flight — twice, restarting on the same
 * store each time. Afterwards every acknowledged write must be there exactly once, nothing cut by
 * the kill may be there twice or half-written, and the store must be sound (see durability-checks.ts
 * and durability-sql.ts). Bounded: about 1.5 s of writes per cycle.
 */
import { expect, it } from 'vitest';
import { startMlstoreServer, type MlstoreServer } from '../interop/mlstore-server.js';
import { checkFileStore, tempFilesUnder, verifyLedger, type Verdict } from './durability-checks.js';
import { latestMetricsProblems, sqliteIntegrityProblems } from './durability-sql.js';
import { Ledger, runClients, startHalfUpload, type ClientState } from './durability-workload.js';
import { forEachTarget, plantCanaries, reportTotals } from './harness.js';
import type { Provisioned } from './targets.js';

const SUITE = 'kill -9 durability';
const CLIENTS = 8;
const CYCLES = 2;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function start(p: Provisioned): Promise<MlstoreServer> {
  return startMlstoreServer(p.backendStoreUri, { cwd: p.base, artifactsDestination: p.artifactsDestination, timeoutMs: 60_000, env: { LOG_LEVEL: 'warn' } });
}

/** What the store looks like right after a kill, before anything reopens it. */
function checkAfterKill(p: Provisioned, cycle: number, killedPids: readonly number[], note: (line: string) => void): string[] {
  const problems: string[] = [];
  if (p.sqlDialect === 'sqlite') problems.push(...sqliteIntegrityProblems(p.backendStoreUri));
  if (p.mlrunsDir !== undefined) {
    const { problems: found, partialRuns, orphanTemps } = checkFileStore(p.mlrunsDir, killedPids);
    problems.push(...found);
    if (partialRuns.length > 0) note(`cycle ${cycle}: ${partialRuns.length} run folder(s) without meta.yaml (creates cut by the kill, never acknowledged)`);
    if (orphanTemps.length > 0) note(`cycle ${cycle}: ${orphanTemps.length} temp file(s) of killed servers left in the store root (never removed): ${orphanTemps.join(', ')}`);
  }
  const artifactTemps = tempFilesUnder(p.artifactsDestination);
  if (artifactTemps.length > 0) note(`cycle ${cycle}: ${artifactTemps.length} artifact temp file(s) of uploads cut by the kill (hidden from listings)`);
  return problems.map((x) => `after kill ${cycle + 1}: ${x}`);
}

await forEachTarget(SUITE, 'tracking', (target, p) => {
  it(`keeps every acknowledged write through ${CYCLES} kill -9 of the server`, async () => {
    const began = Date.now();
    const canaries = await plantCanaries(p);
    const ledger = new Ledger();
    const clients: ClientState[] = Array.from({ length: CLIENTS }, (_, client) => ({ client, seq: 0 }));
    const notes: string[] = [];
    const problems: string[] = [];
    const inFlight: number[] = [];
    const killedPids: number[] = [];
    let crashes = 0;
    let server = await start(p);
    let experimentId = '';
    let verdict: Verdict | undefined;
    try {
      const created = await fetch(`${server.url}/api/2.0/mlflow/experiments/create`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'durability' }),
      });
      expect(created.status, await created.clone().text()).toBe(200);
      experimentId = ((await created.json()) as { experiment_id: string }).experiment_id;

      for (let cycle = 0; cycle < CYCLES; cycle++) {
        let stopped = false;
        const before = ledger.writes.length;
        const writing = runClients(server.url, experimentId, ledger, clients, cycle, () => stopped);
        await sleep(800 + Math.random() * 1_000);
        // One write surely in flight: an upload stopped halfway (its bytes must never appear).
        const half = await startHalfUpload(server.url, experimentId, ledger, cycle);
        await sleep(200);
        killedPids.push(server.pid);
        const killedAt = performance.now();
        if (!(await server.kill())) crashes++;
        stopped = true;
        await writing;
        await half.settled;
        const cut = ledger.writes.slice(before).filter((w) => w.outcome === 'cut');
        inFlight.push(cut.filter((w) => w.sentAt < killedAt).length);
        notes.push(`cycle ${cycle}: ${ledger.writes.length - before} writes; cut: ${[...new Set(cut.map((w) => w.answer))].map((c) => `${c} ×${cut.filter((w) => w.answer === c).length}`).join(', ')}`);
        expect(ledger.writes.slice(before).filter((w) => w.outcome === 'acked').length, `cycle ${cycle} acknowledged nothing`).toBeGreaterThan(20);
        problems.push(...checkAfterKill(p, cycle, killedPids, (line) => notes.push(line)));
        server = await start(p);
      }

      verdict = await verifyLedger(server.url, experimentId, ledger);
      // The restarted store still searches: a filtered search finds client 3's runs and no others.
      const filtered = await fetch(`${server.url}/api/2.0/mlflow/runs/search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ experiment_ids: [experimentId], filter: "tags.client = '3'", max_results: 1000 }),
      });
      const runs = ((await filtered.json()) as { runs?: { info: { run_name: string } }[] }).runs ?? [];
      const expected = new Set(ledger.writes.filter((w) => w.kind === 'create-run' && w.client === 3 && w.outcome === 'acked').map((w) => w.runName));
      if (filtered.status !== 200 || runs.some((r) => !r.info.run_name.startsWith('run-c3-')) || [...expected].some((n) => !runs.some((r) => r.info.run_name === n))) {
        problems.push(`search with filter tags.client = '3' answered ${filtered.status} with ${runs.length} runs, expected ${expected.size} or more of client 3`);
      }
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- server log ---\n${server.log().slice(-4000)}`, { cause: err });
    } finally {
      await server.stop();
    }

    if (p.sqlDialect !== undefined) {
      const sql = await latestMetricsProblems(p.backendStoreUri, experimentId);
      problems.push(...sql.problems);
      notes.push(`${sql.runs} runs, ${sql.metricRows} metric rows, ${sql.latestRows} latest_metrics rows`);
    }
    if (p.sqlDialect === 'sqlite') problems.push(...sqliteIntegrityProblems(p.backendStoreUri).map((x) => `after the last stop: ${x}`));
    if (p.mlrunsDir !== undefined) problems.push(...checkFileStore(p.mlrunsDir, killedPids).problems.map((x) => `after the last stop: ${x}`));

    const w = ledger.writes;
    const totals = {
      suite: SUITE,
      target: target.name,
      attempts: w.length,
      refused: w.filter((x) => x.outcome === 'cut').length,
      accepted: w.filter((x) => x.outcome === 'acked').length,
      serverErrors: w.filter((x) => (x.status ?? 0) >= 500).length,
      crashes,
      canariesTouched: (await canaries.touched()).length,
      leaks: 0,
      lost: verdict!.lost,
      duplicated: verdict!.duplicated,
    };
    reportTotals(totals);
    const kinds = [...new Set(w.map((x) => x.kind))].map((k) => `${k} ${w.filter((x) => x.kind === k && x.outcome === 'acked').length}/${w.filter((x) => x.kind === k).length}`);
    process.stderr.write(
      `[attack] ${SUITE} · ${target.name}: ${totals.attempts} writes, ${totals.accepted} acknowledged, ${totals.refused} cut ` +
        `(${inFlight.join('+')} sent before the kills; ${verdict!.cutLanded} stored whole, ${verdict!.cutPartial} in part), lost ${totals.lost}, duplicated ${totals.duplicated}, 5xx ${totals.serverErrors}; ` +
        `${kinds.join(', ')}; ${CYCLES} kills; ${((Date.now() - began) / 1000).toFixed(1)} s\n` +
        notes.map((n) => `[attack]   ${n}\n`).join(''),
    );

    const answered = w.filter((x) => x.outcome === 'answered').map((x) => `${x.kind} → ${x.status}: ${x.answer}`);
    expect(answered, 'writes answered with an error').toEqual([]);
    expect([...verdict!.problems, ...problems]).toEqual([]);
    expect(totals.lost).toBe(0);
    expect(totals.duplicated).toBe(0);
    expect(totals.serverErrors).toBe(0);
    expect(crashes, 'the server had exited before it was killed').toBe(0);
    expect(await canaries.touched()).toEqual([]);
  }, 120_000);
});
