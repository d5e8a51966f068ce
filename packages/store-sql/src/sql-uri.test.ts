import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMlflowError } from '@mlstore/core';
import { parseSqlUri } from './sql-uri.js';

describe('parseSqlUri', () => {
  it.each([
    ['sqlite:///mlflow.db', resolve('mlflow.db')],
    ['sqlite:///sub/dir/x.db', resolve('sub/dir/x.db')],
    ['sqlite:////abs/path.db', '/abs/path.db'],
    ['sqlite:///:memory:', ':memory:'],
    ['sqlite://', ':memory:'],
    ['sqlite+pysqlite:////abs/p%20q.db', '/abs/p q.db'],
  ])('%s → %s', (uri, filename) => {
    const c = parseSqlUri(uri);
    expect(c.dialect).toBe('sqlite');
    expect(c.filename).toBe(filename);
  });

  it('parses PostgreSQL URIs with a driver, credentials and query options', () => {
    const c = parseSqlUri('postgresql+psycopg2://us%40er:p%3Ass@db.example:6543/mlflow?sslmode=require');
    expect(c).toMatchObject({ dialect: 'postgresql', host: 'db.example', port: 6543, user: 'us@er', password: 'p:ss', database: 'mlflow' });
    expect(c.query).toEqual({ sslmode: 'require' });
    expect(c.redacted).not.toContain('p%3Ass');
  });

  it.each(['postgres://u@h/db', 'postgresql://u@h/db'])('%s is PostgreSQL', (uri) => {
    expect(parseSqlUri(uri).dialect).toBe('postgresql');
  });

  it('parses MySQL URIs with a driver', () => {
    expect(parseSqlUri('mysql+pymysql://a:b@127.0.0.1:3307/m')).toMatchObject({ dialect: 'mysql', host: '127.0.0.1', port: 3307, user: 'a', password: 'b', database: 'm' });
  });

  it('takes a socket host from the query string', () => {
    expect(parseSqlUri('postgresql://u@/db?host=/var/run/postgresql').host).toBe('/var/run/postgresql');
  });

  it.each([
    ['mssql+pyodbc://u:p@h/db', /mssql dialect is not supported/],
    ['oracle://u:p@h/db', /unsupported database URI scheme 'oracle'/],
    ['not a uri', /Invalid database URI/],
    ['sqlite:relative.db', /Invalid database URI/],
  ])('refuses %s', (uri, message) => {
    let caught: unknown;
    try {
      parseSqlUri(uri);
    } catch (err) {
      caught = err;
    }
    expect(isMlflowError(caught)).toBe(true);
    expect((caught as { errorCode: string }).errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect((caught as Error).message).toMatch(message);
  });

  it('never shows a password in messages', () => {
    expect(() => parseSqlUri('mssql://u:hunter2@h/db')).toThrow(/^(?!.*hunter2)/s);
  });
});
