import { PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';

/** The semi-space size (MiB) a server process's young generation grows to; V8's own limit is 16 (Node 20, 64-bit). */
export const SERVER_SEMI_SPACE_MIB = 4;

/**
 * How far V8 lets the old generation grow past what the last full GC kept, in percent (V8 picks
 * 10–300% by its GC speed, and a server's fast mutator gets close to the top: 60 MiB of old space
 * over 15–25 MiB live during PostgreSQL searches). 50% means a full GC at 1.5 × the live heap.
 */
export const SERVER_HEAP_GROWING_PERCENT = 50;

/** Bytes of V8's young generation (both semi-spaces). */
export function youngGenerationBytes(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0;
}

/**
 * Lets V8 grow the young generation as it does (doubling the semi-spaces from 1 MiB) until each
 * holds `semiSpaceMiB`, then stops its growth. V8 reads `--max-semi-space-size` only when the heap is
 * made, so a running process cannot lower that limit; it does read `--semi-space-growth-factor` at
 * every growth, so setting it to 1 once the size is reached (checked after each GC) caps it.
 */
export function capYoungGeneration(semiSpaceMiB: number): void {
  const limit = 2 * semiSpaceMiB * 2 ** 20;
  const stopGrowth = () => setFlagsFromString('--semi-space-growth-factor=1');
  if (youngGenerationBytes() >= limit) return stopGrowth();
  const observer = new PerformanceObserver(() => {
    if (youngGenerationBytes() < limit) return;
    stopGrowth();
    observer.disconnect();
  });
  observer.observe({ entryTypes: ['gc'] });
}

/**
 * For `mlstore server`, V8 heap limits sized for a server's small live heap (15–25 MiB): the young
 * generation capped at 2 × {@link SERVER_SEMI_SPACE_MIB} MiB instead of V8's 2 × 16 MiB, which a
 * busy server reaches within seconds and keeps committed for its whole life, and the old
 * generation collected at {@link SERVER_HEAP_GROWING_PERCENT}% growth. A request's garbage (parsed
 * JSON, rows, the answer) still dies young in 4 MiB semi-spaces, so throughput stays (1 MiB ones
 * cost search CPU: measured in bench/README.md, "Server memory"). Must run before the other modules
 * load (cli.ts calls it, then imports the rest).
 *
 * Does nothing for other commands; a process started with a flag of its own (`node
 * --max-semi-space-size=…` or `--heap-growing-percent=…`, or in `NODE_OPTIONS`) keeps it.
 * @returns true when the server's limits were applied (either of them)
 */
export function applyServerHeapFlags(argv: readonly string[] = process.argv, execArgv: readonly string[] = process.execArgv, env: NodeJS.ProcessEnv = process.env): boolean {
  if (argv[2] !== 'server') return false;
  const given = [...execArgv, env['NODE_OPTIONS'] ?? ''].join(' ');
  const young = !/semi[-_]space/.test(given);
  const old = !/heap[-_]growing[-_]percent/.test(given);
  if (young) capYoungGeneration(SERVER_SEMI_SPACE_MIB);
  if (old) setFlagsFromString(`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`);
  return young || old;
}
