import { parseArgs } from 'node:util';
import {
  describeMismatch,
  isMlflowError,
  isPortableModelRegistryStore,
  isPortableStore,
  migrateStore,
  MigrationVerificationError,
  MlflowError,
  redactUri,
  resolveUriIfLocal,
  type AbstractStore,
  type ArtifactMigrationReport,
  type MigrateStoreOptions,
  type MigrationReport,
  type ModelRegistryStore,
  type PortableModelRegistryStore,
  type PortableStore,
  type RegistryMigrationReport,
} from '@mlstore/core';
import { openStore, println, reportFailure, UsageError, usageErrors, type CommandContext } from '../context.js';
import { createBarReporter, createLogReporter } from '../progress.js';

/** Help text of `mlstore migrate`. */
export const MIGRATE_USAGE = `Usage: mlstore migrate --from <store-uri> --to <store-uri> [options]

Copies every experiment, run, logged model and trace of a tracking store into another, keeping their
ids (e.g. a file store ./mlruns into sqlite:///mlflow.db), then every registered model of the model
registry (prompts too) with its versions — numbers, stages, timestamps, tags, aliases and deleted
versions kept. Interrupted, it is resumed by running the
same command again: what is already copied is skipped. At the end source and target are compared
(counts and a SHA-256 of every metric series; exact repeats of a metric entry, which an mlruns
written by MLflow's log_model holds and a SQL store cannot, are folded and counted).

Artifacts are NOT moved by default, as with MLflow's own migration: the target's runs point where
the source's artifacts are, so that folder or bucket must be kept. --copy-artifacts copies them
(each file checked by SHA-256) and points the target's experiments, runs and logged models at the
copies; resumed, runs already in the target are not copied again.

Options:
  --from <uri>          source store: a path or file: URI (mlruns), sqlite:///…, postgresql://…, mysql://…
  --to <uri>            target store, same forms
  --copy-artifacts      copy every run's and logged model's artifacts into the target's default
                        artifact root (or --artifacts-to) and rewrite their artifact URIs
  --artifacts-to <uri>  with --copy-artifacts: where to copy them instead (any artifact URI:
                        a path, file:, s3://, gs://, wasbs://, sftp://, ftp://, hdfs://, …)
  --registry-from <uri> the model registry to copy (default: --from, as MLflow's --registry-store-uri)
  --registry-to <uri>   where to copy it (default: --to)
  --no-registry         copy the tracking data only
  --no-verify           skip the final comparison
  --concurrency <n>     runs imported at the same time (default 4)
  --json                print the report as JSON
  -h, --help            show this help`;

