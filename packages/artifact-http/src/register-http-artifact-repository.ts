import type { ArtifactRepositoryOptions, ArtifactRepositoryRegistry } from '@mlstore/core';
import { MlflowHttpClient } from '@mlstore/store-rest';
import type { HttpArtifactRepositoryOptions } from './http-artifact-options.js';
import { HttpArtifactRepository } from './http-artifact-repository.js';
import { resolveArtifactHttpUrl } from './mlflow-artifacts-uri.js';

function merge(options: ArtifactRepositoryOptions, defaults: HttpArtifactRepositoryOptions): HttpArtifactRepositoryOptions {
  const merged: HttpArtifactRepositoryOptions = { ...defaults };
  const trackingUri = options.trackingUri ?? defaults.trackingUri;
  const logger = options.logger ?? defaults.logger;
  if (trackingUri !== undefined) merged.trackingUri = trackingUri;
  if (logger !== undefined) merged.logger = logger;
  return merged;
}

/**
 * Builds an {@link HttpArtifactRepository}; the registry's `trackingUri` and `logger` win over
 * those of `defaults`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE as the repository's constructor.
 */
export function createHttpArtifactRepository(
  uri: string,
  options: ArtifactRepositoryOptions = {},
  defaults: HttpArtifactRepositoryOptions = {},
): HttpArtifactRepository {
  return new HttpArtifactRepository(uri, merge(options, defaults));
}

/**
 * Registers the HTTP repository for `http`, `https` and `mlflow-artifacts` URIs and returns the
 * registry. Repositories of one server (scheme, credentials, host and port) share one
 * {@link MlflowHttpClient} — one keep-alive pool — created on first use from `options`, unless
 * `options.client` is given.
 */
export function registerHttpArtifactRepository(
  registry: ArtifactRepositoryRegistry,
  options: HttpArtifactRepositoryOptions = {},
): ArtifactRepositoryRegistry {
  const clients = new Map<string, MlflowHttpClient>();
  return registry.register(
    'http',
    (uri, registryOptions) => {
      const merged = merge(registryOptions, options);
      if (!merged.client) {
        const env = options.env ?? process.env;
        const url = new URL(resolveArtifactHttpUrl(uri, merged.trackingUri ?? env.MLFLOW_TRACKING_URI));
        const userinfo = url.username ? `${url.username}${url.password ? `:${url.password}` : ''}@` : '';
        const server = `${url.protocol}//${userinfo}${url.host}`;
        let client = clients.get(server);
        if (!client) {
          client = new MlflowHttpClient({ ...(options.clientOptions ?? {}), baseUrl: server, env, ...(merged.logger ? { logger: merged.logger } : {}) });
          clients.set(server, client);
        }
        merged.client = client;
      }
      return new HttpArtifactRepository(uri, merged);
    },
    { aliases: ['https', 'mlflow-artifacts'] },
  );
}
