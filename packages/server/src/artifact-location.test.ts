import { describe, expect, it } from 'vitest';
import { createArtifactLocationPolicy, createHostPolicy, hostTargets } from './artifact-location.js';

const invalid = expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' });

describe('artifact_location checks (MLflow _validate_storage_location_uri)', () => {
  const check = createArtifactLocationPolicy({ trustedUris: ['s3://bucket/root', 'http://store.internal:9000/artifacts'] });

  it.each([
    ['CVE-2023-6909 traversal in the query string', 's3://b/x?a=../../etc'],
    ['encoded traversal in the query', 's3://b/x?a=%2e%2e%2fetc'],
    ['CVE-2024-1594 fragment', 'file:///tmp/x#/../../etc'],
    ['CVE-2024-1593 ;params in the last segment', 'file:///tmp/x/..;/etc/passwd;..'],
    ['runs: URI', 'runs:/abc/model'],
    ['over 2048 characters', `s3://b/${'x'.repeat(2048)}`],
    ['SSRF: http to an untrusted host', 'http://169.254.169.254/latest'],
    ['SSRF: mlflow-artifacts with another host', 'mlflow-artifacts://evil:80/x'],
    ['SSRF: sftp host', 'sftp://user@10.0.0.1/x'],
    ['malformed authority', 'http://a\\b@trusted/x'],
  ])('refuses %s', (_, location) => {
    expect(() => check(location)).toThrow(invalid);
  });

  it.each([
    ['a local path', '/tmp/mlruns'],
    ['an s3 URI', 's3://other-bucket/x'],
    ['mlflow-artifacts without host', 'mlflow-artifacts:/x'],
    ['the trusted http host and port', 'http://store.internal:9000/other'],
    ['a harmless query', 's3://b/x?versionId=3'],
  ])('accepts %s', (_, location) => {
    expect(() => check(location)).not.toThrow();
  });

  it('allows a host-addressed scheme named in allowedSchemes', () => {
    expect(() => createHostPolicy({ allowedSchemes: ['sftp'] })('sftp://10.0.0.1/x')).not.toThrow();
    expect(() => createHostPolicy({})('sftp://10.0.0.1/x')).toThrow(invalid);
  });

  it('treats default ports as the same target, and http/https/mlflow-artifacts as one family', () => {
    expect(hostTargets('http://h/x')).toEqual(new Set(['http|h|80']));
    expect(hostTargets('https://h:443/x')).toEqual(new Set(['http|h|443']));
    expect(hostTargets('mlflow-artifacts://h/x')).toEqual(new Set(['http|h|80', 'http|h|443']));
    expect(hostTargets('s3://b/x')).toBeNull();
    expect(() => createHostPolicy({ trustedUris: ['http://h:80/'] })('http://H/x')).not.toThrow();
  });
});
