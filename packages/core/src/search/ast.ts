/** Entity types of MLflow's search language (aliases such as `metrics`, `params`, `attr` are normalised). */
export type SearchEntityType = 'metric' | 'parameter' | 'tag' | 'attribute' | 'dataset';

/** Comparators, upper-cased. */
export type SearchComparator = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN' | 'IS NULL' | 'IS NOT NULL';

/** One `<entity>.<key> <comparator> <value>` clause; a filter is the AND of its clauses. */
export interface SearchComparison {
  type: SearchEntityType;
  key: string;
  comparator: SearchComparator;
  /**
   * A number for metrics; for int64 attributes (times, timestamps) an integer inside int64 — a
   * number, or a bigint beyond 2^53 — after `integerComparison`'s rewrite; a string list for
   * IN / NOT IN; null for IS [NOT] NULL; a string otherwise.
   */
  value: string | number | bigint | string[] | null;
}

/** One parsed `order_by` clause. */
export interface OrderByClause {
  type: SearchEntityType;
  key: string;
  ascending: boolean;
}

/** MLflow's default and maximum `max_results` for run and experiment searches. */
export const SEARCH_MAX_RESULTS_DEFAULT = 1000;
export const SEARCH_MAX_RESULTS_THRESHOLD = 50000;
