/**
 * The fast path of parseMetaYaml: a line parser for the meta.yaml shape MLflow writes (one
 * `key: value` per line, values plain / single-quoted / `{}` / `[]`, plus one level of 2-space
 * indented mapping). The store reads tens of thousands of these per search, and building a YAML
 * AST for each costs far more than the I/O. Anything it is not certain about returns `undefined`
 * so the caller falls back to the full parser; it never guesses.
 */

import { analyzeScalar } from './py-yaml-scalar.js';
import { constructPlain, resolvePlain } from './py-yaml-resolve.js';

// Characters whose handling differs between YAML readers or needs the full parser: C0/C1 controls
// other than LF (tabs, CR of CRLF files), NEL/LS/PS (line breaks to YAML 1.1 only), BOM,
// non-characters, and lone surrogates.
const NEEDS_FULL_PARSER = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff]/;
const SURROGATE = /[\ud800-\udfff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Plain text that is certainly written plain: no leading indicator, no `: `/trailing `:`, no `#`,
// no quotes or flow characters, no blanks at either end. Checked before the full analysis because
// nearly every value MLflow writes (ids, URIs, stages, names) matches it.
const OBVIOUSLY_PLAIN = /^[A-Za-z0-9_/](?:[A-Za-z0-9_./+=%@ -]|:(?=[^ ]))*(?<! )$/;

/** Assigns like a Python dict (later duplicates win) without tripping `__proto__`'s setter. */
export function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

/** Reads a one-line single-quoted scalar starting at `start`; undefined when it does not close. */
function readSingleQuoted(line: string, start: number): { value: string; end: number } | undefined {
  let value = '';
  let i = start + 1;
  for (;;) {
    const q = line.indexOf("'", i);
    if (q < 0) return undefined;
    value += line.slice(i, q);
    if (line.charCodeAt(q + 1) !== 0x27) return { value, end: q + 1 };
    value += "'";
    i = q + 2;
  }
}

/** True when `text`, written plain, is read back as exactly that string by any YAML reader. */
function isSafePlain(text: string): boolean {
  if (OBVIOUSLY_PLAIN.test(text)) return true;
  const a = analyzeScalar(text);
  return text.length > 0 && a.blockPlainAllowed && !a.multiline;
}

const EMPTY = Symbol('empty value');

/** Parses `key: value` from `line[start..]`; undefined when the line is not in the simple shape. */
function parseEntry(line: string, start: number): [string, unknown] | undefined {
  let key: string;
  let rest: number; // index of the ':' after the key
  if (line.charCodeAt(start) === 0x27) {
    const quoted = readSingleQuoted(line, start);
    if (!quoted) return undefined;
    key = quoted.value;
    rest = quoted.end;
    if (line.charCodeAt(rest) !== 0x3a) return undefined;
  } else {
    const sep = line.indexOf(': ', start);
    rest = sep >= 0 ? sep : line.length - 1;
    if (line.charCodeAt(rest) !== 0x3a) return undefined;
    key = line.slice(start, rest);
    // Keys that resolve to something else (`1`, `null`, `<<` merge, `=`) go to the full parser.
    if (!isSafePlain(key) || resolvePlain(key) !== 'str') return undefined;
  }
  if (rest + 1 === line.length) return [key, EMPTY];
  if (line.charCodeAt(rest + 1) !== 0x20) return undefined;
  const valueText = line.slice(rest + 2);
  if (valueText === '{}') return [key, {}];
  if (valueText === '[]') return [key, []];
  if (valueText.charCodeAt(0) === 0x27) {
    const quoted = readSingleQuoted(valueText, 0);
    return quoted && quoted.end === valueText.length ? [key, quoted.value] : undefined;
  }
  if (!isSafePlain(valueText)) return undefined;
  return [key, constructPlain(valueText)];
}

/**
 * Parses the common meta.yaml shape. Returns the mapping, `null` for an empty document, or
 * `undefined` when the text needs the full parser.
 */
export function fastParseMetaYaml(text: string): Record<string, unknown> | null | undefined {
  if (NEEDS_FULL_PARSER.test(text) || (SURROGATE.test(text) && LONE_SURROGATE.test(text))) return undefined;
  const lines = text.split('\n');
  // Only trailing empty lines are harmless; elsewhere they may belong to a folded scalar.
  let count = lines.length;
  while (count > 0 && lines[count - 1] === '') count--;
  if (count === 0) return null;
  const result: Record<string, unknown> = {};
  let nested: Record<string, unknown> | undefined; // the open `key:` block mapping
  let openKey: string | undefined; // a top-level key whose value is still empty
  for (let n = 0; n < count; n++) {
    const line = lines[n] as string;
    if (line.startsWith('  ')) {
      if (openKey === undefined || line.charCodeAt(2) === 0x20) return undefined;
      const entry = parseEntry(line, 2);
      if (!entry) return undefined;
      if (nested === undefined) {
        nested = {};
        setEntry(result, openKey, nested);
      }
      setEntry(nested, entry[0], entry[1] === EMPTY ? null : entry[1]);
      continue;
    }
    const entry = parseEntry(line, 0);
    if (!entry) return undefined;
    nested = undefined;
    openKey = entry[1] === EMPTY ? entry[0] : undefined;
    setEntry(result, entry[0], entry[1] === EMPTY ? null : entry[1]);
  }
  return result;
}
