export * from './tracking/index.js';
export * from './artifacts/index.js';
