import { MlflowError } from '../errors.js';
import type { SearchComparator, SearchComparison, SearchEntityType } from './ast.js';
import { integerComparison, literalValue, type NumericComparator } from './integer-comparison.js';
import { tokenize, type Token } from './tokenizer.js';

/** A clause as the grammar sees it, before entity-specific checks. */
export interface RawClause {
  identifier: string;
  comparator: SearchComparator;
  /** The comparator as written (`like`, `>=`); MLflow checks span comparators case-sensitively. */
  comparatorText?: string;
  /** The value token, or a list of tokens for IN / NOT IN, or null for IS [NOT] NULL. */
  value: Token | Token[] | null;
}

const COMPARISON_OPS = new Set(['=', '!=', '>', '>=', '<', '<=']);

/** Grammar switches for one search family. */
export interface ParseOptions {
  /** Accept `RLIKE` (regular expression match) as a comparator, as MLflow's trace search does. */
  rlike?: boolean;
  /**
   * Hand on what sqlparse reads as a comparison but MLflow refuses later, so the caller can give
   * MLflow's own message: `<>` / `==` comparators and unquoted identifiers as values.
   */
  lenient?: boolean;
  /** Quote each stray OR / NOT in the message (`'OR'`), as MLflow's run, logged-model and trace searches do; its experiment search prints them bare. */
  quoteStrays?: boolean;
}

/**
 * Parses `a <op> v AND b IN ('x', 'y') AND c IS NOT NULL …` into raw clauses. Only AND joins
 * clauses (no OR, NOT or parentheses), as in MLflow 3.18; like MLflow, leading, trailing or
 * repeated ANDs are ignored.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for anything else.
 */
export function parseClauses(filter: string, options: ParseOptions = {}): RawClause[] {
  const tokens = tokenize(filter);
  const clauses: RawClause[] = [];
  let i = 0;
  const invalid = (from: number): never => {
    const text = tokens
      .slice(from)
      .map((t) => t.text)
      .join(' ');
    throw MlflowError.invalidParameter(`Invalid clause(s) in filter string: '${text}'`);
  };
  // Like MLflow, report every stray OR / NOT together, ahead of any other error in the clauses.
  const strays: string[] = [];
  const skipJoins = () => {
    for (;;) {
      const t = tokens[i];
      if (t?.kind === 'keyword' && t.text === 'AND') i++;
      else if (t?.kind === 'keyword' && (t.text === 'OR' || t.text === 'NOT')) {
        strays.push(t.raw ?? t.text);
        i++;
      } else return;
    }
  };
  skipJoins();
  while (i < tokens.length) {
    const start = i;
    const ident = tokens[i];
    if (ident?.kind !== 'ident') invalid(start);
    i++;
    const op = tokens[i];
    let comparator: SearchComparator;
    let value: RawClause['value'];
    if (op?.kind === 'op') {
      if (!COMPARISON_OPS.has(op.text) && options.lenient !== true) {
        throw MlflowError.invalidParameter(`Invalid comparator '${op.text}' in filter string`);
      }
      comparator = op.text as SearchComparator;
      const v = tokens[i + 1];
      if (!v || (v.kind !== 'string' && v.kind !== 'number' && !(v.kind === 'ident' && (v.quoted || options.lenient === true)))) {
        throw MlflowError.invalidParameter(
          `Invalid comparison clause. Expected value token found '${v?.text ?? ''}' in filter string '${filter}'`,
        );
      }
      value = v;
      i += 2;
    } else if (op?.kind === 'keyword' && (op.text === 'LIKE' || op.text === 'ILIKE' || (op.text === 'RLIKE' && options.rlike === true))) {
      // RLIKE only reaches trace clauses, whose comparator type admits it.
      comparator = op.text as SearchComparator;
      const v = tokens[i + 1];
      if (!v || v.kind === 'keyword' || v.kind === 'op' || v.kind === 'lparen' || v.kind === 'rparen' || v.kind === 'comma') {
        invalid(start);
      }
      value = v as Token;
      i += 2;
    } else if (op?.kind === 'keyword' && (op.text === 'IN' || (op.text === 'NOT' && tokens[i + 1]?.text === 'IN'))) {
      comparator = op.text === 'IN' ? 'IN' : 'NOT IN';
      i += comparator === 'IN' ? 1 : 2;
      const [list, next] = readList(tokens, i, filter);
      value = list;
      i = next;
    } else if (op?.kind === 'keyword' && op.text === 'IS') {
      const not = tokens[i + 1]?.text === 'NOT';
      if (tokens[i + (not ? 2 : 1)]?.text !== 'NULL') invalid(start);
      comparator = not ? 'IS NOT NULL' : 'IS NULL';
      value = null;
      i += not ? 3 : 2;
    } else {
      return invalid(start);
    }
    clauses.push({ identifier: (ident as Token).text, comparator, comparatorText: op?.kind === 'keyword' && op.text.endsWith('LIKE') ? (op.raw ?? op.text) : comparator, value });
    // MLflow (through sqlparse) ignores stray ANDs and accepts clauses side by side; so do we.
    skipJoins();
  }
  if (strays.length > 0) {
    const shown = options.quoteStrays === false ? strays : strays.map((t) => `'${t}'`);
    throw MlflowError.invalidParameter(`Invalid clause(s) in filter string: ${shown.join(', ')}`);
  }
  return clauses;
}

