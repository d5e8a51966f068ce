import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import type { CallOptions } from './abstract-store.js';
import type { ArtifactRepository } from './artifacts/artifact-repository.js';
import { forEachBounded } from './artifacts/base-artifact-repository.js';
import { throwIfAborted } from './base-store.js';
import type { Experiment } from './entities.js';
import { isMlflowError, MlflowError } from './errors.js';
import type { ImportOutcome, LoggedModelExport, PortableStore, RunExport } from './maintenance.js';
import { appendToUriPath } from './uri.js';

/** Where {@link migrateStore} copies artifacts to, and how it reaches them. */
export interface ArtifactCopyOptions {
  /**
   * Root URI of the copies, laid out as MLflow lays out an artifact root: experiment `e` at
   * `<destination>/<e>`, its run `r` at `<e>/<r>/artifacts`, its logged model `m` at
   * `<e>/models/<m>/artifacts`, its trace `t` at `<e>/traces/<t>/artifacts`. The target's experiments, runs and models point there.
   * Default: the target's `artifactRoot`.
   */
  destination?: string;
  /** An artifact URI as a repository (e.g. an artifact registry's `resolve`); sources and destinations alike. */
  resolve: (uri: string) => Promise<ArtifactRepository>;
  /** Files of one run copied at once (default 4). */
  concurrency?: number;
}

/** Artifact trees of runs or models: copied, already copied by an earlier migration, or already at their destination. */
export interface ArtifactTally {
  copied: number;
  /** In the target already, pointing at the destination (an earlier, interrupted migration copied them). */
  skipped: number;
  /** The source's artifact URI is the destination itself: nothing to move. */
  inPlace: number;
}

/** An entity the target already held with its artifacts elsewhere (migrated before without copying). */
export interface ArtifactNotMoved {
  entity: 'run' | 'logged-model';
  id: string;
  /** Where the target's entity points (unchanged). */
  artifactUri: string;
}

/** What a migration did with artifacts. */
export interface ArtifactMigrationReport {
  /** False when artifacts were left where they were (the default, as MLflow's migration does). */
  copied: boolean;
  /** The root copied to (when `copied`). */
  destination?: string;
  /** Where the source's artifacts live: the distinct roots of its experiments' artifact locations. */
  sourceLocations: string[];
  runs: ArtifactTally;
  loggedModels: ArtifactTally;
  /** Trace artifact trees (`<experiment>/traces/<id>/artifacts`: `traces.json`, attachments). */
  traces: ArtifactTally;
  /** Files copied and verified (SHA-256 of the source's bytes = SHA-256 of the copy read back). */
  files: number;
  bytes: number;
  notMoved: ArtifactNotMoved[];
}

/** The root an experiment artifact location hangs from: `…/mlruns/7` → `…/mlruns`; anything else as it is. */
export function artifactRootOf(experiment: Pick<Experiment, 'experiment_id' | 'artifact_location'>): string {
  const loc = experiment.artifact_location.replace(/\/+$/, '');
  const suffix = `/${experiment.experiment_id}`;
  return loc.endsWith(suffix) && loc.length > suffix.length ? loc.slice(0, -suffix.length) : experiment.artifact_location;
}

/** A new, empty report: nothing copied, the source's artifacts at `sourceLocations`. */
export function emptyArtifactReport(sourceLocations: string[], destination?: string): ArtifactMigrationReport {
  const tally = () => ({ copied: 0, skipped: 0, inPlace: 0 });
  return { copied: destination !== undefined, ...(destination !== undefined ? { destination } : {}), sourceLocations, runs: tally(), loggedModels: tally(), traces: tally(), files: 0, bytes: 0, notMoved: [] };
}

/** Every file under `repo` (root-relative paths), depth first. */
async function listFiles(repo: ArtifactRepository, path: string, call: CallOptions, out: string[] = []): Promise<string[]> {
  throwIfAborted(call);
  for (const child of await repo.listArtifacts(path || undefined, call)) {
    const childPath = child.path.replace(/\/+$/, '');
    // Object stores may echo a `dir/` placeholder for the listed directory itself.
    if (childPath === path || childPath === '.' || childPath === '') continue;
    if (child.is_dir) await listFiles(repo, childPath, call, out);
    else out.push(childPath);
  }
  return out;
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

/**
 * Copies every file of the tree at `source` to the same relative paths under `destination`,
 * `concurrency` files at once, streamed (`openArtifact` → `writeArtifact`), each checked by reading
 * the copy back: its SHA-256 must equal that of the bytes read from the source.
 *
 * @throws INVALID_STATE when a copy reads back different bytes
 * @throws CANCELLED when `signal` aborts; whatever the repositories throw
 */
export async function copyArtifactTree(
  source: ArtifactRepository,
  destination: ArtifactRepository,
  options: CallOptions & { concurrency?: number } = {},
): Promise<{ files: number; bytes: number }> {
  const call: CallOptions = options.signal ? { signal: options.signal } : {};
  const files = await listFiles(source, '', call);
  let bytes = 0;
  await forEachBounded(files, options.concurrency ?? 4, async (path) => {
    throwIfAborted(call);
    const hash = createHash('sha256');
    let size = 0;
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    });
    const input = await source.openArtifact(path, call);
    let ended = false;
    input.once('end', () => (ended = true));
    input.on('error', (err) => hashing.destroy(err));
    try {
      await destination.writeArtifact(path, input.pipe(hashing), call);
    } finally {
      if (!ended) input.destroy();
    }
    // A writer that stopped early would otherwise read back the same truncated bytes it hashed.
    if (!ended) throw new MlflowError(`Artifact copy failed: ${path} of ${source.artifactUri} was not read to its end.`, 'INVALID_STATE');
    const expected = hash.digest('hex');
    const actual = await sha256Of(await destination.openArtifact(path, call));
    if (actual !== expected) {
      throw new MlflowError(
        `Artifact copy failed verification: ${path} has SHA-256 ${expected} in ${source.artifactUri} and ${actual} in ${destination.artifactUri}.`,
        'INVALID_STATE',
      );
    }
    bytes += size;
  });
  return { files: files.length, bytes };
}

