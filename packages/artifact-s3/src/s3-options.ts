import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { MlflowError, type Logger } from '@mlstore/core';
import { PREFIX } from './errors.js';

const MiB = 1024 * 1024;

/** How buckets are addressed (MLflow's `MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE`). */
export type S3AddressingStyle = 'auto' | 'path' | 'virtual';

/**
 * Options of {@link S3ArtifactRepository}. Each one beats its environment variable; unset ones
 * fall back to the variable, then to MLflow's default.
 */
export interface S3ArtifactRepositoryOptions {
  /** S3-compatible endpoint, e.g. `http://127.0.0.1:9000`. Env `MLFLOW_S3_ENDPOINT_URL`; default AWS. */
  endpoint?: string;
  /**
   * Region. Env `AWS_REGION`, then `AWS_DEFAULT_REGION`, then `region` of the profile (`AWS_PROFILE`,
   * else `default`) in the AWS config file (`AWS_CONFIG_FILE`, else `~/.aws/config`), as boto reads
   * it; default `us-east-1` (regions are followed on redirect).
   */
  region?: string;
  /** Static credentials (MLflow's constructor arguments). Env `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`/`AWS_SESSION_TOKEN`; default the SDK's chain. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  /** `auto` (default), `path` or `virtual`. Env `MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE`. */
  addressingStyle?: S3AddressingStyle;
  /** Skip TLS certificate checks. Env `MLFLOW_S3_IGNORE_TLS` (`true/false/1/0`); default false. */
  ignoreTls?: boolean;
  /** PEM bundle of trusted CAs. Env `AWS_CA_BUNDLE`; ignored when `ignoreTls`. */
  caBundle?: string;
  /** Extra PutObject/CreateMultipartUpload parameters (boto names: `ServerSideEncryption`, `SSEKMSKeyId`, `ACL`…). Env `MLFLOW_S3_UPLOAD_EXTRA_ARGS` (JSON). */
  uploadExtraArgs?: Record<string, unknown>;
  /** `s3v4` (default) or `unsigned` (public buckets). Env `MLFLOW_EXPERIMENTAL_S3_SIGNATURE_VERSION`. */
  signatureVersion?: 's3v4' | 'unsigned';
  /** Account that must own the bucket (sent as `ExpectedBucketOwner` on every call). Env `MLFLOW_S3_EXPECTED_BUCKET_OWNER`. */
  expectedBucketOwner?: string;
  /** Multipart part size in bytes (≥ 5 MiB); bodies up to one part are a single PutObject. Default 8 MiB (boto's). */
  partSize?: number;
  /** Parts uploaded at once; memory is bounded by `partSize × queueSize`. Default 4. */
  queueSize?: number;
  /** Keys per ListObjectsV2 page (1–1000). Default 1000. */
  listPageSize?: number;
  /** Lifetime of presigned part URLs in seconds. Default 3600 (boto's). */
  presignExpiresIn?: number;
  /** SDK attempts per request (retries of throttling, 5xx and network errors). Default the SDK's (3). */
  maxAttempts?: number;
  /** A ready client; endpoint, region, credentials and TLS options are then not used. */
  client?: S3Client;
  /** Environment to read instead of `process.env`. */
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
}

/** Every setting after options, env vars and defaults are merged. */
export interface ResolvedS3Settings {
  endpoint: string | undefined;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } | undefined;
  addressingStyle: S3AddressingStyle;
  ignoreTls: boolean;
  caBundle: string | undefined;
  uploadExtraArgs: Record<string, unknown>;
  unsigned: boolean;
  expectedBucketOwner: string | undefined;
  partSize: number;
  queueSize: number;
  listPageSize: number;
  presignExpiresIn: number;
  maxAttempts: number | undefined;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

/** MLflow's boolean env vars accept only `true/false/1/0` (any case). */
function envBool(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const raw = env[name];
  if (raw === undefined) return undefined;
  const v = raw.toLowerCase();
  if (!['true', 'false', '1', '0'].includes(v)) {
    throw MlflowError.invalidParameter(`${PREFIX} ${name} value must be one of ['true', 'false', '1', '0'] (case-insensitive), but got ${raw}`);
  }
  return v === 'true' || v === '1';
}

