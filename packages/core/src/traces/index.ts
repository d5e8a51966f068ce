export * from './trace-entities.js';
export * from './trace-store.js';
export * from './trace-validation.js';
