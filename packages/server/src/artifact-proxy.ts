import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { guessMimeType, MlflowError, type ArtifactRepository, type FileInfo } from '@mlstore/core';
import { readBody, parseJsonBody, sendJson } from './http-io.js';
import { attachmentDisposition } from './content-disposition.js';
import { readRpcRequest } from './request-parse.js';
import type { MessageSchema } from './rpc-schemas.js';
import { validatePathIsSafe } from './safe-path.js';

const UNSUPPORTED_MPU = 'Multipart upload is not supported for the current artifact repository';

const MPU_SCHEMAS: Record<'create' | 'complete' | 'abort', MessageSchema> = {
  create: { path: { type: 'string', required: true }, num_parts: { type: 'int' } },
  complete: {
    path: { type: 'string', required: true },
    upload_id: { type: 'string' },
    parts: { type: 'object[]', required: true, items: { part_number: { type: 'int' }, etag: { type: 'string' }, url: { type: 'string' } } },
  },
  abort: { path: { type: 'string', required: true }, upload_id: { type: 'string' } },
};

/** The name of an uploaded file in an MPU request: the basename of `path`, `/` or `\` separated. */
function mpuFileName(path: string): string {
  const base = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
  let name = base(path);
  if (name) name = base(validatePathIsSafe(name));
  if (name === '' || name === '.' || name === '..') throw MlflowError.invalidParameter('Invalid path');
  return name;
}

/**
 * The mlflow-artifacts proxy (mlflow_artifacts.proto) over one destination repository: streamed
 * downloads and uploads, listing, deletion and multipart uploads. `rest` is the URL path below
 * `/mlflow-artifacts/` still percent-encoded; every path passes `validatePathIsSafe`.
 */
export async function handleArtifactProxy(
  repo: ArtifactRepository,
  req: IncomingMessage,
  res: ServerResponse,
  rest: string,
  query: URLSearchParams,
  bodyLimit: number,
  signal: AbortSignal,
): Promise<boolean> {
  const method = req.method ?? 'GET';
  if (rest === 'artifacts' || rest === 'artifacts/') {
    if (method !== 'GET') return false;
    const raw = query.get('path');
    const path = raw ? validatePathIsSafe(raw) : undefined;
    const listed = await repo.listArtifacts(path, { signal });
    const files = listed.map((f) => {
      const info: FileInfo = { path: f.path.slice(f.path.lastIndexOf('/') + 1), is_dir: f.is_dir };
      if (f.file_size) info.file_size = f.file_size;
      return info;
    });
    sendJson(res, 200, { files });
    return true;
  }
  if (rest.startsWith('artifacts/')) {
    const path = validatePathIsSafe(rest.slice('artifacts/'.length));
    switch (method) {
      case 'GET':
      case 'HEAD': {
        const stream = await repo.openArtifact(path, { signal });
        const name = path.slice(path.lastIndexOf('/') + 1);
        res.writeHead(200, {
          'Content-Type': guessMimeType(name),
          'Content-Disposition': attachmentDisposition(name),
          'X-Content-Type-Options': 'nosniff',
        });
        if (method === 'HEAD') {
          stream.destroy();
          res.end();
        } else {
          await pipeline(stream, res);
        }
        return true;
      }
      case 'PUT':
        await repo.writeArtifact(path, req, { signal });
        sendJson(res, 200, {});
        return true;
      case 'DELETE':
        await repo.deleteArtifacts(path, { signal });
        sendJson(res, 200, {});
        return true;
      default:
        return false;
    }
  }
  const mpu = /^mpu\/(create|complete|abort)\/(.+)$/.exec(rest);
  if (mpu && method === 'POST') {
    const action = mpu[1] as 'create' | 'complete' | 'abort';
    const artifactPath = validatePathIsSafe(mpu[2]!);
    const msg = readRpcRequest(MPU_SCHEMAS[action], parseJsonBody(req, await readBody(req, bodyLimit)));
    const file = mpuFileName(msg['path'] as string);
    if (!repo.createMultipartUpload || !repo.completeMultipartUpload || !repo.abortMultipartUpload) {
      throw new MlflowError(UNSUPPORTED_MPU, 'NOT_IMPLEMENTED');
    }
    if (action === 'create') {
      sendJson(res, 200, await repo.createMultipartUpload(file, (msg['num_parts'] as number | undefined) ?? 1, artifactPath, { signal }));
    } else if (action === 'complete') {
      const parts = (msg['parts'] as { part_number?: number; etag?: string; url?: string }[]).map((p) => ({
        part_number: p.part_number ?? 0,
        etag: p.etag ?? '',
        url: p.url ?? null,
      }));
      await repo.completeMultipartUpload(file, (msg['upload_id'] as string | undefined) ?? '', parts, artifactPath, { signal });
      sendJson(res, 200, {});
    } else {
      await repo.abortMultipartUpload(file, (msg['upload_id'] as string | undefined) ?? '', artifactPath, { signal });
      sendJson(res, 200, {});
    }
    return true;
  }
  return false;
}

