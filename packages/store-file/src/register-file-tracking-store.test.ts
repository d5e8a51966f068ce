import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTrackingStoreRegistry, isMlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { fileStoreRoot } from './file-store-base.js';
import { FileTrackingStore } from './file-tracking-store.js';
import { registerFileTrackingStore } from './register-file-tracking-store.js';

describe('registerFileTrackingStore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mlstore-file-reg-'));
  const registry = registerFileTrackingStore(createTrackingStoreRegistry());

  it.each([`file://${dir}/a`, `${dir}/b`, `file:${dir}/c`])('resolves %s to a file store', async (uri) => {
    const store = await registry.resolve(uri, { defaultArtifactRoot: 's3://bucket/root' });
    expect(store).toBeInstanceOf(FileTrackingStore);
    const id = await store.createExperiment('e');
    expect((await store.getExperiment(id)).artifact_location).toBe(`s3://bucket/root/${id}`);
  });

  it('maps file URIs and relative paths to absolute roots, and refuses a file URI with a host', () => {
    expect(fileStoreRoot('file:///tmp/x/mlruns')).toBe('/tmp/x/mlruns');
    expect(fileStoreRoot('file:/tmp/y')).toBe('/tmp/y');
    expect(fileStoreRoot('file:///tmp/with%20space')).toBe('/tmp/with space');
    expect(fileStoreRoot('mlruns')).toBe(join(process.cwd(), 'mlruns'));
    let error: unknown;
    try {
      fileStoreRoot('file://host/share/mlruns');
    } catch (err) {
      error = err;
    }
    expect(isMlflowError(error) && error.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });
});
