export { FileTrackingStore } from './file-tracking-store.js';
export { fileStoreRoot, type FileTrackingStoreOptions } from './file-store-base.js';
export { registerFileTrackingStore } from './register-file-tracking-store.js';
export { FileModelRegistryStore, type FileModelRegistryStoreOptions } from './file-model-registry-store.js';
export { registerFileModelRegistryStore } from './register-file-model-registry-store.js';
