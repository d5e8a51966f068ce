import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { s3ClientConfig } from './s3-client.js';
import { profileRegion, resolveS3Settings } from './s3-options.js';
import { S3ArtifactRepository } from './s3-artifact-repository.js';

const MiB = 1024 * 1024;

describe('resolveS3Settings (options > env vars > MLflow defaults)', () => {
  it('MLflow defaults with an empty env', () => {
    expect(resolveS3Settings({}, {})).toEqual({
      endpoint: undefined,
      region: 'us-east-1',
      credentials: undefined,
      addressingStyle: 'auto',
      ignoreTls: false,
      caBundle: undefined,
      uploadExtraArgs: {},
      unsigned: false,
      expectedBucketOwner: undefined,
      partSize: 8 * MiB,
      queueSize: 4,
      listPageSize: 1000,
      presignExpiresIn: 3600,
      maxAttempts: undefined,
    });
  });
  const env = {
    MLFLOW_S3_ENDPOINT_URL: 'http://minio:9000',
    MLFLOW_S3_IGNORE_TLS: 'TRUE',
    AWS_CA_BUNDLE: '/etc/ca.pem',
    MLFLOW_S3_UPLOAD_EXTRA_ARGS: '{"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "key-1"}',
    MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE: 'path',
    MLFLOW_EXPERIMENTAL_S3_SIGNATURE_VERSION: 'UNSIGNED',
    MLFLOW_S3_EXPECTED_BUCKET_OWNER: '123456789012',
    AWS_ACCESS_KEY_ID: 'env-key',
    AWS_SECRET_ACCESS_KEY: 'env-secret',
    AWS_SESSION_TOKEN: 'env-token',
    AWS_DEFAULT_REGION: 'eu-central-1',
  };
  it('reads every MLflow env var', () => {
    const s = resolveS3Settings({}, env);
    expect(s).toMatchObject({
      endpoint: 'http://minio:9000',
      ignoreTls: true,
      caBundle: '/etc/ca.pem',
      uploadExtraArgs: { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-1' },
      addressingStyle: 'path',
      unsigned: true,
      expectedBucketOwner: '123456789012',
      credentials: { accessKeyId: 'env-key', secretAccessKey: 'env-secret', sessionToken: 'env-token' },
      region: 'eu-central-1',
    });
  });
  it('AWS_REGION beats AWS_DEFAULT_REGION', () => {
    expect(resolveS3Settings({}, { AWS_REGION: 'ap-south-1', AWS_DEFAULT_REGION: 'eu-central-1' }).region).toBe('ap-south-1');
  });
  it('explicit options beat env vars', () => {
    const s = resolveS3Settings(
      {
        endpoint: 'http://opt:1',
        ignoreTls: false,
        uploadExtraArgs: { ACL: 'private' },
        addressingStyle: 'virtual',
        signatureVersion: 's3v4',
        expectedBucketOwner: 'opt-owner',
        accessKeyId: 'opt-key',
        secretAccessKey: 'opt-secret',
        region: 'us-west-2',
      },
      env,
    );
    expect(s).toMatchObject({
      endpoint: 'http://opt:1',
      ignoreTls: false,
      uploadExtraArgs: { ACL: 'private' },
      addressingStyle: 'virtual',
      unsigned: false,
      expectedBucketOwner: 'opt-owner',
      credentials: { accessKeyId: 'opt-key', secretAccessKey: 'opt-secret' },
      region: 'us-west-2',
    });
    // An explicit key pair never picks up the env's session token.
    expect(s.credentials).not.toHaveProperty('sessionToken');
  });
  it('leaves credentials to the SDK chain when the env has no key pair', () => {
    expect(resolveS3Settings({}, { AWS_ACCESS_KEY_ID: 'only-half' }).credentials).toBeUndefined();
  });
  it.each([
    [{}, { MLFLOW_S3_IGNORE_TLS: 'yes' }, /MLFLOW_S3_IGNORE_TLS value must be one of/],
    [{}, { MLFLOW_S3_UPLOAD_EXTRA_ARGS: '{not json' }, /not valid JSON/],
    [{}, { MLFLOW_S3_UPLOAD_EXTRA_ARGS: '["a"]' }, /must be a JSON object/],
    [{}, { MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE: 'sideways' }, /addressing style/],
    [{}, { MLFLOW_EXPERIMENTAL_S3_SIGNATURE_VERSION: 's3v2' }, /signature version/],
    [{ accessKeyId: 'k' }, {}, /given together/],
    [{ partSize: 1024 }, {}, /partSize/],
    [{ listPageSize: 1001 }, {}, /listPageSize/],
  ] as const)('refuses bad input %#', (options, badEnv, message) => {
    let error: unknown;
    try {
      resolveS3Settings(options, badEnv);
    } catch (err) {
      error = err;
    }
    expect(error).toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).toMatch(/^@mlstore\/artifact-s3:/);
  });
});

