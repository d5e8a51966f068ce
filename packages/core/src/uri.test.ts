import { describe, expect, it } from 'vitest';
import { isMlflowError } from './errors.js';
import { appendToUriPath, getUriScheme, redactUri, splitUri } from './uri.js';

describe('getUriScheme', () => {
  it.each([
    ['sqlite:///mlflow.db', 'sqlite'],
    ['postgresql+psycopg2://u:p@h/db', 'postgresql'],
    ['mysql+pymysql://u@h/db', 'mysql'],
    ['MYSQL://h/db', 'mysql'],
    ['s3://bucket/x', 's3'],
    ['mlflow-artifacts:/x/y', 'mlflow-artifacts'],
    ['file:///tmp/x', 'file'],
    ['/tmp/mlruns', ''],
    ['./mlruns', ''],
    ['mlruns', ''],
    ['C:\\Users\\me\\mlruns', ''],
    ['c:/data', ''],
    ['https://host:5000', 'https'],
  ])('%s → %j', (uri, scheme) => {
    expect(getUriScheme(uri)).toBe(scheme);
  });

  it('refuses a scheme with two drivers', () => {
    let err: unknown;
    try {
      getUriScheme('postgresql+a+b://u:secret@h/db');
    } catch (e) {
      err = e;
    }
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(String((err as Error).message)).not.toContain('secret');
  });
});

describe('splitUri', () => {
  it('splits every component', () => {
    expect(splitUri('s3://bucket/a/b?x=1#frag')).toEqual({ scheme: 's3', netloc: 'bucket', path: '/a/b', query: 'x=1', fragment: 'frag' });
    expect(splitUri('/a/b')).toEqual({ scheme: '', netloc: '', path: '/a/b', query: '', fragment: '' });
  });
});

describe('appendToUriPath', () => {
  it.each([
    ['s3://root/base/path?param=value', ['some/subpath', '/anotherpath'], 's3://root/base/path/some/subpath/anotherpath?param=value'],
    ['a/posix/path', ['/some', 'subpath'], 'a/posix/path/some/subpath'],
    ['/abs/mlruns', ['0'], '/abs/mlruns/0'],
    ['file:///abs/mlruns', ['0', 'abc', 'artifacts'], 'file:///abs/mlruns/0/abc/artifacts'],
    ['mlflow-artifacts:/', ['1'], 'mlflow-artifacts:/1'],
    ['mlflow-artifacts:', ['1'], 'mlflow-artifacts:1'],
    ['wasbs://c@acct.blob.core.windows.net/root/', ['5'], 'wasbs://c@acct.blob.core.windows.net/root/5'],
  ])('%s + %j', (uri, paths, expected) => {
    expect(appendToUriPath(uri, ...paths)).toBe(expected);
  });

  it.each(['s3://b/p?x=../../etc', 'file:///a?p=..%2F..%2Fetc', 's3://b/p?%252e%252e'])('refuses traversal in the query %s', (uri) => {
    let err: unknown;
    try {
      appendToUriPath(uri, 'x');
    } catch (e) {
      err = e;
    }
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('redactUri', () => {
  it.each([
    ['postgresql://user:s3cret@db:5432/mlflow', 'postgresql://user:***@db:5432/mlflow'],
    ['ftp://anon@host/x', 'ftp://anon@host/x'],
    ['https://acct.blob.core.windows.net/c?sv=2020&sig=abcd', 'https://acct.blob.core.windows.net/c?sv=2020&sig=***'],
    ['s3://b/k?X-Amz-Signature=xyz&X-Amz-Date=1', 's3://b/k?X-Amz-Signature=***&X-Amz-Date=1'],
    ['/plain/path', '/plain/path'],
  ])('%s', (uri, expected) => {
    expect(redactUri(uri)).toBe(expected);
  });
});