function readList(tokens: Token[], start: number, filter: string): [Token[], number] {
  const illFormed = () =>
    MlflowError.invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got ill-formed list.',
    );
  if (tokens[start]?.kind !== 'lparen') {
    throw MlflowError.invalidParameter(`Invalid clause(s) in filter string: '${filter}'`);
  }
  const items: Token[] = [];
  let i = start + 1;
  if (tokens[i]?.kind === 'rparen') {
    throw MlflowError.invalidParameter(
      'While parsing a list in the query, expected a non-empty list of string values, but got empty list',
    );
  }
  for (;;) {
    const item = tokens[i];
    if (!item || (item.kind !== 'string' && item.kind !== 'number' && !(item.kind === 'ident' && item.quoted))) throw illFormed();
    items.push(item);
    i++;
    if (tokens[i]?.kind === 'comma') {
      i++;
      if (tokens[i]?.kind === 'rparen') return [items, i + 1]; // Python allows a trailing comma
      continue;
    }
    if (tokens[i]?.kind === 'rparen') return [items, i + 1];
    throw illFormed();
  }
}

/** True when `s` is wrapped in `q` on both ends. */
function isQuoted(s: string, q: string): boolean {
  return s.length >= 2 && s.startsWith(q) && s.endsWith(q);
}

/** Removes surrounding backticks, as MLflow's `_trim_backticks`. */
export function trimBackticks(s: string): string {
  return isQuoted(s, '`') ? s.slice(1, -1) : s;
}

/** Removes surrounding single or double quotes, as MLflow's `_strip_quotes` (no unescaping). */
export function stripQuotes(s: string): string {
  return isQuoted(s, "'") || isQuoted(s, '"') ? s.slice(1, -1) : s;
}

/** The string value of a quoted token. @throws INVALID_PARAMETER_VALUE when the token is not quoted. */
export function quotedValue(token: Token, what: string): string {
  if (token.kind === 'string' || (token.kind === 'ident' && token.quoted)) return token.text.slice(1, -1);
  throw MlflowError.invalidParameter(`Expected a quoted string value for ${what} (e.g. 'my-value'). Got value ${token.text}`);
}

/** The number of a numeric token (a double, as Python's `float(token)`). @throws INVALID_PARAMETER_VALUE otherwise. */
export function numericValue(token: Token, what: string): number {
  return Number(numericToken(token, what).text);
}

/**
 * The exact value of a numeric token as MLflow reads an int64 attribute's literal: a bigint for an
 * integer literal (`int(token)`), a double for one with a dot or an exponent (`float(token)`).
 *
 * @throws INVALID_PARAMETER_VALUE when the token is not a number.
 */
export function numericLiteral(token: Token, what: string): bigint | number {
  const t = numericToken(token, what);
  return literalValue(t.text, t.float === true);
}

function numericToken(token: Token, what: string): Token {
  if (token.kind !== 'number') {
    throw MlflowError.invalidParameter(`Expected numeric value type for ${what}. Found ${token.text}`);
  }
  return token;
}

/** String values of an IN list; every item must be a quoted string. */
export function stringList(tokens: Token[]): string[] {
  if (!tokens.every((t) => t.kind === 'string' || (t.kind === 'ident' && t.quoted))) {
    throw MlflowError.invalidParameter(
      `While parsing a list in the query, expected string value, punctuation, or whitespace, but got different type in list: (${tokens
        .map((t) => t.text)
        .join(', ')})`,
    );
  }
  return tokens.map((t) => t.text.slice(1, -1));
}

/** Checks `comparator` against the allowed set, with MLflow's message. */
export function checkComparator(comparator: SearchComparator, allowed: ReadonlySet<string>, type: SearchEntityType | string): void {
  if (!allowed.has(comparator)) {
    throw MlflowError.invalidParameter(
      `Invalid comparator '${comparator}' not one of '{${[...allowed].map((c) => `'${c}'`).join(', ')}}' for ${type}`,
    );
  }
}

/** The single value token of a clause; lists and missing values are errors here. */
export function one(value: RawClause['value']): Token {
  if (value === null || Array.isArray(value)) {
    throw MlflowError.invalidParameter('Invalid comparison clause: IN / NOT IN need a parenthesised list and other comparators a single value.');
  }
  return value;
}

/** A clause on an int64 attribute, rewritten so every store binds an integer inside int64 ({@link integerComparison}). */
export function integerClause(type: SearchEntityType, key: string, comparator: SearchComparison['comparator'], x: bigint | number): SearchComparison {
  return { type, key, ...integerComparison(comparator as NumericComparator, x) };
}

/** Parses `filter` (empty or absent: no clause) and builds each clause with `build`. */
export function parseWith(filter: string | undefined, build: (clause: RawClause) => SearchComparison, options?: ParseOptions): SearchComparison[] {
  if (filter === undefined || filter.trim() === '') return [];
  return parseClauses(filter, options).map(build);
}
