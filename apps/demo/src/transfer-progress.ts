import cliProgress from 'cli-progress';
import type { CommandContext } from './context.js';

/** Progress of a byte transfer (many files): a bar with bytes, rate and ETA on a terminal, log lines elsewhere. */
export interface TransferReporter {
  start(totalBytes: number, files: number): void;
  bytes(n: number): void;
  fileDone(): void;
  stop(): void;
}

const MiB = 1024 * 1024;
const mib = (n: number) => `${(n / MiB).toFixed(1)} MiB`;

/** A bar (cli-progress) on a terminal; otherwise one log line at the start and one at the end. */
export function createTransferReporter(ctx: Pick<CommandContext, 'isTTY' | 'stderr' | 'logger'>, verb: string): TransferReporter {
  let bar: cliProgress.SingleBar | undefined;
  let done = 0;
  let files = 0;
  let totalFiles = 0;
  let totalBytes = 0;
  let t0 = 0;
  return {
    start(total, count) {
      totalBytes = total;
      totalFiles = count;
      t0 = Date.now();
      if (ctx.isTTY) {
        bar = new cliProgress.SingleBar(
          {
            stream: ctx.stderr,
            format: `${verb} |{bar}| {percentage}% | {done} of {totalMiB} | {rate} | {files} files | ETA {eta_formatted}`,
            hideCursor: true,
            etaBuffer: 50,
            // The bar is made only when stderr is a terminal; this lets it draw on any stream given.
            noTTYOutput: true,
            fps: 5,
          },
          cliProgress.Presets.shades_classic,
        );
        bar.start(Math.max(total, 1), 0, { done: mib(0), totalMiB: mib(total), rate: '-', files: `0/${count}` });
      } else {
        ctx.logger.info({ files: count, bytes: total }, `${verb} ${count} files (${mib(total)})`);
      }
    },
    bytes(n) {
      done += n;
      const s = (Date.now() - t0) / 1000;
      bar?.update(Math.min(done, Math.max(totalBytes, 1)), { done: mib(done), rate: s > 0 ? `${mib(done / s)}/s` : '-', files: `${files}/${totalFiles}` });
    },
    fileDone() {
      files++;
      bar?.update({ files: `${files}/${totalFiles}` });
    },
    stop() {
      if (bar) {
        bar.stop();
        bar = undefined;
      } else if (t0) {
        const s = Math.max((Date.now() - t0) / 1000, 0.001);
        ctx.logger.info({ files, bytes: done, seconds: Number(s.toFixed(3)) }, `${verb} done: ${files} files, ${mib(done)} at ${mib(done / s)}/s`);
      }
    },
  };
}
