import { MlflowError } from '../errors.js';
import { pyFloatRepr } from './wire-json.js';

/**
 * An OpenTelemetry `AnyValue` as proto JSON (snake_case, as MLflow's `message_to_json` writes it).
 * 64-bit integers are kept as decimal text so nothing is rounded.
 */
export type AnyValue =
  | { string_value: string }
  | { bool_value: boolean }
  | { int_value: string }
  | { double_value: number }
  | { bytes_value: string }
  | { array_value: { values: AnyValue[] } }
  | { kvlist_value: { values: { key: string; value: AnyValue }[] } }
  | Record<string, never>;

/**
 * The `AnyValue` of a span attribute as MLflow stores it (a JSON text, `dump_span_attribute_value`):
 * what `Span.to_otel_proto` sends (`_set_otel_proto_anyvalue(json.loads(text))`). Numbers with a
 * fraction or exponent are doubles, others integers, as Python's `json.loads` reads them. Text that
 * is not JSON is sent as a string.
 */
export function anyValueOfJsonText(text: string): AnyValue {
  const parser = new JsonReader(text);
  try {
    const value = parser.value();
    parser.end();
    return value;
  } catch {
    return { string_value: text };
  }
}

/**
 * The JSON text MLflow stores for a decoded `AnyValue` (`dump_span_attribute_value`, i.e.
 * `json.dumps(value, ensure_ascii=False)`): `", "` and `": "` separators, floats as Python spells
 * them, an unset value as `null`.
 */
export function jsonTextOfAnyValue(value: unknown): string {
  const v = (value ?? {}) as Record<string, unknown>;
  const pick = (camel: string, snake: string): unknown => (snake in v ? v[snake] : v[camel]);
  const s = pick('stringValue', 'string_value');
  if (s !== undefined) return pyString(String(s));
  const b = pick('boolValue', 'bool_value');
  if (b !== undefined) return b === true || b === 'true' ? 'true' : 'false';
  const i = pick('intValue', 'int_value');
  if (i !== undefined) return integerText(i);
  const d = pick('doubleValue', 'double_value');
  if (d !== undefined) return pyFloatRepr(typeof d === 'number' ? d : Number(d));
  const bytes = pick('bytesValue', 'bytes_value');
  // Python's json.dumps cannot write bytes; MLflow's TraceJSONEncoder falls back to str(), i.e. b'…'.
  if (bytes !== undefined) return pyString(pyBytesRepr(Buffer.from(String(bytes), 'base64')));
  const arr = pick('arrayValue', 'array_value') as { values?: unknown[] } | undefined;
  if (arr !== undefined) return `[${(arr?.values ?? []).map(jsonTextOfAnyValue).join(', ')}]`;
  const kv = pick('kvlistValue', 'kvlist_value') as { values?: { key?: string; value?: unknown }[] } | undefined;
  if (kv !== undefined) return `{${(kv?.values ?? []).map((e) => `${pyString(e.key ?? '')}: ${jsonTextOfAnyValue(e.value)}`).join(', ')}}`;
  return 'null';
}

/** Python's `repr(bytes)`: `b'…'` (`b"…"` when only a single quote occurs), `\xNN` outside printable ASCII. */
function pyBytesRepr(bytes: Uint8Array): string {
  const quote = bytes.includes(0x27) && !bytes.includes(0x22) ? '"' : "'";
  let out = '';
  for (const b of bytes) {
    const c = String.fromCharCode(b);
    if (c === quote || c === '\\') out += `\\${c}`;
    else if (c === '\t') out += '\\t';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (b < 0x20 || b >= 0x7f) out += `\\x${b.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return `b${quote}${out}${quote}`;
}

function integerText(value: unknown): string {
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value).toString();
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return BigInt(value.trim()).toString();
  throw MlflowError.invalidParameter(`Invalid int_value ${JSON.stringify(value)}`);
}

/** `json.dumps(s, ensure_ascii=False)`: only quotes, backslashes and control characters escaped. */
function pyString(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${s.replace(/[\\"\u0000-\u001f]/g, (c) => {
    switch (c) {
      case '"':
        return '\\"';
      case '\\':
        return '\\\\';
      case '\n':
        return '\\n';
      case '\r':
        return '\\r';
      case '\t':
        return '\\t';
      case '\b':
        return '\\b';
      case '\f':
        return '\\f';
      default:
        return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
    }
  })}"`;
}

/** A small JSON reader that builds `AnyValue`s directly, keeping integer text and the int/float distinction. */
class JsonReader {
  private i = 0;
  constructor(private readonly text: string) {}

  end(): void {
    this.ws();
    if (this.i !== this.text.length) throw new Error('trailing text');
  }

  value(): AnyValue {
    this.ws();
    const c = this.text[this.i];
    if (c === '{') return this.object();
    if (c === '[') return this.array();
    if (c === '"') return { string_value: this.string() };
    if (this.text.startsWith('true', this.i)) return (this.i += 4), { bool_value: true };
    if (this.text.startsWith('false', this.i)) return (this.i += 5), { bool_value: false };
    if (this.text.startsWith('null', this.i)) return (this.i += 4), {};
    if (this.text.startsWith('NaN', this.i)) return (this.i += 3), { double_value: Number.NaN };
    if (this.text.startsWith('Infinity', this.i)) return (this.i += 8), { double_value: Number.POSITIVE_INFINITY };
    if (this.text.startsWith('-Infinity', this.i)) return (this.i += 9), { double_value: Number.NEGATIVE_INFINITY };
    const m = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.i));
    if (!m) throw new Error('bad value');
    this.i += m[0].length;
    return m[1] || m[2] ? { double_value: Number(m[0]) } : { int_value: BigInt(m[0]).toString() };
  }

  private object(): AnyValue {
    this.i++;
    const values: { key: string; value: AnyValue }[] = [];
    this.ws();
    if (this.text[this.i] === '}') return this.i++, { kvlist_value: { values } };
    for (;;) {
      this.ws();
      const key = this.string();
      this.ws();
      if (this.text[this.i++] !== ':') throw new Error('expected :');
      values.push({ key, value: this.value() });
      this.ws();
      const c = this.text[this.i++];
      if (c === '}') return { kvlist_value: { values } };
      if (c !== ',') throw new Error('expected ,');
    }
  }

  private array(): AnyValue {
    this.i++;
    const values: AnyValue[] = [];
    this.ws();
    if (this.text[this.i] === ']') return this.i++, { array_value: { values } };
    for (;;) {
      values.push(this.value());
      this.ws();
      const c = this.text[this.i++];
      if (c === ']') return { array_value: { values } };
      if (c !== ',') throw new Error('expected ,');
    }
  }

  private string(): string {
    if (this.text[this.i] !== '"') throw new Error('expected string');
    const m = /^"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/.exec(this.text.slice(this.i));
    if (!m) throw new Error('bad string');
    this.i += m[0].length;
    return JSON.parse(m[0]) as string;
  }

  private ws(): void {
    while (this.i < this.text.length && ' \t\n\r'.includes(this.text[this.i]!)) this.i++;
  }
}
