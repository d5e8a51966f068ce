import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { SchemeRegistry } from './scheme-registry.js';

async function errorOf(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('SchemeRegistry', () => {
  it('resolves schemes, aliases and dialect+driver forms', async () => {
    const r = new SchemeRegistry<{ tag: string }, string>('tracking store');
    r.register('postgresql', (uri, o) => `pg ${uri} ${o.tag}`, { aliases: ['postgres'] }).register('', () => 'file', { aliases: ['file'] });
    expect(await r.resolve('postgresql+psycopg2://u:p@h/db', { tag: 't' })).toBe('pg postgresql+psycopg2://u:p@h/db t');
    expect(await r.resolve('postgres://h/db', { tag: 'x' })).toBe('pg postgres://h/db x');
    expect(await r.resolve('/tmp/mlruns')).toBe('file');
    expect(await r.resolve('file:///tmp/mlruns')).toBe('file');
    expect(r.schemes()).toEqual(['', 'file', 'postgres', 'postgresql']);
    expect(r.has('POSTGRES')).toBe(true);
  });

  it('lists the registered schemes for an unknown one, without secrets', async () => {
    const r = new SchemeRegistry<void, string>('artifact repository').register('s3', () => 'x').register('file', () => 'y');
    const err = await errorOf(r.resolve('gs://user:hunter2@bucket/x'));
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toContain("Currently registered schemes are: ['file', 's3']");
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('loads a lazy entry once', async () => {
    let loads = 0;
    const r = new SchemeRegistry<void, string>('artifact repository').registerLazy('s3', {
      packageName: '@mlstore/artifact-s3',
      load: async () => {
        loads++;
        return (uri: string) => `repo for ${uri}`;
      },
    });
    expect(await r.resolve('s3://a/b')).toBe('repo for s3://a/b');
    expect(await r.resolve('s3://c/d')).toBe('repo for s3://c/d');
    expect(loads).toBe(1);
  });

  it('names the package to install when a lazy entry is missing', async () => {
    const r = new SchemeRegistry<void, string>('artifact repository').registerLazy('gs', {
      packageName: '@mlstore/artifact-gcs-not-installed',
      // A real dynamic import of a package that is not installed.
      load: () => import('@mlstore/artifact-gcs-not-installed' as string).then((m: { f: () => string }) => m.f),
    });
    const err = await errorOf(r.resolve('gs://bucket/path'));
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toContain('npm install @mlstore/artifact-gcs-not-installed');
  });

  it('passes through other load failures', async () => {
    const r = new SchemeRegistry<void, string>('x').registerLazy('s3', {
      packageName: '@mlstore/artifact-s3',
      load: () => Promise.reject(new TypeError('boom')),
    });
    await expect(r.resolve('s3://a')).rejects.toThrow('boom');
  });
});
