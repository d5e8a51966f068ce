/**
 * Scalar analysis, style choice and the three flow-scalar writers of libyaml's emitter
 * (src/emitter.c, 0.2.5), which is what MLflow's `yaml.CSafeDumper` runs. libyaml differs from
 * PyYAML's pure-Python emitter in ways that change bytes (astral characters and U+0085 are escaped,
 * double-quoted lines fold only at spaces, the simple-key limit is 128 UTF-8 bytes), so this follows
 * libyaml's rules. Characters are counted per code point, as libyaml counts columns per UTF-8
 * sequence.
 */

import { resolvePlain } from './py-yaml-resolve.js';

/** libyaml's best_width when PyYAML passes no `width`. */
const BEST_WIDTH = 80;

/** What the emitter learns about a scalar before choosing its style. */
export interface ScalarAnalysis {
  /** Contains a line break (LF, CR, NEL, LS or PS). */
  readonly multiline: boolean;
  /** May be written plain in block context. */
  readonly blockPlainAllowed: boolean;
  /** May be written single-quoted (else only double quotes can represent it). */
  readonly singleQuotedAllowed: boolean;
}

export const isBreak = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
// libyaml's IS_BLANKZ; `undefined` is the NUL terminator libyaml reads past the last character.
const isBlankz = (c: number | undefined): boolean => c === undefined || c === 0x20 || c === 0x09 || c === 0 || isBreak(c);

/**
 * libyaml's IS_PRINTABLE on the UTF-8 sequence of `c`: astral code points (4-byte sequences), C0/C1
 * controls except LF, U+FEFF, U+FFFE/U+FFFF and lone surrogates are not printable.
 */
export const isPrintable = (c: number): boolean =>
  c === 0x0a ||
  (c >= 0x20 && c <= 0x7e) ||
  (c >= 0xa0 && c <= 0xd7ff) ||
  (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff);

const LEADING_INDICATORS = new Set('#,[]{}&*!|>\'"%@`');

