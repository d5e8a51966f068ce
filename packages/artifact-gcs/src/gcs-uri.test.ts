import { describe, expect, it } from 'vitest';
import { isMlflowError } from '@mlstore/core';
import { joinObjectName, parseGcsUri } from './gcs-uri.js';

// Expected values computed with MLflow 3.18.0's own
// `GCSArtifactRepository.parse_gcs_uri` (mlflow/store/artifact/gcs_artifact_repo.py:82-90).
const MLFLOW_CASES: [string, string, string][] = [
  ['gs://bucket/path/to/root', 'bucket', 'path/to/root'],
  ['gs://bucket', 'bucket', ''],
  ['gs://bucket/', 'bucket', ''],
  ['gs://bucket/a/b/', 'bucket', 'a/b/'],
  ['gs://bucket//a', 'bucket', '/a'],
  ['GS://Bucket/Mixed/Case', 'Bucket', 'Mixed/Case'],
  ['gs://bucket/a b/ü+%20.txt', 'bucket', 'a b/ü+%20.txt'],
  ['gs://bucket/a?x=1#f', 'bucket', 'a'],
  ['gs://bucket/a#frag/b', 'bucket', 'a'],
  ['gs://bucket/a;p=1', 'bucket', 'a;p=1'],
  ['gs://user@bucket:1/p', 'user@bucket:1', 'p'],
  ['gs:///p', '', 'p'],
  ['gs:bucket/p', '', 'bucket/p'],
  ['gs://bucket/a/../b', 'bucket', 'a/../b'],
  [' gs://bucket/p ', 'bucket', 'p '],
  ['gs://bucket/a\tb', 'bucket', 'ab'],
];

describe('parseGcsUri (MLflow parse_gcs_uri)', () => {
  for (const [uri, bucket, path] of MLFLOW_CASES) {
    it(`${JSON.stringify(uri)} → (${bucket}, ${path})`, () => expect(parseGcsUri(uri)).toEqual({ bucket, path }));
  }
  for (const uri of ['s3://bucket/p', 'gs//bucket', 'bucket/path', 'file:///tmp/x']) {
    it(`refuses ${uri} like MLflow ("Not a GCS URI")`, () => {
      let caught: unknown;
      try {
        parseGcsUri(uri);
      } catch (error) {
        caught = error;
      }
      expect(isMlflowError(caught) && caught.errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect((caught as Error).message).toMatch(/^@mlstore\/artifact-gcs: Not a GCS URI: /);
    });
  }
  it('redacts credentials in the refusal', () => {
    expect(() => parseGcsUri('s3://key:secret@bucket/p')).toThrow(/key:\*\*\*@bucket/);
  });
});

describe('joinObjectName (posixpath.join)', () => {
  it.each([
    ['root', 'a/b.txt', 'root/a/b.txt'],
    ['root/', 'a', 'root/a'],
    ['', 'a', 'a'],
    ['/a', 'b', '/a/b'],
    ['root', '', 'root'],
  ])('(%j, %j) → %j', (root, rel, want) => expect(joinObjectName(root, rel)).toBe(want));
});
