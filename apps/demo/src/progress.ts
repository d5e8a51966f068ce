import cliProgress from 'cli-progress';
import type { MigrationPhase, MigrationProgress } from '@mlstore/core';
import type { Logger } from '@mlstore/core';

/** Shows a migration's progress: a bar on a terminal, log lines elsewhere. */
export interface ProgressReporter {
  update(progress: MigrationProgress): void;
  /** Ends the display (idempotent). */
  stop(): void;
}

const LABELS: Record<MigrationPhase, string> = {
  counting: 'counting ',
  experiments: 'copying  ',
  runs: 'copying  ',
  'logged-models': 'copying  ',
  traces: 'copying  ',
  registry: 'copying  ',
  verifying: 'verifying',
};

/**
 * A progress bar (cli-progress) on `stream` when it is a terminal: one bar while counting the
 * source, one over every experiment, run and logged model while copying, one while verifying.
 */
export function createBarReporter(stream: NodeJS.WritableStream): ProgressReporter {
  let bar: cliProgress.SingleBar | undefined;
  let stage: 'counting' | 'copying' | 'verifying' | undefined;
  const start = (next: typeof stage, total: number, value: number, phase: MigrationPhase) => {
    bar?.stop();
    stage = next;
    bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{label} |{bar}| {percentage}% | {value}/{total} | {detail} | ETA {eta_formatted}',
        hideCursor: true,
        etaBuffer: 200,
        fps: 10,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, value, { label: LABELS[phase], detail: phase });
  };
  return {
    update(p) {
      if (p.phase === 'counting') {
        if (p.total === undefined) return;
        if (stage !== 'counting') start('counting', p.total, p.done, p.phase);
        bar?.update(p.done, { detail: 'experiments' });
      } else if (p.phase === 'verifying') {
        if (stage !== 'verifying') start('verifying', p.total ?? 0, p.done, p.phase);
        bar?.update(p.done, { detail: 'experiments' });
      } else {
        if (stage !== 'copying') start('copying', p.overallTotal ?? 0, p.overallDone, p.phase);
        bar?.update(p.overallDone, { detail: `${p.phase} ${p.done}/${p.total ?? '?'}` });
      }
    },
    stop() {
      bar?.stop();
      bar = undefined;
    },
  };
}

/**
 * Log lines for a non-terminal: one when a phase starts and then at most one every
 * `intervalMs` (and at the end of the phase).
 */
export function createLogReporter(logger: Logger, intervalMs = 2000, now: () => number = Date.now): ProgressReporter {
  let phase: MigrationPhase | undefined;
  let last = 0;
  return {
    update(p) {
      const t = now();
      const boundary = p.phase !== phase || (p.total !== undefined && p.done === p.total);
      if (!boundary && t - last < intervalMs) return;
      phase = p.phase;
      last = t;
      logger.info({ phase: p.phase, done: p.done, total: p.total, overallDone: p.overallDone, overallTotal: p.overallTotal }, `migrate: ${p.phase} ${p.done}/${p.total ?? '?'}`);
    },
    stop() {},
  };
}
