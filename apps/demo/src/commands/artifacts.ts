import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import {
  joinUri,
  MlflowError,
  registerModelsArtifactRepository,
  splitModelsUri,
  splitUri,
  type AbstractStore,
  type ArtifactRepository,
  type FileInfo,
  type ModelRegistryStore,
} from '@mlstore/core';
import { println, reportFailure, UsageError, usageErrors, type CommandContext } from '../context.js';
import { createTransferReporter, type TransferReporter } from '../transfer-progress.js';
import { defaultBackendStoreUri } from './gc.js';

/** Help text of `mlstore artifacts`. */
export const ARTIFACTS_USAGE = `Usage: mlstore artifacts <list|download|log-artifact|log-artifacts> [options]

Lists, downloads and uploads artifacts on any registered backend, with the flags of
\`mlflow artifacts\`. A run's artifacts are found through the tracking store
($MLFLOW_TRACKING_URI, else ./mlruns when it holds experiments, else sqlite:///mlflow.db);
--artifact-uri names a location directly (s3://…, gs://…, wasbs://…, mlflow-artifacts:/…, a path,
or models:/name/version, models:/name@alias, models:/name/stage, models:/<model_id> resolved through
the model registry at $MLFLOW_REGISTRY_URI, else the tracking store's).
A progress bar (bytes, rate, ETA) shows on a terminal.

  list           -r/--run-id <id> | -u/--artifact-uri <uri>  [-a/--artifact-path <path>]
                 prints the entries as a JSON list, as MLflow does
  download       -r/--run-id <id> [-a/--artifact-path <path>] | -u/--artifact-uri <uri>
                 [-d/--dst-path <dir>]   prints the local path
  log-artifact   -l/--local-file <file> -r/--run-id <id> [-a/--artifact-path <path>]
  log-artifacts  -l/--local-dir <dir> -r/--run-id <id> [-a/--artifact-path <path>]
                 (log-* also take -u/--artifact-uri instead of a run)`;

const OPTIONS = {
  'run-id': { type: 'string', short: 'r' },
  'artifact-path': { type: 'string', short: 'a' },
  'artifact-uri': { type: 'string', short: 'u' },
  'dst-path': { type: 'string', short: 'd' },
  'local-file': { type: 'string', short: 'l' },
  'local-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** Counts bytes flowing through (for the progress display). */
function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      onBytes(chunk.length);
      cb(null, chunk);
    },
  });
}

/** Runs `jobs` at most `limit` at a time, stopping at the first failure. */
async function pooled(jobs: (() => Promise<void>)[], limit = 4): Promise<void> {
  const queue = jobs.slice();
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, async () => {
    for (let job = queue.shift(); job; job = queue.shift()) await job();
  }));
}

/** Every file under `path` of a repository, with sizes (a file path yields itself). */
async function listFilesRecursive(repo: ArtifactRepository, path: string, signal: AbortSignal): Promise<FileInfo[]> {
  const entries = await repo.listArtifacts(path || undefined, { signal });
  if (entries.length === 0) return [];
  const out: FileInfo[] = [];
  for (const e of entries) {
    if (e.is_dir) out.push(...(await listFilesRecursive(repo, e.path, signal)));
    else out.push(e);
  }
  return out;
}

async function download(repo: ArtifactRepository, path: string, dst: string, reporter: TransferReporter, signal: AbortSignal): Promise<string> {
  const rel = path.replace(/^\/+|\/+$/g, '');
  let files = await listFilesRecursive(repo, rel, signal);
  const isFile = files.length === 0;
  if (isFile) files = [{ path: rel, is_dir: false }];
  reporter.start(files.reduce((n, f) => n + (f.file_size ?? 0), 0), files.length);
  await pooled(
    files.map((f) => async () => {
      const target = join(dst, ...f.path.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      await pipeline(await repo.openArtifact(f.path, { signal }), counter((n) => reporter.bytes(n)), createWriteStream(target), { signal });
      reporter.fileDone();
    }),
  );
  reporter.stop();
  return rel ? join(dst, ...rel.split('/')) : dst;
}

function localFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...localFiles(full));
    else if (e.isFile()) out.push(full);
  }
  return out;
}

async function upload(repo: ArtifactRepository, files: { local: string; remote: string }[], reporter: TransferReporter, signal: AbortSignal): Promise<void> {
  reporter.start(files.reduce((n, f) => n + statSync(f.local).size, 0), files.length);
  await pooled(
    files.map((f) => async () => {
      const source = createReadStream(f.local).pipe(counter((n) => reporter.bytes(n)));
      await repo.writeArtifact(f.remote, source, { signal });
      reporter.fileDone();
    }),
  );
  reporter.stop();
}

