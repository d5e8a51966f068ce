/**
 * PyYAML's YAML 1.1 implicit typing (yaml/resolver.py) and the SafeConstructor conversions that go
 * with it. The emitter needs the resolver to know when a string must be quoted (a plain `yes` would
 * load back as a bool); the loader needs both to turn plain scalars into values exactly as
 * `yaml.load(..., Loader=CSafeLoader)` does. Both directions must agree, so they live here once.
 */

import { parsePyFloat } from './py-float.js';

/** The implicit tags PyYAML can give a plain scalar (`str` when none matches). */
export type PyYamlImplicitTag = 'bool' | 'float' | 'int' | 'merge' | 'null' | 'timestamp' | 'value' | 'yaml' | 'str';

// Transcribed from PyYAML's Resolver regexes. They are compiled there with re.X, which drops the
// layout whitespace outside character classes; `[ \t]` inside a class keeps its space.
const BOOL_RE = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const FLOAT_RE =
  /^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;
const INT_RE =
  /^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const NULL_RE = /^(?:~|null|Null|NULL|)$/;
const TIMESTAMP_RE =
  /^(?:([0-9]{4})-([0-9]{2})-([0-9]{2})|([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]*))?(?:[ \t]*(Z|([-+])([0-9]{1,2})(?::([0-9]{2}))?))?)$/;

/**
 * The tag PyYAML's resolver gives a plain scalar. PyYAML picks candidate resolvers by the first
 * character; every regex only matches strings starting with one of its listed characters, so
 * trying them all in registration order gives the same answer.
 */
export function resolvePlain(value: string): PyYamlImplicitTag {
  if (value.length === 0) return 'null';
  const c = value.charCodeAt(0);
  // Most strings start with a letter no resolver accepts: only y/n/t/f/o (bools) and n/N (null) can.
  if (((c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a)) && !'yYnNtTfFoO'.includes(value[0] as string)) return 'str';
  if (BOOL_RE.test(value)) return 'bool';
  if ((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e) {
    if (FLOAT_RE.test(value)) return 'float';
    if (INT_RE.test(value)) return 'int';
  }
  if (value === '<<') return 'merge';
  if (NULL_RE.test(value)) return 'null';
  if (c >= 0x30 && c <= 0x39 && TIMESTAMP_RE.test(value)) return 'timestamp';
  if (value === '=') return 'value';
  if (value === '!' || value === '&' || value === '*') return 'yaml';
  return 'str';
}

/** Python's `int(digits, base)` as a JS number (rounded like `float(int)` beyond 2^53). */
function parseIntBase(digits: string, base: 2 | 8 | 10 | 16): number {
  const ok = { 2: /^[01]+$/, 8: /^[0-7]+$/, 10: /^[0-9]+$/, 16: /^[0-9a-fA-F]+$/ }[base];
  if (!ok.test(digits)) throw new Error(`invalid literal for int() with base ${base}: '${digits}'`);
  const prefix = { 2: '0b', 8: '0o', 10: '', 16: '0x' }[base];
  return Number(BigInt(prefix + digits));
}

/** SafeConstructor.construct_yaml_int. */
export function constructInt(text: string): number {
  let value = text.replaceAll('_', '');
  let sign = 1;
  if (value.startsWith('-')) sign = -1;
  if (value.startsWith('-') || value.startsWith('+')) value = value.slice(1);
  if (value === '0') return 0;
  if (value.startsWith('0b')) return sign * parseIntBase(value.slice(2), 2);
  if (value.startsWith('0x')) return sign * parseIntBase(value.slice(2), 16);
  if (value.startsWith('0')) return sign * parseIntBase(value, 8);
  if (value.includes(':')) {
    let total = 0;
    for (const part of value.split(':')) total = total * 60 + parseIntBase(part, 10);
    return sign * total;
  }
  return sign * parseIntBase(value, 10);
}

/** SafeConstructor.construct_yaml_float. */
export function constructFloat(text: string): number {
  let value = text.replaceAll('_', '').toLowerCase();
  let sign = 1;
  if (value.startsWith('-')) sign = -1;
  if (value.startsWith('-') || value.startsWith('+')) value = value.slice(1);
  if (value === '.inf') return sign * Infinity;
  if (value === '.nan') return NaN;
  if (!value.includes(':')) return sign * parsePyFloat(value);
  // Sum in PyYAML's order (least significant first) so the rounding matches.
  let result = 0;
  let base = 1;
  for (const part of value.split(':').reverse()) {
    result += parsePyFloat(part) * base;
    base *= 60;
  }
  return sign * result;
}

/** SafeConstructor.construct_yaml_bool (PyYAML lower-cases the text first). */
export function constructBool(text: string): boolean {
  const v = text.toLowerCase();
  if (v === 'yes' || v === 'true' || v === 'on') return true;
  if (v === 'no' || v === 'false' || v === 'off') return false;
  throw new Error(`invalid YAML bool: '${text}'`);
}

/**
 * SafeConstructor.construct_yaml_timestamp, as a JS `Date` in UTC (PyYAML returns a `date` for
 * date-only values and a naive or aware `datetime` otherwise; naive times are taken as UTC here).
 */
export function constructTimestamp(text: string): Date {
  const m = TIMESTAMP_RE.exec(text);
  if (!m) throw new Error(`invalid YAML timestamp: '${text}'`);
  if (m[1] !== undefined) return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  const ms = Number(((m[10] ?? '') + '000').slice(0, 3));
  let t = Date.UTC(Number(m[4]), Number(m[5]) - 1, Number(m[6]), Number(m[7]), Number(m[8]), Number(m[9]), ms);
  if (m[12] !== undefined) {
    const offset = (Number(m[13]) * 60 + Number(m[14] ?? 0)) * 60_000;
    t += m[12] === '-' ? offset : -offset;
  }
  return new Date(t);
}

/** A plain scalar's value as PyYAML's SafeLoader builds it. */
export function constructPlain(text: string, tag: PyYamlImplicitTag = resolvePlain(text)): unknown {
  switch (tag) {
    case 'null':
      return null;
    case 'bool':
      return constructBool(text);
    case 'int':
      return constructInt(text);
    case 'float':
      return constructFloat(text);
    case 'timestamp':
      return constructTimestamp(text);
    case 'str':
      return text;
    default:
      // `=`, `<<` outside a key position, and `!`/`&`/`*`: SafeConstructor has no constructor.
      throw new Error(`could not determine a constructor for the plain scalar '${text}'`);
  }
}
