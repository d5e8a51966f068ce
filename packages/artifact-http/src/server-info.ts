import type { Logger } from '@mlstore/core';
import type { MlflowHttpClient } from '@mlstore/store-rest';
import { readText } from './read-body.js';

/** The artifact flags of MLflow's `GET /api/3.0/mlflow/server-info`. */
export interface ArtifactServerCapabilities {
  multipartUploadsEnabled: boolean;
  artifactsPresignedOnly: boolean;
}

const TTL_MS = 60_000;
const cache = new Map<string, { expires: number; caps: ArtifactServerCapabilities }>();

/**
 * Reads (and caches for 60 s per deployment root, as MLflow does) the server's artifact
 * capabilities. Best effort like MLflow's `_fetch_server_capabilities`: 3 s timeout, no retries,
 * and any failure (old server without the endpoint, network) means "all disabled" and is not cached.
 */
export async function fetchArtifactServerCapabilities(
  client: MlflowHttpClient,
  deploymentRoot: string,
  logger: Logger,
  signal?: AbortSignal,
): Promise<ArtifactServerCapabilities> {
  const hit = cache.get(deploymentRoot);
  if (hit && hit.expires > Date.now()) return hit.caps;
  const none: ArtifactServerCapabilities = { multipartUploadsEnabled: false, artifactsPresignedOnly: false };
  try {
    const timeout = AbortSignal.timeout(3_000);
    const res = await client.request('GET', `${deploymentRoot}/api/3.0/mlflow/server-info`, {
      maxRetries: 0,
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    const text = await readText(res.body);
    if (res.status !== 200) {
      logger.debug({ status: res.status }, 'server-info unavailable; multipart uploads disabled');
      return none;
    }
    const data = JSON.parse(text) as Record<string, unknown>;
    const caps: ArtifactServerCapabilities = {
      multipartUploadsEnabled: data.multipart_uploads_enabled === true,
      artifactsPresignedOnly: data.artifacts_presigned_only === true,
    };
    cache.set(deploymentRoot, { expires: Date.now() + TTL_MS, caps });
    return caps;
  } catch (err) {
    if (signal?.aborted) throw err;
    logger.debug({ error: (err as Error).message }, 'server-info request failed; multipart uploads disabled');
    return none;
  }
}
