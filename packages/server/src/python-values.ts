import { pyFloatRepr } from '@mlstore/core';

/**
 * A JSON number as written in the request (`9.0`, `1e5`, `12345678901234567890`): Python's
 * `json.loads` reads `9.0` as a float and `9` as an int, and MLflow's messages print which, so the
 * spelling matters where JavaScript's numbers lose it.
 */
export class JsonNumberText {
  constructor(readonly text: string) {}

  /** Python reads a number with a fraction or an exponent (or NaN/Infinity) as a float. */
  get isFloat(): boolean {
    return /[.eEIN]/.test(this.text);
  }

  /** `json.dumps` of what Python read: the exact int, or the float's repr (`1e5` → `100000.0`). */
  toPython(): string {
    return this.isFloat ? pyFloatRepr(Number(this.text)) : BigInt(this.text).toString();
  }
}

// Strings first, so that digits and literals inside them stay text.
const TOKENS = /"(?:[^"\\]|\\.)*"|-?(?:Infinity|\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|NaN/g;
const MARK = `mlstore-number-${Math.random().toString(36).slice(2)}:`;

/**
 * Parses JSON text (with Python's `NaN`/`Infinity` literals) keeping every number as a
 * {@link JsonNumberText}; a JSON string holding JSON (old clients double-encode) is parsed once
 * more. Slow on purpose: only error messages use it, never the request path. Node 20 has no
 * reviver `context.source`, so numbers are swapped for marked strings before parsing.
 *
 * @throws SyntaxError when the text is not JSON.
 */
export function parseKeepingNumberText(text: string): unknown {
  const marked = text.replace(TOKENS, (m) => (m.startsWith('"') ? m : `"\\u0000${MARK}${m}"`));
  const value: unknown = JSON.parse(marked, (_key, v: unknown) =>
    typeof v === 'string' && v.charCodeAt(0) === 0 && v.startsWith(MARK, 1) ? new JsonNumberText(v.slice(MARK.length + 1)) : v,
  );
  return typeof value === 'string' ? parseKeepingNumberText(value) : value;
}

/** Python's name for a JSON value's type, as MLflow's messages print it. */
export function pyTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  if (value instanceof JsonNumberText) return value.isFloat ? 'float' : 'int';
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

/** Python's `json.dumps(value, sort_keys=True, separators=(",", ":"))` (ASCII-escaped), for messages. */
export function pyJsonDumps(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (value instanceof JsonNumberText) return value.toPython();
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(',')}]`;
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    case 'number':
      return Number.isInteger(value) ? String(value) : pyFloatRepr(value);
    case 'object': {
      const obj = value as Record<string, unknown>;
      return `{${Object.keys(obj)
        .sort()
        .map((k) => `${pyJsonDumps(k)}:${pyJsonDumps(obj[k])}`)
        .join(',')}}`;
    }
    default:
      return JSON.stringify(value) ?? 'null';
  }
}
