import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The flag acts on the V8 heap of the process that sets it: each case runs a fresh node process
// (the built module, as cli.ts loads it) that allocates like a busy server — mostly short-lived
// objects, a tenth kept for a while, yielding to the event loop between bursts as a server does
// between requests — and reports how large its young generation grew.
const MODULE = fileURLToPath(new URL('../dist/server-heap.js', import.meta.url));
const SCRIPT = `
import { getHeapSpaceStatistics } from 'node:v8';
const { applyServerHeapFlags } = await import(${JSON.stringify(MODULE)});
const applied = applyServerHeapFlags(JSON.parse(process.env.ARGV));
const kept = [];
for (let i = 0; i < 4e6; i++) {
  const o = { i, rows: [{ key: 'k' + i, value: i }] };
  if (i % 10 === 0) kept.push(o);
  if (kept.length > 50000) kept.length = 0;
  if (i % 1e4 === 0) await new Promise((r) => setImmediate(r));
}
const young = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
console.log(JSON.stringify({ applied, youngMiB: young.space_size / 2 ** 20 }));
`;

function youngGeneration(argv: string[], nodeOptions?: string): { applied: boolean; youngMiB: number } {
  const env = { ...process.env, ARGV: JSON.stringify(argv), NODE_OPTIONS: nodeOptions ?? '' };
  return JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { env, encoding: 'utf8' })) as { applied: boolean; youngMiB: number };
}

describe('applyServerHeapFlags', () => {
  it('caps the young generation of a server process at two 4 MiB semi-spaces', () => {
    const server = youngGeneration(['node', 'cli.js', 'server']);
    expect(server.applied).toBe(true);
    expect(server.youngMiB).toBe(8);
  });

  it('leaves other commands and an operator-chosen semi-space size to V8', () => {
    const migrate = youngGeneration(['node', 'cli.js', 'migrate']);
    expect(migrate).toMatchObject({ applied: false });
    expect(migrate.youngMiB).toBeGreaterThan(8);
    const chosen = youngGeneration(['node', 'cli.js', 'server'], '--max-semi-space-size=32');
    expect(chosen.youngMiB).toBeGreaterThan(8);
  });
});
