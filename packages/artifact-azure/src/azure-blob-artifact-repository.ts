import { createWriteStream } from 'node:fs';
import { unlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { BlobServiceClient, ContainerClient } from '@azure/storage-blob';
import {
  BaseArtifactRepository,
  MlflowError,
  joinArtifactPath,
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
import {
  createServiceClient,
  resolveAzureCredential,
  resolveTimeoutSeconds,
  type AzureCredentialOptions,
  type AzureCredentialSource,
  type IdentityLoader,
} from './azure-credentials.js';
import { byCodePoint, isBlobWithinPath } from './blob-names.js';
import { DEFAULT_BLOCK_UPLOAD, checkBlockUploadSettings, uploadBlocks, type BlockUploadSettings } from './block-upload.js';
import { PREFIX, azureErrorCode, mapAzureError } from './errors.js';
import { blockIdOfPart, createBlockSasUpload } from './multipart-upload.js';
import { parseWasbsUri, type WasbsUri } from './wasbs-uri.js';

/** Options of {@link AzureBlobArtifactRepository}; explicit values win over environment variables. */
export interface AzureBlobArtifactRepositoryOptions extends AzureCredentialOptions {
  /** Bytes per staged block of `writeArtifact` (default 4 MiB; a smaller body is one Put Blob). */
  blockSize?: number;
  /** Blocks staged in parallel (default 4). */
  blockConcurrency?: number;
  /** Entries per listing page (default 5000, Azure's maximum). */
  listPageSize?: number;
  /** Blobs deleted in parallel by `deleteArtifacts` (default 16). */
  deleteConcurrency?: number;
  /** Debug lines (never credentials); silent by default. */
  logger?: Logger;
  /** @internal Loads `@azure/identity`; tests replace it to exercise the missing-package error. */
  identityLoader?: IdentityLoader;
}

/**
 * What the Azure Blob repository can do: streamed block uploads, ranged reads, paginated and
 * sorted listings, recursive delete by `/`-bounded prefix, and MLflow's SAS-based multipart
 * upload (its part URLs are presigned). Blob storage has no directories, so empty ones cannot exist.
 */
export const AZURE_BLOB_ARTIFACT_CAPABILITIES: ArtifactRepositoryCapabilities = Object.freeze({
  multipartUpload: true,
  // The multipart part URLs carry a blob SAS (MLflow's proxy flow); there is no other presign API.
  presign: true,
  rangeRead: true,
  paginatedList: true,
  emptyDirectories: false,
  deleteSemantics: 'full',
  sortedListing: true,
});

/**
 * MLflow's `AzureBlobArtifactRepository` for `wasbs://<container>@<account>.blob.core.windows.net/<path>`
 * on @azure/storage-blob: blob names are `<path>/<artifact path>` exactly as MLflow writes them,
 * uploads carry no Content-Type (Azure stores its default), credentials are resolved like MLflow
 * (`resolveAzureCredential`), and the client is built on first use.
 */
export class AzureBlobArtifactRepository extends BaseArtifactRepository {
  readonly capabilities = AZURE_BLOB_ARTIFACT_CAPABILITIES;
  /** The parsed URI. */
  readonly location: WasbsUri;
  /** Which credential is used (`connectionString`, `accountKey`, …) — never its value. */
  readonly credentialKind: AzureCredentialSource['kind'];
  private readonly source: AzureCredentialSource;
  private readonly timeoutSeconds: number;
  private readonly blocks: BlockUploadSettings;
  private readonly listPageSize: number;
  private readonly deleteConcurrency: number;
  private readonly logger: Logger;
  private readonly identityLoader: IdentityLoader | undefined;
  private readonly root: string;
  private client: Promise<BlobServiceClient> | undefined;

  /**
   * @throws MlflowError INVALID_PARAMETER_VALUE for a URI that is not `wasbs://` of MLflow's form,
   *   or invalid numeric options / `MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT`.
   */
  constructor(artifactUri: string, options: AzureBlobArtifactRepositoryOptions = {}) {
    super(artifactUri);
    this.location = parseWasbsUri(artifactUri);
    this.source = resolveAzureCredential(this.location, options);
    this.credentialKind = this.source.kind;
    this.timeoutSeconds = resolveTimeoutSeconds(options);
    this.blocks = checkBlockUploadSettings({
      blockSize: options.blockSize ?? DEFAULT_BLOCK_UPLOAD.blockSize,
      concurrency: options.blockConcurrency ?? DEFAULT_BLOCK_UPLOAD.concurrency,
    });
    this.listPageSize = positive(options.listPageSize ?? 5000, 'listPageSize');
    this.deleteConcurrency = positive(options.deleteConcurrency ?? 16, 'deleteConcurrency');
    this.logger = options.logger ?? silentLogger;
    this.identityLoader = options.identityLoader;
    // posixpath.join('a/b/', 'x') and join('a/b', 'x') name the same blob.
    this.root = this.location.path.replace(/\/+$/, '');
  }

  /** The `BlobServiceClient` in use (created on first call; rejects with the credential error). */
  serviceClient(): Promise<BlobServiceClient> {
    if (!this.client) {
      this.logger.debug({ container: this.location.container, account: this.location.account, credential: this.source.kind }, `${PREFIX} creating the blob client`);
      this.client = createServiceClient(this.source, this.timeoutSeconds, this.identityLoader);
      this.client.catch(() => (this.client = undefined));
    }
    return this.client;
  }

  private async container(): Promise<ContainerClient> {
    return (await this.serviceClient()).getContainerClient(this.location.container);
  }

  /** The blob name of a validated root-relative path (`''` → the root prefix itself). */
  blobName(rel: string): string {
    if (rel === '') return this.root;
    return this.root === '' ? rel : `${this.root}/${rel}`;
  }

  private relative(blobName: string): string {
    return this.root === '' ? blobName : blobName.slice(this.root.length + 1);
  }

  private show(blobName: string): string {
    return `'${this.location.container}/${blobName}'`;
  }

  /** Direct children of `path`, root-relative, sorted: `walk_blobs` by `/`, page by page. */
  async listArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<FileInfo[]> {
    const dest = this.blobName(validateArtifactPath(path));
    const prefix = dest === '' ? '' : `${dest}/`;
    const infos: FileInfo[] = [];
    try {
      const container = await this.container();
      const pages = container.listBlobsByHierarchy('/', { prefix, ...(opts.signal ? { abortSignal: opts.signal } : {}) }).byPage({ maxPageSize: this.listPageSize });
      for await (const page of pages) {
        throwIfAborted(opts);
        for (const p of page.segment.blobPrefixes ?? []) infos.push({ path: this.relative(p.name.replace(/\/+$/, '')), is_dir: true });
        for (const b of page.segment.blobItems) {
          // A `dir/` placeholder made by another tool is the listed directory itself.
          if (b.name === prefix) continue;
          infos.push({ path: this.relative(b.name), is_dir: false, file_size: b.properties.contentLength ?? 0 });
        }
      }
    } catch (err) {
      // A missing container is an error (ContainerNotFound), not an empty listing.
      throw mapAzureError(err, `list ${this.show(prefix)}`);
    }
    return infos.sort((a, b) => byCodePoint(a.path, b.path));
  }

  /** Streams a blob (or the bytes `start`–`end`, inclusive). Missing → RESOURCE_DOES_NOT_EXIST. */
  async openArtifact(path: string, opts: OpenArtifactOptions = {}): Promise<Readable> {
    const rel = validateArtifactPath(path);
    if (rel === '') throw MlflowError.invalidParameter(`${PREFIX} cannot open the repository root as a file`);
    throwIfAborted(opts);
    const name = this.blobName(rel);
    const offset = Math.max(0, opts.start ?? 0);
    const count = opts.end !== undefined ? opts.end - offset + 1 : undefined;
    let body: Readable;
    try {
      const blob = (await this.container()).getBlobClient(name);
      if (count !== undefined && count <= 0) {
        await blob.getProperties(opts.signal ? { abortSignal: opts.signal } : {});
        return Readable.from([]);
      }
      const res = await blob.download(offset, count, { maxRetryRequests: 5, ...(opts.signal ? { abortSignal: opts.signal } : {}) });
      body = res.readableStreamBody as Readable;
    } catch (err) {
      // 416: the blob exists but starts before `start` ends (or is empty): no bytes to give.
      if ((err as { statusCode?: number }).statusCode === 416) return Readable.from([]);
      throw mapAzureError(err, `open ${this.show(name)}`);
    }
    const out = new PassThrough();
    body.on('error', (err) => out.destroy(mapAzureError(err, `read ${this.show(name)}`, opts.signal?.aborted === true)));
    out.on('close', () => {
      if (!body.readableEnded) body.destroy();
    });
    return body.pipe(out);
  }

  /** Writes a blob from a stream or buffer, replacing it (`upload_blob(overwrite=True)`), in blocks. */
  async writeArtifact(path: string, body: ArtifactBody, opts: ArtifactCallOptions = {}): Promise<void> {
    const rel = validateArtifactPath(path);
    if (rel === '') throw MlflowError.invalidParameter(`${PREFIX} cannot write to the repository root; name a file`);
    throwIfAborted(opts);
    const name = this.blobName(rel);
    try {
      const blob = (await this.container()).getBlockBlobClient(name);
      await uploadBlocks(blob, body, this.blocks, opts.signal);
    } catch (err) {
      throw mapAzureError(err, `write ${this.show(name)}`);
    }
  }

  protected async downloadFile(remotePath: string, localPath: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const stream = await this.openArtifact(remotePath, opts);
    try {
      await pipeline(stream, createWriteStream(localPath), opts.signal ? { signal: opts.signal } : {});
    } catch (err) {
      await unlink(localPath).catch(() => undefined);
      throw mapAzureError(err, `download ${this.show(this.blobName(remotePath))}`);
    }
  }

  /**
   * Deletes the blob `path` and every blob under `path/` (MLflow's `_is_object_key_within_path`:
   * `model` never matches `model2/…` or `model.txt`); the root when absent. Unlike MLflow, which
   * raises "No such file or directory", nothing to delete is a no-op (the repository contract).
   */
  async deleteArtifacts(path?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    const dest = this.blobName(validateArtifactPath(path));
    const signal = opts.signal ? { abortSignal: opts.signal } : {};
    try {
      const container = await this.container();
      const names: string[] = [];
      for await (const page of container.listBlobsFlat({ prefix: dest, ...signal }).byPage({ maxPageSize: this.listPageSize })) {
        throwIfAborted(opts);
        for (const b of page.segment.blobItems) if (isBlobWithinPath(b.name, dest)) names.push(b.name);
      }
      let next = 0;
      const worker = async () => {
        while (next < names.length) {
          const name = names[next++] as string;
          throwIfAborted(opts);
          await container.deleteBlob(name, { deleteSnapshots: 'include', ...signal }).catch((err: unknown) => {
            if (azureErrorCode(err).code !== 'RESOURCE_DOES_NOT_EXIST') throw err;
          });
        }
      };
      await Promise.all(Array.from({ length: Math.min(this.deleteConcurrency, names.length) }, worker));
    } catch (err) {
      // A missing container holds nothing to delete.
      if (azureErrorCode(err).code === 'RESOURCE_DOES_NOT_EXIST') return;
      throw mapAzureError(err, `delete ${this.show(dest)}`);
    }
  }

  private multipartTarget(localFile: string, artifactPath?: string): string {
    return this.blobName(joinArtifactPath(artifactPath, basename(localFile)));
  }

  /**
   * MLflow's `create_multipart_upload`: `numParts` Put Block URLs for `<artifactPath>/<basename>`,
   * signed with a one-hour read+write blob SAS; `upload_id` is null.
   *
   * @throws MlflowError NOT_IMPLEMENTED when the credential cannot sign (a SAS connection string,
   *   or a token credential without the delegation-key permission); INVALID_PARAMETER_VALUE for
   *   a part count outside 1–50,000.
   */
  async createMultipartUpload(localFile: string, numParts = 1, artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<CreateMultipartUploadResponse> {
    throwIfAborted(opts);
    const name = this.multipartTarget(localFile, artifactPath);
    try {
      return await createBlockSasUpload(await this.serviceClient(), this.location.container, name, numParts);
    } catch (err) {
      throw mapAzureError(err, `create multipart upload ${this.show(name)}`);
    }
  }

  /** MLflow's `complete_multipart_upload`: commits the block ids of `parts`' URLs, in the given order. */
  async completeMultipartUpload(localFile: string, _uploadId: string, parts: MultipartUploadPart[], artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    throwIfAborted(opts);
    const name = this.multipartTarget(localFile, artifactPath);
    const ids = parts.map(blockIdOfPart);
    try {
      await (await this.container()).getBlockBlobClient(name).commitBlockList(ids, opts.signal ? { abortSignal: opts.signal } : {});
    } catch (err) {
      throw mapAzureError(err, `complete multipart upload ${this.show(name)}`);
    }
  }

  /** MLflow's `abort_multipart_upload`: a no-op — Azure drops uncommitted blocks itself (after 7 days). */
  async abortMultipartUpload(localFile: string, _uploadId: string, artifactPath?: string, opts: ArtifactCallOptions = {}): Promise<void> {
    throwIfAborted(opts);
    this.multipartTarget(localFile, artifactPath);
  }
}

function positive(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw MlflowError.invalidParameter(`${PREFIX} ${name} must be a positive integer, got ${value}`);
  return value;
}
