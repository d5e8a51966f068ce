export { MemoryTrackingStore } from './memory-tracking-store.js';
export type { MemoryTrackingStoreOptions } from './memory-tracking-store.js';
export { generateRandomName, resolveUriIfLocal } from './memory-helpers.js';
export { applyAssessmentUpdate, generateAssessmentId, normalizeNewAssessment } from './memory-assessments.js';
