import { describe, expect, it } from 'vitest';
import { isMlflowError } from './errors.js';
import { appendToUriPath, getUriScheme, redactUri, redactUrisIn, splitUri } from './uri.js';
import { redactingLogger, type Logger } from './logger.js';

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
    ['sqlite:///mlflow.db', 'sqlite:///mlflow.db'],
    ['file:///tmp/mlruns', 'file:///tmp/mlruns'],
    ['sqlite:////abs/mlflow.db?mode=ro', 'sqlite:////abs/mlflow.db?mode=ro'],
  ])('%s', (uri, expected) => {
    expect(redactUri(uri)).toBe(expected);
  });
});

describe('redactUrisIn and redactingLogger (security: no credential in any log line)', () => {
  it('redacts every URI in free text', () => {
    expect(redactUrisIn('connect postgresql://user:pa55@db:5432/x failed; retry s3://b/k?X-Amz-Signature=abc&a=1')).toBe(
      'connect postgresql://user:***@db:5432/x failed; retry s3://b/k?X-Amz-Signature=***&a=1',
    );
    expect(redactUrisIn('no uri here')).toBe('no uri here');
  });

  it('wraps a logger: messages, object strings, nested values, errors and child bindings', () => {
    const lines: unknown[][] = [];
    const sink: Logger = {
      trace: (...a) => lines.push(a),
      debug: (...a) => lines.push(a),
      info: (...a) => lines.push(a),
      warn: (...a) => lines.push(a),
      error: (...a) => lines.push(a),
      child: () => sink,
    };
    const log = redactingLogger(sink);
    expect(redactingLogger(log)).toBe(log);
    log.info({ backendStoreUri: 'postgresql://u:secret1@h/db', nested: { list: ['mysql://a:secret2@h/x'] } }, 'listening on mysql://b:secret3@h/y');
    log.error({ err: new Error('bad mysql://c:secret4@h/z') });
    log.child({ uri: 'https://d:secret5@h/' }).warn('x');
    const text = JSON.stringify(lines, (_k, v: unknown) => (v instanceof Error ? { message: v.message, stack: v.stack } : v));
    expect(text).not.toMatch(/secret\d/);
    expect(text).toContain('postgresql://u:***@h/db');
    expect((lines[1]![0] as { err: Error }).err).toBeInstanceOf(Error);
  });
});