describe('SDK client configuration', () => {
  it('path style, endpoint, region, static credentials', () => {
    const c = s3ClientConfig(resolveS3Settings({ endpoint: 'http://127.0.0.1:1', addressingStyle: 'path', accessKeyId: 'k', secretAccessKey: 's' }, {}));
    expect(c).toMatchObject({ endpoint: 'http://127.0.0.1:1', forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
  });
  it('unsigned requests need no credentials and keep the request unsigned', async () => {
    const c = s3ClientConfig(resolveS3Settings({ signatureVersion: 'unsigned' }, {}));
    const request = { headers: {} };
    expect(await (c.signer as { sign: (r: unknown) => Promise<unknown> }).sign(request)).toBe(request);
    expect(c.credentials).toEqual({ accessKeyId: '', secretAccessKey: '' });
  });
  it('an unreadable CA bundle is a clear error', () => {
    expect(() => s3ClientConfig(resolveS3Settings({ caBundle: '/nonexistent/ca.pem' }, {}))).toThrow(/cannot read the CA bundle .*AWS_CA_BUNDLE/);
  });
  it('ignoreTls wins over a CA bundle (boto: verify=False)', () => {
    const c = s3ClientConfig(resolveS3Settings({ ignoreTls: true, caBundle: '/nonexistent/ca.pem' }, {}));
    expect(c.requestHandler).toBeDefined();
  });
});

describe('S3ArtifactRepository construction (offline)', () => {
  it('parses the URI and computes MLflow upload args', () => {
    const repo = new S3ArtifactRepository('s3://bkt/some/root/', { env: { MLFLOW_S3_EXPECTED_BUCKET_OWNER: '111', MLFLOW_S3_UPLOAD_EXTRA_ARGS: '{"ServerSideEncryption":"AES256"}' } });
    expect([repo.bucket, repo.prefix]).toEqual(['bkt', 'some/root/']);
    expect(repo.keyOf('a/x.tar.gz')).toBe('some/root/a/x.tar.gz');
    expect(repo.uploadArgs('x.tar.gz')).toEqual({ ContentType: 'application/x-tar', ContentEncoding: 'gzip', ExpectedBucketOwner: '111', ServerSideEncryption: 'AES256' });
    expect(repo.uploadArgs('MLmodel')).toEqual({ ExpectedBucketOwner: '111', ServerSideEncryption: 'AES256' });
  });
  it.each(['s3:///x', 's3:bucket/x', 'gs://b/x'])('refuses %j', (uri) => {
    expect(() => new S3ArtifactRepository(uri, { env: {} })).toThrow(/@mlstore\/artifact-s3:/);
  });
  it('refuses traversal in artifact paths before any request', async () => {
    const repo = new S3ArtifactRepository('s3://bkt/root', { env: {}, endpoint: 'http://127.0.0.1:9' });
    await expect(repo.openArtifact('../escape.txt')).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    await expect(repo.writeArtifact('', 'x')).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    await repo.close();
  });
});

describe('profileRegion (the AWS config file, as boto reads it)', () => {
  const home = mkdtempSync(join(tmpdir(), 'mlstore-aws-home-'));
  mkdirSync(join(home, '.aws'));
  writeFileSync(
    join(home, '.aws', 'config'),
    ['# comment', '[default]', 'region = eu-west-3', 's3 =', '  region = nested-not-a-region', '[profile  team]', 'output = json', 'region=ap-northeast-1 ; trailing', '[profile empty]', 'region ='].join('\n'),
  );
  const other = join(home, 'other-config');
  writeFileSync(other, '[profile ci]\nregion = sa-east-1\n');

  it('reads [default], or [profile NAME] for AWS_PROFILE', () => {
    expect(profileRegion({ HOME: home })).toBe('eu-west-3');
    expect(profileRegion({ HOME: home, AWS_PROFILE: 'team' })).toBe('ap-northeast-1');
  });
  it('honours AWS_CONFIG_FILE; a missing profile, an empty value or a missing file is no region', () => {
    expect(profileRegion({ HOME: home, AWS_CONFIG_FILE: other, AWS_PROFILE: 'ci' })).toBe('sa-east-1');
    expect(profileRegion({ HOME: home, AWS_PROFILE: 'absent' })).toBeUndefined();
    expect(profileRegion({ HOME: home, AWS_PROFILE: 'empty' })).toBeUndefined();
    expect(profileRegion({ HOME: join(home, 'nowhere') })).toBeUndefined();
    expect(profileRegion({})).toBeUndefined();
  });
  it('comes after AWS_REGION and AWS_DEFAULT_REGION, before the us-east-1 default', () => {
    expect(resolveS3Settings({}, { HOME: home }).region).toBe('eu-west-3');
    expect(resolveS3Settings({}, { HOME: home, AWS_DEFAULT_REGION: 'us-west-1' }).region).toBe('us-west-1');
    expect(resolveS3Settings({ region: 'ca-central-1' }, { HOME: home, AWS_REGION: 'us-west-1' }).region).toBe('ca-central-1');
  });
});
