export * from './azure-blob-artifact-repository.js';
export * from './register-azure-artifact-repository.js';
export * from './wasbs-uri.js';
export * from './errors.js';
export {
  DEFAULT_TIMEOUT_SECONDS,
  resolveAzureCredential,
  resolveTimeoutSeconds,
  type AzureCredentialOptions,
  type AzureCredentialSource,
  type IdentityLoader,
  type TokenCredential,
} from './azure-credentials.js';
export { DEFAULT_BLOCK_UPLOAD, blockId, type BlockUploadSettings } from './block-upload.js';
export { MULTIPART_SAS_TTL_MS, multipartBlockId } from './multipart-upload.js';
