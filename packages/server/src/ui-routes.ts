import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { guessMimeType, MlflowError, runInfoOf, type AbstractStore } from '@mlstore/core';
import { attachmentDisposition } from './content-disposition.js';
import { sendText } from './http-io.js';
import type { RunArtifacts } from './run-artifacts.js';
import { validatePathIsSafe } from './safe-path.js';

/** What the UI routes need from the server. */
export interface UiRouteContext {
  /** Undefined in `--artifacts-only` mode. */
  store: AbstractStore | undefined;
  runArtifacts: RunArtifacts;
  /** The `--static-prefix`, for the rule MLflow names in its `--artifacts-only` answer. */
  staticPrefix: string;
  signal: AbortSignal;
}

/** MLflow's limit on a UI upload (handlers.py `upload_artifact_handler`). */
export const UI_UPLOAD_LIMIT = 10 * 1024 * 1024;

const UPLOAD_PATH = '/mlflow/upload-artifact';
const MODEL_FILE = /^\/mlflow\/logged-models\/([^/]+)\/artifacts\/files$/;
const tooLarge = () => MlflowError.invalidParameter('Artifact size is too large. Max size is 10MB.');

/** The body as Flask's `request.data` holds it (empty for form posts), at most {@link UI_UPLOAD_LIMIT} bytes. */
async function uploadData(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > UI_UPLOAD_LIMIT) throw tooLarge();
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data') return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > UI_UPLOAD_LIMIT) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * MLflow's UI routes below `/ajax-api/2.0` that are not service RPCs: `POST /mlflow/upload-artifact`
 * (`?run_id=&path=`, the body is the file, at most 10 MB) and `GET /mlflow/logged-models/{id}/artifacts/files`
 * (`?artifact_file_path=`, served as an attachment from the model's artifact location). `rest` is
 * the path below the prefix.
 *
 * @returns false when `rest` is neither route.
 * @throws MlflowError with MLflow's codes and messages (missing or unsafe parameters, too large or
 *   empty uploads, unknown runs and models, presigned downloads, which no repository offers here).
 */
export async function handleUiRoute(rest: string, req: IncomingMessage, res: ServerResponse, query: URLSearchParams, ctx: UiRouteContext): Promise<boolean> {
  const model = MODEL_FILE.exec(rest);
  if (rest !== UPLOAD_PATH && !model) return false;
  const method = req.method ?? 'GET';
  if (model ? method !== 'GET' && method !== 'HEAD' : method !== 'POST') return sendText(res, 405, 'Method Not Allowed'), true;
  if (!ctx.store) {
    const rule = `${ctx.staticPrefix}/ajax-api/2.0${model ? '/mlflow/logged-models/<model_id>/artifacts/files' : UPLOAD_PATH}`;
    sendText(res, 503, `Endpoint: ${rule} disabled due to the mlflow server running in \`--artifacts-only\` mode. To enable tracking server functionality, run \`mlflow server\` without \`--artifacts-only\``);
    return true;
  }
  if (model) await serveModelFile(decodeURIComponent(model[1]!), method, res, query, ctx.store, ctx);
  else await upload(req, res, query, ctx.store, ctx);
  return true;
}

async function serveModelFile(modelId: string, method: string, res: ServerResponse, query: URLSearchParams, store: AbstractStore, ctx: UiRouteContext): Promise<void> {
  const path = query.get('artifact_file_path');
  if (!path) throw new MlflowError('Request must include the "artifact_file_path" query parameter.', 'BAD_REQUEST');
  validatePathIsSafe(path);
  const logged = await store.getLoggedModel(modelId, { signal: ctx.signal });
  if (query.get('presigned') === 'true') throw new MlflowError('Presigned download is not supported for the current artifact repository', 'NOT_IMPLEMENTED');
  const stream = await ctx.runArtifacts.open(logged.info.artifact_uri, path, ctx.signal);
  const name = path.slice(path.lastIndexOf('/') + 1);
  res.writeHead(200, { 'Content-Type': guessMimeType(name), 'Content-Disposition': attachmentDisposition(name), 'X-Content-Type-Options': 'nosniff' });
  if (method === 'HEAD') {
    stream.destroy();
    res.end();
  } else {
    await pipeline(stream, res);
  }
}

async function upload(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, store: AbstractStore, ctx: UiRouteContext): Promise<void> {
  const runId = query.get('run_id') || query.get('run_uuid');
  if (!runId) throw MlflowError.invalidParameter('Request must specify run_id or run_uuid.');
  const rawPath = query.get('path');
  if (!rawPath) throw MlflowError.invalidParameter('Request must specify path.');
  const path = validatePathIsSafe(rawPath);
  const data = await uploadData(req);
  if (data.length === 0) throw MlflowError.invalidParameter('Request must specify data.');
  const info = await runInfoOf(store, runId, { signal: ctx.signal });
  await ctx.runArtifacts.writeRunFile(info, path, data, ctx.signal);
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': 0 });
  res.end();
}
