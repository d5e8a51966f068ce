import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachedUiDir, findPythonUiBundle, mlstoreCacheDir, resolveUiBundle } from './ui-bundle.js';

const root = mkdtempSync(join(tmpdir(), 'mlstore-ui-bundle-'));
// An empty PATH folder: no python3 of the machine (which might have mlflow) takes part.
const noPath = join(root, 'empty-path');
mkdirSync(noPath);

/** A site-packages with an `mlflow` of `version` (its dist-info and its UI bundle, no code to import). */
function fakeSite(version: string): { site: string; build: string } {
  const site = join(root, `site-${version}`);
  const build = join(site, 'mlflow', 'server', 'js', 'build');
  mkdirSync(build, { recursive: true });
  writeFileSync(join(site, 'mlflow', '__init__.py'), 'raise ImportError("the probe must not import mlflow")\n');
  writeFileSync(join(build, 'index.html'), `<html>${version}</html>`);
  mkdirSync(join(site, `mlflow-${version}.dist-info`));
  writeFileSync(join(site, `mlflow-${version}.dist-info`, 'METADATA'), `Metadata-Version: 2.1\nName: mlflow\nVersion: ${version}\n`);
  return { site, build };
}

/** A virtual environment whose bin/python is the machine's real interpreter (undefined without one). */
function fakeVenv(): string | undefined {
  let python: string;
  try {
    python = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
  const venv = join(root, 'venv');
  mkdirSync(join(venv, 'bin'), { recursive: true });
  symlinkSync(python, join(venv, 'bin', 'python'));
  return venv;
}

function cacheWithBundle(): string {
  const cache = join(root, 'cache');
  const dir = cachedUiDir({ MLSTORE_CACHE_DIR: cache });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'index.html'), '<html>cached</html>');
  return cache;
}

const venv = fakeVenv();

describe('where mlstore server takes the MLflow UI from', () => {
  it('cache folder: $MLSTORE_CACHE_DIR, else $XDG_CACHE_HOME/mlstore, else ~/.cache/mlstore; the bundle under ui/mlflow-3.18.0', () => {
    expect(mlstoreCacheDir({ MLSTORE_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(mlstoreCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/x/mlstore');
    expect(mlstoreCacheDir({ HOME: '/h' })).toBe('/h/.cache/mlstore');
    expect(mlstoreCacheDir({ MLSTORE_CACHE_DIR: 'rel' }, '/work')).toBe('/work/rel');
    expect(cachedUiDir({ MLSTORE_CACHE_DIR: '/c' })).toBe('/c/ui/mlflow-3.18.0');
  });

  it('--ui-dir comes first, whatever else there is', async () => {
    const cache = cacheWithBundle();
    const bundle = await resolveUiBundle({ uiDir: 'my-ui', env: { MLSTORE_CACHE_DIR: cache, PATH: noPath }, cwd: '/srv' });
    expect(bundle).toEqual({ dir: '/srv/my-ui', source: 'flag' });
  });

  it.skipIf(!venv)('then mlflow 3.18.0 of the active virtual environment ($VIRTUAL_ENV), found without importing it', async () => {
    const { site, build } = fakeSite('3.18.0');
    const env = { VIRTUAL_ENV: venv!, PYTHONPATH: site, PATH: noPath, MLSTORE_CACHE_DIR: cacheWithBundle() };
    expect(await resolveUiBundle({ env })).toEqual({ dir: build, source: 'python', python: join(venv!, 'bin', 'python') });
  });

  it.skipIf(!venv)('not another mlflow version: then the copy in the cache', async () => {
    const { site } = fakeSite('3.17.2');
    const cache = cacheWithBundle();
    const env = { VIRTUAL_ENV: venv!, PYTHONPATH: site, PATH: noPath, MLSTORE_CACHE_DIR: cache };
    expect(await findPythonUiBundle(env)).toBeUndefined();
    expect(await resolveUiBundle({ env })).toEqual({ dir: cachedUiDir({ MLSTORE_CACHE_DIR: cache }), source: 'cache' });
  });

  it('no Python and no cached copy: none', async () => {
    expect(await resolveUiBundle({ env: { PATH: noPath, MLSTORE_CACHE_DIR: join(root, 'empty-cache') } })).toBeUndefined();
  });

  it('a Python that hangs is given up on after the timeout', async () => {
    const slow = join(root, 'slow-venv');
    mkdirSync(join(slow, 'bin'), { recursive: true });
    writeFileSync(join(slow, 'bin', 'python'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const found = await resolveUiBundle({ env: { VIRTUAL_ENV: slow, PATH: noPath, MLSTORE_CACHE_DIR: cacheWithBundle() }, pythonTimeoutMs: 200 });
    expect(found?.source).toBe('cache');
  });
});
