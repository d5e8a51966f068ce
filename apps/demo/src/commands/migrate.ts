import { parseArgs } from 'node:util';
import {
  describeMismatch,
  isMlflowError,
  isPortableStore,
  migrateStore,
  MigrationVerificationError,
  MlflowError,
  type AbstractStore,
  type MigrationReport,
  type PortableStore,
} from '@mlstore/core';
import { openStore, println, reportFailure, UsageError, usageErrors, type CommandContext } from '../context.js';
import { createBarReporter, createLogReporter } from '../progress.js';

/** Help text of `mlstore migrate`. */
export const MIGRATE_USAGE = `Usage: mlstore migrate --from <store-uri> --to <store-uri> [options]

Copies every experiment, run and logged model of a tracking store into another, keeping their ids
(e.g. a file store ./mlruns into sqlite:///mlflow.db). Interrupted, it is resumed by running the
same command again: what is already copied is skipped. At the end source and target are compared
(counts and a SHA-256 of every metric series).

Options:
  --from <uri>          source store: a path or file: URI (mlruns), sqlite:///…, postgresql://…, mysql://…
  --to <uri>            target store, same forms
  --no-verify           skip the final comparison
  --concurrency <n>     runs imported at the same time (default 4)
  --json                print the report as JSON
  -h, --help            show this help`;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  'no-verify': { type: 'boolean' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function portable(store: AbstractStore, uri: string): PortableStore {
  if (!isPortableStore(store)) {
    throw MlflowError.invalidParameter(`The store at ${uri} cannot export or import entities with their ids, so it cannot take part in a migration.`);
  }
  return store;
}

/** Writes the report as text: created/skipped per entity and the verification counts. */
function printReport(ctx: CommandContext, report: MigrationReport): void {
  const line = (name: string, t: { created: number; skipped: number }) => println(ctx.stdout, `${name.padEnd(14)}${t.created} created, ${t.skipped} skipped (already there)`);
  line('experiments', report.experiments);
  line('runs', report.runs);
  line('logged models', report.loggedModels);
  const v = report.verification;
  if (!v) {
    println(ctx.stdout, 'verification  skipped (--no-verify)');
    return;
  }
  const c = v.target;
  println(
    ctx.stdout,
    `verification  ${v.ok ? 'OK' : 'FAILED'}: ${c.experiments} experiments, ${c.runs} runs (${c.deletedRuns} deleted), ${c.params} params, ${c.tags} tags, ` +
      `${c.metricValues} metric values in ${c.metricSeries} series (SHA-256 each), ${c.datasetInputs} dataset inputs, ${c.modelOutputs} model outputs, ${c.loggedModels} logged models`,
  );
}

/** `mlstore migrate`: returns the exit code. */
export async function runMigrate(args: string[], ctx: CommandContext): Promise<number> {
  let source: AbstractStore | undefined;
  let target: AbstractStore | undefined;
  const reporter = ctx.isTTY ? createBarReporter(ctx.stderr) : createLogReporter(ctx.logger);
  try {
    const { values } = usageErrors(() => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
    if (values.help) {
      println(ctx.stdout, MIGRATE_USAGE);
      return 0;
    }
    if (!values.from || !values.to) throw new UsageError('--from and --to are required.');
    const concurrency = values.concurrency === undefined ? 4 : Number(values.concurrency);
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new UsageError(`--concurrency must be a positive integer, got '${values.concurrency}'.`);
    if (values.from === values.to) throw new UsageError('--from and --to name the same store.');
    source = await openStore(ctx, values.from);
    target = await openStore(ctx, values.to);
    ctx.logger.info({ from: values.from, to: values.to }, 'migrating');
    const report = await migrateStore(portable(source, values.from), portable(target, values.to), {
      signal: ctx.signal,
      concurrency,
      verify: !values['no-verify'],
      onProgress: (p) => reporter.update(p),
    });
    reporter.stop();
    if (values.json) println(ctx.stdout, JSON.stringify(report, null, 2));
    else printReport(ctx, report);
    return 0;
  } catch (err) {
    reporter.stop();
    if (err instanceof MigrationVerificationError) {
      printReport(ctx, err.report);
      const shown = err.report.verification.mismatches.slice(0, 50);
      for (const m of shown) println(ctx.stderr, `  mismatch: ${describeMismatch(m)}`);
      const more = err.report.verification.mismatches.length - shown.length;
      if (more > 0) println(ctx.stderr, `  … and ${more} more`);
    }
    if (isMlflowError(err) && err.errorCode === 'CANCELLED') {
      println(ctx.stderr, 'mlstore migrate: interrupted; run the same command again to resume (what was copied is kept).');
      return 130;
    }
    const code = reportFailure(ctx, 'migrate', err);
    if (err instanceof UsageError) println(ctx.stderr, MIGRATE_USAGE);
    return code;
  } finally {
    await source?.close();
    await target?.close();
  }
}
