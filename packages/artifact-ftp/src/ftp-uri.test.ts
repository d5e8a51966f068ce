import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeLocation, parseFtpUri } from './ftp-uri.js';

describe('parseFtpUri', () => {
  it.each([
    ['ftp://host/path', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/path' }],
    ['ftp://host', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/' }],
    ['ftp://host/', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/' }],
    ['ftp:///path', { scheme: 'ftp', host: 'localhost', port: 21, password: '', root: '/path' }],
    ['ftp://User:p%40ss%3Aw@Host.Example:2121/a/b/', { scheme: 'ftp', host: 'host.example', port: 2121, user: 'User', password: 'p@ss:w', root: '/a/b' }],
    ['ftp://us%40er@host/x', { scheme: 'ftp', host: 'host', port: 21, user: 'us@er', password: '', root: '/x' }],
    ['ftps://u:p@[::1]:990/x?ignored=1#frag', { scheme: 'ftps', host: '::1', port: 990, user: 'u', password: 'p', root: '/x' }],
    ['FTP://host/with space/ünï', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/with space/ünï' }],
    ['ftp://host/a%20b', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/a%20b' }],
    ['ftp://host//a/./b//', { scheme: 'ftp', host: 'host', port: 21, password: '', root: '/a/b' }],
  ])('%s', (uri, expected) => {
    expect(parseFtpUri(uri)).toEqual(expected);
  });
  it.each([
    ['s3://bucket/x', /not an ftp/],
    ['ftp://host:99999/x', /bad port/],
    ['ftp://host:abc/x', /bad port/],
    ['ftp://host/a/../b', /must not contain '\.\.'/],
    ['ftp://host/a/%2e%2e/b', /must not contain '\.\.'/],
    ['ftp://host/..', /must not contain '\.\.'/],
    ['ftp://u:p%0d%0aDELE%20x@host/x', /password .* control characters/],
    ['ftp://u%0a:p@host/x', /user .* control characters/],
    ['ftp://host/a\r\nDELE x', /control characters/],
    ['ftp://u:%zz@host/x', /not valid percent-encoding/],
  ])('refuses %j', (uri, message) => {
    expect(() => parseFtpUri(uri)).toThrow(message);
    try {
      parseFtpUri(uri);
    } catch (err) {
      expect((err as { errorCode: string }).errorCode).toBe('INVALID_PARAMETER_VALUE');
      expect((err as Error).message).not.toMatch(/:p@|%zz@/);
    }
  });
  it('describeLocation never shows the password', () => {
    const loc = parseFtpUri('ftps://me:s3cret@host:2121/root');
    expect(describeLocation(loc)).toBe('ftps://me@host:2121/root');
    expect(describeLocation(loc, '/root/a b.txt')).toBe('ftps://me@host:2121/root/a b.txt');
  });

  // MLflow's own reading of the same URIs (urlparse in FTPArtifactRepository.__init__), when its venv exists.
  const python = join(resolve(import.meta.dirname, '../../..'), '.services', 'mlflow-venv', 'bin', 'python');
  it.runIf(existsSync(python))('agrees with MLflow 3.18 on host, port, user, password and path', () => {
    const uris = ['ftp://host/path', 'ftp://host', 'ftp:///path', 'ftp://User:p%40ss%3Aw@Host.Example:2121/a/b', 'ftp://u:p@[::1]:990/x?q=1', 'ftp://host/a%20b', 'ftp://anon@host/with space'];
    const code = `
import json, sys
from mlflow.store.artifact.ftp_artifact_repo import FTPArtifactRepository
out = []
for uri in sys.argv[1:]:
    r = FTPArtifactRepository(uri)
    out.append([r.config['host'], r.config['port'], r.config['username'], r.config['password'], r.path])
print(json.dumps(out))`;
    const res = spawnSync(python, ['-c', code, ...uris], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, MLFLOW_DISABLE_TELEMETRY: 'true' } });
    expect(res.status, res.stderr).toBe(0);
    const theirs = JSON.parse(res.stdout) as [string, number, string | null, string, string][];
    const mine = uris.map((u) => {
      const l = parseFtpUri(u);
      return [l.host, l.port, l.user ?? null, l.password, l.root];
    });
    // MLflow keeps a trailing-slash-free path as written; ours is normalised the same way here.
    expect(mine).toEqual(theirs.map(([h, p, u, pw, path]) => [h, p, u, pw, path.replace(/\/+$/, '') || '/']));
  });
});
