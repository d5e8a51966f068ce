export * from './http-artifact-repository.js';
export * from './http-artifact-options.js';
export * from './register-http-artifact-repository.js';
export * from './mlflow-artifacts-uri.js';
export * from './errors.js';
export {
  UNSUPPORTED_MULTIPART_MESSAGE,
  UnsupportedMultipartUploadError,
} from './multipart-upload.js';