const OPTIONS = {
  from: { type: 'string' },
  to: { type: 'string' },
  'no-verify': { type: 'boolean' },
  'registry-from': { type: 'string' },
  'registry-to': { type: 'string' },
  'no-registry': { type: 'boolean' },
  'copy-artifacts': { type: 'boolean' },
  'artifacts-to': { type: 'string' },
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

function portableRegistry(store: ModelRegistryStore, uri: string): PortableModelRegistryStore {
  if (!isPortableModelRegistryStore(store)) {
    throw MlflowError.invalidParameter(`The model registry at ${uri} cannot export or import registered models with their versions, so it cannot take part in a migration.`);
  }
  return store;
}

/** The registry lines of the report. */
function printRegistry(ctx: CommandContext, r: RegistryMigrationReport): void {
  println(ctx.stdout, `registry      ${r.registeredModels.created} registered models created (${r.modelVersions} versions), ${r.registeredModels.skipped} skipped (already there)`);
  const v = r.verification;
  if (v) println(ctx.stdout, `              verification ${v.ok ? 'OK' : 'FAILED'}: ${v.registeredModels} registered models, ${v.modelVersions} versions (deleted ones too) compared field by field`);
}

/** The artifacts part of the report: where they were copied, or that they were not and where they still are. */
function printArtifacts(ctx: CommandContext, a: ArtifactMigrationReport): void {
  if (!a.copied) {
    println(ctx.stdout, `artifacts     NOT moved (no --copy-artifacts): they still live in ${a.sourceLocations.map(redactUri).join(', ') || 'the source'}; the target's runs point there, so keep it`);
    return;
  }
  const t = (x: { copied: number; skipped: number; inPlace: number }) => `${x.copied} copied, ${x.skipped} skipped (already copied)${x.inPlace ? `, ${x.inPlace} already at the destination` : ''}`;
  println(ctx.stdout, `artifacts     ${a.files} files (${a.bytes} bytes) copied to ${redactUri(a.destination ?? '')}, SHA-256 verified: runs ${t(a.runs)}; logged models ${t(a.loggedModels)}; traces ${t(a.traces)}`);
  const inPlace = a.runs.inPlace + a.loggedModels.inPlace + a.traces.inPlace;
  if (inPlace > 0) {
    println(ctx.stderr, `mlstore migrate: ${inPlace} artifact trees were already at the destination (the source keeps them there): they were not moved.`);
  }
  if (a.notMoved.length > 0) {
    println(ctx.stderr, `mlstore migrate: ${a.notMoved.length} runs or logged models were already in the target with their artifacts elsewhere (migrated before without --copy-artifacts); their artifacts were NOT moved:`);
    for (const m of a.notMoved.slice(0, 20)) println(ctx.stderr, `  ${m.entity} ${m.id}: ${redactUri(m.artifactUri)}`);
    if (a.notMoved.length > 20) println(ctx.stderr, `  … and ${a.notMoved.length - 20} more`);
  }
}

/** Writes the report as text: created/skipped per entity, artifacts, and the verification counts. */
function printReport(ctx: CommandContext, report: MigrationReport): void {
  const line = (name: string, t: { created: number; skipped: number }) => println(ctx.stdout, `${name.padEnd(14)}${t.created} created, ${t.skipped} skipped (already there)`);
  line('experiments', report.experiments);
  line('runs', report.runs);
  line('logged models', report.loggedModels);
  line('traces', report.traces);
  if (report.registry) printRegistry(ctx, report.registry);
  printArtifacts(ctx, report.artifacts);
  const v = report.verification;
  if (!v) {
    println(ctx.stdout, 'verification  skipped (--no-verify)');
    return;
  }
  const c = v.target;
  println(
    ctx.stdout,
    `verification  ${v.ok ? 'OK' : 'FAILED'}: ${c.experiments} experiments, ${c.runs} runs (${c.deletedRuns} deleted), ${c.params} params, ${c.tags} tags, ` +
      `${c.metricValues} metric values in ${c.metricSeries} series (SHA-256 each), ${c.datasetInputs} dataset inputs, ${c.modelOutputs} model outputs, ${c.loggedModels} logged models, ` +
      `${c.traces} traces (${c.assessments} assessments, ${c.spans} spans)`,
  );
  const folded = v.source.duplicateMetricValues + v.source.duplicateLoggedModelMetrics;
  if (folded > 0) {
    println(ctx.stdout, `              ${folded} duplicate metric entries folded (exact repeats in the source, e.g. from MLflow's log_model; each is kept once)`);
  }
}

/** `mlstore migrate`: returns the exit code. */
export async function runMigrate(args: string[], ctx: CommandContext): Promise<number> {
  let source: AbstractStore | undefined;
  let target: AbstractStore | undefined;
  const registries: ModelRegistryStore[] = [];
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
    if (values['artifacts-to'] !== undefined && !values['copy-artifacts']) throw new UsageError('--artifacts-to needs --copy-artifacts.');
    const registryFrom = values['registry-from'] ?? values.from;
    const registryTo = values['registry-to'] ?? values.to;
    if (values['no-registry'] && (values['registry-from'] !== undefined || values['registry-to'] !== undefined)) throw new UsageError('--no-registry cannot go with --registry-from or --registry-to.');
    if (!values['no-registry'] && registryFrom === registryTo) throw new UsageError('--registry-from and --registry-to name the same registry.');
    source = await openStore(ctx, values.from);
    target = await openStore(ctx, values.to);
    const to = portable(target, values.to);
    let copyArtifacts: MigrateStoreOptions['copyArtifacts'];
    if (values['copy-artifacts']) {
      const destination = values['artifacts-to'] ? resolveUriIfLocal(values['artifacts-to']) : to.artifactRoot;
      if (!destination) throw MlflowError.invalidParameter(`The store at ${values.to} has no default artifact root: give --artifacts-to.`);
      const resolve = (uri: string) => ctx.registries.artifacts.resolve(uri, { logger: ctx.logger });
      await resolve(destination); // an unknown scheme or a missing package fails before anything is copied
      copyArtifacts = { destination, resolve };
    }
    let registry: MigrateStoreOptions['registry'];
    if (!values['no-registry']) {
      // Each with its tracking store (for `models:/m-…` sources), as the server opens them.
      const open = async (uri: string, trackingStore: AbstractStore) => {
        const store = await ctx.registries.modelRegistry.resolve(uri, { trackingStore, logger: ctx.logger });
        registries.push(store);
        return portableRegistry(store, uri);
      };
      registry = { source: await open(registryFrom, source), target: await open(registryTo, target) };
    }
    ctx.logger.info({ from: values.from, to: values.to, artifactsTo: copyArtifacts?.destination && redactUri(copyArtifacts.destination), registry: registry ? { from: redactUri(registryFrom), to: redactUri(registryTo) } : undefined }, 'migrating');
    const report = await migrateStore(portable(source, values.from), to, {
      signal: ctx.signal,
      concurrency,
      verify: !values['no-verify'],
      onProgress: (p) => reporter.update(p),
      ...(copyArtifacts ? { copyArtifacts } : {}),
      ...(registry ? { registry } : {}),
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
    for (const r of registries) await r.close();
    await source?.close();
    await target?.close();
  }
}
