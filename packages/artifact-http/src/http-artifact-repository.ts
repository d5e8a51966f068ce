import { createReadStream, createWriteStream } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BaseArtifactRepository,
  MlflowError,
  joinArtifactPath,
  redactUri,
  silentLogger,
  throwIfAborted,
  validateArtifactPath,
  type ArtifactBody,
  type ArtifactCallOptions,
  type ArtifactRepositoryCapabilities,
  type CreateMultipartUploadResponse,
  type FileInfo,
  type Logger,
  type MultipartUploadPart,
  type OpenArtifactOptions,
} from '@mlstore/core';
import { MlflowHttpClient, encodeUrlPath, type HttpBody } from '@mlstore/store-rest';
import { PREFIX, responseError, wrapError } from './errors.js';
import { readErrorBody, readText } from './read-body.js';
import { resolveMultipartSettings, type HttpArtifactRepositoryOptions, type MultipartSettings } from './http-artifact-options.js';
import { parseListing } from './listing.js';
import { guessMimeType } from '@mlstore/core';
import { artifactServerBaseUri, resolveArtifactHttpUrl, splitArtifactServiceUrl } from './mlflow-artifacts-uri.js';
import * as mpu from './multipart-upload.js';
import { fetchArtifactServerCapabilities } from './server-info.js';
import { sliceStream } from './slice-stream.js';

/**
 * What the HTTP repository can do. Directories exist only through their files (the proxy cannot
 * create an empty one); deletes and listings follow the server's destination; ranges are asked
 * with `Range` and cut client-side when a server ignores it. `multipartUpload` is false because
 * support depends on the server's destination (the methods exist and answer NOT_IMPLEMENTED
 * where it has none).
 */
export const HTTP_ARTIFACT_CAPABILITIES: ArtifactRepositoryCapabilities = Object.freeze({
  multipartUpload: false,
  presign: false,
  rangeRead: true,
  paginatedList: false,
  emptyDirectories: false,
  deleteSemantics: 'full',
  sortedListing: true,
});

/**
 * MLflow's `HttpArtifactRepository` / `MlflowArtifactsRepository` for `http://`, `https://` and
 * `mlflow-artifacts:` URIs, talking to MLflow's artifact proxy (`/api/2.0/mlflow-artifacts/…`)
 * through an {@link MlflowHttpClient}: streamed PUT uploads, listings re-joined to root-relative
 * paths, streamed downloads, DELETE, and proxy multipart uploads for large files.
 */
export class HttpArtifactRepository extends BaseArtifactRepository {
  readonly capabilities = HTTP_ARTIFACT_CAPABILITIES;
  /** The http(s) URL of the repository root (an `mlflow-artifacts:` URI resolved), no trailing `/`. */
  readonly resolvedUri: string;
  private readonly client: MlflowHttpClient;
  private readonly ownsClient: boolean;
  private readonly logger: Logger;
  private readonly service: { serviceBase: string; encodedRoot: string; rootPath: string } | undefined;
  private readonly deploymentRoot: string | undefined;
  private readonly multipart: MultipartSettings;

  /**
   * @throws MlflowError INVALID_PARAMETER_VALUE for another scheme, an `mlflow-artifacts:` URI that
   *   cannot be resolved (see `resolveMlflowArtifactsUri`), or invalid client settings.
   */
  constructor(artifactUri: string, options: HttpArtifactRepositoryOptions = {}) {
    super(artifactUri);
    const env = options.env ?? process.env;
    this.resolvedUri = resolveArtifactHttpUrl(artifactUri, options.trackingUri ?? env.MLFLOW_TRACKING_URI);
    this.logger = options.logger ?? silentLogger;
    this.multipart = resolveMultipartSettings(options);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? new MlflowHttpClient({ ...(options.clientOptions ?? {}), baseUrl: this.resolvedUri, env, logger: this.logger });
    const split = splitArtifactServiceUrl(this.resolvedUri);
    this.service = split && { ...split, encodedRoot: split.root, rootPath: split.root.split('/').map(decodeSegment).join('/') };
    this.deploymentRoot = artifactServerBaseUri(this.resolvedUri);
  }

