/**
 * MLflow 3.18's error classification (`mlflow/error_classification.py`): the SQLSTATE and error
 * class every error body carries next to `error_code`. An error raised by a server takes the
 * "client" tables (an `MlflowException` derives them in its constructor); an error *received* from
 * a server without them takes the "control plane" (CP) tables, as `RestException` does.
 * Codes missing from a table have no value, and the field is left out of the body.
 */
type Classification = Readonly<Record<string, string>>;

const CLIENT_INVALID_PARAMETER = 'KAM00';
const CLIENT_INTERNAL_ERROR = 'XXM00';

const CLIENT_SQLSTATE: Classification = {
  BAD_REQUEST: CLIENT_INVALID_PARAMETER,
  CUSTOMER_UNAUTHORIZED: CLIENT_INVALID_PARAMETER,
  ENDPOINT_NOT_FOUND: CLIENT_INVALID_PARAMETER,
  FEATURE_DISABLED: CLIENT_INVALID_PARAMETER,
  INTERNAL_ERROR: CLIENT_INTERNAL_ERROR,
  INVALID_PARAMETER_VALUE: CLIENT_INVALID_PARAMETER,
  INVALID_STATE: CLIENT_INTERNAL_ERROR,
  NOT_FOUND: CLIENT_INVALID_PARAMETER,
  PERMISSION_DENIED: CLIENT_INVALID_PARAMETER,
  RESOURCE_ALREADY_EXISTS: CLIENT_INVALID_PARAMETER,
  RESOURCE_DOES_NOT_EXIST: CLIENT_INVALID_PARAMETER,
  TEMPORARILY_UNAVAILABLE: CLIENT_INTERNAL_ERROR,
};

const CLIENT_ERROR_CLASS: Classification = {
  BAD_REQUEST: 'INVALID_PARAMETER_VALUE',
  CUSTOMER_UNAUTHORIZED: 'PERMISSION_DENIED',
  ENDPOINT_NOT_FOUND: 'RESOURCE_NOT_FOUND',
  FEATURE_DISABLED: 'FEATURE_DISABLED',
  INTERNAL_ERROR: 'CLIENT_INTERNAL_ERROR',
  INVALID_PARAMETER_VALUE: 'INVALID_PARAMETER_VALUE',
  INVALID_STATE: 'CLIENT_INTERNAL_ERROR',
  NOT_FOUND: 'RESOURCE_NOT_FOUND',
  PERMISSION_DENIED: 'PERMISSION_DENIED',
  RESOURCE_ALREADY_EXISTS: 'RESOURCE_ALREADY_EXISTS',
  RESOURCE_DOES_NOT_EXIST: 'RESOURCE_NOT_FOUND',
  TEMPORARILY_UNAVAILABLE: 'CLIENT_INTERNAL_ERROR',
};

// The CP tables pair each code with one (sqlstate, error class) couple.
const CP: Readonly<Record<string, readonly [string, string]>> = {
  BAD_REQUEST: ['KAMC4', 'CP_INVALID_PARAMETER_VALUE'],
  CUSTOMER_UNAUTHORIZED: ['KAMC1', 'CP_PERMISSION_DENIED'],
  ENDPOINT_NOT_FOUND: ['KAMC2', 'CP_RESOURCE_NOT_FOUND'],
  INTERNAL_ERROR: ['XXMC0', 'CP_INTERNAL_ERROR'],
  INVALID_PARAMETER_VALUE: ['KAMC4', 'CP_INVALID_PARAMETER_VALUE'],
  INVALID_STATE: ['XXMC2', 'CP_INVALID_STATE'],
  NOT_FOUND: ['KAMC2', 'CP_RESOURCE_NOT_FOUND'],
  PERMISSION_DENIED: ['KAMC1', 'CP_PERMISSION_DENIED'],
  REQUEST_LIMIT_EXCEEDED: ['KAMC3', 'CP_REQUEST_RATE_LIMITED'],
  RESOURCE_ALREADY_EXISTS: ['KAMC5', 'CP_RESOURCE_CONFLICT'],
  RESOURCE_CONFLICT: ['KAMC5', 'CP_RESOURCE_CONFLICT'],
  RESOURCE_DOES_NOT_EXIST: ['KAMC2', 'CP_RESOURCE_NOT_FOUND'],
  RESOURCE_EXHAUSTED: ['KAMC3', 'CP_REQUEST_RATE_LIMITED'],
  TEMPORARILY_UNAVAILABLE: ['XXMC1', 'CP_TEMPORARILY_UNAVAILABLE'],
  UNAUTHENTICATED: ['KAMC1', 'CP_PERMISSION_DENIED'],
};

// Error classes specific enough to carry their own SQLSTATE (they win over the code's).
const ERROR_CLASS_SQLSTATE: Classification = {
  ATTRIBUTE_NOT_FOUND: 'KAM04',
  MODEL_SERIALIZATION_FAILED: 'KAM03',
  PREDICTION_FUNCTION_FAILED: 'KAM02',
  SCHEMA_ENFORCEMENT_FAILED: 'KAM01',
};

const own = (table: Classification, key: string): string | undefined => (Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined);

/** A SQLSTATE and an error class; either may be absent. */
export interface ErrorClassification {
  sqlstate: string | undefined;
  errorClass: string | undefined;
}

/**
 * The classification an error raised with `errorCode` gets (MLflow's `MlflowException.__init__`):
 * the explicit error class, else the code's; the explicit SQLSTATE, else the error class's, else
 * the code's. `null` means "explicitly none" and is not derived.
 */
export function classifyRaisedError(errorCode: string, explicit: { sqlstate?: string | null; errorClass?: string | null } = {}): ErrorClassification {
  const errorClass = explicit.errorClass === undefined ? own(CLIENT_ERROR_CLASS, errorCode) : (explicit.errorClass ?? undefined);
  let sqlstate = explicit.sqlstate === undefined ? undefined : (explicit.sqlstate ?? undefined);
  if (explicit.sqlstate === undefined) sqlstate = (errorClass !== undefined ? own(ERROR_CLASS_SQLSTATE, errorClass) : undefined) ?? own(CLIENT_SQLSTATE, errorCode);
  return { sqlstate, errorClass };
}

/**
 * The classification of an error received from a server (MLflow's `RestException` and
 * `verify_rest_response`): a non-empty `sqlstate`/`error_class` of the body is kept, a missing
 * one is the CP table's value for `errorCode`.
 */
export function classifyReceivedError(errorCode: string, body: { sqlstate?: unknown; error_class?: unknown } = {}): ErrorClassification {
  const cp = Object.prototype.hasOwnProperty.call(CP, errorCode) ? CP[errorCode] : undefined;
  const given = (v: unknown): string | undefined => (v === undefined || v === null || v === '' ? undefined : String(v));
  return { sqlstate: given(body.sqlstate) ?? cp?.[0], errorClass: given(body.error_class) ?? cp?.[1] };
}
