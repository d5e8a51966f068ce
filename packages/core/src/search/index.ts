export { SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_THRESHOLD, type OrderByClause, type SearchComparator, type SearchComparison, type SearchEntityType } from './ast.js';
export { tokenize, type Token, type TokenKind } from './tokenizer.js';
export { finiteDouble, INT64_MAX, INT64_MIN, integerComparison, type IntegerValue, type NumericComparator } from './integer-comparison.js';
export { parseExperimentFilter, parseExperimentOrderBy, parseRunFilter, parseRunOrderBy } from './search-filters.js';
export { parseLoggedModelFilter } from './logged-model-filter.js';
export {
  compareExperiments,
  compareLoggedModels,
  compareNullsLast,
  compareRuns,
  experimentMatches,
  experimentOrderClauses,
  likeToRegExp,
  loggedModelMatches,
  runMatches,
} from './evaluate.js';
export {
  decodeLoggedModelPageToken,
  decodePageToken,
  encodeLoggedModelPageToken,
  encodePageToken,
  pageTokenFields,
  paginate,
  type LoggedModelTokenRequest,
} from './page-token.js';
export {
  parseTraceFilter,
  parseTraceFilterClauses,
  parseTraceSearchOrderBy,
  type TraceOrderByClause,
  type TraceSearchComparator,
  type TraceSearchComparison,
  type TraceSearchEntityType,
} from './trace-filter.js';
export {
  TRACE_ANALYTICS_COLUMNS,
  analyticsColumnsFromMetadata,
  analyticsFilterColumns,
  analyticsMetadataFromColumns,
  canonicalAnalyticsFilterValue,
} from './trace-analytics.js';
export { compareTraces, filterTraces, spanAttributeContentClause, traceOrderClauses, type TraceAssessmentView, type TraceSearchRow, type TraceSpanView } from './trace-evaluate.js';
export {
  checkModelVersionMaxResults,
  checkRegisteredModelMaxResults,
  modelVersionMatches,
  parseModelVersionFilter,
  parseModelVersionOrderBy,
  parseRegisteredModelFilter,
  parseRegisteredModelOrderBy,
  registeredModelMatches,
  registryPromptScope,
  type RegistryFlavour,
} from './registry-filter.js';
