import { readFileSync } from 'node:fs';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { MlflowError, type Logger } from '@mlstore/core';
import { PREFIX } from './errors.js';
import type { ResolvedS3Settings } from './s3-options.js';

/**
 * The SDK client configuration for resolved settings, as MLflow configures boto3:
 * endpoint, region, addressing style (`path` → path-style; `auto` lets the SDK choose, which is
 * path-style for IP endpoints and virtual-hosted otherwise), TLS (`ignoreTls` → no certificate
 * checks, else `caBundle` as trusted CAs), `unsigned` requests, static credentials or the SDK's
 * default chain (env, shared config/`AWS_PROFILE`, SSO, container/instance roles).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE when the CA bundle cannot be read.
 */
export function s3ClientConfig(settings: ResolvedS3Settings, logger?: Logger): S3ClientConfig {
  const agentOptions: Record<string, unknown> = { keepAlive: true, maxSockets: Math.max(16, settings.queueSize * 2) };
  if (settings.ignoreTls) {
    if (settings.caBundle) logger?.warn({ caBundle: settings.caBundle }, `${PREFIX} MLFLOW_S3_IGNORE_TLS is set, so AWS_CA_BUNDLE is not used`);
    agentOptions.rejectUnauthorized = false;
  } else if (settings.caBundle) {
    try {
      agentOptions.ca = readFileSync(settings.caBundle);
    } catch (err) {
      throw MlflowError.invalidParameter(`${PREFIX} cannot read the CA bundle ${settings.caBundle} (AWS_CA_BUNDLE)`, { cause: err });
    }
  }
  const config: S3ClientConfig = {
    region: settings.region,
    // A bucket in another region answers 301/400 with its region; follow it as boto does.
    followRegionRedirects: true,
    requestHandler: { httpAgent: new HttpAgent(agentOptions), httpsAgent: new HttpsAgent(agentOptions) },
  };
  if (settings.endpoint) config.endpoint = settings.endpoint;
  if (settings.addressingStyle === 'path') config.forcePathStyle = true;
  if (settings.maxAttempts !== undefined) config.maxAttempts = settings.maxAttempts;
  if (settings.unsigned) {
    // boto's UNSIGNED: no credentials are looked up and requests go out without a signature.
    config.credentials = { accessKeyId: '', secretAccessKey: '' };
    config.signer = { sign: async (request) => request };
  } else if (settings.credentials) {
    config.credentials = settings.credentials;
  }
  return config;
}

/**
 * Makes an object without a guessed type get S3's own default (`binary/octet-stream`), as boto
 * does: the SDK would otherwise send `Content-Type: application/octet-stream` on every PutObject.
 * Idempotent per client.
 */
export function omitDefaultContentType(client: S3Client): void {
  const name = 'mlstoreOmitDefaultContentType';
  if (client.middlewareStack.identify().some((m) => m.startsWith(name))) return;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { ContentType?: string };
      const request = args.request as { headers?: Record<string, string> } | undefined;
      if (context.commandName === 'PutObjectCommand' && input.ContentType === undefined && request?.headers) {
        for (const h of Object.keys(request.headers)) if (h.toLowerCase() === 'content-type') delete request.headers[h];
      }
      return next(args);
    },
    { step: 'build', name },
  );
}

/** A new SDK client for resolved settings (see {@link s3ClientConfig}), uploading like boto. */
export function createS3Client(settings: ResolvedS3Settings, logger?: Logger): S3Client {
  const client = new S3Client(s3ClientConfig(settings, logger));
  omitDefaultContentType(client);
  return client;
}
