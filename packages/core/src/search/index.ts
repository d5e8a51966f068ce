export { SEARCH_MAX_RESULTS_DEFAULT, SEARCH_MAX_RESULTS_THRESHOLD, type OrderByClause, type SearchComparator, type SearchComparison, type SearchEntityType } from './ast.js';
export { tokenize, type Token, type TokenKind } from './tokenizer.js';
export {
  parseExperimentFilter,
  parseExperimentOrderBy,
  parseLoggedModelFilter,
  parseRunFilter,
  parseRunOrderBy,
} from './search-filters.js';
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
  paginate,
  type LoggedModelTokenRequest,
} from './page-token.js';