/** `mlstore artifacts …`: returns the exit code. */
export async function runArtifacts(args: string[], ctx: CommandContext, cwd = process.cwd()): Promise<number> {
  const [sub, ...rest] = args;
  let store: AbstractStore | undefined;
  let registry: ModelRegistryStore | undefined;
  try {
    if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
      println(sub === undefined ? ctx.stderr : ctx.stdout, ARTIFACTS_USAGE);
      return sub === undefined ? 2 : 0;
    }
    if (!['list', 'download', 'log-artifact', 'log-artifacts'].includes(sub)) throw new UsageError(`unknown subcommand '${sub}'.\n${ARTIFACTS_USAGE}`);
    const { values } = usageErrors(() => parseArgs({ args: rest, options: OPTIONS, strict: true, allowPositionals: false }));
    if (values.help) {
      println(ctx.stdout, ARTIFACTS_USAGE);
      return 0;
    }
    const trackingUri = defaultBackendStoreUri(ctx.env, cwd);
    let artifactUri = values['artifact-uri'];
    let path = values['artifact-path'] ?? '';
    if (artifactUri === undefined) {
      const runId = values['run-id'];
      if (!runId) throw new UsageError('either --run-id or --artifact-uri is required.');
      store = await ctx.registries.tracking.resolve(trackingUri, { logger: ctx.logger });
      artifactUri = (await store.getRun(runId, { signal: ctx.signal })).info.artifact_uri;
    } else if (splitUri(artifactUri).scheme === 'models') {
      // As MLflow's ModelsArtifactRepository: through the registry (and the tracking store for
      // logged models and runs:/ sources); a download splits off the path after the version/alias.
      store = await ctx.registries.tracking.resolve(trackingUri, { logger: ctx.logger });
      registry = await ctx.registries.modelRegistry.resolve(ctx.env['MLFLOW_REGISTRY_URI'] || trackingUri, { trackingStore: store, logger: ctx.logger });
      registerModelsArtifactRepository(ctx.registries.artifacts, { registryStore: registry, trackingStore: store });
      if (sub === 'download') ({ modelUri: artifactUri, path } = splitModelsUri(artifactUri));
    } else if (sub === 'download') {
      // As MLflow's download_artifacts: the URI's last path segment is downloaded from its parent.
      const parts = splitUri(artifactUri);
      const p = parts.path.replace(/\/+$/, '');
      path = p.slice(p.lastIndexOf('/') + 1);
      artifactUri = joinUri({ ...parts, path: p.slice(0, p.lastIndexOf('/') + 1) || (parts.netloc ? '/' : '') });
    }
    const repo = await ctx.registries.artifacts.resolve(artifactUri, { trackingUri: /^https?:/.test(trackingUri) ? trackingUri : ctx.env['MLFLOW_TRACKING_URI'], logger: ctx.logger });
    const reporter = createTransferReporter(ctx, sub === 'download' ? 'downloading' : 'uploading');
    switch (sub) {
      case 'list': {
        const infos = await repo.listArtifacts(path || undefined, { signal: ctx.signal });
        // MLflow prints each FileInfo as json.dumps(…, indent=2) (ASCII only), joined by ", ".
        const pretty = (i: FileInfo) =>
          JSON.stringify(i.file_size === undefined ? { path: i.path, is_dir: i.is_dir } : { path: i.path, is_dir: i.is_dir, file_size: i.file_size }, null, 2).replace(
            /[\u007f-\uffff]/g,
            (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
          );
        println(ctx.stdout, `[${infos.map(pretty).join(', ')}]`);
        return 0;
      }
      case 'download': {
        const dst = values['dst-path'] ? resolve(cwd, values['dst-path']) : mkdtempSync(join(tmpdir(), 'mlstore-artifacts-'));
        mkdirSync(dst, { recursive: true });
        println(ctx.stdout, `\n${await download(repo, path, dst, reporter, ctx.signal)}`);
        return 0;
      }
      case 'log-artifact': {
        const file = values['local-file'];
        if (!file) throw new UsageError('--local-file is required.');
        const local = resolve(cwd, file);
        await upload(repo, [{ local, remote: [path.replace(/\/+$/, ''), basename(local)].filter(Boolean).join('/') }], reporter, ctx.signal);
        ctx.logger.info({ localFile: local, artifactPath: path || null }, 'logged artifact');
        return 0;
      }
      default: {
        const dir = values['local-dir'] ?? values['local-file'];
        if (!dir) throw new UsageError('--local-dir is required.');
        const root = resolve(cwd, dir);
        const files = localFiles(root).map((local) => ({ local, remote: [path.replace(/\/+$/, ''), relative(root, local).split(sep).join('/')].filter(Boolean).join('/') }));
        await upload(repo, files, reporter, ctx.signal);
        ctx.logger.info({ localDir: root, artifactPath: path || null, files: files.length }, 'logged artifacts');
        return 0;
      }
    }
  } catch (err) {
    if (err instanceof Error && (err.name === 'AbortError' || ctx.signal.aborted)) return reportFailure(ctx, 'artifacts', new MlflowError('interrupted', 'CANCELLED'));
    return reportFailure(ctx, 'artifacts', err);
  } finally {
    await registry?.close();
    await store?.close();
  }
}
