export * from './trace-entities.js';
export * from './trace-store.js';
export * from './trace-validation.js';
export * from './span-batches.js';
export * from './span-ingest.js';
export * from './span-json.js';
export { spanTypeFromOtel, translateLoadedSpan, translateSpanWhenStoring } from './otel-translation.js';
export * from './trace-metrics.js';
