import { MlflowError } from '../errors.js';

/**
 * Token kinds of MLflow's filter language, as sqlparse classifies what MLflow looks at:
 * `ident` (dotted names, backtick or double-quoted parts), `string` ('single-quoted'),
 * `number` (integers, decimals, scientific, with an optional minus), `op` (comparison operators),
 * `keyword` (AND, OR, NOT, IN, LIKE, ILIKE, RLIKE, IS, NULL, ASC, DESC — upper-cased), and punctuation.
 */
export type TokenKind = 'ident' | 'string' | 'number' | 'op' | 'keyword' | 'lparen' | 'rparen' | 'comma' | 'semicolon' | 'comment';

export interface Token {
  kind: TokenKind;
  /** The source text (keywords upper-cased). */
  text: string;
  /** For `keyword`: the text as written (`like`), which MLflow's span checks compare case-sensitively. */
  raw?: string;
  /** For `ident`: true when the whole identifier is one double-quoted part (`"x"`), which MLflow accepts as a string value. */
  quoted?: boolean;
  /** For `number`: true when written with a dot or an exponent. */
  float?: boolean;
  /** Where the token starts and ends in the input (`input.slice(start, end)` is its source text). */
  start?: number;
  end?: number;
}

/** Tokenizer switches. */
export interface TokenizeOptions {
  /**
   * Emit `;` as a `semicolon` token and `-- …` (to the end of the line) as a `comment` token instead
   * of refusing them, for grammars whose messages name them as sqlparse does (the model registry's).
   */
  statements?: boolean;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'IN', 'LIKE', 'ILIKE', 'RLIKE', 'IS', 'NULL', 'ASC', 'DESC']);
const NUMBER = /^-?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)|\d+\.\d*|\.\d+|\d+)(?![\w.])/;
const WORD = /^[A-Za-z_][\w$]*/;
const KEY_PART = /^[\w$]+/;
const OPERATORS = ['>=', '<=', '!=', '<>', '==', '=', '>', '<'];
/** A NUL character, or half of a UTF-16 surrogate pair without its other half. */
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Splits a filter or order_by string into tokens.
 *
 * A NUL character or an unpaired surrogate is refused anywhere, even inside quotes: no store can
 * hold one the same way (PostgreSQL text refuses NUL, every database and file stores a lone
 * surrogate as U+FFFD while the memory store keeps it), so a filter holding one could not select
 * the same runs everywhere. MLflow itself answers such a filter with a database error on PostgreSQL.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE on an unterminated quote, a NUL character, an
 *   unpaired surrogate, or a character the language does not use.
 */
export function tokenize(input: string, options: TokenizeOptions = {}): Token[] {
  const bad = UNSTORABLE.exec(input);
  if (bad) {
    throw MlflowError.invalidParameter(
      `Invalid filter string: it holds ${bad[0] === '\u0000' ? 'a NUL character' : 'an unpaired UTF-16 surrogate'} at position ${bad.index}, which no store can compare.`,
    );
  }
  const tokens: Token[] = [];
  let i = 0;
  const push = (token: Token, end: number) => {
    tokens.push({ ...token, start: i, end });
    i = end;
  };
  while (i < input.length) {
    const ch = input[i] as string;
    if (/\s/.test(ch)) {
      i++;
      continue;
    }
    const rest = input.slice(i);
    if (options.statements === true && ch === ';') {
      push({ kind: 'semicolon', text: ';' }, i + 1);
      continue;
    }
    if (options.statements === true && rest.startsWith('--')) {
      const eol = rest.search(/[\r\n]/);
      const end = eol < 0 ? input.length : i + eol;
      push({ kind: 'comment', text: input.slice(i, end) }, end);
      continue;
    }
    if (ch === "'") {
      const end = quotedEnd(input, i, "'");
      push({ kind: 'string', text: input.slice(i, end) }, end);
      continue;
    }
    if (ch === '(' || ch === ')' || ch === ',') {
      push({ kind: ch === '(' ? 'lparen' : ch === ')' ? 'rparen' : 'comma', text: ch }, i + 1);
      continue;
    }
    const num = NUMBER.exec(rest);
    if (num && !(ch === '-' && tokens.length > 0 && isValueLike(tokens[tokens.length - 1]))) {
      push({ kind: 'number', text: num[0], float: /[.eE]/.test(num[0]) }, i + num[0].length);
      continue;
    }
    const op = OPERATORS.find((o) => rest.startsWith(o));
    if (op) {
      push({ kind: 'op', text: op }, i + op.length);
      continue;
    }
    if (ch === '`' || ch === '"' || WORD.test(rest)) {
      const [text, end, parts] = readIdentifier(input, i);
      const upper = text.toUpperCase();
      if (parts === 1 && WORD.test(text) && KEYWORDS.has(upper)) push({ kind: 'keyword', text: upper, raw: text }, end);
      else push({ kind: 'ident', text, quoted: parts === 1 && text.startsWith('"') }, end);
      continue;
    }
    throw MlflowError.invalidParameter(`Invalid clause(s) in filter string: unexpected character '${ch}' at position ${i}`);
  }
  return tokens;
}

function isValueLike(token: Token | undefined): boolean {
  return token !== undefined && (token.kind === 'ident' || token.kind === 'number' || token.kind === 'string' || token.kind === 'rparen');
}

/** Index just past the closing quote; a doubled quote or a backslash escape stays inside. */
function quotedEnd(input: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < input.length) {
    const c = input[i];
    if (c === '\\' && quote !== '`') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (quote !== '`' && input[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  throw MlflowError.invalidParameter(`Invalid filter '${input}'. Could not be parsed: unterminated ${quote} quote.`);
}

/** Reads `part(.part)*` where a part is a word, a `backticked` or a "double-quoted" name. */
function readIdentifier(input: string, start: number): [text: string, end: number, parts: number] {
  let i = start;
  let parts = 0;
  for (;;) {
    const c = input[i];
    if (c === '`' || c === '"') {
      i = quotedEnd(input, i, c);
    } else {
      const m = (parts === 0 ? WORD : KEY_PART).exec(input.slice(i));
      if (!m) break;
      i += m[0].length;
    }
    parts++;
    const next = input[i + 1];
    if (input[i] === '.' && next !== undefined && (next === '`' || next === '"' || /[\w$]/.test(next))) {
      i++;
      continue;
    }
    // sqlparse keeps a trailing dot in the name (`span.attributes. = 'x'` has the key `attributes.`).
    if (input[i] === '.' && (next === undefined || /\s/.test(next))) i++;
    break;
  }
  return [input.slice(start, i), i, parts];
}
