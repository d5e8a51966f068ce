/**
 * Serialises a response or request the way MLflow's `message_to_json` does: int64 values as JSON
 * numbers, non-finite doubles as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`, and unset
 * (`undefined`/`null`) fields and empty repeated fields left out.
 */
export function toWireJson(value: unknown): string {
  return JSON.stringify(value, wireReplacer);
}

function wireReplacer(_key: string, value: unknown): unknown {
  switch (typeof value) {
    case 'number':
      if (Number.isFinite(value)) return value;
      return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
    case 'object':
      if (value === null) return undefined;
      if (Array.isArray(value) && value.length === 0) return undefined;
      return value;
    default:
      return value;
  }
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
