import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { compareTraces, filterTraces, type TraceSearchRow } from './trace-evaluate.js';
import { parseTraceFilter, parseTraceSearchOrderBy } from './trace-filter.js';

/**
 * MLflow 3.18.0's own answers, recorded by fixtures/trace-search-mlflow.py: traces written through the
 * MLflow client into a SQLite store, then every filter of fixtures/trace-search-filters.txt and every
 * order_by of fixtures/trace-search-order-by.txt run through `SqlAlchemyStore.search_traces`.
 */
interface Fixture {
  views: Record<string, TraceSearchRow>;
  filters: { filter: string; result?: string[]; error?: [string, string] }[];
  order_by: { order_by: string[]; result?: string[]; error?: [string, string] }[];
}

const fixture = JSON.parse(readFileSync(new URL('./fixtures/trace-search-mlflow.json', import.meta.url), 'utf8')) as Fixture;
const labels = new Map(Object.entries(fixture.views).map(([label, view]) => [view.trace_id, label]));
const rows = Object.values(fixture.views);
const label = (view: TraceSearchRow) => labels.get(view.trace_id) as string;

/**
 * Python prints sets in an order that changes from process to process; compare their items sorted.
 * `{'a', 'b'}` and `{'b', 'a'}` both become `{'a', 'b'}`.
 */
function sortSets(message: string): string {
  return message.replace(/\{('[^']*'(?:, '[^']*')*)\}/g, (_, items: string) => `{${items.split(', ').sort().join(', ')}}`);
}

function outcome(fn: () => string[]): { result: string[] } | { error: [string, string] } {
  try {
    return { result: fn() };
  } catch (e) {
    if (!isMlflowError(e)) throw e;
    return { error: [e.errorCode, sortSets(e.message)] };
  }
}

describe('trace filters against MLflow 3.18 search_traces (SQLite)', () => {
  it('covers every entity type, comparator family and error path', () => {
    expect(fixture.filters.length).toBeGreaterThan(200);
    expect(rows.length).toBe(7);
  });

  it.each(fixture.filters.map((c) => [c.filter, c] as const))('%s', (filter, expected) => {
    const got = outcome(() => filterTraces(rows, parseTraceFilter(filter)).map(label).sort());
    if (expected.error) expect(got).toEqual({ error: [expected.error[0], sortSets(expected.error[1])] });
    else expect(got).toEqual({ result: expected.result });
  });
});

describe('trace order_by against MLflow 3.18 search_traces (SQLite)', () => {
  it.each(fixture.order_by.map((c) => [JSON.stringify(c.order_by), c] as const))('%s', (_, expected) => {
    const got = outcome(() => [...rows].sort(compareTraces(parseTraceSearchOrderBy(expected.order_by))).map(label));
    if (expected.error) expect(got).toEqual({ error: [expected.error[0], sortSets(expected.error[1])] });
    else expect(got).toEqual({ result: expected.result });
  });
});
