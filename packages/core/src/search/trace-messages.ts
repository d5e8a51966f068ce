import { MlflowError } from '../errors.js';
import type { RawClause } from './filter-parser.js';
import type { Token } from './tokenizer.js';

/**
 * A Python set as MLflow's messages print it (`{'=', '!='}`). Python's order depends on the process's
 * hash seed, so no order is "the" message; this one keeps MLflow's declaration order.
 */
export function pySet(items: readonly string[]): string {
  return `{${items.map((s) => `'${s}'`).join(', ')}}`;
}

/** A Python tuple of the list's literal values as `ast.literal_eval` would print it (`('a', 1)`). */
export function pyTuple(tokens: readonly Token[]): string {
  const items = tokens.map((t) => (t.kind === 'number' ? t.text : pyStr(t.text.slice(1, -1))));
  return `(${items.join(', ')}${items.length === 1 ? ',' : ''})`;
}

/** Python's `repr` of a string (quotes chosen as Python chooses them). */
export function pyStr(s: string): string {
  const escaped = s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
  if (s.includes("'") && !s.includes('"')) return `"${escaped}"`;
  return `'${escaped.replace(/'/g, "\\'")}'`;
}

/** Python's `repr` of a tuple of strings (`('a',)`, `('a', 'b')`). */
export function pyTupleOf(items: readonly string[]): string {
  return `(${items.map(pyStr).join(', ')}${items.length === 1 ? ',' : ''})`;
}

const NUMERIC_OPS = new Set(['>', '>=', '!=', '=', '<', '<=']);

/**
 * Clauses that sqlparse, and so MLflow, does not read as comparisons because their bare identifier is
 * an SQL word: `text …` (a type name) and `timestamp …` unless compared with an integer.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE "Invalid clause(s) in filter string: …" as MLflow words it.
 */
export function checkLiteral(identifier: string, comparator: string, value: RawClause['value']): void {
  if (identifier !== 'text' && identifier !== 'timestamp') return;
  const single = value !== null && !Array.isArray(value) ? value : undefined;
  if (identifier === 'timestamp' && single && NUMERIC_OPS.has(comparator) && single.kind === 'number' && single.float !== true) return;
  const shown = single ? [`'${identifier}'`, `'${comparator}'`, `'${single.text}'`] : [`'${identifier}'`, `'${comparator}'`];
  // sqlparse hands MLflow the builtin `timestamp` token twice when it cannot join the comparison.
  if (identifier === 'timestamp') shown.push("'timestamp'");
  throw MlflowError.invalidParameter(`Invalid clause(s) in filter string: ${shown.join(', ')}`);
}
