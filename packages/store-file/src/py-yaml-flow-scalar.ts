/**
 * libyaml's scanner rules (src/scanner.c, yaml_parser_scan_flow_scalar / scan_plain_scalar) for
 * turning a flow scalar's source text into its value. The `yaml` package implements YAML 1.2, where
 * only CR and LF are line breaks; libyaml (YAML 1.1) also breaks lines at NEL, LS and PS, and the
 * emitter writes LS/PS raw inside single-quoted scalars. Folding those scalars ourselves is the only
 * way to read such files as CSafeLoader does.
 */

import { isBreak } from './py-yaml-scalar.js';

/** How the scalar was written. */
export type FlowScalarStyle = 'plain' | 'single' | 'double';

const isBlank = (c: number): boolean => c === 0x20 || c === 0x09;

const SIMPLE_ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
};
const HEX_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * The value of a flow scalar from its exact source (quotes included for quoted styles): runs of
 * blanks between text are kept, a single line break folds to a space, further breaks are kept,
 * indentation after a break is dropped, CR LF / CR / NEL read as LF while LS / PS stay themselves
 * (and then no space is added), and in double quotes escapes are decoded and `\` before a break
 * joins the lines.
 *
 * @throws Error for escapes libyaml rejects (unknown letters, bad hex, surrogate code points).
 */
export function scanFlowScalar(src: string, style: FlowScalarStyle): string {
  let i = style === 'plain' ? 0 : 1;
  const end = style === 'plain' ? src.length : src.length - 1;
  const readBreak = (): string => {
    const c = src.charCodeAt(i);
    i += c === 0x0d && src.charCodeAt(i + 1) === 0x0a ? 2 : 1;
    return c === 0x2028 || c === 0x2029 ? String.fromCharCode(c) : '\n';
  };
  let out = '';
  while (i < end) {
    let leadingBlanks = false;
    for (let c = src.charCodeAt(i); i < end && !isBlank(c) && !isBreak(c); c = src.charCodeAt(i)) {
      if (style === 'single' && c === 0x27) {
        out += "'"; // inside the quotes a quote is always doubled
        i += 2;
      } else if (style === 'double' && c === 0x5c) {
        const next = src[i + 1] ?? '';
        if (isBreak(next.charCodeAt(0))) {
          i++;
          readBreak();
          leadingBlanks = true;
          break;
        }
        const simple = SIMPLE_ESCAPES[next];
        const hexLength = HEX_LENGTH[next];
        if (simple !== undefined) {
          out += simple;
          i += 2;
        } else if (hexLength !== undefined) {
          const hex = src.slice(i + 2, i + 2 + hexLength);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== hexLength) {
            throw new Error('while parsing a quoted scalar: did not find expected hexadecimal number');
          }
          const code = parseInt(hex, 16);
          if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff) {
            throw new Error('while parsing a quoted scalar: found invalid Unicode character escape code');
          }
          out += String.fromCodePoint(code);
          i += 2 + hexLength;
        } else {
          throw new Error(`while parsing a quoted scalar: found unknown escape character ${JSON.stringify(next)}`);
        }
      } else {
        out += src[i];
        i++;
      }
    }
    let whitespace = '';
    let leadingBreak = '';
    let trailingBreaks = '';
    for (let c = src.charCodeAt(i); i < end && (isBlank(c) || isBreak(c)); c = src.charCodeAt(i)) {
      if (isBlank(c)) {
        if (!leadingBlanks) whitespace += src[i];
        i++;
      } else if (!leadingBlanks) {
        whitespace = '';
        leadingBreak = readBreak();
        leadingBlanks = true;
      } else {
        trailingBreaks += readBreak();
      }
    }
    if (!leadingBlanks) out += whitespace;
    else if (leadingBreak !== '\n') out += leadingBreak + trailingBreaks;
    else out += trailingBreaks === '' ? ' ' : trailingBreaks;
  }
  return out;
}