function positiveInt(name: string, value: number | undefined, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw MlflowError.invalidParameter(`${PREFIX} option ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
  return value;
}

function parseExtraArgs(text: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw MlflowError.invalidParameter(`${PREFIX} MLFLOW_S3_UPLOAD_EXTRA_ARGS is not valid JSON`, { cause: err });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw MlflowError.invalidParameter(`${PREFIX} MLFLOW_S3_UPLOAD_EXTRA_ARGS must be a JSON object such as {"ServerSideEncryption": "aws:kms"}`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * `region` of the AWS profile in the shared config file, as boto and the AWS SDKs read it: the file
 * is `AWS_CONFIG_FILE` or `~/.aws/config` (the home from `env.HOME`; the process's home only when
 * `env` is the process's), the profile `AWS_PROFILE` (`[profile NAME]`) or `[default]`. Nested
 * settings (indented lines under `s3 =`) are not regions. A missing or unreadable file is no region.
 */
export function profileRegion(env: NodeJS.ProcessEnv): string | undefined {
  const home = nonEmpty(env.HOME) ?? (env === process.env ? homedir() : undefined);
  const file = nonEmpty(env.AWS_CONFIG_FILE) ?? (home ? join(home, '.aws', 'config') : undefined);
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const profile = nonEmpty(env.AWS_PROFILE) ?? 'default';
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inProfile = false;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*([#;]|$)/.test(raw)) continue;
    const section = /^\[\s*([^\]]+?)\s*\]/.exec(raw);
    if (section) {
      inProfile = wanted.includes((section[1] as string).replace(/\s+/g, ' '));
      continue;
    }
    const setting = /^region\s*=\s*([^\s#;]*)/.exec(raw);
    if (inProfile && setting) return nonEmpty(setting[1]);
  }
  return undefined;
}

/**
 * Merges options over env vars over MLflow's defaults. Reads only `options.env` (or the given env)
 * and, for the region, the AWS config file it names.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a malformed boolean, addressing style, signature
 *   version, `MLFLOW_S3_UPLOAD_EXTRA_ARGS`, out-of-range sizes, or half of a static key pair.
 */
export function resolveS3Settings(options: S3ArtifactRepositoryOptions = {}, env: NodeJS.ProcessEnv = options.env ?? process.env): ResolvedS3Settings {
  const addressingStyle = (options.addressingStyle ?? nonEmpty(env.MLFLOW_BOTO_CLIENT_ADDRESSING_STYLE) ?? 'auto') as S3AddressingStyle;
  if (!['auto', 'path', 'virtual'].includes(addressingStyle)) {
    throw MlflowError.invalidParameter(`${PREFIX} addressing style must be auto, path or virtual, got ${String(addressingStyle)}`);
  }
  const signature = (options.signatureVersion ?? nonEmpty(env.MLFLOW_EXPERIMENTAL_S3_SIGNATURE_VERSION) ?? 's3v4').toLowerCase();
  if (signature !== 's3v4' && signature !== 'unsigned') {
    throw MlflowError.invalidParameter(`${PREFIX} signature version must be s3v4 or unsigned, got ${signature}`);
  }
  let credentials: ResolvedS3Settings['credentials'];
  if (options.accessKeyId !== undefined || options.secretAccessKey !== undefined) {
    if (!options.accessKeyId || !options.secretAccessKey) {
      throw MlflowError.invalidParameter(`${PREFIX} accessKeyId and secretAccessKey must be given together`);
    }
    credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey, ...(options.sessionToken ? { sessionToken: options.sessionToken } : {}) };
  } else if (nonEmpty(env.AWS_ACCESS_KEY_ID) && nonEmpty(env.AWS_SECRET_ACCESS_KEY)) {
    // The SDK's chain reads these from process.env too; taking them here also serves `options.env`.
    const token = nonEmpty(env.AWS_SESSION_TOKEN);
    credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID as string, secretAccessKey: env.AWS_SECRET_ACCESS_KEY as string, ...(token ? { sessionToken: token } : {}) };
  }
  const extraText = nonEmpty(env.MLFLOW_S3_UPLOAD_EXTRA_ARGS);
  return {
    endpoint: nonEmpty(options.endpoint) ?? nonEmpty(env.MLFLOW_S3_ENDPOINT_URL),
    region: nonEmpty(options.region) ?? nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION) ?? profileRegion(env) ?? 'us-east-1',
    credentials,
    addressingStyle,
    ignoreTls: options.ignoreTls ?? envBool(env, 'MLFLOW_S3_IGNORE_TLS') ?? false,
    caBundle: nonEmpty(options.caBundle) ?? nonEmpty(env.AWS_CA_BUNDLE),
    uploadExtraArgs: options.uploadExtraArgs ?? (extraText !== undefined ? parseExtraArgs(extraText) : {}),
    unsigned: signature === 'unsigned',
    expectedBucketOwner: nonEmpty(options.expectedBucketOwner) ?? nonEmpty(env.MLFLOW_S3_EXPECTED_BUCKET_OWNER),
    partSize: positiveInt('partSize', options.partSize, 8 * MiB, 5 * MiB, 5 * 1024 * MiB),
    queueSize: positiveInt('queueSize', options.queueSize, 4, 1, 64),
    listPageSize: positiveInt('listPageSize', options.listPageSize, 1000, 1, 1000),
    presignExpiresIn: positiveInt('presignExpiresIn', options.presignExpiresIn, 3600, 1, 604_800),
    maxAttempts: options.maxAttempts === undefined ? undefined : positiveInt('maxAttempts', options.maxAttempts, 3, 1, 20),
  };
}
