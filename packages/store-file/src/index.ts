export { FileTrackingStore } from './file-tracking-store.js';
export { fileStoreRoot, type FileTrackingStoreOptions } from './file-store-base.js';
export { registerFileTrackingStore } from './register-file-tracking-store.js';
