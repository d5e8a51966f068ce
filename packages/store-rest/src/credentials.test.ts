import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { mlflowCredentialsPath, parseIni, readMlflowCredentials, readMlflowCredentialsFile } from './credentials.js';

async function homeWith(content: string | undefined): Promise<string> {
  const home = await mkdtemp(join(tmpdir(), 'mlstore-home-'));
  if (content !== undefined) {
    await mkdir(join(home, '.mlflow'));
    await writeFile(join(home, '.mlflow', 'credentials'), content);
  }
  return home;
}

describe('~/.mlflow/credentials', () => {
  it('is found under HOME from the env', async () => {
    expect(mlflowCredentialsPath({ HOME: '/h' })).toBe(join('/h', '.mlflow', 'credentials'));
  });

  it('reads the [mlflow] keys (case-insensitive keys, = or :, comments, whitespace)', async () => {
    const home = await homeWith('# comment\n[other]\nmlflow_tracking_username = nope\n\n[mlflow]\n; another\nMLFLOW_TRACKING_USERNAME = alice \nmlflow_tracking_password: s3cr%%t\n');
    expect(readMlflowCredentialsFile(mlflowCredentialsPath({ HOME: home }))).toEqual({ username: 'alice', password: 's3cr%t' });
  });

  it('inherits [DEFAULT] values and interpolates %(name)s', async () => {
    const home = await homeWith('[DEFAULT]\nmlflow_tracking_username = bob\nsecret = pw\n[mlflow]\nmlflow_tracking_password = %(secret)s-1\n');
    expect(readMlflowCredentialsFile(mlflowCredentialsPath({ HOME: home }))).toEqual({ username: 'bob', password: 'pw-1' });
  });

  it('a bare % is refused like configparser, without echoing the value', async () => {
    const home = await homeWith('[mlflow]\nmlflow_tracking_password = 100%secret\n');
    let caught: unknown;
    try {
      readMlflowCredentialsFile(mlflowCredentialsPath({ HOME: home }));
    } catch (err) {
      caught = err;
    }
    expect(isMlflowError(caught) && caught.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(String((caught as Error).message)).not.toContain('100%secret');
  });

  it('a missing file or section gives nothing', async () => {
    expect(readMlflowCredentialsFile(mlflowCredentialsPath({ HOME: await homeWith(undefined) }))).toEqual({});
    expect(readMlflowCredentialsFile(mlflowCredentialsPath({ HOME: await homeWith('[Mlflow]\nmlflow_tracking_username = x\n') }))).toEqual({});
  });

  it('continuation lines extend a value', () => {
    expect(parseIni('[s]\nk = a\n  b\n').get('s')?.get('k')).toBe('a\nb');
  });

  it('env wins per field over the file; empty env values fall back to the file', async () => {
    const home = await homeWith('[mlflow]\nmlflow_tracking_username = fileuser\nmlflow_tracking_password = filepass\n');
    expect(readMlflowCredentials({ HOME: home, MLFLOW_TRACKING_USERNAME: 'envuser' })).toEqual({ username: 'envuser', password: 'filepass' });
    expect(readMlflowCredentials({ HOME: home, MLFLOW_TRACKING_USERNAME: '', MLFLOW_TRACKING_PASSWORD: 'envpass' })).toEqual({
      username: 'fileuser',
      password: 'envpass',
    });
  });
});
