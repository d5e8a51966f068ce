/**
 * Python's float text forms. MLflow writes metric values with `str(float)` and reads them back with
 * `float(text)`, so the mlruns files only round-trip byte for byte when we use the same spelling.
 */

/**
 * Python's `repr(x)` / `str(x)` for a float (they are identical since Python 3.2).
 *
 * Digits are the shortest that round-trip, which is also what JavaScript produces, so only the
 * layout differs: fixed notation while the decimal exponent is in [-4, 16), scientific otherwise
 * (`1e+16`, `1.5e-05`: a sign and at least two exponent digits), a `.0` on integral fixed values,
 * and `nan` / `inf` / `-inf`. Never throws.
 */
export function pyFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  // toExponential() without an argument yields the shortest round-trip digits, "d.ddde±X".
  const expForm = Math.abs(x).toExponential();
  const ePos = expForm.indexOf('e');
  const digits = expForm.slice(0, ePos).replace('.', '');
  const exp = Number(expForm.slice(ePos + 1));
  if (exp < -4 || exp >= 16) {
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const absExp = String(Math.abs(exp)).padStart(2, '0');
    return `${sign}${mantissa}e${exp < 0 ? '-' : '+'}${absExp}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const intLen = exp + 1;
  if (digits.length <= intLen) return `${sign}${digits}${'0'.repeat(intLen - digits.length)}.0`;
  return `${sign}${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
}

// Python's float() grammar (PEP 515): underscores only singly between digits, in the integer,
// fraction and exponent digit groups alike.
const DIGITS = String.raw`\d(?:_?\d)*`;
const DECIMAL_RE = new RegExp(String.raw`^[+-]?(?:${DIGITS}(?:\.(?:${DIGITS})?)?|\.${DIGITS})(?:[eE][+-]?${DIGITS})?$`);
const SPECIAL_RE = /^([+-]?)(inf|infinity|nan)$/i;
// What float() strips: ASCII whitespace, plus non-ASCII characters with str.isspace(), which CPython
// first maps to spaces. (U+001C..U+001F are isspace() but are not stripped; JS trim() differs too.)
const PY_SPACE = '\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const STRIP_RE = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, 'g');

/**
 * Python's `float(s)` for the spellings that can appear in metric files: decimal and scientific
 * forms with an optional sign, PEP 515 underscores between digits, `inf` / `infinity` / `nan` in
 * any case with an optional sign, surrounded by Python whitespace. The result is correctly rounded
 * (JavaScript's `Number()` and CPython both round to nearest), so `parsePyFloat(pyFloatRepr(x))`
 * is bit-identical to `x`.
 *
 * @throws Error when Python would raise `ValueError` (and for non-ASCII digits, which Python accepts
 *   but no MLflow writer produces).
 */
export function parsePyFloat(s: string): number {
  const t = s.replace(STRIP_RE, '');
  if (DECIMAL_RE.test(t)) return Number(t.replaceAll('_', ''));
  const special = SPECIAL_RE.exec(t);
  if (special) {
    if (special[2]?.toLowerCase() === 'nan') return NaN;
    return special[1] === '-' ? -Infinity : Infinity;
  }
  throw new Error(`could not convert string to float: ${JSON.stringify(s)}`);
}
