export { MemoryTrackingStore } from './memory-tracking-store.js';
export type { MemoryTrackingStoreOptions } from './memory-tracking-store.js';
export { generateRandomName } from './memory-helpers.js';
