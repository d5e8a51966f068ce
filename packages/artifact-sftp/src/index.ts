export * from './sftp-artifact-repository.js';
export * from './sftp-options.js';
export * from './sftp-uri.js';
export * from './register-sftp-artifact-repository.js';
export { checkHostKey, knownHostName, parseKnownHosts, type HostKeyVerdict, type KnownHostEntry } from './known-hosts.js';
export { PREFIX, mapSftpError } from './errors.js';
