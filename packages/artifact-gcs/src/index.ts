export * from './gcs-artifact-repository.js';
export * from './gcs-options.js';
export * from './gcs-uri.js';
export * from './register-gcs-artifact-repository.js';
export { gcsContentType } from './gcs-content-type.js';
export { PREFIX, codeForGcsStatus, mapGcsError } from './errors.js';
export { MAX_MULTIPART_SIZE } from './gcs-upload.js';
