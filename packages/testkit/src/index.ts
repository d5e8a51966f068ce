export * from './tracking/index.js';
export * from './artifacts/index.js';
export * from './faults/index.js';
export * from './dump/index.js';
export * from './model-registry/index.js';
