export * from './dump-queries.js';
export * from './store-dump.js';
