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
 * A number written as a Python `float` even when integral (`1.0`, `1.0e+16`): protobuf `Value`
 * numbers (assessment values) are doubles, so MLflow's YAML holds them as floats.
 */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** Any value MLflow's YAML files hold: scalars, floats, nested mappings and lists. */
export type PyYamlNode = PyYamlScalar | PyFloat | readonly PyYamlNode[] | { readonly [key: string]: PyYamlNode };

/**
 * A top-level meta.yaml value: a scalar, a mapping (MLflow's `tags`, possibly `{}`), or a list
 * (the empty one MLflow writes for run `tags`); trace and assessment files nest further.
 */
export type PyYamlValue = PyYamlNode;

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

/** SafeRepresenter's `represent_float`: Python's repr, with a float-looking exponent form ("1.0e+16"). */
function representFloat(value: number): string {
  if (Number.isNaN(value)) return '.nan';
  if (value === Infinity) return '.inf';
  if (value === -Infinity) return '-.inf';
  const text = pyFloatRepr(value);
  return !text.includes('.') && text.includes('e') ? text.replace('e', '.0e') : text;
}

/** The text SafeRepresenter gives a non-string scalar; all of these are written plain. */
function representNonString(value: number | boolean | null | bigint | PyFloat): string {
  if (value === null) return 'null';
  if (value instanceof PyFloat) return representFloat(value.value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (Number.isInteger(value)) return BigInt(value).toString();
  return representFloat(value);
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
  } else if (value === null || value instanceof PyFloat || typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') {
    w.writePlain(representNonString(value), !simpleKey);
  } else {
    throw new TypeError(`pyYamlDump: unsupported value at ${path}: ${typeof value}`);
  }
  w.indent = saved;
}

/**
 * libyaml's block-mapping states for one mapping (yaml_emitter_emit_block_mapping_key/value):
 * `increase_indent(0, 0)`, then per key an indent, the key (simple, or an explicit `? key` entry)
 * and its value.
 */
function writeBlockMapping(w: YamlWriter, map: Readonly<Record<string, unknown>>, path: string): void {
  const saved = w.indent;
  w.indent = saved < 0 ? 0 : saved + 2;
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
    writeNode(w, value, true, `${path}.${key}`);
  }
  w.indent = saved;
}

/**
 * libyaml's block-sequence states: a sequence that is a mapping value right after its key is
 * "indentless" (`- item` at the key's column, as PyYAML writes it), any other one is indented.
 */
function writeBlockSequence(w: YamlWriter, items: readonly unknown[], mappingContext: boolean, path: string): void {
  const saved = w.indent;
  const indentless = mappingContext && !w.indention;
  w.indent = saved < 0 ? 0 : indentless ? saved : saved + 2;
  items.forEach((item, i) => {
    w.writeIndent();
    w.writeIndicator('-', true, false, true);
    writeNode(w, item, false, `${path}[${i}]`);
  });
  w.indent = saved;
}

/** One node in block context; empty collections are written in flow style (`{}`, `[]`). */
function writeNode(w: YamlWriter, value: unknown, mappingContext: boolean, path: string): void {
  if (Array.isArray(value)) {
    if (value.length > 0) return writeBlockSequence(w, value, mappingContext, path);
    w.writeIndicator('[', true, true, false);
    w.writeIndicator(']', false, false, false);
  } else if (typeof value === 'object' && value !== null && !(value instanceof PyFloat)) {
    if (Object.keys(value).length > 0) return writeBlockMapping(w, value as Record<string, unknown>, path);
    w.writeIndicator('{', true, true, false);
    w.writeIndicator('}', false, false, false);
  } else {
    writeScalar(w, value, false, path);
  }
}

/**
 * Serializes a meta.yaml mapping exactly as MLflow does (`yaml.dump(..., default_flow_style=False,
 * allow_unicode=True, sort_keys=True, Dumper=yaml.CSafeDumper)`): keys sorted by code point, block
 * style at any depth (indentless sequences under mapping keys), `{}` / `[]` for empty collections,
 * and each string in the style, quoting, escaping and 80-column line folding libyaml would choose.
 *
 * @throws TypeError for values outside {@link PyYamlValue} (`undefined`, functions, …) and for
 *   strings with lone UTF-16 surrogates, which Python cannot encode either (MLflow fails to write
 *   them).
 */
export function pyYamlDump(data: Readonly<Record<string, PyYamlValue>>): string {
  const w = new YamlWriter();
  if (Object.keys(data).length === 0) return '{}\n';
  writeBlockMapping(w, data, '$');
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
