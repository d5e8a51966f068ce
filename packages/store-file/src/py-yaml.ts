/**
 * Byte-exact `meta.yaml` writing and PyYAML-compatible reading for the mlruns FileStore.
 *
 * MLflow writes every meta.yaml with
 * `yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True, Dumper=yaml.CSafeDumper)`
 * (mlflow/utils/yaml_utils.py), i.e. PyYAML's SafeRepresenter and resolver in front of libyaml's
 * emitter. Stores written by MLflow and by us must be interchangeable and diff-clean, so the dump
 * reproduces those bytes exactly for the value shapes MLflow stores.
 */

import { MlflowError } from '@mlstore/core';
import { pyFloatRepr } from './py-float.js';
import { fastParseMetaYaml } from './py-yaml-fast.js';
import { fallbackParseMetaYaml } from './py-yaml-fallback.js';
import { YamlWriter, analyzeScalar, chooseStringStyle } from './py-yaml-scalar.js';

/** A scalar meta.yaml value. Integral numbers are written as Python ints, others as Python floats. */
export type PyYamlScalar = string | number | boolean | null;

/**
 * A top-level meta.yaml value: a scalar, a one-level mapping (MLflow's `tags`, possibly `{}`), or
 * the empty list MLflow writes for run `tags`.
 */
export type PyYamlValue = PyYamlScalar | Readonly<Record<string, PyYamlScalar>> | readonly never[];

/**
 * Orders strings by code point, as Python's `sorted()` does; JavaScript's default sort compares
 * UTF-16 code units, which puts astral characters before U+E000..U+FFFF.
 */
export function comparePyStr(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // Lift surrogates above the rest of the BMP; the first differing unit then decides.
    if (x >= 0xd800) x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
    if (y >= 0xd800) y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    return x - y;
  }
  return a.length - b.length;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** The text SafeRepresenter gives a non-string scalar; all of these are written plain. */
function representNonString(value: number | boolean | null | bigint): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (Number.isInteger(value)) return BigInt(value).toString();
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  const text = pyFloatRepr(value);
  // represent_float keeps a float-looking exponent form ("1.0e+16") so it resolves back to float.
  return !text.includes('.') && text.includes('e') ? text.replace('e', '.0e') : text;
}

function writeScalar(w: YamlWriter, value: unknown, simpleKey: boolean, path: string): void {
  const saved = w.indent;
  w.indent = saved + 2; // libyaml's increase_indent(flow) for every scalar: continuation lines
  if (typeof value === 'string') {
    if (LONE_SURROGATE.test(value)) {
      throw MlflowError.invalidParameter(`Invalid value at ${path}: a lone UTF-16 surrogate cannot be written as UTF-8 (Python cannot encode it either).`);
    }
    const style = chooseStringStyle(value, analyzeScalar(value), simpleKey);
    if (style === 'plain') w.writePlain(value, !simpleKey);
    else if (style === 'single') w.writeSingleQuoted(value, !simpleKey);
    else w.writeDoubleQuoted(value, !simpleKey);
  } else if (value === null || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') {
    w.writePlain(representNonString(value), !simpleKey);
  } else {
    throw new TypeError(`pyYamlDump: unsupported value at ${path}: ${typeof value}`);
  }
  w.indent = saved;
}

/** libyaml's block-mapping key/value states for one mapping whose indent is already set. */
function writeBlockMapping(w: YamlWriter, map: Readonly<Record<string, unknown>>, depth: number, path: string): void {
  for (const key of Object.keys(map).sort(comparePyStr)) {
    const value = map[key];
    w.writeIndent();
    const analysis = analyzeScalar(key);
    // check_simple_key: single line and at most 128 UTF-8 bytes, else an explicit `? key` entry.
    if (!analysis.multiline && Buffer.byteLength(key, 'utf8') <= 128) {
      writeScalar(w, key, true, path);
      w.writeIndicator(':', false, false, false);
    } else {
      w.writeIndicator('?', true, false, true);
      writeScalar(w, key, false, path);
      w.writeIndent();
      w.writeIndicator(':', true, false, true);
    }
    writeValue(w, value, depth, `${path}.${key}`);
  }
}

function writeValue(w: YamlWriter, value: unknown, depth: number, path: string): void {
  if (Array.isArray(value)) {
    if (value.length > 0) throw new TypeError(`pyYamlDump: only empty lists are supported (at ${path})`);
    w.writeIndicator('[', true, true, false);
    w.writeIndicator(']', false, false, false);
  } else if (typeof value === 'object' && value !== null) {
    if (depth > 0) throw new TypeError(`pyYamlDump: mappings nest one level only (at ${path})`);
    if (Object.keys(value).length === 0) {
      w.writeIndicator('{', true, true, false);
      w.writeIndicator('}', false, false, false);
      return;
    }
    const saved = w.indent;
    w.indent = saved + 2;
    writeBlockMapping(w, value as Record<string, unknown>, depth + 1, path);
    w.indent = saved;
  } else {
    writeScalar(w, value, false, path);
  }
}

/**
 * Serializes a meta.yaml mapping exactly as MLflow does (`yaml.dump(..., default_flow_style=False,
 * allow_unicode=True, sort_keys=True, Dumper=yaml.CSafeDumper)`): keys sorted by code point, block
 * style, `{}` / `[]` for empty collections, and each string in the style, quoting, escaping and
 * 80-column line folding libyaml would choose.
 *
 * @throws TypeError for values outside {@link PyYamlValue} (non-empty lists, deeper nesting,
 *   `undefined`, functions, …) and for strings with lone UTF-16 surrogates, which Python cannot
 *   encode either (MLflow fails to write them).
 */
export function pyYamlDump(data: Readonly<Record<string, PyYamlValue>>): string {
  const w = new YamlWriter();
  if (Object.keys(data).length === 0) return '{}\n';
  w.indent = 0;
  writeBlockMapping(w, data, 0, '$');
  w.indent = -1;
  w.writeIndent(); // document end: the final line break
  return w.out;
}

/**
 * Reads a meta.yaml and returns what `yaml.load(text, Loader=yaml.CSafeLoader)` returns: ints and
 * floats as numbers (ints beyond 2^53 lose precision), `null`, booleans, strings, nested mappings,
 * lists, and `Date` for YAML 1.1 timestamps. Non-string keys are converted to the text Python's
 * `str()` gives them. Files in the shape MLflow writes are read by a small line parser; anything
 * else (folded lines, double quotes, block scalars, anchors, comments, CRLF…) goes through the
 * `yaml` package with PyYAML's YAML 1.1 typing applied on top.
 *
 * Known differences from CSafeLoader, all in hand-written files no PyYAML emitter produces: quoted
 * continuation lines at column 0 and `!!set` / `!!omap` / `!!pairs` are rejected, and raw NEL/LS/PS
 * inside block scalars read as LF.
 *
 * @returns `null` for an empty document (PyYAML returns `None`).
 * @throws Error for malformed YAML, more than one document, tags SafeLoader cannot construct, or a
 *   top-level value that is not a mapping (PyYAML would return it; no meta.yaml holds one).
 */
export function parseMetaYaml(text: string): Record<string, unknown> | null {
  const fast = fastParseMetaYaml(text);
  return fast === undefined ? fallbackParseMetaYaml(text) : fast;
}
