/**
 * Sorting and paging of the file registry's searches, as MLflow's FileStore does them in Python:
 * names compared by code point, an offset page token, a token only when more results follow.
 */
import { encodePageToken, PROMPT_TAG, type OrderByClause, type PagedList } from '@mlstore/core';
import { comparePyStr } from './py-yaml.js';

/** A comparator over `orderBy` (already completed with MLflow's tie-breakers); strings by code point. */
export function compareBy<T>(orderBy: readonly OrderByClause[], value: (item: T, key: string) => string | number): (a: T, b: T) => number {
  return (a, b) => {
    for (const o of orderBy) {
      const x = value(a, o.key);
      const y = value(b, o.key);
      if (x === y) continue;
      const c = typeof x === 'string' && typeof y === 'string' ? comparePyStr(x, y) : x < y ? -1 : 1;
      if (c !== 0) return c * (o.ascending ? 1 : -1);
    }
    return 0;
  };
}

/** One page of `sorted` from `start` (the file flavour refuses limits below 1 before this). */
export function pageOf<T, R>(sorted: readonly T[], start: number, maxResults: number, toEntity: (item: T) => R): PagedList<R> {
  const end = start + maxResults;
  const items = sorted.slice(start, end).map(toEntity);
  return end < sorted.length ? { items, nextPageToken: encodePageToken(end) } : { items };
}

/** The prompt rule of a search (`registryPromptScope`) for one entity's own tags. */
export function promptAllowed(tags: ReadonlyMap<string, string>, prompts: 'only' | 'exclude' | 'as-filtered'): boolean {
  return prompts !== 'exclude' || tags.get(PROMPT_TAG) !== 'true';
}
