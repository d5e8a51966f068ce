export * from './limits.js';
export {
  posixNormpath,
  invalidValueMessage,
  missingValueMessage,
  exceedsMaximumLengthMessage,
  validateKeyName,
  isContainedKeyPath,
} from './key-rules.js';
export * from './validators.js';
