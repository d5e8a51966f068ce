import { describe, expect, it } from 'vitest';
import { createArtifactRepositoryRegistry } from '@mlstore/core';
import { GcsArtifactRepository } from './gcs-artifact-repository.js';
import { buildMimeTable, gcsContentType } from './gcs-content-type.js';
import { resolveGcsSettings } from './gcs-options.js';
import { registerGcsArtifactRepository } from './register-gcs-artifact-repository.js';

describe('resolveGcsSettings', () => {
  it('defaults: Google endpoint, default credentials, library chunking, 60 s timeout', () => {
    expect(resolveGcsSettings({ env: {} })).toEqual({ emulator: false, auth: { kind: 'default' }, uploadChunkSize: undefined, downloadChunkSize: undefined, timeoutMs: 60_000 });
  });
  it('STORAGE_EMULATOR_HOST → that endpoint, unauthenticated (as google-cloud-storage)', () => {
    const s = resolveGcsSettings({ env: { STORAGE_EMULATOR_HOST: 'http://127.0.0.1:4443/', GOOGLE_APPLICATION_CREDENTIALS: '/k.json' } });
    expect(s).toMatchObject({ apiEndpoint: 'http://127.0.0.1:4443', emulator: true, auth: { kind: 'anonymous' } });
  });
  it('a bare emulator host gets https:// as in the SDKs', () => {
    expect(resolveGcsSettings({ env: { STORAGE_EMULATOR_HOST: 'localhost:9023' } }).apiEndpoint).toBe('https://localhost:9023');
  });
  it('GOOGLE_APPLICATION_CREDENTIALS → key file', () => {
    expect(resolveGcsSettings({ env: { GOOGLE_APPLICATION_CREDENTIALS: '/k.json' } }).auth).toEqual({ kind: 'keyFile', keyFilename: '/k.json', fromEnv: true });
  });
  it('explicit options beat env vars', () => {
    const env = {
      STORAGE_EMULATOR_HOST: 'http://emu:1',
      GOOGLE_APPLICATION_CREDENTIALS: '/env.json',
      MLFLOW_GCS_UPLOAD_CHUNK_SIZE: '524288',
      MLFLOW_GCS_DOWNLOAD_CHUNK_SIZE: '1000',
      MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT: '5',
      GOOGLE_CLOUD_PROJECT: 'env-project',
    };
    const s = resolveGcsSettings({ env, apiEndpoint: 'http://opt:2', keyFilename: '/opt.json', uploadChunkSize: 262144, downloadChunkSize: 7, timeoutSeconds: 9, projectId: 'p' });
    expect(s).toEqual({ apiEndpoint: 'http://opt:2', emulator: false, auth: { kind: 'keyFile', keyFilename: '/opt.json', fromEnv: false }, uploadChunkSize: 262144, downloadChunkSize: 7, timeoutMs: 9000, projectId: 'p' });
  });
  it('reads MLflow 3.18 variables (chunk sizes, MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT; -1 = none)', () => {
    const s = resolveGcsSettings({ env: { MLFLOW_GCS_UPLOAD_CHUNK_SIZE: '524288', MLFLOW_GCS_DOWNLOAD_CHUNK_SIZE: '1_000', MLFLOW_ARTIFACT_UPLOAD_DOWNLOAD_TIMEOUT: '-1' } });
    expect(s).toMatchObject({ uploadChunkSize: 524288, downloadChunkSize: 1000 });
    expect(s.timeoutMs).toBeUndefined();
    // 3.18 no longer reads MLFLOW_GCS_DEFAULT_TIMEOUT.
    expect(resolveGcsSettings({ env: { MLFLOW_GCS_DEFAULT_TIMEOUT: '5' } }).timeoutMs).toBe(60_000);
  });
  it('refuses an upload chunk size that is not a multiple of 256 KiB (as google-cloud-storage)', () => {
    expect(() => resolveGcsSettings({ env: { MLFLOW_GCS_UPLOAD_CHUNK_SIZE: '1000' } })).toThrow(/multiple of 262144/);
    expect(() => resolveGcsSettings({ env: { MLFLOW_GCS_UPLOAD_CHUNK_SIZE: 'big' } })).toThrow(/must be an integer/);
    expect(() => resolveGcsSettings({ env: {}, timeoutSeconds: 0 })).toThrow(/timeout/);
  });
  it('anonymous: explicit option, or an explicit endpoint without credentials', () => {
    expect(resolveGcsSettings({ env: {}, anonymous: true, keyFilename: '/k' }).auth).toEqual({ kind: 'anonymous' });
    expect(resolveGcsSettings({ env: {}, apiEndpoint: 'http://x' }).auth).toEqual({ kind: 'anonymous' });
  });
});

