import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  garbageCollect,
  isGarbageCollectableStore,
  MlflowError,
  type AbstractStore,
  type GcEvent,
} from '@mlstore/core';
import { idList, openStore, println, reportFailure, UsageError, usageErrors, type CommandContext } from '../context.js';

/** Help text of `mlstore gc`. */
export const GC_USAGE = `Usage: mlstore gc [options]

Permanently deletes runs, logged models and experiments in the \`deleted\` lifecycle stage, with
their artifacts, like \`mlflow gc\` (MLflow 3.18.0). Without ids, everything deleted goes.

Options:
  --backend-store-uri <uri>      store to clean (default: $MLFLOW_TRACKING_URI, else ./mlruns when it
                                 holds experiments, else sqlite:///mlflow.db)
  --older-than <#d#h#m#s>        only what was deleted at least this long ago (e.g. 30d, 1d2h3m4s, 1.5h)
  --run-ids <id,id,…>            only these runs (they must be deleted)
  --experiment-ids <id,id,…>     only these experiments, with their runs (they must be deleted)
  --logged-model-ids <id,id,…>   only these logged models (they must be deleted)
  --artifacts-destination <uri>  where mlflow-artifacts: URIs live (a server's --artifacts-destination);
                                 also the default artifact root of the store ($MLFLOW_ARTIFACTS_DESTINATION)
  -h, --help                     show this help`;

const OPTIONS = {
  'backend-store-uri': { type: 'string' },
  'older-than': { type: 'string' },
  'run-ids': { type: 'string' },
  'experiment-ids': { type: 'string' },
  'logged-model-ids': { type: 'string' },
  'artifacts-destination': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** MLflow's default tracking URI: ./mlruns when it holds experiment data, else sqlite:///mlflow.db. */
export function defaultBackendStoreUri(env: NodeJS.ProcessEnv, cwd = process.cwd()): string {
  if (env['MLFLOW_TRACKING_URI']) return env['MLFLOW_TRACKING_URI'];
  try {
    for (const entry of readdirSync(join(cwd, 'mlruns'), { withFileTypes: true })) {
      if (entry.isDirectory() && /^\d+$/.test(entry.name) && readdirSync(join(cwd, 'mlruns', entry.name)).includes('meta.yaml')) return join(cwd, 'mlruns');
    }
  } catch {
    // no ./mlruns
  }
  return `sqlite:///${join(cwd, 'mlflow.db')}`;
}

/**
 * Where the artifacts of an artifact URI are: `mlflow-artifacts:/<path>` (a tracking server that
 * proxies artifacts) lives under the server's artifacts destination, as the server maps it.
 */
export function resolveArtifactUri(artifactUri: string, artifactsDestination: string | undefined): string {
  const m = /^mlflow-artifacts:(?:\/\/[^/]*)?(\/.*)?$/.exec(artifactUri);
  if (!m) return artifactUri;
  if (!artifactsDestination) {
    throw MlflowError.invalidParameter(`Cannot resolve '${artifactUri}' without --artifacts-destination (the tracking server's artifact root).`);
  }
  return `${artifactsDestination.replace(/\/+$/, '')}/${(m[1] ?? '').replace(/^\/+/, '')}`;
}

const DELETED_LINE: Record<GcEvent['kind'], string> = { run: 'Run', loggedModel: 'Logged model', experiment: 'Experiment' };

/** `mlstore gc`: returns the exit code. */
export async function runGc(args: string[], ctx: CommandContext, cwd = process.cwd()): Promise<number> {
  let store: AbstractStore | undefined;
  try {
    const { values } = usageErrors(() => parseArgs({ args, options: OPTIONS, strict: true, allowPositionals: false }));
    if (values.help) {
      println(ctx.stdout, GC_USAGE);
      return 0;
    }
    const uri = values['backend-store-uri'] ?? defaultBackendStoreUri(ctx.env, cwd);
    const destination = values['artifacts-destination'] ?? ctx.env['MLFLOW_ARTIFACTS_DESTINATION'];
    store = await openStore(ctx, uri, destination);
    if (!isGarbageCollectableStore(store)) {
      throw new MlflowError('This cli can only be used with a backend that allows hard-deleting runs');
    }
    const runIds = idList(values['run-ids']);
    const experimentIds = idList(values['experiment-ids']);
    const loggedModelIds = idList(values['logged-model-ids']);
    const report = await garbageCollect(store, {
      ...(values['older-than'] !== undefined ? { olderThan: values['older-than'] } : {}),
      ...(runIds ? { runIds } : {}),
      ...(experimentIds ? { experimentIds } : {}),
      ...(loggedModelIds ? { loggedModelIds } : {}),
      signal: ctx.signal,
      logger: ctx.logger,
      deleteArtifacts: async (artifactUri) => {
        const repo = await ctx.registries.artifacts.resolve(resolveArtifactUri(artifactUri, destination), { logger: ctx.logger });
        await repo.deleteArtifacts(undefined, { signal: ctx.signal });
      },
      onDeleted: (e) => println(ctx.stdout, `${DELETED_LINE[e.kind]} with ID ${e.id} has been permanently deleted.`),
    });
    for (const f of report.artifactFailures) {
      println(ctx.stderr, `warning: the artifacts of ${f.kind} ${f.id} at '${f.artifactUri}' were not deleted (${(f.error as Error)?.message ?? String(f.error)}); delete them by hand.`);
    }
    return 0;
  } catch (err) {
    const code = reportFailure(ctx, 'gc', err);
    if (err instanceof UsageError) println(ctx.stderr, GC_USAGE);
    return code;
  } finally {
    await store?.close();
  }
}
