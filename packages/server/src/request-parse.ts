import { isWellFormedText, MlflowError, wireDouble, wireInteger } from '@mlstore/core';
import type { FieldSpec, MessageSchema } from './rpc-schemas.js';

const API_DOCS = ' See the API docs for more information about request parameters.';

/** Python's name for a JSON value's type, as MLflow's messages print it. */
function pyType(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    default:
      return 'dict';
  }
}

/** Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))`, close enough for messages. */
function pyJson(value: unknown): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort((v as Record<string, unknown>)[k])])) : v;
  return JSON.stringify(sort(value) ?? null).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function invalid(path: string, value: unknown): MlflowError {
  return MlflowError.invalidParameter(`Invalid value ${pyJson(value)} for parameter '${path}' supplied:  Hint: Value was of type '${pyType(value)}'.${API_DOCS}`);
}

/** A string JSON can carry (`"\\ud800"`) but no store can encode: refused for every field at once. */
function notUnicode(path: string, value: unknown): MlflowError {
  return MlflowError.invalidParameter(`Invalid value ${pyJson(value)} for parameter '${path}' supplied: it holds a lone UTF-16 surrogate, which is not valid Unicode.${API_DOCS}`);
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
      if (n === undefined) throw invalid(path, value);
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
 * and the handler's required fields. `run_uuid` stands in for a missing `run_id`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE with MLflow's messages.
 */
export function readRpcRequest(schema: MessageSchema, input: Record<string, unknown>): Record<string, unknown> {
  const message = readMessage(schema, input);
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
