export * from './local-artifact-repository.js';
export * from './register-local-artifact-repository.js';
