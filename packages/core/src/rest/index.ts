export * from './endpoints.js';
export * from './wire-json.js';
export * from './wire-decode.js';
