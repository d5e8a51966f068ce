import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { PassThrough, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { deleteUnder } from './s3-delete.js';
import {
  BaseArtifactRepository,
  MlflowError,
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
import { PREFIX, mapS3Error, s3Location, scrub, wrapLocalError } from './errors.js';
import { createS3Client, omitDefaultContentType } from './s3-client.js';
import { guessS3ContentType } from './s3-content-type.js';
import { abortMultipartUpload, completeMultipartUpload, createPresignedMultipartUpload } from './s3-multipart.js';
import { resolveS3Settings, type ResolvedS3Settings, type S3ArtifactRepositoryOptions } from './s3-options.js';
import { deletePrefix, listingPrefix, objectKey, parseS3Uri, relativeToRoot } from './s3-uri.js';
import { streamUpload } from './s3-upload.js';

/** What the S3 repository can do. */
export const S3_ARTIFACT_CAPABILITIES: ArtifactRepositoryCapabilities = Object.freeze({
  multipartUpload: true,
  presign: true,
  rangeRead: true,
  paginatedList: true,
  emptyDirectories: false,
  deleteSemantics: 'full',
  sortedListing: true,
});

/** Python's string order (by code point), which MLflow's `sorted(infos)` uses. */
const byCodePoint = (a: string, b: string): number => {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] as string).codePointAt(0)! - (y[i] as string).codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
};

/**
 * MLflow's `S3ArtifactRepository` for `s3://<bucket>/<prefix>` URIs on the AWS SDK v3: object keys,
 * listing, delete, content types and multipart (proxy) behaviour as MLflow 3.18 has them; bodies
 * streamed both ways with bounded memory; every call cancellable with an AbortSignal.
 */
export class S3ArtifactRepository extends BaseArtifactRepository {
  readonly capabilities = S3_ARTIFACT_CAPABILITIES;
  /** The bucket (the URI's netloc). */
  readonly bucket: string;
  /** The key prefix of the repository root (the URI's path without its first `/`). */
  readonly prefix: string;
  /** The settings in use after options, env vars and defaults were merged. */
  readonly settings: ResolvedS3Settings;
  readonly client: S3Client;
  private readonly ownsClient: boolean;
  private readonly logger: Logger;

  /**
   * @throws MlflowError INVALID_PARAMETER_VALUE for a URI that is not `s3://` or has no bucket, and
   *   for invalid options or env vars (see `resolveS3Settings`).
   */
  constructor(artifactUri: string, options: S3ArtifactRepositoryOptions = {}) {
    super(artifactUri);
    const { bucket, prefix } = parseS3Uri(artifactUri);
    if (bucket === '') throw MlflowError.invalidParameter(`${PREFIX} the S3 URI names no bucket: ${redactUri(artifactUri)} (expected s3://<bucket>/<path>)`);
    this.bucket = bucket;
    this.prefix = prefix;
    this.logger = options.logger ?? silentLogger;
    this.settings = resolveS3Settings(options);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? createS3Client(this.settings, this.logger);
    // Objects without a guessed type get S3's default type, as with boto (also on a given client).
    omitDefaultContentType(this.client);
  }

