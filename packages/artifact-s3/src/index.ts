export * from './s3-artifact-repository.js';
export * from './s3-options.js';
export * from './s3-uri.js';
export * from './register-s3-artifact-repository.js';
export { PREFIX, CREDENTIAL_HINT, mapS3Error, scrub, type S3ErrorContext } from './errors.js';
export { guessS3ContentType, buildMimeTable, PYTHON_MIME_FILES } from './s3-content-type.js';
export { createS3Client, omitDefaultContentType, s3ClientConfig } from './s3-client.js';