describe('client construction (offline)', () => {
  it('an unreadable GOOGLE_APPLICATION_CREDENTIALS is an UNAUTHENTICATED error naming the variable', async () => {
    const repo = new GcsArtifactRepository('gs://bkt/p', { env: { GOOGLE_APPLICATION_CREDENTIALS: '/nonexistent/key.json' } });
    await expect(repo.storage()).rejects.toMatchObject({ errorCode: 'UNAUTHENTICATED', message: expect.stringMatching(/GOOGLE_APPLICATION_CREDENTIALS.*\/nonexistent\/key\.json/) });
  });
  it('a STORAGE_EMULATOR_HOST in process.env cannot override the resolved endpoint (Node SDK quirk)', async () => {
    const saved = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = 'http://127.0.0.1:1';
    try {
      const viaEnv = await new GcsArtifactRepository('gs://bkt/p', { env: { STORAGE_EMULATOR_HOST: 'http://127.0.0.1:2' } }).storage();
      expect([viaEnv.apiEndpoint, viaEnv.baseUrl]).toEqual(['http://127.0.0.1:2', 'http://127.0.0.1:2/storage/v1']);
      const viaOption = await new GcsArtifactRepository('gs://bkt/p', { apiEndpoint: 'http://127.0.0.1:3', env: {} }).storage();
      expect(viaOption.baseUrl).toBe('http://127.0.0.1:3/storage/v1');
    } finally {
      if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = saved;
    }
  });
  it('refuses a URI without a bucket', () => {
    expect(() => new GcsArtifactRepository('gs:///p', { env: {} })).toThrow(/names no bucket/);
  });
  it('registers the gs scheme', async () => {
    const registry = registerGcsArtifactRepository(createArtifactRepositoryRegistry(), { env: {}, anonymous: true });
    expect(registry.schemes()).toContain('gs');
    const repo = await registry.resolve('gs://bucket/root', {});
    expect(repo).toBeInstanceOf(GcsArtifactRepository);
    expect((repo as GcsArtifactRepository).objectName('a/b.txt')).toBe('root/a/b.txt');
  });
});

describe('gcsContentType (mimetypes.guess_type or application/octet-stream)', () => {
  // Python 3.11's built-in table only (no system mime.types), computed with mimetypes.
  const builtIn = buildMimeTable([]);
  it.each([
    ['a.txt', 'text/plain'],
    ['a.json', 'application/json'],
    ['a.csv', 'text/csv'],
    ['a.py', 'text/x-python'],
    ['MLmodel', 'application/octet-stream'],
    ['a.pkl', 'application/octet-stream'],
    ['a.tar.gz', 'application/x-tar'],
    ['a.tgz', 'application/x-tar'],
    ['A.JPG', 'image/jpeg'],
    ['.bashrc', 'application/octet-stream'],
    ['dir.d/noext', 'application/octet-stream'],
    ['a.js', 'application/javascript'],
  ])('%s → %s', (name, type) => expect(gcsContentType(name, builtIn)).toBe(type));
  it('system mime.types entries override the table, as mimetypes.init() does', () => {
    expect(gcsContentType('a.md', buildMimeTable(['/etc/mime.types']))).toMatch(/^(text\/markdown|application\/octet-stream)$/);
  });
});

describe('bucket names', () => {
  it('refuses what cannot name a bucket, without echoing user info', () => {
    for (const uri of ['gs://user:s3cret@host:9/p', 'gs://UPPER/p', 'gs://a/p', 'gs://bad_/p', 'gs://x:9/p']) {
      let message = '';
      try {
        new GcsArtifactRepository(uri, { env: {} });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/not a valid bucket name/);
      expect(message).not.toContain('s3cret');
    }
  });
});
