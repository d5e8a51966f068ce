export * from './artifact-repository.js';
export * from './artifact-path.js';
export * from './base-artifact-repository.js';
export * from './mime-type.js';
export * from './python-mimetypes.js';
export * from './connection-pool.js';
