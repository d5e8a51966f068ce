import type { IncomingMessage, ServerResponse } from 'node:http';
import { MlflowError, isMlflowError, toWireJson, type Logger } from '@mlstore/core';

/** Reads a request body up to `limit` bytes. @throws MlflowError (HTTP 413) past the limit. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/** The error a request body over the limit gets: MLflow's code, HTTP 413. */
export class BodyTooLargeError extends MlflowError {
  override readonly httpStatus = 413;
}

function tooLarge(limit: number): MlflowError {
  return new BodyTooLargeError(`Request body is larger than the server's limit of ${limit} bytes.`, 'INVALID_PARAMETER_VALUE');
}

/**
 * MLflow's lenient JSON body: Content-Type must be application/json on POST/PUT, invalid JSON
 * reads as `{}`, a JSON string is decoded once more (old clients double-encode), `null` is `{}`.
 */
export function parseJsonBody(req: IncomingMessage, body: Buffer): Record<string, unknown> {
  if (req.method === 'POST' || req.method === 'PUT') {
    const type = req.headers['content-type'];
    if (type === undefined) throw MlflowError.invalidParameter('Bad Request. Content-Type header is missing.');
    if (type.split(';')[0]!.trim().toLowerCase() !== 'application/json') {
      throw MlflowError.invalidParameter("Bad Request. Content-Type must be one of ['application/json'].");
    }
  }
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
    if (typeof value === 'string') value = JSON.parse(value);
  } catch {
    return {};
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Sends an MLflow JSON response (`{}` when empty). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = value === undefined ? '{}' : toWireJson(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends a plain-text response (MLflow's disabled-feature 503s, `/health`, `/version`). */
export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers a failure as MLflow does: an MlflowError becomes `{error_code, message}` with the code's
 * status (5xx logged); anything else is logged and answered as INTERNAL_ERROR without internals.
 */
export function sendError(res: ServerResponse, err: unknown, logger: Logger): void {
  const error = isMlflowError(err) ? err : undefined;
  if (!error) logger.error({ err }, 'unhandled error');
  else if (error.httpStatus >= 500) logger.error({ err: error }, error.message);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = error ? { error_code: error.errorCode, message: error.message } : { error_code: 'INTERNAL_ERROR', message: 'Internal server error' };
  sendJson(res, error ? error.httpStatus : 500, body);
}
