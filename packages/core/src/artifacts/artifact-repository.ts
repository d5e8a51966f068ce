import type { Readable } from 'node:stream';
import type { FileInfo } from '../entities.js';

/** Options every I/O method accepts. */
export interface ArtifactCallOptions {
  signal?: AbortSignal;
}

/** Options of recursive uploads (`logArtifacts`). */
export interface UploadOptions extends ArtifactCallOptions {
  /** Files uploaded at once (default 8). */
  concurrency?: number;
}

/** Options of recursive downloads. */
export interface DownloadOptions extends ArtifactCallOptions {
  /** Files downloaded at once (default 8; MLflow's pool is 4 on a 2-core box). */
  concurrency?: number;
}

/** What a repository can do; the conformance kit gates cases on these flags. */
export interface ArtifactRepositoryCapabilities {
  /** Implements `createMultipartUpload` & co. */
  multipartUpload: boolean;
  /** Can hand out presigned URLs. */
  presign: boolean;
  /** `openArtifact` honours `start`/`end`. */
  rangeRead: boolean;
  /** Listing is paginated by the backend (more than one page is exercised). */
  paginatedList: boolean;
  /** Empty directories exist (POSIX-like backends). */
  emptyDirectories: boolean;
  /** `full`: removes files and dirs; `contents`: empties dirs; `none`: not implemented. */
  deleteSemantics: 'full' | 'contents' | 'none';
  /** `listArtifacts` returns entries sorted by path. */
  sortedListing: boolean;
}

/** A body accepted by `writeArtifact`. */
export type ArtifactBody = Readable | AsyncIterable<Uint8Array> | Uint8Array | string;

/** Options of `openArtifact`. */
export interface OpenArtifactOptions extends ArtifactCallOptions {
  /** First byte (inclusive); honoured only with `capabilities.rangeRead`. */
  start?: number;
  /** Last byte (inclusive). */
  end?: number;
}

/** A presigned part URL (MLflow's `MultipartUploadCredential`). */
export interface MultipartUploadCredential {
  url: string;
  part_number: number;
  headers: Record<string, string>;
}

/** MLflow's `CreateMultipartUploadResponse`. */
export interface CreateMultipartUploadResponse {
  upload_id: string | null;
  credentials: MultipartUploadCredential[];
}

/** A finished part (MLflow's `MultipartUploadPart`). */
export interface MultipartUploadPart {
  part_number: number;
  etag: string;
  url?: string | null;
}

/**
 * MLflow's `ArtifactRepository` in camelCase. Paths are POSIX, relative to `artifactUri`, and are
 * checked with `validateArtifactPath` (bad ones → INVALID_PARAMETER_VALUE).
 */
export interface ArtifactRepository {
  readonly artifactUri: string;
  readonly capabilities: ArtifactRepositoryCapabilities;
  /** Uploads `localFile` to `<artifactPath>/<basename(localFile)>`. */
  logArtifact(localFile: string, artifactPath?: string, opts?: ArtifactCallOptions): Promise<void>;
  /** Uploads the contents of `localDir` recursively under `artifactPath`. */
  logArtifacts(localDir: string, artifactPath?: string, opts?: UploadOptions): Promise<void>;
  /** Direct children of `path` (root when absent); a file or missing path → `[]`. */
  listArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<FileInfo[]>;
  /**
   * Downloads a file or a directory (recursively) into `dstPath` (an existing directory; a new
   * temp dir when absent) and returns the local path. Missing → RESOURCE_DOES_NOT_EXIST.
   */
  downloadArtifacts(artifactPath: string, dstPath?: string, opts?: DownloadOptions): Promise<string>;
  /** Streams one file. Missing → RESOURCE_DOES_NOT_EXIST. */
  openArtifact(path: string, opts?: OpenArtifactOptions): Promise<Readable>;
  /** Writes one file from a stream or buffer, replacing any previous content. */
  writeArtifact(path: string, body: ArtifactBody, opts?: ArtifactCallOptions): Promise<void>;
  /** Deletes a file or directory (root when absent); missing → no-op where supported. */
  deleteArtifacts(path?: string, opts?: ArtifactCallOptions): Promise<void>;
  createMultipartUpload?(
    localFile: string,
    numParts?: number,
    artifactPath?: string,
    opts?: ArtifactCallOptions,
  ): Promise<CreateMultipartUploadResponse>;
  completeMultipartUpload?(
    localFile: string,
    uploadId: string,
    parts: MultipartUploadPart[],
    artifactPath?: string,
    opts?: ArtifactCallOptions,
  ): Promise<void>;
  abortMultipartUpload?(localFile: string, uploadId: string, artifactPath?: string, opts?: ArtifactCallOptions): Promise<void>;
}
