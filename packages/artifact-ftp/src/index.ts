export * from './ftp-artifact-repository.js';
export * from './ftp-options.js';
export * from './ftp-uri.js';
export * from './register-ftp-artifact-repository.js';
export { PREFIX, codeForFtpReply, mapFtpError } from './errors.js';
