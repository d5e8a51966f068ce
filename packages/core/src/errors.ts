import { classifyRaisedError } from './error-classification.js';

/** MLflow error codes (databricks.proto `ErrorCode` names) and the HTTP status MLflow answers with. */
export const ERROR_CODE_TO_HTTP_STATUS = {
  INTERNAL_ERROR: 500,
  INVALID_STATE: 500,
  DATA_LOSS: 500,
  NOT_IMPLEMENTED: 501,
  TEMPORARILY_UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
  REQUEST_LIMIT_EXCEEDED: 429,
  CANCELLED: 499,
  RESOURCE_EXHAUSTED: 429,
  ABORTED: 409,
  RESOURCE_CONFLICT: 409,
  ALREADY_EXISTS: 409,
  NOT_FOUND: 404,
  ENDPOINT_NOT_FOUND: 404,
  RESOURCE_DOES_NOT_EXIST: 404,
  PERMISSION_DENIED: 403,
  CUSTOMER_UNAUTHORIZED: 401,
  UNAUTHENTICATED: 401,
  BAD_REQUEST: 400,
  RESOURCE_ALREADY_EXISTS: 400,
  INVALID_PARAMETER_VALUE: 400,
  // Codes MLflow defines without a table entry; they answer 500 like every unknown code.
  IO_ERROR: 500,
  MALFORMED_REQUEST: 500,
  INVALID_STATE_TRANSITION: 500,
  COULD_NOT_ACQUIRE_LOCK: 500,
  FEATURE_DISABLED: 500,
  MAX_BLOCK_SIZE_EXCEEDED: 500,
  MAX_READ_SIZE_EXCEEDED: 500,
  DIRECTORY_NOT_EMPTY: 500,
  MAX_NOTEBOOK_SIZE_EXCEEDED: 500,
  MAX_CHILD_NODE_SIZE_EXCEEDED: 500,
  SEARCH_QUERY_TOO_LONG: 500,
  SEARCH_QUERY_TOO_SHORT: 500,
  QUOTA_EXCEEDED: 500,
  MAX_LIST_SIZE_EXCEEDED: 500,
  DRY_RUN_FAILED: 500,
  RESOURCE_LIMIT_EXCEEDED: 500,
  DIRECTORY_PROTECTED: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODE_TO_HTTP_STATUS;

/** Codes a client may retry (transient server-side conditions). */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'TEMPORARILY_UNAVAILABLE',
  'REQUEST_LIMIT_EXCEEDED',
  'RESOURCE_EXHAUSTED',
  'DEADLINE_EXCEEDED',
  'ABORTED',
]);

/** HTTP status for an error code; unknown codes map to 500 as in MLflow. */
export function httpStatusForErrorCode(code: string): number {
  return (ERROR_CODE_TO_HTTP_STATUS as Record<string, number>)[code] ?? 500;
}

/**
 * The error code a client infers from a bare HTTP status (no JSON body), as MLflow's REST client
 * does: the reverse of the table, with 400 → BAD_REQUEST, 404 → ENDPOINT_NOT_FOUND, else INTERNAL_ERROR.
 */
export function errorCodeForHttpStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return 'BAD_REQUEST';
    case 404:
      return 'ENDPOINT_NOT_FOUND';
    case 401:
      return 'UNAUTHENTICATED';
    case 403:
      return 'PERMISSION_DENIED';
    case 409:
      return 'RESOURCE_CONFLICT';
    case 429:
      return 'RESOURCE_EXHAUSTED';
    case 499:
      return 'CANCELLED';
    case 501:
      return 'NOT_IMPLEMENTED';
    case 503:
      return 'TEMPORARILY_UNAVAILABLE';
    case 504:
      return 'DEADLINE_EXCEEDED';
    default:
      return 'INTERNAL_ERROR';
  }
}

const BRAND = Symbol.for('mlstore.MlflowError');

export interface MlflowErrorOptions {
  /** The underlying failure (a driver or SDK error), kept for diagnosis. */
  cause?: unknown;
  /** Overrides the default retryability of the code. */
  retryable?: boolean;
  /** MLflow's SQLSTATE (default: derived from the error class, else the code); `null` for none. */
  sqlstate?: string | null;
  /** MLflow's error class (default: derived from the code); `null` for none. */
  errorClass?: string | null;
}

/** MLflow's REST error body (`MlflowException.serialize_as_json`). */
export interface MlflowErrorBody {
  error_code: ErrorCode;
  message: string;
  sqlstate?: string;
  error_class?: string;
}

/**
 * The one error class of mlstore: an MLflow error code, its HTTP status, MLflow 3.18's
 * classification (`sqlstate`, `errorClass`, derived from the code unless given), and the original
 * failure as `cause`. `toJSON()` gives MLflow's REST error body.
 */
export class MlflowError extends Error {
  readonly errorCode: ErrorCode;
  readonly httpStatus: number;
  readonly retryable: boolean;
  /** MLflow's 5-character SQLSTATE (`KAM00`, …); undefined for codes MLflow leaves unclassified. */
  readonly sqlstate: string | undefined;
  /** MLflow's error class (`INVALID_PARAMETER_VALUE`, `RESOURCE_NOT_FOUND`, …), or undefined. */
  readonly errorClass: string | undefined;

  constructor(message: string, errorCode: ErrorCode = 'INTERNAL_ERROR', options: MlflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'MlflowError';
    this.errorCode = errorCode;
    this.httpStatus = httpStatusForErrorCode(errorCode);
    this.retryable = options.retryable ?? RETRYABLE.has(errorCode);
    const { sqlstate, errorClass } = classifyRaisedError(errorCode, options);
    this.sqlstate = sqlstate;
    this.errorClass = errorClass;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Shorthand for an `INVALID_PARAMETER_VALUE` error. */
  static invalidParameter(message: string, options?: MlflowErrorOptions): MlflowError {
    return new MlflowError(message, 'INVALID_PARAMETER_VALUE', options);
  }

  /** Shorthand for a `RESOURCE_DOES_NOT_EXIST` error. */
  static notFound(message: string, options?: MlflowErrorOptions): MlflowError {
    return new MlflowError(message, 'RESOURCE_DOES_NOT_EXIST', options);
  }

  /** MLflow's JSON error body: `sqlstate` and `error_class` only when set, in MLflow's key order. */
  toJSON(): MlflowErrorBody {
    const body: MlflowErrorBody = { error_code: this.errorCode, message: this.message };
    if (this.sqlstate !== undefined) body.sqlstate = this.sqlstate;
    if (this.errorClass !== undefined) body.error_class = this.errorClass;
    return body;
  }
}

/** True for any MlflowError, even one from another copy of @mlstore/core. */
export function isMlflowError(value: unknown): value is MlflowError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}
