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
    const r = new SchemeRegistry<string>('tracking store');
    r.register('postgresql', 'pg', { aliases: ['postgres'] }).register('', 'file', { aliases: ['file'] });
    expect(await r.factoryFor('postgresql+psycopg2://u:p@h/db')).toBe('pg');
    expect(await r.factoryFor('postgres://h/db')).toBe('pg');
    expect(await r.factoryFor('/tmp/mlruns')).toBe('file');
    expect(await r.factoryFor('file:///tmp/mlruns')).toBe('file');
    expect(r.schemes()).toEqual(['', 'file', 'postgres', 'postgresql']);
    expect(r.has('POSTGRES')).toBe(true);
  });

  it('lists the registered schemes for an unknown one, without secrets', async () => {
    const r = new SchemeRegistry<string>('artifact repository').register('s3', 'x').register('file', 'y');
    const err = await errorOf(r.factoryFor('gs://user:hunter2@bucket/x'));
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toContain("Currently registered schemes are: ['file', 's3']");
    expect((err as Error).message).not.toContain('hunter2');
  });

  it('loads a lazy entry once', async () => {
    let loads = 0;
    const r = new SchemeRegistry<string>('artifact repository').registerLazy('s3', {
      packageName: '@mlstore/artifact-s3',
      load: async () => {
        loads++;
        return 'factory';
      },
    });
    expect(await r.factoryFor('s3://a/b')).toBe('factory');
    expect(await r.factoryFor('s3://c/d')).toBe('factory');
    expect(loads).toBe(1);
  });

  it('names the package to install when a lazy entry is missing', async () => {
    const r = new SchemeRegistry<string>('artifact repository').registerLazy('gs', {
      packageName: '@mlstore/artifact-gcs-not-installed',
      // A real dynamic import of a package that is not installed.
      load: () => import('@mlstore/artifact-gcs-not-installed' as string).then((m: { f: string }) => m.f),
    });
    const err = await errorOf(r.factoryFor('gs://bucket/path'));
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((err as Error).message).toContain('npm install @mlstore/artifact-gcs-not-installed');
  });

  it('passes through other load failures', async () => {
    const r = new SchemeRegistry<string>('x').registerLazy('s3', {
      packageName: '@mlstore/artifact-s3',
      load: () => Promise.reject(new TypeError('boom')),
    });
    await expect(r.factoryFor('s3://a')).rejects.toThrow('boom');
  });
});
