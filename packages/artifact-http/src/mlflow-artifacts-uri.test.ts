import { isMlflowError } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { artifactServerBaseUri, resolveArtifactHttpUrl, resolveMlflowArtifactsUri, splitArtifactServiceUrl } from './mlflow-artifacts-uri.js';

// Expected values were produced by MLflow 3.18.0's MlflowArtifactsRepository.resolve_uri.
const RESOLVED: [string, string, string][] = [
  ['mlflow-artifacts:/kit', 'http://127.0.0.1:5000', 'http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/kit'],
  ['mlflow-artifacts:/kit/sub/', 'http://127.0.0.1:5000/', 'http://127.0.0.1:5000/api/2.0/mlflow-artifacts/artifacts/kit/sub'],
  ['mlflow-artifacts:/1/abc/artifacts', 'https://host.example/prefix', 'https://host.example/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts'],
  ['mlflow-artifacts:/1//abc///artifacts/', 'https://host.example/prefix/', 'https://host.example/prefix/api/2.0/mlflow-artifacts/artifacts/1/abc/artifacts'],
  ['mlflow-artifacts://other:8080/p/q', 'http://127.0.0.1:5000', 'http://other:8080/api/2.0/mlflow-artifacts/artifacts/p/q'],
  ['mlflow-artifacts://user:pw@other:8080/p', 'http://127.0.0.1:5000/pre', 'http://user:pw@other:8080/pre/api/2.0/mlflow-artifacts/artifacts/p'],
  // MLflow's quirk: the root and the bare service path drop the tracking path prefix.
  ['mlflow-artifacts:/', 'http://h:1/prefix', 'http://h:1/api/2.0/mlflow-artifacts/artifacts'],
  ['mlflow-artifacts:/api/2.0/mlflow-artifacts/artifacts', 'http://h:1/prefix', 'http://h:1/api/2.0/mlflow-artifacts/artifacts'],
  ['mlflow-artifacts:kit', 'http://h:1', 'http://h:1/api/2.0/mlflow-artifacts/artifacts/kit'],
  ['mlflow-artifacts:', 'http://h:1/x', 'http://h:1/x/api/2.0/mlflow-artifacts/artifacts'],
  ['mlflow-artifacts:/a b/c%20d', 'http://h:1', 'http://h:1/api/2.0/mlflow-artifacts/artifacts/a b/c%20d'],
  ['mlflow-artifacts:/kit?x=1#frag', 'http://h:1/p?q=2', 'http://h:1/p/api/2.0/mlflow-artifacts/artifacts/kit'],
  ['mlflow-artifacts://host/p', 'HTTP://H:1', 'http://host/api/2.0/mlflow-artifacts/artifacts/p'],
  ['mlflow-artifacts:/p', 'http://h:1/pre;params', 'http://h:1/pre/api/2.0/mlflow-artifacts/artifacts/p'],
  ['mlflow-artifacts://[::1]:9000/p', 'http://h:1', 'http://[::1]:9000/api/2.0/mlflow-artifacts/artifacts/p'],
  ['mlflow-artifacts://127.0.0.1/p', 'http://h:1', 'http://127.0.0.1/api/2.0/mlflow-artifacts/artifacts/p'],
  ['mlflow-artifacts://h:99999/p', 'http://h:1', 'http://h:99999/api/2.0/mlflow-artifacts/artifacts/p'],
];

function failure(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { code: isMlflowError(err) ? err.errorCode : 'not an MlflowError', message: (err as Error).message };
  }
  return { code: 'ok', message: '' };
}

describe('resolveMlflowArtifactsUri (as MLflow 3.18.0 resolve_uri)', () => {
  it.each(RESOLVED)('%s with tracking %s', (artifactUri, trackingUri, expected) => {
    expect(resolveMlflowArtifactsUri(artifactUri, trackingUri)).toBe(expected);
  });

  it.each(['5000', '1.5', '1e3', 'nan', '5000:0'])('refuses the numeric host without a port %s', (host) => {
    const f = failure(() => resolveMlflowArtifactsUri(`mlflow-artifacts://${host}/p`, 'http://h:1'));
    expect(f.code).toBe('INVALID_PARAMETER_VALUE');
    expect(f.message).toMatch(/was supplied with a port number: .*, but no host was defined/);
  });

  it.each(['sqlite:///mlflow.db', 'databricks', 'file:///tmp/mlruns', 'postgresql://user:secret@db/mlflow?password=x'])(
    'refuses the non-http tracking URI %s without showing credentials',
    (trackingUri) => {
      const f = failure(() => resolveMlflowArtifactsUri('mlflow-artifacts:/p', trackingUri));
      expect(f.code).toBe('INVALID_PARAMETER_VALUE');
      expect(f.message).toMatch(/tracking URI must be a valid http or https URI/);
      expect(f.message).not.toContain('secret');
      expect(f.message).not.toContain('password=');
    },
  );

  it('needs a tracking URI even when the artifact URI names its own host (as MLflow)', () => {
    expect(failure(() => resolveMlflowArtifactsUri('mlflow-artifacts://other:8080/p', undefined)).code).toBe('INVALID_PARAMETER_VALUE');
  });
});

describe('artifact URL helpers', () => {
  it('resolveArtifactHttpUrl passes http(s) through (no query, fragment or trailing slash)', () => {
    expect(resolveArtifactHttpUrl('https://h/api/2.0/mlflow-artifacts/artifacts/x/?a=1#f', undefined)).toBe('https://h/api/2.0/mlflow-artifacts/artifacts/x');
    expect(resolveArtifactHttpUrl('MLFLOW-ARTIFACTS:/x', 'http://h:1')).toBe('http://h:1/api/2.0/mlflow-artifacts/artifacts/x');
    expect(failure(() => resolveArtifactHttpUrl('s3://b/k', 'http://h:1')).code).toBe('INVALID_PARAMETER_VALUE');
  });

  it('splits a proxy URL at the first /mlflow-artifacts/artifacts like MLflow list_artifacts', () => {
    expect(splitArtifactServiceUrl('http://h:1/pre/api/2.0/mlflow-artifacts/artifacts/1/abc')).toEqual({ serviceBase: 'http://h:1/pre/api/2.0', root: '1/abc' });
    expect(splitArtifactServiceUrl('http://h:1/api/2.0/mlflow-artifacts/artifacts')).toEqual({ serviceBase: 'http://h:1/api/2.0', root: '' });
    expect(splitArtifactServiceUrl('http://h:1/files/x')).toBeUndefined();
  });

  it('finds the deployment root of canonical service URLs only', () => {
    expect(artifactServerBaseUri('http://h:1/pre/api/2.0/mlflow-artifacts/artifacts/1')).toBe('http://h:1/pre');
    expect(artifactServerBaseUri('http://h:1/api/2.0/mlflow-artifacts/artifacts')).toBe('http://h:1');
    expect(artifactServerBaseUri('http://h:1/api/2.0/mlflow-artifacts/artifactsX')).toBeUndefined();
    expect(artifactServerBaseUri('http://h:1/ajax-api/2.0/mlflow-artifacts/artifacts/1')).toBeUndefined();
  });
});
