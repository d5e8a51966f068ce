import { StorageSharedKeyCredential } from '@azure/storage-blob';
import { isMlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { createServiceClient, defaultAzureCredential, resolveAzureCredential, resolveTimeoutSeconds } from './azure-credentials.js';
import { AzureBlobArtifactRepository } from './azure-blob-artifact-repository.js';
import { parseWasbsUri } from './wasbs-uri.js';

const uri = parseWasbsUri('wasbs://c@acct.blob.core.chinacloudapi.cn/root');
const CS = 'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:1/devstoreaccount1;';
const token = { getToken: async () => ({ token: 't', expiresOnTimestamp: Date.now() + 60_000 }) };

describe('resolveAzureCredential (MLflow order, explicit options first)', () => {
  it('connection string env wins over the access key env; its endpoint is used, not the URI host', async () => {
    const src = resolveAzureCredential(uri, { env: { AZURE_STORAGE_CONNECTION_STRING: CS, AZURE_STORAGE_ACCESS_KEY: 'a2V5' } });
    expect(src).toMatchObject({ kind: 'connectionString', from: 'AZURE_STORAGE_CONNECTION_STRING' });
    const client = await createServiceClient(src, 600);
    expect(client.url).toBe('http://127.0.0.1:1/devstoreaccount1');
    expect(client.credential).toBeInstanceOf(StorageSharedKeyCredential);
  });
  it('an empty AZURE_STORAGE_CONNECTION_STRING still counts as set (MLflow tests `in os.environ`)', () => {
    expect(resolveAzureCredential(uri, { env: { AZURE_STORAGE_CONNECTION_STRING: '' } }).kind).toBe('connectionString');
  });
  it('the access key env goes to https://<account>.<suffix> of the URI', async () => {
    const src = resolveAzureCredential(uri, { env: { AZURE_STORAGE_ACCESS_KEY: 'a2V5' } });
    expect(src).toMatchObject({ kind: 'accountKey', accountUrl: 'https://acct.blob.core.chinacloudapi.cn', from: 'AZURE_STORAGE_ACCESS_KEY' });
    const client = await createServiceClient(src, 600);
    expect(client.accountName).toBe('acct');
  });
  it('nothing set → DefaultAzureCredential', () => {
    expect(resolveAzureCredential(uri, { env: {} })).toEqual({ kind: 'defaultAzureCredential', accountUrl: 'https://acct.blob.core.chinacloudapi.cn' });
  });
  it('explicit options beat env vars, in the order serviceClient, connectionString, accountKey, credential', async () => {
    const env = { AZURE_STORAGE_CONNECTION_STRING: CS, AZURE_STORAGE_ACCESS_KEY: 'a2V5' };
    const client = await createServiceClient(resolveAzureCredential(uri, { env, connectionString: CS }), 600);
    expect(resolveAzureCredential(uri, { env, serviceClient: client, accountKey: 'x' })).toMatchObject({ kind: 'client' });
    expect(resolveAzureCredential(uri, { env: {}, connectionString: CS, accountKey: 'x' })).toMatchObject({ kind: 'connectionString', from: 'option' });
    expect(resolveAzureCredential(uri, { env, accountKey: 'x', credential: token })).toMatchObject({ kind: 'accountKey', from: 'option' });
    expect(resolveAzureCredential(uri, { env, credential: token })).toMatchObject({ kind: 'tokenCredential' });
  });
  it('a malformed connection string is INVALID_PARAMETER_VALUE without repeating it', async () => {
    const err = await createServiceClient({ kind: 'connectionString', connectionString: 'AccountKey=S3CRET;nonsense', from: 'option' }, 600).catch((e: unknown) => e);
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).not.toContain('S3CRET');
  });
});

describe('DefaultAzureCredential from the optional peer @azure/identity', () => {
  it('is created when the package is installed', async () => {
    expect(typeof (await defaultAzureCredential()).getToken).toBe('function');
  });
  it('a missing package is an "install it" MlflowError, also through the repository', async () => {
    const missing = async () => {
      throw Object.assign(new Error("Cannot find package '@azure/identity' imported from x"), { code: 'ERR_MODULE_NOT_FOUND' });
    };
    const err = await defaultAzureCredential(missing).catch((e: unknown) => e);
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toContain('npm install @azure/identity');
    const repo = new AzureBlobArtifactRepository('wasbs://c@acct.blob.core.windows.net/r', { env: {}, identityLoader: missing });
    expect(repo.credentialKind).toBe('defaultAzureCredential');
    await expect(repo.listArtifacts()).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE', message: expect.stringContaining('@azure/identity') });
  });
});

describe('MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT', () => {
  it('defaults to 600 s (unset, empty, 0) and reads an integer; the option wins', () => {
    expect(resolveTimeoutSeconds({ env: {} })).toBe(600);
    expect(resolveTimeoutSeconds({ env: { MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT: '' } })).toBe(600);
    expect(resolveTimeoutSeconds({ env: { MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT: '0' } })).toBe(600);
    expect(resolveTimeoutSeconds({ env: { MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT: '30' } })).toBe(30);
    expect(resolveTimeoutSeconds({ env: { MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT: '30' }, timeoutSeconds: 5 })).toBe(5);
  });
  it('refuses a non-integer value', () => {
    expect(() => resolveTimeoutSeconds({ env: { MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT: '1.5' } })).toThrow(/non-negative integer/);
    expect(() => new AzureBlobArtifactRepository('wasbs://c@a.blob.core.windows.net/r', { env: { MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT: 'x' } })).toThrow(/MLFLOW_ARTIFACT/);
  });
});