  /** Closes the SDK client's connections when this repository created it. */
  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }

  private fail(err: unknown, operation: string, key: string | undefined, opts?: ArtifactCallOptions): MlflowError {
    if (opts?.signal?.aborted) return new MlflowError(`${PREFIX} ${operation} ${s3Location(this.bucket, key)}: aborted`, 'CANCELLED', { cause: err });
    return mapS3Error(err, { operation, bucket: this.bucket, ...(key !== undefined ? { key } : {}), ...(this.settings.endpoint ? { endpoint: this.settings.endpoint } : {}) });
  }

  private get ownerParams(): { ExpectedBucketOwner?: string } {
    return this.settings.expectedBucketOwner ? { ExpectedBucketOwner: this.settings.expectedBucketOwner } : {};
  }

  /** MLflow's `_get_upload_extra_args`: guessed type/encoding, then the bucket owner, then `MLFLOW_S3_UPLOAD_EXTRA_ARGS`. */
  uploadArgs(fileName: string): Record<string, unknown> {
    const { contentType, contentEncoding } = guessS3ContentType(fileName);
    return {
      ...(contentType !== undefined ? { ContentType: contentType } : {}),
      ...(contentEncoding !== undefined ? { ContentEncoding: contentEncoding } : {}),
      ...this.ownerParams,
      ...this.settings.uploadExtraArgs,
    };
  }

  /** Extra args a GET must repeat (SSE-C key, requester pays) plus the bucket owner. */
  private downloadArgs(): Record<string, string> {
    const out: Record<string, string> = { ...(this.ownerParams as Record<string, string>) };
    for (const k of ['SSECustomerAlgorithm', 'SSECustomerKey', 'SSECustomerKeyMD5', 'RequestPayer']) {
      const v = this.settings.uploadExtraArgs[k];
      if (v !== undefined) out[k] = String(v);
    }
    return out;
  }

  /** The object key of an artifact path (validated). */
  keyOf(path: string | undefined): string {
    return objectKey(this.prefix, validateArtifactPath(path));
  }

  private checkListed(key: string): string {
    const rel = relativeToRoot(this.prefix, key);
    if (rel === undefined) {
      throw new MlflowError(`${PREFIX} The path of the listed S3 object does not begin with the specified artifact path. Artifact path: ${this.prefix}. Object path: ${scrub(key)}.`);
    }
    return rel;
  }

  /** MLflow's `list_artifacts`: one delimited, paginated listing; markers (`dir/`, 0 bytes) skipped; sorted. */
  async listArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<FileInfo[]> {
    throwIfAborted(opts);
    const prefix = listingPrefix(this.prefix, validateArtifactPath(path));
    const infos: FileInfo[] = [];
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: '/', MaxKeys: this.settings.listPageSize, ContinuationToken: token, ...this.ownerParams }),
          { abortSignal: opts.signal },
        );
      } catch (err) {
        throw this.fail(err, 'ListObjectsV2', prefix, opts);
      }
      for (const cp of page.CommonPrefixes ?? []) {
        const rel = this.checkListed(cp.Prefix ?? '');
        if (rel !== '') infos.push({ path: rel, is_dir: true });
      }
      for (const obj of page.Contents ?? []) {
        const key = obj.Key ?? '';
        const rel = this.checkListed(key);
        const size = Number(obj.Size ?? 0);
        if ((size === 0 && key.endsWith('/')) || rel === '') continue;
        infos.push({ path: rel, is_dir: false, file_size: size });
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return infos.sort((a, b) => byCodePoint(a.path, b.path));
  }

  /** Streams an object (or a byte range of it). Missing → RESOURCE_DOES_NOT_EXIST. */
  async openArtifact(path: string, opts: OpenArtifactOptions = {}): Promise<Readable> {
    throwIfAborted(opts);
    const key = this.keyOf(path);
    const { start, end } = opts;
    if (start !== undefined && end !== undefined && start > end) throw MlflowError.invalidParameter(`${PREFIX} range start ${start} is after its end ${end}`);
    const range = start === undefined && end === undefined ? undefined : `bytes=${start ?? 0}-${end ?? ''}`;
    let body: Readable;
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range, ...this.downloadArgs() }), { abortSignal: opts.signal });
      body = res.Body as Readable;
    } catch (err) {
      throw this.fail(err, 'GetObject', key, opts);
    }
    const signal = opts.signal;
    if (signal) {
      const onAbort = () => body.destroy(new MlflowError(`${PREFIX} GetObject ${s3Location(this.bucket, key)}: aborted`, 'CANCELLED', { cause: signal.reason }));
      signal.addEventListener('abort', onAbort, { once: true });
      body.once('close', () => signal.removeEventListener('abort', onAbort));
    }
    // A connection lost mid-body (server gone, reset) reaches the reader mapped like the request's
    // failures (retryable), not as a bare socket error; destroying the result stops the request.
    const out = new PassThrough({ readableHighWaterMark: body.readableHighWaterMark });
    body.on('error', (err) => out.destroy(this.fail(err, 'GetObject', key, opts)));
    out.on('close', () => {
      if (!body.destroyed) body.destroy();
    });
    return body.pipe(out);
  }

  /** Writes one object (single PUT up to `partSize`, else multipart), replacing any previous one. */
  async writeArtifact(path: string, body: ArtifactBody, opts: ArtifactCallOptions = {}): Promise<void> {
    const rel = validateArtifactPath(path);
    if (rel === '') throw MlflowError.invalidParameter(`${PREFIX} cannot write to the repository root; give a file path`);
    throwIfAborted(opts);
    const key = objectKey(this.prefix, rel);
    const name = rel.slice(rel.lastIndexOf('/') + 1);
    try {
      await streamUpload(body, {
        client: this.client,
        params: { ...this.uploadArgs(name), Bucket: this.bucket, Key: key },
        partSize: this.settings.partSize,
        queueSize: this.settings.queueSize,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
    } catch (err) {
      const e = err as { $metadata?: unknown; name?: string } | undefined;
      if (e?.$metadata !== undefined || opts.signal?.aborted || e?.name === 'AbortError') throw this.fail(err, 'PutObject', key, opts);
      throw wrapLocalError(err, `upload of ${s3Location(this.bucket, key)}`);
    }
  }

  /**
   * MLflow's `delete_artifacts`: every key equal to the path's key or below it (a `/` boundary, so
   * `a/b` never takes `a/bc`), listed page by page and removed with DeleteObjects in batches of
   * up to 1,000. The root deletes everything under the prefix; a missing path is a no-op.
   */
  async deleteArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    throwIfAborted(opts);
    const dest = deletePrefix(this.prefix, validateArtifactPath(path));
    await deleteUnder({
      client: this.client,
      bucket: this.bucket,
      dest,
      pageSize: this.settings.listPageSize,
      extra: this.ownerParams,
      ...(opts.signal ? { signal: opts.signal } : {}),
      check: (key) => this.checkListed(key),
      fail: (err, operation) => this.fail(err, operation, dest, opts),
    });
  }

  /** Downloads one object to `localPath` through a temporary sibling, renamed when complete. */
  protected async downloadFile(remotePath: string, localPath: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const body = await this.openArtifact(remotePath, opts);
    const tmp = `${localPath}.mlstore-${randomBytes(6).toString('hex')}.part`;
    try {
      await pipeline(body, createWriteStream(tmp), ...(opts.signal ? [{ signal: opts.signal }] as const : []));
      await rename(tmp, localPath);
    } catch (err) {
      await rm(tmp, { force: true });
      if (opts.signal?.aborted) throw new MlflowError(`${PREFIX} download of ${remotePath}: aborted`, 'CANCELLED', { cause: err });
      throw wrapLocalError(err, `download of ${s3Location(this.bucket, this.keyOf(remotePath))}`);
    }
  }

  /** The key MLflow's multipart methods target: `<prefix>/<artifactPath>/<basename(localFile)>`. */
  private multipartTarget(localFile: string, artifactPath: string | undefined, opts: ArtifactCallOptions) {
    const name = localFile.slice(localFile.lastIndexOf('/') + 1);
    const rel = validateArtifactPath([validateArtifactPath(artifactPath), name].filter(Boolean).join('/'));
    if (name === '' || rel === '') throw MlflowError.invalidParameter(`${PREFIX} the local file has no name: ${localFile}`);
    throwIfAborted(opts);
    const key = objectKey(this.prefix, rel);
    return { key, args: this.uploadArgs(localFile), t: { client: this.client, bucket: this.bucket, key, ...(opts.signal ? { signal: opts.signal } : {}) } };
  }

  /**
   * MLflow's `create_multipart_upload` for the artifact proxy: starts a multipart upload and returns
   * one presigned UploadPart URL per part (valid `presignExpiresIn` seconds) with the headers to send.
   */
  async createMultipartUpload(localFile: string, numParts = 1, artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<CreateMultipartUploadResponse> {
    const { key, args, t } = this.multipartTarget(localFile, artifactPath, opts);
    try {
      return await createPresignedMultipartUpload(t, args, numParts, this.settings.presignExpiresIn);
    } catch (err) {
      throw this.fail(err, 'CreateMultipartUpload', key, opts);
    }
  }

  /** MLflow's `complete_multipart_upload`: assembles the uploaded parts into the object. */
  async completeMultipartUpload(localFile: string, uploadId: string, parts: MultipartUploadPart[], artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const { key, args, t } = this.multipartTarget(localFile, artifactPath, opts);
    try {
      await completeMultipartUpload(t, args, uploadId, parts);
    } catch (err) {
      throw this.fail(err, 'CompleteMultipartUpload', key, opts);
    }
  }

  /** MLflow's `abort_multipart_upload`: drops the upload and its parts. */
  async abortMultipartUpload(localFile: string, uploadId: string, artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const { key, args, t } = this.multipartTarget(localFile, artifactPath, opts);
    try {
      await abortMultipartUpload(t, args, uploadId);
    } catch (err) {
      throw this.fail(err, 'AbortMultipartUpload', key, opts);
    }
  }
}
