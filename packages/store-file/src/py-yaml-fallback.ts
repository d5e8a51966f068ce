/**
 * The general path of parseMetaYaml: the `yaml` package parses the structure (with every scalar
 * kept as text, the failsafe schema), then this module builds values the way PyYAML's SafeLoader
 * does. The package's own YAML 1.1 schema is close to PyYAML but not equal (it reads `1e3` as a
 * number, PyYAML as a string), and YAML 1.2 readers do not treat NEL/LS/PS as line breaks while
 * libyaml does (and writes LS/PS raw in single quotes), hence our own typing and scalar folding.
 * Known gap: block scalars (`|`, `>`) containing raw NEL/LS/PS, which no PyYAML emitter writes.
 */

import { type Document, type Node as YamlNode, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { pyFloatRepr } from './py-float.js';
import { setEntry } from './py-yaml-fast.js';
import {
  constructBool,
  constructFloat,
  constructInt,
  constructPlain,
  constructTimestamp,
  resolvePlain,
} from './py-yaml-resolve.js';
import { scanFlowScalar } from './py-yaml-flow-scalar.js';

const TAG = 'tag:yaml.org,2002:';

/** A constructed scalar plus the tag it got, which decides how Python's `str()` spells a key. */
interface Built {
  value: unknown;
  tag: string;
}

class Constructor {
  private readonly done = new Map<YamlNode, unknown>();

  constructor(
    private readonly doc: Document,
    private readonly text: string,
  ) {}

  build(node: YamlNode | null | undefined): Built {
    if (node === null || node === undefined) return { value: null, tag: 'null' };
    if (isAlias(node)) {
      const target = node.resolve(this.doc);
      if (!target) throw new Error(`found undefined alias ${node.source}`);
      return this.build(target);
    }
    if (isScalar(node)) return this.scalar(node.tag, node.type, node.value, node.range);
    const cached = this.done.get(node);
    if (cached !== undefined) return { value: cached, tag: 'collection' };
    const tag = node.tag;
    if (isSeq(node)) {
      if (tag !== undefined && tag !== '!' && tag !== `${TAG}seq`) throw new Error(`unsupported YAML tag ${tag}`);
      const list: unknown[] = [];
      this.done.set(node, list);
      for (const item of node.items) list.push(this.build(item as YamlNode).value);
      return { value: list, tag: 'collection' };
    }
    if (isMap(node)) {
      if (tag !== undefined && tag !== '!' && tag !== `${TAG}map`) throw new Error(`unsupported YAML tag ${tag}`);
      const map: Record<string, unknown> = {};
      this.done.set(node, map);
      this.fillMapping(map, node.items as { key: unknown; value: unknown }[]);
      return { value: map, tag: 'collection' };
    }
    throw new Error('unsupported YAML node');
  }

  /** SafeConstructor.flatten_mapping + construct_mapping: merged keys first, own keys win. */
  private fillMapping(map: Record<string, unknown>, items: { key: unknown; value: unknown }[]): void {
    const own: [string, unknown][] = [];
    const merged: Record<string, unknown>[] = [];
    for (const { key, value } of items) {
      const keyNode = key as YamlNode | null;
      if (isScalar(keyNode) && this.isMergeKey(keyNode.tag, keyNode.type, keyNode.value)) {
        const source = this.build(value as YamlNode).value;
        const maps = Array.isArray(source) ? [...source].reverse() : [source];
        for (const m of maps) {
          if (typeof m !== 'object' || m === null || Array.isArray(m)) {
            throw new Error('expected a mapping or list of mappings for merging');
          }
          merged.push(m as Record<string, unknown>);
        }
        continue;
      }
      own.push([this.keyText(keyNode), this.build(value as YamlNode).value]);
    }
    for (const m of merged) for (const [k, v] of Object.entries(m)) setEntry(map, k, v);
    for (const [k, v] of own) setEntry(map, k, v);
  }

  private isMergeKey(tag: string | undefined, type: string | undefined, value: unknown): boolean {
    return tag === `${TAG}merge` || (tag === undefined && type === 'PLAIN' && value === '<<');
  }

  /** A mapping key as text: strings as is, other scalars as Python's `str()` prints them. */
  private keyText(node: YamlNode | null): string {
    if (isScalar(node) && node.tag === undefined && node.type === 'PLAIN' && resolvePlain(String(node.value)) === 'value') {
      return '='; // flatten_mapping retags a `=` key as str
    }
    const { value, tag } = this.build(node);
    if (typeof value === 'string') return value;
    if (value === null) return 'None';
    if (typeof value === 'boolean') return value ? 'True' : 'False';
    if (typeof value === 'number') return tag === 'float' ? pyFloatRepr(value) : String(value);
    if (isScalar(node)) return String(node.value); // timestamps and binary: their source text
    throw new Error('found unhashable key');
  }

  private scalar(tag: string | undefined, type: string | undefined, raw: unknown, range: unknown): Built {
    let text = String(raw ?? '');
    const style = type === 'QUOTE_SINGLE' ? 'single' : type === 'QUOTE_DOUBLE' ? 'double' : type === 'PLAIN' ? 'plain' : undefined;
    if (style !== undefined && Array.isArray(range)) {
      // Re-read flow scalars from the original text with libyaml's rules (see py-yaml-flow-scalar.ts);
      // single-line plain scalars are already exact.
      const src = this.text.slice(range[0] as number, range[1] as number);
      if (style !== 'plain' || /[\r\n\x85\u2028\u2029]/.test(src)) text = scanFlowScalar(src, style);
    }
    // The non-specific tag `!` makes libyaml report the scalar as plain-implicit whatever its
    // style, so PyYAML resolves it like a plain scalar (`! '12'` loads as the int 12).
    if ((tag === undefined && type === 'PLAIN') || tag === '!') {
      const resolved = resolvePlain(text);
      return { value: constructPlain(text, resolved), tag: resolved };
    }
    switch (tag) {
      case undefined:
      case `${TAG}str`:
        return { value: text, tag: 'str' };
      case `${TAG}int`:
        return { value: constructInt(text), tag: 'int' };
      case `${TAG}float`:
        return { value: constructFloat(text), tag: 'float' };
      case `${TAG}bool`:
        return { value: constructBool(text), tag: 'bool' };
      case `${TAG}null`:
        return { value: null, tag: 'null' };
      case `${TAG}timestamp`:
        return { value: constructTimestamp(text), tag: 'timestamp' };
      case `${TAG}binary`:
        return { value: new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'base64')), tag: 'binary' };
      default:
        throw new Error(`could not determine a constructor for the tag '${tag}'`);
    }
  }
}

/** Full-YAML parse with PyYAML SafeLoader semantics; see parseMetaYaml. */
export function fallbackParseMetaYaml(text: string): Record<string, unknown> | null {
  // libyaml ends lines at NEL/LS/PS too; showing the package LF there (same offsets, one UTF-16 unit
  // each) makes it see libyaml's structure. Scalar text is then taken from the original.
  const structural = text.replace(/[\x85\u2028\u2029]/g, '\n');
  const doc = parseDocument(structural, { version: '1.1', schema: 'failsafe', uniqueKeys: false, prettyErrors: false });
  const error = doc.errors[0];
  if (error) throw new Error(`invalid YAML: ${error.message}`);
  if (doc.contents === null) return null;
  const { value } = new Constructor(doc, text).build(doc.contents);
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Date || value instanceof Uint8Array) {
    throw new Error('meta.yaml must hold a mapping at the top level');
  }
  return value as Record<string, unknown>;
}