/** The artifact URI the target holds for an entity, or undefined when the target lacks it. */
async function existingUri(read: () => Promise<string>): Promise<string | undefined> {
  try {
    return await read();
  } catch (err) {
    if (isMlflowError(err) && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return undefined;
    throw err;
  }
}

/**
 * The artifact side of a migration with `copyArtifacts`: rewrites artifact locations to the
 * destination and copies each run's and model's tree before importing it, so an entity present in
 * the target is one whose artifacts were wholly copied and verified. Resumed, entities already in
 * the target are not copied again; a file half-written by an interrupted copy belongs to an entity
 * not yet imported, so it is copied again.
 */
export class ArtifactMover {
  readonly report: ArtifactMigrationReport;
  /** Source artifact URI → where the target's entity keeps those files (for {@link relocate}). */
  private readonly moved = new Map<string, string>();

  constructor(
    private readonly target: PortableStore,
    private readonly options: ArtifactCopyOptions & { destination: string },
    sourceLocations: string[],
    private readonly call: CallOptions,
  ) {
    this.report = emptyArtifactReport(sourceLocations, options.destination);
  }

  /** The experiment as the target keeps it: its artifact location under the destination. */
  experiment(e: Experiment): Experiment {
    return { ...e, artifact_location: appendToUriPath(this.options.destination, e.experiment_id) };
  }

  /** Copies the run's artifacts (unless the target has the run already), then imports it pointing at the copy. */
  async importRun(run: RunExport): Promise<ImportOutcome> {
    const { run_id: id, experiment_id: exp, artifact_uri: from } = run.info;
    const to = appendToUriPath(this.options.destination, exp, id, 'artifacts');
    const existing = await existingUri(async () => (await this.target.getRun(id, this.call)).info.artifact_uri);
    if (existing !== undefined) return this.already('run', id, from, existing, to, this.report.runs);
    await this.copy(from, to, this.report.runs);
    this.remember(from, to);
    return this.target.importRun({ ...run, info: { ...run.info, artifact_uri: to } }, this.call);
  }

  /** {@link importRun} for a logged model (`<experiment>/models/<id>/artifacts`). */
  async importLoggedModel(entry: LoggedModelExport): Promise<ImportOutcome> {
    const info = entry.model.info;
    const to = appendToUriPath(this.options.destination, info.experiment_id, 'models', info.model_id, 'artifacts');
    // A store that hides deleted models from getLoggedModel copies those again on a resume (harmless).
    const existing = await existingUri(async () => (await this.target.getLoggedModel(info.model_id, this.call)).info.artifact_uri);
    if (existing !== undefined) return this.already('logged-model', info.model_id, info.artifact_uri, existing, to, this.report.loggedModels);
    await this.copy(info.artifact_uri, to, this.report.loggedModels);
    this.remember(info.artifact_uri, to);
    return this.target.importLoggedModel({ ...entry, model: { ...entry.model, info: { ...info, artifact_uri: to } } }, this.call);
  }

  /** Copies a trace's artifact tree (before the trace is imported; see `importTrace`). */
  copyTraceArtifacts(from: string, to: string): Promise<void> {
    return this.copy(from, to, this.report.traces);
  }

  /**
   * Where the files of `uri` are in the target: a URI inside a run's or logged model's copied tree
   * (a registered model version's `source` or `storage_location`) moves with it; anything else is
   * kept as it is.
   */
  relocate(uri: string): string {
    for (let prefix = uri.replace(/\/+$/, ''); prefix; prefix = prefix.slice(0, Math.max(0, prefix.lastIndexOf('/')))) {
      const to = this.moved.get(prefix);
      if (to !== undefined) return to + uri.slice(prefix.length);
      if (!prefix.includes('/')) break;
    }
    return uri;
  }

  private remember(from: string, to: string): void {
    if (from) this.moved.set(from.replace(/\/+$/, ''), to);
  }

  private already(entity: ArtifactNotMoved['entity'], id: string, from: string, existing: string, to: string, tally: ArtifactTally): ImportOutcome {
    if (existing === to) tally.skipped++;
    else this.report.notMoved.push({ entity, id, artifactUri: existing });
    this.remember(from, existing);
    return 'exists';
  }

  private async copy(from: string, to: string, tally: ArtifactTally): Promise<void> {
    if (from.replace(/\/+$/, '') === to) {
      tally.inPlace++;
      return;
    }
    if (!from) {
      tally.copied++; // nothing recorded, nothing to copy
      return;
    }
    const [source, destination] = await Promise.all([this.options.resolve(from), this.options.resolve(to)]);
    const done = await copyArtifactTree(source, destination, { ...this.call, concurrency: this.options.concurrency ?? 4 });
    this.report.files += done.files;
    this.report.bytes += done.bytes;
    tally.copied++;
  }
}