  /** Closes the connection pool when the repository created its own client. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  private fileUrl(rel: string): string {
    return `${this.resolvedUri}/${encodeUrlPath(rel)}`;
  }

  private show(rel: string): string {
    return redactUri(rel ? `${this.resolvedUri}/${rel}` : this.resolvedUri);
  }

  /**
   * Direct children of `path`, root-relative and sorted, from `GET …/mlflow-artifacts/artifacts?path=`
   * (a file without a size is 0 bytes, see `parseListing`).
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for an unsafe path, a name the server returns that
   *   is unsafe, or a URL without the artifact-service path (MLflow cannot list those either).
   */
  async listArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<FileInfo[]> {
    const rel = validateArtifactPath(path);
    if (!this.service) {
      throw MlflowError.invalidParameter(`${PREFIX} cannot list ${this.show('')}: it is not an MLflow artifact-service URL (…/mlflow-artifacts/artifacts/…)`);
    }
    throwIfAborted(opts);
    const queryPath = [this.service.rootPath, rel].filter(Boolean).join('/');
    const what = `list ${this.show(rel)}`;
    const text = await this.call(async () => {
      const query = queryPath ? { query: { path: queryPath } } : {};
      const res = await this.client.request('GET', `${this.service!.serviceBase}/mlflow-artifacts/artifacts`, { ...query, ...signalOf(opts) });
      if (res.status < 200 || res.status > 299) throw await responseError(res, what);
      return readText(res.body);
    }, what);
    const infos = parseListing(text, rel, what);
    // Some destinations list a file as itself, which looks like a directory holding one file of
    // the same name (`a/a`); the parent listing tells them apart (as MLflow's client does).
    const only = infos[0];
    if (infos.length === 1 && only && !only.is_dir && rel !== '' && only.path === `${rel}/${basename(rel)}`) {
      const parent = rel.includes('/') ? rel.slice(0, rel.lastIndexOf('/')) : undefined;
      const siblings = await this.listArtifacts(parent, opts);
      if (!siblings.some((s) => s.is_dir && s.path === rel)) return [];
    }
    return infos.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /**
   * Streams a file (`GET <root>/<path>`); `start`/`end` (inclusive) are sent as `Range` and
   * applied client-side when the server answers 200.
   *
   * @throws MlflowError RESOURCE_DOES_NOT_EXIST for a missing file; INVALID_PARAMETER_VALUE for
   *   an unsafe path, the root, or a directory.
   */
  async openArtifact(path: string, opts: OpenArtifactOptions = {}): Promise<Readable> {
    const rel = validateArtifactPath(path);
    if (rel === '') throw MlflowError.invalidParameter(`${PREFIX} the repository root is a directory, not a file`);
    throwIfAborted(opts);
    const what = `download ${this.show(rel)}`;
    const ranged = opts.start !== undefined || opts.end !== undefined;
    const start = opts.start ?? 0;
    return this.call(async () => {
      const headers: Record<string, string> = ranged ? { range: `bytes=${start}-${opts.end ?? ''}` } : {};
      const res = await this.client.request('GET', this.fileUrl(rel), { headers, ...signalOf(opts) });
      if (res.status === 416) {
        res.body.destroy();
        return Readable.from([]);
      }
      if (res.status === 206) return res.body;
      if (res.status < 200 || res.status > 299) throw await responseError(res, what);
      return ranged ? sliceStream(res.body, start, opts.end) : res.body;
    }, what);
  }

  /**
   * Uploads one file with `PUT <root>/<path>` (streamed; `Content-Type` guessed from the name, as
   * MLflow does). Buffers and strings are retried on transient failures; a stream is sent once.
   *
   * @throws MlflowError INVALID_PARAMETER_VALUE for an unsafe path or the root; CANCELLED on abort;
   *   INTERNAL_ERROR when the body stream fails (nothing is published by MLflow's proxy then).
   */
  async writeArtifact(path: string, body: ArtifactBody, opts: ArtifactCallOptions = {}): Promise<void> {
    const rel = validateArtifactPath(path);
    if (rel === '') throw MlflowError.invalidParameter('Invalid path: an artifact file path is required');
    throwIfAborted(opts);
    if (typeof body === 'string' || body instanceof Uint8Array) {
      await this.put(rel, body, undefined, opts);
      return;
    }
    let sourceError: unknown;
    async function* guarded(source: AsyncIterable<Uint8Array | string>) {
      try {
        for await (const chunk of source) yield typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      } catch (err) {
        sourceError = err;
        throw err;
      }
    }
    try {
      await this.put(rel, Readable.from(guarded(body)), undefined, opts);
    } catch (err) {
      if (sourceError !== undefined) throw wrapError(sourceError, `upload ${this.show(rel)}: reading the body`);
      throw err;
    }
  }

  private async put(rel: string, body: HttpBody | (() => HttpBody), size: number | undefined, opts: ArtifactCallOptions): Promise<void> {
    const what = `upload ${this.show(rel)}`;
    const headers: Record<string, string> = { 'content-type': guessMimeType(basename(rel)) };
    if (size !== undefined) headers['content-length'] = String(size);
    await this.call(async () => {
      const res = await this.client.request('PUT', this.fileUrl(rel), { body, headers, ...signalOf(opts) });
      if (res.status < 200 || res.status > 299) throw await responseError(res, what);
      await readErrorBody(res.body);
    }, what);
  }

  /**
   * Uploads `localFile` to `<artifactPath>/<basename>`: through the proxy's multipart endpoints
   * when enabled and the file is at least the minimum size (falling back to one PUT when the
   * destination answers NOT_IMPLEMENTED), else with one retryable streamed PUT.
   */
  override async logArtifact(localFile: string, artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const dir = validateArtifactPath(artifactPath);
    const target = joinArtifactPath(dir, basename(localFile));
    throwIfAborted(opts);
    const size = (await stat(localFile).catch((err: unknown) => Promise.reject(wrapError(err, `upload ${localFile}`)))).size;
    const caps = this.deploymentRoot ? await fetchArtifactServerCapabilities(this.client, this.deploymentRoot, this.logger, opts.signal) : undefined;
    const enabled = this.multipart.enabled ?? caps?.multipartUploadsEnabled ?? false;
    const presignedOnly = caps?.artifactsPresignedOnly ?? false;
    if (this.service && (presignedOnly || (enabled && size >= this.multipart.minimumFileSize))) {
      try {
        await mpu.multipartUpload(this.mpuContext(), localFile, size, this.multipart.chunkSize, dir, opts.signal ? { signal: opts.signal } : {});
        return;
      } catch (err) {
        if (!(err instanceof mpu.UnsupportedMultipartUploadError) || presignedOnly) throw wrapError(err, `upload ${localFile}`);
        this.logger.debug({ file: basename(localFile) }, 'multipart upload not supported by the server; falling back to a single PUT');
      }
    }
    await this.put(target, () => createReadStream(localFile), size, opts);
  }

  /** `DELETE <root>/<path>` (the root itself when absent); a missing path is a no-op on MLflow's proxy. */
  async deleteArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const rel = validateArtifactPath(path);
    throwIfAborted(opts);
    const what = `delete ${this.show(rel)}`;
    await this.call(async () => {
      const res = await this.client.request('DELETE', rel ? this.fileUrl(rel) : `${this.resolvedUri}/`, signalOf(opts));
      if (res.status < 200 || res.status > 299) throw await responseError(res, what);
      await readErrorBody(res.body);
    }, what);
  }

