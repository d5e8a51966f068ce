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
});
