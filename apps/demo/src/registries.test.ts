import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultRegistries } from './registries.js';

describe('defaultRegistries', () => {
  it('knows the cloud schemes and loads their packages only when first resolved', async () => {
    const { artifacts } = defaultRegistries();
    expect(artifacts.schemes()).toEqual(expect.arrayContaining(['s3', 'wasbs', 'abfss', 'gs', 'mlflow-artifacts', 'file']));
    const s3 = await artifacts.resolve('s3://bucket/path', {});
    expect(s3.constructor.name).toBe('S3ArtifactRepository');
    expect(s3.artifactUri).toBe('s3://bucket/path');
    const gs = await artifacts.resolve('gs://bucket/path', {});
    expect(gs.constructor.name).toBe('GcsArtifactRepository');
    const wasbs = await artifacts.resolve('wasbs://c@acct.blob.core.windows.net/p', {});
    expect(wasbs.constructor.name).toBe('AzureBlobArtifactRepository');
    await expect(artifacts.resolve('abfss://c@acct.dfs.core.windows.net/p', {})).rejects.toThrow(/wasbs:\/\//);
  });

  it('knows the host schemes and resolves each through its own package without connecting', async () => {
    const { artifacts } = defaultRegistries();
    expect(artifacts.schemes()).toEqual(expect.arrayContaining(['sftp', 'ftp', 'ftps', 'hdfs', 'webhdfs', 'swebhdfs']));
    const cases: [string, string][] = [
      ['sftp://user@127.0.0.1:1/srv/artifacts', 'SftpArtifactRepository'],
      ['ftp://user:pw@127.0.0.1:1/artifacts', 'FtpArtifactRepository'],
      ['ftps://127.0.0.1:1/artifacts', 'FtpArtifactRepository'],
      ['webhdfs://127.0.0.1:1/artifacts', 'HdfsArtifactRepository'],
      ['swebhdfs://127.0.0.1:1/artifacts', 'HdfsArtifactRepository'],
      ['hdfs://127.0.0.1:1/artifacts', 'HdfsArtifactRepository'],
    ];
    for (const [uri, name] of cases) {
      const repo = await artifacts.resolve(uri, {});
      expect(repo.constructor.name).toBe(name);
      await (repo as { close?: () => Promise<void> | void }).close?.();
    }
  });

  it('resolves the model registry on SQL, the file store (loaded on first use) and tracking servers', async () => {
    const { modelRegistry } = defaultRegistries();
    expect(modelRegistry.schemes()).toEqual(expect.arrayContaining(['sqlite', 'postgresql', 'mysql', 'file', '', 'http', 'https']));
    const dir = mkdtempSync(join(tmpdir(), 'mlstore-registries-'));
    const cases: [string, string][] = [
      [`sqlite:///${join(dir, 'r.db')}`, 'SqlModelRegistryStore'],
      [join(dir, 'mlruns'), 'FileModelRegistryStore'],
      ['http://127.0.0.1:1', 'RestModelRegistryStore'],
    ];
    for (const [uri, name] of cases) {
      const store = await modelRegistry.resolve(uri, {});
      expect(store.constructor.name).toBe(name);
      await store.close();
    }
  });
});
