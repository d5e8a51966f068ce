export * from './hdfs-artifact-repository.js';
export * from './hdfs-options.js';
export * from './hdfs-uri.js';
export * from './register-hdfs-artifact-repository.js';
export { PREFIX, codeForWebHdfsError, mapHdfsError, parseRemoteException, webHdfsHttpError, type RemoteException } from './errors.js';
export { WebHdfsClient, type WebHdfsFileStatus } from './webhdfs-client.js';
export { loadKerberos } from './kerberos-auth.js';
