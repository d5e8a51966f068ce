/**
 * Serialises a response or request the way MLflow's `message_to_json` does: int64 values as JSON
 * numbers, non-finite doubles as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, unset
 * (`undefined`/`null`) fields and empty repeated fields left out, and finite doubles spelled as
 * Python prints floats (`1.0`, `1e-05`, `1e+16`): the numbers under the keys of double fields
 * (see `DOUBLE_KEYS`) are the ones spelled as floats.
 */
export function toWireJson(value: unknown): string {
  spelled = false;
  const text = JSON.stringify(value, wireReplacer);
  return spelled ? text.replace(FLOAT_TOKEN, '$1') : text;
}

// JSON.stringify cannot write raw number text on Node 20 (no JSON.rawJSON), so a float whose
// Python spelling differs from JavaScript's is written as a marked string and unquoted after.
// The marker is NUL-led and random per process: no client string can be mistaken for it.
const FLOAT_MARK = `mlstore-float-${Math.random().toString(36).slice(2)}:`;
// What JSON.stringify writes for `"\u0000" + FLOAT_MARK + spelling`: NUL as the 6 characters \u0000.
const FLOAT_TOKEN = new RegExp(`"\\\\u0000${FLOAT_MARK}([^"]*)"`, 'g');
let spelled = false;

/**
 * Keys whose numbers are doubles in MLflow's messages: a metric's `value`, the NPMI scores of a
 * filter correlation, and the aggregation labels of a trace-metrics data point's `values` map
 * (`COUNT`, `SUM`, `AVG`, `MIN`, `MAX`, `P<percentile>`), the only upper-case keys of the wire.
 */
const DOUBLE_KEYS = new Set(['value', 'npmi', 'npmi_smoothed', 'COUNT', 'SUM', 'AVG', 'MIN', 'MAX']);
const INTEGER_TEXT = /^-?\d+$/;
const isDoubleKey = (key: string) => DOUBLE_KEYS.has(key) || (key.charCodeAt(0) === 80 /* P */ && /^P\d/.test(key));

function wireReplacer(key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
      // Only integers and magnitudes outside [1e-4, 1e16) are spelled differently by Python.
      if (isDoubleKey(key) && (Number.isInteger(value) || Math.abs(value) < 1e-4 || Math.abs(value) >= 1e16)) {
        spelled = true;
        return `\u0000${FLOAT_MARK}${pyFloatRepr(value)}`;
      }
      return value;
    case 'string':
      // An OTLP AnyValue's int64 is kept as decimal text (exact); MLflow writes it as a JSON number.
      if (key === 'int_value' && INTEGER_TEXT.test(value)) {
        spelled = true;
        return `\u0000${FLOAT_MARK}${value}`;
      }
      return value;
    case 'object':
      if (value === null) return undefined;
      if (Array.isArray(value) && value.length === 0) return undefined;
      return value;
    default:
      return value;
  }
}

/**
 * Python's `repr(float)`: the shortest digits that read back as the same double (as JavaScript's),
 * in fixed notation with at least one fractional digit for exponents -4..15 (`100000.0`, `0.0001`),
 * else scientific with a signed two-digit exponent (`1e-05`, `1.5e+16`); `NaN`, `Infinity`,
 * `-Infinity` as `json.dumps` writes them.
 */
export function pyFloatRepr(value: number): string {
  if (Number.isInteger(value) && value < 1e16 && value > -1e16) return Object.is(value, -0) ? '-0.0' : `${value}.0`;
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? 'Infinity' : '-Infinity';
  const [mantissa, expText] = value.toExponential().split('e') as [string, string];
  const exp = Number(expText);
  const sign = value < 0 ? '-' : '';
  const digits = mantissa.replace('-', '').replace('.', '');
  if (exp < -4 || exp >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  return `${sign}${digits.slice(0, exp + 1).padEnd(exp + 1, '0')}.${digits.slice(exp + 1) || '0'}`;
}

/**
 * A JSON double as MLflow's protobuf parser reads it: numbers, `"NaN"`, `"Infinity"`,
 * `"-Infinity"` and numeric strings. Anything else is `NaN`-free `undefined`.
 */
export function wireDouble(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return undefined;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity' || value === 'inf') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity' || value === '-inf') return Number.NEGATIVE_INFINITY;
  if (value.trim() === '') return undefined;
  const n = Number(value);
  return Number.isNaN(n) ? undefined : n;
}

/** A JSON integer (int32/int64): a number without fraction or a decimal string of one. */
export function wireInteger(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value);
  return undefined;
}
