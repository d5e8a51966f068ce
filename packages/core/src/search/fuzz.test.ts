import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { parseExperimentFilter, parseLoggedModelFilter, parseRunFilter } from './search-filters.js';

// Feeds 10,000+ random and mutated filter strings to the three parsers: each must parse or throw
// MlflowError(INVALID_PARAMETER_VALUE), never anything else. Deterministic (seeded PRNG).
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEEDS = [
  "metrics.acc > 0.9 AND params.lr = '0.01'",
  "tags.`my tag` LIKE '%x_' and attributes.run_id IN ('a', 'b')",
  'metrics."val loss" <= -1.5e-3',
  "datasets.context ILIKE 'TR%' AND params.p IS NOT NULL",
  "name = 'exp' AND tags.k != 'v' AND creation_time > 100",
  "attributes.status = 'READY' AND metrics.acc >= 1",
  "experiment_id IN ('1','2') AND last_update_time < 5",
];
const ATOMS = [' ', "'", '"', '`', '(', ')', ',', '.', '=', '!=', '>', '<=', 'AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'IS', 'NULL', '-', 'e', '1.5', '%', '_', '\\', ';', '\n', '\u0000', 'é', '🐂', 'metrics', 'params', 'tags', 'attributes', 'datasets', 'run_id', 'name'];

function mutate(rand: () => number, input: string): string {
  let s = input;
  const edits = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < edits; i++) {
    const pos = Math.floor(rand() * (s.length + 1));
    const atom = ATOMS[Math.floor(rand() * ATOMS.length)] as string;
    const r = rand();
    if (r < 0.4) s = s.slice(0, pos) + atom + s.slice(pos);
    else if (r < 0.7) s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(rand() * 3));
    else s = s.slice(0, pos) + atom + s.slice(pos + atom.length);
  }
  return s;
}

function randomString(rand: () => number): string {
  const n = Math.floor(rand() * 12);
  let s = '';
  for (let i = 0; i < n; i++) s += ATOMS[Math.floor(rand() * ATOMS.length)] + (rand() < 0.5 ? ' ' : '');
  return s;
}

describe('filter parser fuzz', () => {
  it('10,000+ random and mutated filters either parse or throw INVALID_PARAMETER_VALUE', () => {
    const rand = prng(20261122);
    const parsers = [parseRunFilter, parseExperimentFilter, parseLoggedModelFilter];
    let parsed = 0;
    let refused = 0;
    const unexpected: string[] = [];
    for (let i = 0; i < 12_000; i++) {
      const input = rand() < 0.75 ? mutate(rand, SEEDS[i % SEEDS.length] as string) : randomString(rand);
      for (const parse of parsers) {
        try {
          parse(input);
          parsed++;
        } catch (e) {
          if (isMlflowError(e) && e.errorCode === 'INVALID_PARAMETER_VALUE') refused++;
          else unexpected.push(`${parse.name}(${JSON.stringify(input)}): ${String(e)}`);
        }
      }
    }
    expect(unexpected.slice(0, 10)).toEqual([]);
    expect(parsed + refused).toBe(36_000);
    // Both outcomes must be well represented, or the corpus is not exercising the grammar.
    expect(parsed).toBeGreaterThan(1000);
    expect(refused).toBeGreaterThan(1000);
  });
});