  protected async downloadFile(remotePath: string, localPath: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const source = await this.openArtifact(remotePath, signalOf(opts));
    try {
      await pipeline(source, createWriteStream(localPath), signalOf(opts));
    } catch (err) {
      await unlink(localPath).catch(() => undefined);
      throw wrapError(err, `download ${this.show(remotePath)}`);
    }
  }

  /** MLflow's `create_multipart_upload` on the proxy. @throws MlflowError NOT_IMPLEMENTED when the destination has none. */
  async createMultipartUpload(localFile: string, numParts = 1, artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<CreateMultipartUploadResponse> {
    return mpu.createMultipartUpload(this.mpuContext(), localFile, numParts, validateArtifactPath(artifactPath), opts.signal);
  }

  /** MLflow's `complete_multipart_upload` on the proxy. */
  async completeMultipartUpload(localFile: string, uploadId: string, parts: MultipartUploadPart[], artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    await mpu.completeMultipartUpload(this.mpuContext(), localFile, uploadId, parts, validateArtifactPath(artifactPath), opts.signal);
  }

  /** MLflow's `abort_multipart_upload` on the proxy. */
  async abortMultipartUpload(localFile: string, uploadId: string, artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    await mpu.abortMultipartUpload(this.mpuContext(), localFile, uploadId, validateArtifactPath(artifactPath), opts.signal);
  }

  private mpuContext(): mpu.MultipartContext {
    if (!this.service) {
      throw MlflowError.invalidParameter(`${PREFIX} multipart uploads need an MLflow artifact-service URL (…/mlflow-artifacts/artifacts/…), got ${this.show('')}`);
    }
    return { client: this.client, serviceBase: this.service.serviceBase, encodedRoot: this.service.encodedRoot, logger: this.logger };
  }

  private async call<T>(fn: () => Promise<T>, what: string): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw wrapError(err, what);
    }
  }
}

function signalOf(opts: { signal?: AbortSignal }): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
