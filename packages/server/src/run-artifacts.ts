import type { Readable } from 'node:stream';
import { splitUri, type ArtifactRepository, type FileInfo, type RunInfo } from '@mlstore/core';
import { validatePathIsSafe } from './safe-path.js';

/** Makes the artifact repository of a stored artifact URI (a run's or a logged model's). */
export type ArtifactRepositoryResolver = (uri: string) => ArtifactRepository | Promise<ArtifactRepository>;

export interface RunArtifactsOptions {
  /** The proxy's destination (`--artifacts-destination`); proxied URIs are served from it. */
  destination?: ArtifactRepository;
  /** Resolves every other URI (e.g. a registry's `resolve`). */
  resolve?: ArtifactRepositoryResolver;
  /** The SSRF guard applied before connecting to a stored URI's host. */
  hostPolicy: (uri: string) => void;
}

const PROXY_PATH = '/mlflow-artifacts/artifacts';

/**
 * The artifacts of runs and logged models as the tracking API serves them (`/mlflow/artifacts/list`,
 * `/get-artifact`): URIs the proxy serves (`mlflow-artifacts:`, `http(s)://…/mlflow-artifacts/artifacts/…`)
 * map into the destination repository; others resolve through the registry.
 */
export class RunArtifacts {
  constructor(private readonly options: RunArtifactsOptions) {}

  /** Where a proxied root lives inside the destination, or `undefined` when it is not proxied. */
  private destinationPath(artifactUri: string): string | undefined {
    if (!this.options.destination) return undefined;
    const { scheme, path } = splitUri(artifactUri);
    if (scheme === 'mlflow-artifacts') return path.replace(/^\/+/, '');
    if (scheme === 'http' || scheme === 'https') {
      const at = path.indexOf(PROXY_PATH);
      if (at >= 0) return path.slice(at + PROXY_PATH.length).replace(/^\/+/, '');
    }
    return undefined;
  }

  private async repoFor(artifactUri: string): Promise<{ repo: ArtifactRepository; base: string }> {
    const base = this.destinationPath(artifactUri);
    if (base !== undefined) return { repo: this.options.destination!, base };
    if (!this.options.resolve) throw new Error(`no artifact repository resolver for ${artifactUri}`);
    this.options.hostPolicy(artifactUri);
    return { repo: await this.options.resolve(artifactUri), base: '' };
  }

  /** `ListArtifacts.Response`: the root URI and the direct children of `path`, run-relative. */
  async list(artifactUri: string, path: string | undefined, signal?: AbortSignal): Promise<{ root_uri: string; files: FileInfo[] }> {
    const rel = path ? validatePathIsSafe(path) : undefined;
    const { repo, base } = await this.repoFor(artifactUri);
    const target = [base, rel].filter(Boolean).join('/') || undefined;
    const listed = await repo.listArtifacts(target, { signal });
    const files = listed.map((f) => {
      const name = f.path.slice(f.path.lastIndexOf('/') + 1);
      const info: FileInfo = { path: rel ? `${rel}/${name}` : name, is_dir: f.is_dir };
      if (f.file_size) info.file_size = f.file_size;
      return info;
    });
    return { root_uri: artifactUri, files };
  }

  /**
   * Writes one file of a run (MLflow's UI `upload-artifact`). A proxied run (an `http(s)` or
   * `mlflow-artifacts` root while the proxy is served) gets it at `<experiment_id>/<run_id>/artifacts/<path>`
   * in the destination, where MLflow 3.18 puts it whatever the root's own path; any other run
   * through the repository of its artifact URI.
   */
  async writeRunFile(run: RunInfo, path: string, data: Uint8Array, signal?: AbortSignal): Promise<void> {
    const rel = validatePathIsSafe(path);
    const { scheme } = splitUri(run.artifact_uri);
    if (this.options.destination && (scheme === 'mlflow-artifacts' || scheme === 'http' || scheme === 'https')) {
      await this.options.destination.writeArtifact(`${run.experiment_id}/${run.run_id}/artifacts/${rel}`, data, { signal });
      return;
    }
    const { repo, base } = await this.repoFor(run.artifact_uri);
    await repo.writeArtifact([base, rel].filter(Boolean).join('/'), data, { signal });
  }

  /** Streams one artifact of a run or model. */
  async open(artifactUri: string, path: string, signal?: AbortSignal): Promise<Readable> {
    const rel = validatePathIsSafe(path);
    const { repo, base } = await this.repoFor(artifactUri);
    return repo.openArtifact([base, rel].filter(Boolean).join('/'), { signal });
  }
}
