import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { guessMimeType, MlflowError, runInfoOf, splitUri, type AbstractStore, type ModelRegistryStore } from '@mlstore/core';
import { attachmentDisposition } from './content-disposition.js';
import { registryUnavailable } from './registry-rpcs.js';
import type { RunArtifacts } from './run-artifacts.js';
import { validatePathIsSafe } from './safe-path.js';

export interface ModelVersionArtifactContext {
  registryStore: ModelRegistryStore | undefined;
  trackingStore: AbstractStore;
  runArtifacts: RunArtifacts;
  hostPolicy: (uri: string, fieldName?: string) => void;
  signal: AbortSignal;
}

/** Flask's answer to a missing required query argument (`request.args["path"]`). */
const BAD_REQUEST_HTML =
  '<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n<h1>Bad Request</h1>\n<p>The browser (or proxy) sent a request that this server could not understand.</p>\n';

/** A `runs:/<run_id>/<path>` URI as the run's artifact root and the path below it. */
async function runsUriRoot(uri: string, ctx: ModelVersionArtifactContext): Promise<string> {
  const { netloc, path } = splitUri(uri);
  if (netloc) throw MlflowError.invalidParameter('Run artifact sources cannot include a host.');
  const [runId = '', ...rest] = path.replace(/^\/+/, '').split('/');
  const info = await runInfoOf(ctx.trackingStore, runId, { signal: ctx.signal });
  const sub = rest.filter(Boolean).join('/');
  const root = info.artifact_uri.replace(/\/+$/, '');
  return sub ? `${root}/${validatePathIsSafe(sub)}` : root;
}

/**
 * `GET <static-prefix>/model-versions/get-artifact?name=&version=&path=` (MLflow's
 * `get_model_version_artifact_handler`): the version's download URI, then one file streamed as an
 * attachment as `/get-artifact` does. `runs:/` download URIs resolve through the tracking store;
 * proxied roots are read from the proxy's destination, others after the host policy.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE `Invalid path`, the registry's errors (unknown
 *   model or version), NOT_IMPLEMENTED for `presigned=true` (no repository here signs URLs).
 */
export async function serveModelVersionArtifact(query: URLSearchParams, res: ServerResponse, ctx: ModelVersionArtifactContext): Promise<void> {
  const raw = query.get('path');
  if (raw === null) {
    res.writeHead(400, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': Buffer.byteLength(BAD_REQUEST_HTML) });
    res.end(BAD_REQUEST_HTML);
    return;
  }
  const path = validatePathIsSafe(raw);
  if (!ctx.registryStore) throw registryUnavailable();
  let uri = await ctx.registryStore.getModelVersionDownloadUri(query.get('name') ?? '', query.get('version') ?? '', { signal: ctx.signal });
  if (splitUri(uri).scheme === 'runs') uri = await runsUriRoot(uri, ctx);
  if (query.get('presigned') === 'true') throw new MlflowError('Presigned download is not supported for the current artifact repository', 'NOT_IMPLEMENTED');
  const stream = await ctx.runArtifacts.open(uri, path, ctx.signal);
  const name = path.slice(path.lastIndexOf('/') + 1);
  res.writeHead(200, { 'Content-Type': guessMimeType(name), 'Content-Disposition': attachmentDisposition(name), 'X-Content-Type-Options': 'nosniff' });
  await pipeline(stream, res);
}
