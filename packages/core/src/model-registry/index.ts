export * from './model-registry-entities.js';
export * from './model-registry-store.js';
export * from './memory-model-registry-store.js';
export * from './model-registry-validation.js';
export * from './models-artifact-repository.js';
export * from './portable-registry.js';
