import {
  BlobSASPermissions,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type BlobServiceClient,
} from '@azure/storage-blob';
import { MlflowError, type CreateMultipartUploadResponse, type MultipartUploadPart } from '@mlstore/core';
import { MAX_BLOCKS } from './block-upload.js';
import { PREFIX, UNSUPPORTED_MULTIPART_MESSAGE } from './errors.js';

/** How long the per-block SAS URLs stay valid: one hour, as in MLflow. */
export const MULTIPART_SAS_TTL_MS = 60 * 60 * 1000;

/**
 * MLflow's block id of part `n` (1-based) before base64: `mlflow_block_<n, 5 digits>`, so every
 * id of a blob has the same length (a blob holds at most 50,000 blocks).
 */
export const multipartBlockId = (n: number): string => Buffer.from(`mlflow_block_${String(n).padStart(5, '0')}`).toString('base64');

/** The NOT_IMPLEMENTED error of a repository that cannot sign block URLs (MLflow's `_UnsupportedMultipartUploadException`). */
export const unsupportedMultipart = (why: string, cause?: unknown): MlflowError =>
  new MlflowError(UNSUPPORTED_MULTIPART_MESSAGE, 'NOT_IMPLEMENTED', { cause: cause ?? new Error(`${PREFIX} ${why}`) });

/**
 * MLflow's `create_multipart_upload` for Azure: one Put Block URL per part, each carrying a
 * read+write blob SAS valid for an hour, signed with the account key (or, for a token
 * credential, a user delegation key); `upload_id` is null. The client PUTs part `n` to
 * `<blob url>?comp=block&blockid=<url-encoded base64 id>&<sas>`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a part count outside 1–50,000; NOT_IMPLEMENTED
 *   ("Multipart upload is not supported…") when the client has neither an account key nor a
 *   token credential allowed to get a user delegation key.
 */
export async function createBlockSasUpload(
  service: BlobServiceClient,
  container: string,
  blobName: string,
  numParts: number,
  now: Date = new Date(),
): Promise<CreateMultipartUploadResponse> {
  if (!Number.isInteger(numParts) || numParts < 1 || numParts > MAX_BLOCKS) {
    throw MlflowError.invalidParameter(`${PREFIX} num_parts must be an integer from 1 to ${MAX_BLOCKS}, got ${numParts}`);
  }
  const blob = service.getContainerClient(container).getBlockBlobClient(blobName);
  const expiresOn = new Date(now.getTime() + MULTIPART_SAS_TTL_MS);
  const values = { containerName: container, blobName, permissions: BlobSASPermissions.parse('rw'), expiresOn };
  const credential = service.credential;
  let sas: string;
  if (credential instanceof StorageSharedKeyCredential) {
    sas = generateBlobSASQueryParameters(values, credential).toString();
  } else if (typeof (credential as { getToken?: unknown }).getToken === 'function') {
    const startsOn = new Date(now.getTime() - 5 * 60 * 1000);
    let key;
    try {
      key = await service.getUserDelegationKey(startsOn, expiresOn);
    } catch (err) {
      const e = err as { statusCode?: number; details?: { errorCode?: string }; code?: string };
      if (e.statusCode === 403 && (e.details?.errorCode ?? e.code) === 'AuthorizationPermissionMismatch') {
        throw unsupportedMultipart('the credential may not get a user delegation key', err);
      }
      throw err;
    }
    sas = generateBlobSASQueryParameters({ ...values, startsOn }, key, service.accountName).toString();
  } else {
    throw unsupportedMultipart('the client has neither an account key nor a token credential to sign block URLs');
  }
  const credentials = Array.from({ length: numParts }, (_, i) => ({
    url: `${blob.url}?comp=block&blockid=${encodeURIComponent(multipartBlockId(i + 1))}&${sas}`,
    part_number: i + 1,
    headers: {},
  }));
  return { upload_id: null, credentials };
}

/**
 * The base64 block id in a part URL made by {@link createBlockSasUpload} (its `blockid` query
 * parameter, percent-decoded; `+` is not a space here).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE when the part has no URL or the URL no block id.
 */
export function blockIdOfPart(part: MultipartUploadPart): string {
  const m = typeof part.url === 'string' ? /[?&]blockid=([^&#]*)/.exec(part.url) : null;
  if (!m) throw MlflowError.invalidParameter(`${PREFIX} part ${part.part_number} has no url with a blockid (the url returned by createMultipartUpload is required)`);
  try {
    return decodeURIComponent(m[1] as string);
  } catch (err) {
    throw MlflowError.invalidParameter(`${PREFIX} part ${part.part_number} has a malformed blockid`, { cause: err });
  }
}
