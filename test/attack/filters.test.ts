/**
 * Standing attack: fuzzed search filters. Thousands of generated filters (with fuzzed order_by,
 * max_results, view types and page tokens) go to runs/search, experiments/search and
 * logged-models/search of a server on each tracking target. No answer may be a 5xx or a dropped
 * connection; every refusal is MLflow's `{error_code: INVALID_PARAMETER_VALUE, message}` without
 * database text; and a search every store must answer alike selects exactly what the same search
 * selects on a MemoryTrackingStore seeded through the same calls.
 *
 * Volume: MLSTORE_ATTACK_FILTERS searches per target (default 5,000 in the unit profile — sqlite and
 * file, 10,000 in all — and 4,000 in the integration profile on postgresql and mysql).
 */
import { MemoryTrackingStore } from '@mlstore/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forEachTarget, plantCanaries, reportTotals, startAttackServer, type AttackServer, type Canaries } from './harness.js';
import { judge, mergeTally, newTally, pool, post, type AnswerTally } from './search-oracle.js';
import { bodyFor, fuzzedSearches, namesIn, namesOn, SEARCH_PATHS, type FuzzedSearch, type SearchKind } from './search-requests.js';
import { RUNS, seedSearchData, type SeededIds } from './search-seed.js';

const integration = process.env['MLSTORE_PROFILE'] === 'integration';
const PER_TARGET = Number(process.env['MLSTORE_ATTACK_FILTERS'] ?? (integration ? 4_000 : 5_000));
const SEED = Number(process.env['MLSTORE_ATTACK_SEED'] ?? 20_260_515);
/** Share of the searches per RPC. */
const SHARE: Record<SearchKind, number> = { runs: 0.5, experiments: 0.25, models: 0.25 };
const KINDS = Object.keys(SHARE) as SearchKind[];
/** Requests in flight at once (the machine running CI has two cores). */
const WIDTH = 4;
/** Rows a search can select at most: every run (deleted ones under ALL), experiment (with Default) and model. */
const TOTAL: Record<SearchKind, number> = { runs: RUNS.length, experiments: 3, models: 3 };

await forEachTarget('fuzzed filters', 'tracking', (target, provisioned) => {
  let server: AttackServer;
  let canaries: Canaries;
  const memory = new MemoryTrackingStore();
  let serverIds: SeededIds;
  let memoryIds: SeededIds;
  const tally = newTally();
  const mismatches: string[] = [];
  let differentialChecks = 0;
  /** Differential checks where the stores selected some but not all of the rows: the filter discriminated. */
  let discriminating = 0;
  let started = 0;

  beforeAll(async () => {
    started = Date.now();
    canaries = await plantCanaries(provisioned);
    server = await startAttackServer(provisioned);
    serverIds = await seedSearchData(server.store);
    memoryIds = await seedSearchData(memory);
  });

  afterAll(async () => {
    const wallSeconds = (Date.now() - started) / 1000;
    reportTotals({ suite: 'filters', target: target.name, ...totalsOf(tally), canariesTouched: canaries ? (await canaries.touched()).length : 0 });
    process.stderr.write(
      `[attack] filters · ${target.name}: ${tally.attempts} attempts, ${tally.refused} refused, ${tally.accepted} accepted, ${tally.serverErrors} 5xx, ` +
        `${tally.crashes} crashes, ${tally.leaks} leaks, ${differentialChecks} differential checks (${discriminating} selecting some rows), ${mismatches.length} mismatches, ` +
        `${wallSeconds.toFixed(1)} s\n`,
    );
    await server?.close();
    await memory.close();
  });

  /** Sends one search; for a differential one, compares the outcome with the memory store's. */
  async function attempt(search: FuzzedSearch, t: AnswerTally): Promise<void> {
    const body = bodyFor(search, serverIds);
    const request = JSON.stringify(body);
    const judged = judge(t, request, await post(server.url, SEARCH_PATHS[search.kind], body), canaries.secrets);
    if (!search.differential || judged === undefined) return;
    differentialChecks++;
    let expected: string[] | 'refused';
    try {
      expected = await namesOn(memory, search, memoryIds);
    } catch {
      expected = 'refused';
    }
    const got = judged.status === 200 ? namesIn(search.kind, judged.body) : 'refused';
    if (Array.isArray(got) && got.length > 0 && got.length < TOTAL[search.kind]) discriminating++;
    if (JSON.stringify(got) !== JSON.stringify(expected) && mismatches.length < 20) {
      mismatches.push(`${search.kind} ${JSON.stringify(bodyFor(search, memoryIds)).slice(0, 400)}: server ${JSON.stringify(got)}, memory ${JSON.stringify(expected)}`);
    }
  }

  KINDS.forEach((kind, index) => {
    const count = Math.round(PER_TARGET * SHARE[kind]);
    it(`${kind}/search answers ${count} fuzzed searches with 200 or INVALID_PARAMETER_VALUE, never a 5xx or database text`, async () => {
      const searches = fuzzedSearches(SEED + index, kind, count);
      const t = newTally();
      await pool(searches.map((s) => () => attempt(s, t)), WIDTH);
      mergeTally(tally, t);
      expect({ serverErrors: t.serverErrors, crashes: t.crashes, leaks: t.leaks, badRefusals: t.badRefusals, examples: t.examples }).toEqual({ serverErrors: 0, crashes: 0, leaks: 0, badRefusals: 0, examples: [] });
      // Both outcomes must be well represented, or the corpus is not exercising the grammar.
      expect(t.accepted).toBeGreaterThan(count / 10);
      expect(t.refused).toBeGreaterThan(count / 10);
    }, 180_000);
  });

  it('searches every store must answer alike select the same runs, experiments and models as the memory store', () => {
    expect(differentialChecks).toBeGreaterThan(PER_TARGET / 5);
    expect(discriminating).toBeGreaterThan(PER_TARGET / 50);
    expect(mismatches).toEqual([]);
  });

  it('the server still answers afterwards and the seeded data is intact', async () => {
    const experimentIds = Object.values(serverIds.experiments);
    const all = await post(server.url, SEARCH_PATHS.runs, { experiment_ids: experimentIds, run_view_type: 'ALL', max_results: 1000 });
    expect(all instanceof Error ? all.message : all.status).toBe(200);
    expect(namesIn('runs', JSON.parse((all as { text: string }).text))).toEqual(RUNS.map((r) => r.name).sort());
    const models = await post(server.url, SEARCH_PATHS.models, { experiment_ids: experimentIds, max_results: 100 });
    expect(namesIn('models', JSON.parse((models as { text: string }).text))).toEqual(Object.keys(serverIds.models).sort());
    const exps = await post(server.url, SEARCH_PATHS.experiments, { view_type: 'ALL', max_results: 1000 });
    expect(namesIn('experiments', JSON.parse((exps as { text: string }).text))).toEqual(['Default', 'fz-alpha', 'fz-beta']);
    expect(await canaries.touched()).toEqual([]);
    expect(tally.serverErrors).toBe(0);
  });
});

function totalsOf(t: AnswerTally) {
  return { attempts: t.attempts, refused: t.refused, accepted: t.accepted, serverErrors: t.serverErrors, crashes: t.crashes, leaks: t.leaks };
}
