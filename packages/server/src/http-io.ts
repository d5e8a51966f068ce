import type { IncomingMessage, ServerResponse } from 'node:http';
import { MlflowError, isMlflowError, redactUrisIn, toWireJson, type Logger } from '@mlstore/core';

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

// The JSON text each parsed body came from, for error messages that quote numbers as written.
const BODY_SOURCES = new WeakMap<object, string>();

/** The JSON text a {@link parseJsonBody} result was read from (undefined for `{}` stand-ins). */
export function jsonBodySource(body: object): string | undefined {
  return BODY_SOURCES.get(body);
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
  if (jsonDepth(body) > MAX_JSON_DEPTH) {
    throw MlflowError.invalidParameter(`Request body is nested deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  let value: unknown;
  const text = body.toString('utf8');
  try {
    value = parsePythonJson(text);
    if (typeof value === 'string') value = parsePythonJson(value);
  } catch {
    return {};
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return {};
  BODY_SOURCES.set(value, text);
  return value as Record<string, unknown>;
}

/** Deepest JSON nesting a request may have; MLflow's messages are a few levels deep. */
export const MAX_JSON_DEPTH = 100;

/** The deepest `[`/`{` nesting in JSON text (brackets inside strings ignored), in one pass over the bytes. */
export function jsonDepth(text: Uint8Array): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

const NON_FINITE = new Map([['NaN', Number.NaN], ['Infinity', Number.POSITIVE_INFINITY], ['-Infinity', Number.NEGATIVE_INFINITY]]);
// A NUL-led, per-process random marker: no client string can be mistaken for it.
const MARK = `mlstore-${Math.random().toString(36).slice(2)}:`;

/**
 * JSON as Python's `json.loads` reads it: standard JSON, plus the bare literals `NaN`, `Infinity`
 * and `-Infinity` that Python's client writes for non-finite metric values. Standard JSON takes
 * the fast path; the literals are only looked for when it fails.
 *
 * @throws SyntaxError when the text is not JSON either way
 */
export function parsePythonJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    let found = false;
    // Strings are matched first so that literals inside them stay text.
    const marked = text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (m) => {
      if (m.startsWith('"')) return m;
      found = true;
      return `"\\u0000${MARK}${m}"`;
    });
    if (!found) throw err;
    return JSON.parse(marked, (_key, value: unknown) => (typeof value === 'string' && value.charCodeAt(0) === 0 && value.startsWith(MARK, 1) ? NON_FINITE.get(value.slice(MARK.length + 1)) : value));
  }
}

/** Sends an MLflow JSON response (`{}` when empty). */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendJsonText(res, status, value === undefined ? '{}' : toWireJson(value));
}

/** Sends JSON text as it is. */
export function sendJsonText(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** Sends a plain-text response (MLflow's disabled-feature 503s, `/health`, `/version`). */
export function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Answers a failure as MLflow does: an MlflowError becomes MLflow 3.18's `{error_code, message,
 * sqlstate, error_class}` (the last two when the code has them) with the code's status; anything
 * else is logged and answered as INTERNAL_ERROR without internals. What a client can cause (4xx,
 * and 501 for a feature the destination lacks) is logged at debug/info without a stack, so
 * clients cannot flood the log; server faults are logged at error with their cause.
 * URIs in messages have their credentials redacted.
 */
export function sendError(res: ServerResponse, err: unknown, logger: Logger): void {
  const error = isMlflowError(err) ? err : undefined;
  if (!error) logger.error({ err }, 'unhandled error');
  else if (error.httpStatus === 501) logger.info({ errorCode: error.errorCode }, error.message);
  else if (error.httpStatus >= 500) logger.error({ err: error }, error.message);
  else logger.debug({ errorCode: error.errorCode, status: error.httpStatus }, error.message);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = error ? { ...error.toJSON(), message: redactUrisIn(error.message) } : new MlflowError('Internal server error').toJSON();
  sendJson(res, error ? error.httpStatus : 500, body);
}
