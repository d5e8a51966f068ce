import { MlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { encodeHdfsPath, hdfsPathOf, parseHdfsUri } from './hdfs-uri.js';

describe('parseHdfsUri', () => {
  it('parses the three schemes', () => {
    expect(parseHdfsUri('webhdfs://nn:9870/a/b')).toEqual({ scheme: 'webhdfs', host: 'nn', port: 9870, path: '/a/b' });
    expect(parseHdfsUri('SWEBHDFS://nn/a/')).toEqual({ scheme: 'swebhdfs', host: 'nn', path: '/a' });
    expect(parseHdfsUri('hdfs://nn:8020/mlruns/1/abc/artifacts')).toEqual({ scheme: 'hdfs', host: 'nn', port: 8020, path: '/mlruns/1/abc/artifacts' });
    expect(parseHdfsUri('hdfs:///mlruns')).toEqual({ scheme: 'hdfs', host: '', path: '/mlruns' });
    expect(parseHdfsUri('webhdfs://[::1]:9870')).toEqual({ scheme: 'webhdfs', host: '[::1]', port: 9870, path: '/' });
  });
  it('decodes escapes once, drops `.` and empty segments, ignores userinfo', () => {
    expect(parseHdfsUri('webhdfs://u:pw@nn:1//a/./b%20c/%25/').path).toBe('/a/b c/%');
  });
  it('refuses other schemes, queries, bad ports, traversal and webhdfs without host', () => {
    for (const bad of ['s3://b/k', 'webhdfs://nn:1/a?x=1', 'webhdfs://nn:1/a#f', 'webhdfs://nn:99999/a', 'webhdfs:///a', 'webhdfs://nn/a/../b', 'webhdfs://nn/%2e%2e', 'webhdfs://nn/a%2fb', 'webhdfs://nn/%zz', 'hdfs:/a']) {
      expect(() => parseHdfsUri(bad), bad).toThrow(MlflowError);
    }
  });
  it('never shows a password in its messages', () => {
    expect(() => parseHdfsUri('webhdfs://u:s3cret@nn:1/a/../b')).toThrow(/^(?!.*s3cret)/s);
  });
});

describe('encodeHdfsPath / hdfsPathOf', () => {
  it('percent-encodes every segment (space, %, ;, +, #, ?, unicode)', () => {
    expect(encodeHdfsPath('/a b/100%/x;y+z#?/日本')).toBe('/a%20b/100%25/x%3By%2Bz%23%3F/%E6%97%A5%E6%9C%AC');
  });
  it('joins the root and a relative path', () => {
    expect(hdfsPathOf('/', 'a/b')).toBe('/a/b');
    expect(hdfsPathOf('/r', '')).toBe('/r');
    expect(hdfsPathOf('/r', 'a')).toBe('/r/a');
  });
});
