import { isWellFormedText, MlflowError, wireDouble, wireInteger } from '@mlstore/core';
import { parseKeepingNumberText, pyJsonDumps, pyTypeName } from './python-values.js';
import type { FieldSpec, MessageSchema } from './rpc-schemas.js';

const API_DOCS = ' See the API docs for more information about request parameters.';

/** A mistyped value: its message is written again from the body's number spellings when known. */
class InvalidValueError extends MlflowError {
  constructor(
    readonly path: string,
    value: unknown,
  ) {
    super(invalidMessage(path, value), 'INVALID_PARAMETER_VALUE');
  }
}

function invalidMessage(path: string, value: unknown): string {
  return `Invalid value ${pyJsonDumps(value)} for parameter '${path}' supplied:  Hint: Value was of type '${pyTypeName(value)}'.${API_DOCS}`;
}

function invalid(path: string, value: unknown): MlflowError {
  return new InvalidValueError(path, value);
}

/** The value at `path` (`metrics[0].value`) of the JSON body `source`, numbers as written; undefined when absent. */
function spelledValueAt(source: string, path: string): unknown {
  let node: unknown;
  try {
    node = parseKeepingNumberText(source);
  } catch {
    return undefined;
  }
  for (const [, key, index] of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[index ?? key!];
  }
  return node;
}

/** A string JSON can carry (`"\\ud800"`) but no store can encode: refused for every field at once. */
function notUnicode(path: string, value: unknown): MlflowError {
  return MlflowError.invalidParameter(`Invalid value ${pyJsonDumps(value)} for parameter '${path}' supplied: it holds a lone UTF-16 surrogate, which is not valid Unicode.${API_DOCS}`);
}

function missing(path: string): MlflowError {
  return MlflowError.invalidParameter(`Missing value for required parameter '${path}'.${API_DOCS}`);
}

function readField(path: string, spec: FieldSpec, value: unknown): unknown {
  switch (spec.type) {
    case 'string':
      if (typeof value !== 'string') throw invalid(path, value);
      if (!isWellFormedText(value)) throw notUnicode(path, value);
      return value;
    case 'int': {
      const n = wireInteger(value);
      if (n === undefined || (spec.max !== undefined && n > spec.max)) throw invalid(path, value);
      return n;
    }
    case 'double': {
      const n = wireDouble(value);
      if (n === undefined) throw invalid(path, value);
      return n;
    }
    case 'bool':
      if (typeof value !== 'boolean') throw invalid(path, value);
      return value;
    case 'enum': {
      const names = spec.enumValues ?? {};
      if (typeof value === 'string' && value in names) return value;
      const n = wireInteger(value);
      const name = n === undefined ? undefined : Object.keys(names).find((k) => names[k] === n);
      if (name === undefined) throw invalid(path, value);
      return name;
    }
    case 'string[]':
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw invalid(path, value);
      for (const v of value) if (!isWellFormedText(v)) throw notUnicode(path, value);
      return value;
    case 'object':
      if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid(path, value);
      return spec.items ? readMessage(spec.items, value as Record<string, unknown>, `${path}.`) : value;
    case 'object[]': {
      if (!Array.isArray(value)) throw invalid(path, value);
      return value.map((item, i) => {
        if (item === null || typeof item !== 'object' || Array.isArray(item)) throw invalid(`${path}[${i}]`, item);
        return spec.items ? readMessage(spec.items, item as Record<string, unknown>, `${path}[${i}].`) : item;
      });
    }
  }
}

function readMessage(schema: MessageSchema, input: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = { ...input };
  for (const [name, spec] of Object.entries(schema)) {
    const value = input[name];
    if (value === undefined || value === null) {
      delete out[name];
      // Top-level required fields are checked after run_uuid stands in for run_id.
      if (prefix && spec.required) throw missing(prefix + name);
      continue;
    }
    if (prefix && spec.required && value === '') throw missing(prefix + name);
    out[name] = readField(prefix + name, spec, value);
  }
  return out;
}

/**
 * Reads an RPC's request as MLflow's `_get_request_message` does: the JSON body, or for GET the
 * query string (repeated keys for repeated fields, `true|false` for booleans), then checks types
 * and the handler's required fields. `run_uuid` stands in for a missing `run_id`. `source`, the
 * body's JSON text, lets a mistyped number be quoted as written (`9.0` is Python's float).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE with MLflow's messages.
 */
export function readRpcRequest(schema: MessageSchema, input: Record<string, unknown>, source?: string): Record<string, unknown> {
  let message: Record<string, unknown>;
  try {
    message = readMessage(schema, input);
  } catch (err) {
    if (!(err instanceof InvalidValueError) || source === undefined) throw err;
    const spelled = spelledValueAt(source, err.path);
    throw spelled === undefined ? err : new MlflowError(invalidMessage(err.path, spelled), 'INVALID_PARAMETER_VALUE');
  }
  if (message['run_id'] === undefined && typeof message['run_uuid'] === 'string') message['run_id'] = message['run_uuid'];
  for (const [name, spec] of Object.entries(schema)) {
    if (!spec.required) continue;
    const value = message[name];
    if (value === undefined || value === '') throw missing(name);
  }
  return message;
}

/** Turns a query string into the JSON object MLflow builds from it for `schema`. */
export function queryToJson(schema: MessageSchema, query: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    if (!query.has(name)) continue;
    if (spec.type === 'string[]' || spec.type === 'object[]') {
      out[name] = query.getAll(name);
      continue;
    }
    const value = query.get(name) ?? '';
    if (spec.type === 'bool') {
      const lower = value.toLowerCase();
      if (lower !== 'true' && lower !== 'false') throw MlflowError.invalidParameter(`Invalid boolean value: ${value}, must be 'true' or 'false'.`);
      out[name] = lower === 'true';
    } else {
      out[name] = value;
    }
  }
  return out;
}
