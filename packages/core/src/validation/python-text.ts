/**
 * Python's text semantics where MLflow's messages and checks depend on them: `str.isspace`/`strip`,
 * `len` (code points), `repr(str)`, `\w`/`\d` of Unicode regexes and `int(str)`. Node's Unicode
 * tables are newer than Python 3.11's (14.0), so characters assigned since then may differ.
 */

/** Python's `\w` on `str` (`str.isalnum()` or `_`) as a regex class body; combining marks are not in it. */
export const PY_WORD_CLASS = '\\p{L}\\p{N}_';

/** Code points `str.isspace()` is true for (bidi WS/B/S or category Zs). */
const PY_SPACE =
  /[\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const PY_SPACE_RUN_START = new RegExp(`^(?:${PY_SPACE.source})+`, 'u');
const PY_SPACE_RUN_END = new RegExp(`(?:${PY_SPACE.source})+$`, 'u');

/** Python's `str.strip()` with no argument (its whitespace set differs from `String#trim`). */
export function pyStrip(text: string): string {
  return text.replace(PY_SPACE_RUN_START, '').replace(PY_SPACE_RUN_END, '');
}

/** Python's `len(str)`: code points, so an astral character counts once. */
export function pyLen(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n--;
        i++;
      }
    }
  }
  return n;
}

// `str.isprintable()` is false for Cc, Cf, Cs, Co, Cn, Zl, Zp and Zs other than the space.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;

function hex(cp: number, width: number): string {
  return cp.toString(16).padStart(width, '0');
}

/** Python's `repr(str)`: single quotes unless the text holds `'` and no `"`; escapes as CPython does. */
export function pyStrRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const cp = ch.codePointAt(0) as number;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\t') out += '\\t';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x7f || ch === ' ' || !NOT_PRINTABLE.test(ch)) out += ch;
    else if (cp < 0x100) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out + quote;
}

/**
 * `JSON.stringify` with Python's `json.dumps` default `ensure_ascii=True`: every UTF-16 unit outside
 * printable ASCII becomes `\uXXXX` (an astral character as its surrogate pair), as MLflow's
 * `invalid_value` prints values.
 */
export function jsonDumpsAscii(json: string): string {
  return json.replace(/[\u007f-\uffff]/g, (c) => `\\u${hex(c.charCodeAt(0), 4)}`);
}

// `int()` strips ASCII whitespace (\t\n\v\f\r and space) and the non-ASCII `isspace()` characters;
// \x1c-\x1f are spaces for `str.strip` but not for `int` (CPython keeps ASCII as is before parsing).
const INT_SPACE = '[\\t\\n\\v\\f\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';
const PY_INT = new RegExp(`^${INT_SPACE}*([+-]?)(\\p{Nd}(?:_?\\p{Nd})*)${INT_SPACE}*$`, 'u');
const DECIMAL_DIGIT = /\p{Nd}/u;

/** The value of a Unicode decimal digit: Nd characters come in contiguous runs of 0–9. */
function digitValue(cp: number): number {
  let start = cp;
  while (DECIMAL_DIGIT.test(String.fromCodePoint(start - 1))) start--;
  return (cp - start) % 10;
}

/**
 * Python's `int(text)` in base 10: surrounding whitespace, a sign, leading zeros, single
 * underscores between digits and any Unicode decimal digits (`１２`, `٣`) are accepted.
 * Returns the ASCII digits with their sign (`"-10"`), or undefined when Python raises ValueError.
 */
export function pyIntDigits(text: string): string | undefined {
  const m = PY_INT.exec(text);
  if (!m) return undefined;
  let digits = '';
  for (const ch of (m[2] as string).replaceAll('_', '')) {
    const cp = ch.codePointAt(0) as number;
    digits += cp <= 0x39 ? ch : String(digitValue(cp));
  }
  const trimmed = digits.replace(/^0+(?=\d)/, '');
  return m[1] === '-' && trimmed !== '0' ? `-${trimmed}` : trimmed;
}
