export * from './endpoints.js';
export * from './wire-json.js';
export * from './wire-decode.js';
export * from './trace-any-value.js';
export * from './trace-wire.js';
export * from './otlp-trace-schema.js';
export * from './registry-wire.js';
