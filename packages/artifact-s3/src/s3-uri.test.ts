import { describe, expect, it } from 'vitest';
import { deletePrefix, isKeyWithinPath, listingPrefix, objectKey, parseS3Uri, posixJoin, relativeToRoot } from './s3-uri.js';

// Expected values computed with MLflow 3.18.0's own S3ArtifactRepository.parse_s3_compliant_uri in
// .services/mlflow-venv (Python 3.11.7).
const MLFLOW_PARSED: Record<string, [string, string]> = {
  's3://bucket/path/to/root': ['bucket', 'path/to/root'],
  's3://bucket': ['bucket', ''],
  's3://bucket/': ['bucket', ''],
  's3://bucket/a/b/': ['bucket', 'a/b/'],
  'S3://Bucket/Key': ['Bucket', 'Key'],
  's3://bucket//double': ['bucket', '/double'],
  's3://bucket///triple/x': ['bucket', '//triple/x'],
  's3://bucket/p?versionId=1#frag': ['bucket', 'p'],
  's3://bucket/p;params/x': ['bucket', 'p;params/x'],
  's3://user:pw@bucket:9000/p': ['user:pw@bucket:9000', 'p'],
  ' s3://b/lead': ['b', 'lead'],
  's3://b/with\ttab': ['b', 'withtab'],
  's3:bucket/path': ['', 'bucket/path'],
  's3:///nobucket/x': ['', 'nobucket/x'],
  's3://bucket/with space/ünï': ['bucket', 'with space/ünï'],
  's3://bucket/%20enc': ['bucket', '%20enc'],
  's3://b.with.dots/x': ['b.with.dots', 'x'],
};

describe('parseS3Uri (against MLflow 3.18 parse_s3_compliant_uri)', () => {
  it.each(Object.entries(MLFLOW_PARSED))('%j', (uri, [bucket, prefix]) => {
    expect(parseS3Uri(uri)).toEqual({ bucket, prefix });
  });
  it.each(['http://bucket/x', 'file:///x', 'gs://b/x', 'bucket/x'])('refuses %j as not an S3 URI', (uri) => {
    expect(() => parseS3Uri(uri)).toThrow(/Not an S3 URI/);
  });
  it('refuses unbalanced IPv6 brackets like urlparse', () => {
    expect(() => parseS3Uri('s3://[bad/x')).toThrow(/Invalid IPv6 URL/);
  });
  it('redacts credentials in its message', () => {
    let message = '';
    try {
      parseS3Uri('https://user:hunter2@host/x?X-Amz-Signature=abc');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/^@mlstore\/artifact-s3: Not an S3 URI/);
    expect(message).not.toContain('hunter2');
    expect(message).not.toContain('abc');
  });
});

describe('object keys as MLflow builds them (posixpath.join)', () => {
  it('joins like posixpath.join', () => {
    expect(posixJoin('', 'a')).toBe('a');
    expect(posixJoin('p', 'a')).toBe('p/a');
    expect(posixJoin('p/', 'a')).toBe('p/a');
    expect(posixJoin('p//', 'a')).toBe('p//a');
    expect(posixJoin('p', '/abs')).toBe('/abs');
  });
  it('keys, listing prefixes and delete prefixes', () => {
    expect(objectKey('root', 'a/b.txt')).toBe('root/a/b.txt');
    expect(objectKey('', 'a/b.txt')).toBe('a/b.txt');
    expect(objectKey('root/', '')).toBe('root/');
    expect(listingPrefix('root', '')).toBe('root/');
    expect(listingPrefix('root/', 'dir')).toBe('root/dir/');
    expect(listingPrefix('', '')).toBe('');
    expect(deletePrefix('root/', '')).toBe('root');
    expect(deletePrefix('root', 'model')).toBe('root/model');
  });
  it('a path holds itself and keys below a / boundary only (a/b vs a/bc)', () => {
    expect(isKeyWithinPath('r/a/b', 'r/a/b')).toBe(true);
    expect(isKeyWithinPath('r/a/b/x', 'r/a/b')).toBe(true);
    expect(isKeyWithinPath('r/a/bc/x', 'r/a/b')).toBe(false);
    expect(isKeyWithinPath('r/a/b.txt', 'r/a/b')).toBe(false);
    expect(isKeyWithinPath('anything', '')).toBe(true);
    expect(isKeyWithinPath('r/a/x', 'r/a/')).toBe(true);
  });
  it('root-relative paths of listed keys and prefixes', () => {
    expect(relativeToRoot('root', 'root/a/b.txt')).toBe('a/b.txt');
    expect(relativeToRoot('root/', 'root/dir/')).toBe('dir');
    expect(relativeToRoot('', 'dir/')).toBe('dir');
    expect(relativeToRoot('root', 'other/x')).toBeUndefined();
  });
});