/** libyaml's yaml_emitter_analyze_scalar, reduced to what block-context output needs. */
export function analyzeScalar(s: string): ScalarAnalysis {
  if (s.length === 0) return { multiline: false, blockPlainAllowed: true, singleQuotedAllowed: true };
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let lineBreaks = false;
  let special = false;
  let leadingOrTrailing = false; // a space or break at either end
  let breakSpace = false;
  let spaceBreak = false;
  let previousSpace = false;
  let previousBreak = false;
  let precededByWhitespace = true;
  const first = s.codePointAt(0) as number;
  const at = (i: number): number | undefined => (i < s.length ? s.codePointAt(i) : undefined);
  let followedByWhitespace = isBlankz(at(first > 0xffff ? 2 : 1));
  for (let i = 0; i < s.length; ) {
    const c = s.codePointAt(i) as number;
    const width = c > 0xffff ? 2 : 1;
    const last = i + width === s.length;
    if (i === 0) {
      if (LEADING_INDICATORS.has(String.fromCharCode(c))) blockIndicators = true;
      if ((c === 0x3f || c === 0x3a || c === 0x2d) && followedByWhitespace) blockIndicators = true; // ? : -
    } else {
      if (c === 0x3a && followedByWhitespace) blockIndicators = true;
      if (c === 0x23 && precededByWhitespace) blockIndicators = true;
    }
    if (!isPrintable(c)) special = true;
    if (c === 0x20) {
      if (i === 0 || last) leadingOrTrailing = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      lineBreaks = true;
      if (i === 0 || last) leadingOrTrailing = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlankz(c);
    i += width;
    if (i < s.length) {
      const next = s.codePointAt(i) as number;
      followedByWhitespace = isBlankz(at(i + (next > 0xffff ? 2 : 1)));
    }
  }
  const quotedOnlyDouble = spaceBreak || special;
  return {
    multiline: lineBreaks,
    blockPlainAllowed: !(leadingOrTrailing || breakSpace || quotedOnlyDouble || lineBreaks || blockIndicators),
    singleQuotedAllowed: !(breakSpace || quotedOnlyDouble),
  };
}

/** A scalar style as libyaml names them (block styles are never chosen for strings PyYAML dumps). */
export type ScalarStyle = 'plain' | 'single' | 'double';

/**
 * libyaml's yaml_emitter_select_scalar_style for a `str` node in block context. PyYAML asks for no
 * particular style and marks the plain form implicit only when the text resolves back to `str`
 * (so `yes`, `1e+3`, `~` or `2001-12-14` get quotes).
 */
export function chooseStringStyle(s: string, analysis: ScalarAnalysis, simpleKey: boolean): ScalarStyle {
  let style: ScalarStyle = 'plain';
  if (simpleKey && analysis.multiline) style = 'double';
  if (style === 'plain') {
    if (!analysis.blockPlainAllowed || (s.length === 0 && simpleKey) || resolvePlain(s) !== 'str') style = 'single';
  }
  if (style === 'single' && !analysis.singleQuotedAllowed) style = 'double';
  return style;
}

// Escapes libyaml writes with a short form; everything else unprintable is \xXX, \uXXXX or \UXXXXXXXX.
const SHORT_ESCAPES: Record<number, string> = {
  0x00: '0', 0x07: 'a', 0x08: 'b', 0x09: 't', 0x0a: 'n', 0x0b: 'v', 0x0c: 'f', 0x0d: 'r', 0x1b: 'e',
  0x22: '"', 0x5c: '\\', 0x85: 'N', 0xa0: '_', 0x2028: 'L', 0x2029: 'P',
};

function escapeFor(c: number): string {
  const short = SHORT_ESCAPES[c];
  if (short !== undefined) return `\\${short}`;
  const hex = c.toString(16).toUpperCase();
  if (c <= 0xff) return `\\x${hex.padStart(2, '0')}`;
  if (c <= 0xffff) return `\\u${hex.padStart(4, '0')}`;
  return `\\U${hex.padStart(8, '0')}`;
}

/** libyaml's output state: what its writers read and update. */
export class YamlWriter {
  out = '';
  column = 0;
  /** The last thing written was whitespace (so an indicator needs no separating space). */
  whitespace = true;
  /** Only indentation has been written on the current line. */
  indention = true;
  indent = -1;

  private putBreak(): void {
    this.out += '\n';
    this.column = 0;
  }

  /** yaml_emitter_write_indent. */
  writeIndent(): void {
    const indent = Math.max(this.indent, 0);
    if (!this.indention || this.column > indent || (this.column === indent && !this.whitespace)) this.putBreak();
    if (this.column < indent) {
      this.out += ' '.repeat(indent - this.column);
      this.column = indent;
    }
    this.whitespace = true;
    this.indention = true;
  }

  /** yaml_emitter_write_indicator (indicators are ASCII, so length = columns). */
  writeIndicator(indicator: string, needWhitespace: boolean, isWhitespace: boolean, isIndention: boolean): void {
    if (needWhitespace && !this.whitespace) {
      this.out += ' ';
      this.column++;
    }
    this.out += indicator;
    this.column += indicator.length;
    this.whitespace = isWhitespace;
    this.indention = this.indention && isIndention;
  }

  /**
   * Writes a line break character inside a quoted/plain scalar: LF through the configured line
   * break, LS/PS copied raw (libyaml's WRITE_BREAK). Only LF, LS and PS reach here.
   */
  private writeBreak(c: number): void {
    if (c === 0x0a) this.putBreak();
    else {
      this.out += String.fromCodePoint(c);
      this.column = 0;
    }
  }

  /**
   * Plain and single-quoted scalars share libyaml's folding loop: a lone space past column 80 (and,
   * when quoted, not at either end) becomes a line break plus indentation; a run of breaks gets an
   * extra LF in front when it starts with LF, and indentation before the next character.
   */
  private writeFolding(s: string, allowBreaks: boolean, quoted: boolean): void {
    // Plain and single-quoted text is all printable, hence BMP: one UTF-16 unit per column.
    let spaces = false;
    let breaks = false;
    for (let i = 0; i < s.length; ) {
      const c = s.charCodeAt(i);
      if (c === 0x20) {
        const inner = !quoted || (i !== 0 && i !== s.length - 1);
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && inner && s.charCodeAt(i + 1) !== 0x20) {
          this.writeIndent();
        } else {
          this.out += ' ';
          this.column++;
        }
        spaces = true;
        i++;
        continue;
      }
      if (isBreak(c)) {
        if (!breaks && c === 0x0a) this.putBreak();
        this.writeBreak(c);
        this.indention = true;
        breaks = true;
        i++;
        continue;
      }
      if (breaks) this.writeIndent();
      let j = i + 1;
      if (quoted && c === 0x27) {
        this.out += "''";
        this.column += 2;
      } else {
        // Copy the whole run of ordinary characters at once.
        for (let d = s.charCodeAt(j); j < s.length && d !== 0x20 && d !== 0x27 && !isBreak(d); d = s.charCodeAt(++j));
        this.out += s.slice(i, j);
        this.column += j - i;
      }
      i = j;
      this.indention = false;
      spaces = false;
      breaks = false;
    }
    if (quoted && breaks) this.writeIndent();
  }

  /** yaml_emitter_write_plain_scalar (never called with an empty string). */
  writePlain(s: string, allowBreaks: boolean): void {
    if (!this.whitespace && s.length > 0) {
      this.out += ' ';
      this.column++;
    }
    this.writeFolding(s, allowBreaks, false);
    this.whitespace = false;
    this.indention = false;
  }

  /** yaml_emitter_write_single_quoted_scalar. */
  writeSingleQuoted(s: string, allowBreaks: boolean): void {
    this.writeIndicator("'", true, false, false);
    this.writeFolding(s, allowBreaks, true);
    this.writeIndicator("'", false, false, false);
    this.whitespace = false;
    this.indention = false;
  }

  /**
   * yaml_emitter_write_double_quoted_scalar: escapes everything unprintable plus breaks, BOM, `"`
   * and `\`; folds only at a lone-or-first space past column 80 (escaping a following space).
   */
  writeDoubleQuoted(s: string, allowBreaks: boolean): void {
    this.writeIndicator('"', true, false, false);
    const plainChar = (c: number): boolean => isPrintable(c) && !isBreak(c) && c !== 0x22 && c !== 0x5c && c !== 0x20;
    let spaces = false;
    for (let i = 0; i < s.length; ) {
      const c = s.codePointAt(i) as number;
      if (c === 0x20) {
        if (allowBreaks && !spaces && this.column > BEST_WIDTH && i !== 0 && i !== s.length - 1) {
          this.writeIndent();
          if (s.charCodeAt(i + 1) === 0x20) {
            this.out += '\\';
            this.column++;
          }
        } else {
          this.out += ' ';
          this.column++;
        }
        spaces = true;
        i++;
      } else if (plainChar(c)) {
        // Printable characters are all in the BMP: one unit per column.
        let j = i + 1;
        while (j < s.length && plainChar(s.charCodeAt(j))) j++;
        this.out += s.slice(i, j);
        this.column += j - i;
        spaces = false;
        i = j;
      } else {
        const esc = escapeFor(c);
        this.out += esc;
        this.column += esc.length;
        spaces = false;
        i += c > 0xffff ? 2 : 1;
      }
    }
    this.writeIndicator('"', false, false, false);
    this.whitespace = false;
    this.indention = false;
  }
}
