import { MlflowError, isMlflowError } from '@mlstore/core';

const PREFIX = '@mlstore/store-sql: ';

interface DriverError {
  code?: string | number;
  errno?: number;
  message?: string;
}

/** Transaction conflicts that succeed when the transaction is run again. */
export function isRetryableConflict(err: unknown): boolean {
  const e = err as DriverError;
  if (!e || typeof e !== 'object') return false;
  switch (e.code) {
    case '40P01': // PostgreSQL deadlock_detected
    case '40001': // serialization_failure
    case 'ER_LOCK_DEADLOCK':
    case 'ER_LOCK_WAIT_TIMEOUT':
    case 'SQLITE_BUSY':
    case 'SQLITE_BUSY_SNAPSHOT':
    case 'SQLITE_LOCKED':
      return true;
    default:
      return e.errno === 1213 || e.errno === 1205;
  }
}

/** A unique or primary-key violation. */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as DriverError;
  return (
    !!e &&
    (e.code === '23505' ||
      e.code === 'ER_DUP_ENTRY' ||
      e.errno === 1062 ||
      e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ||
      e.code === 'SQLITE_CONSTRAINT_UNIQUE')
  );
}

const UNAVAILABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  '57P01',
  '57P03',
  '53300',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_FULL',
  'SQLITE_IOERR',
]);

/** Values the database cannot hold or compare: PostgreSQL's class 22, their MySQL and SQLite counterparts. */
function isDataException(code: string, errno: number | undefined): boolean {
  if (/^22[0-9A-Z]{3}$/.test(code)) return true; // e.g. 22021 NUL byte, 22001 too long, 22003 out of range
  if (code === 'SQLITE_TOOBIG' || code === 'SQLITE_MISMATCH' || code === 'SQLITE_RANGE') return true;
  // MySQL: out of range (1264), incorrect string value (1366), data too long (1406), truncated
  // value (1292), invalid character string (1300), illegal mix of collations (1267, 1270, 1271).
  return errno !== undefined && [1264, 1366, 1406, 1292, 1300, 1267, 1270, 1271].includes(errno);
}

/**
 * Maps a driver failure to MLflow's codes the way SqlAlchemyStore's sessions do: connection and
 * operational failures → TEMPORARILY_UNAVAILABLE (retryable), constraint violations → BAD_REQUEST,
 * values the database cannot hold (a NUL character on PostgreSQL, a value too long or out of range)
 * → INVALID_PARAMETER_VALUE, anything else → INTERNAL_ERROR. MlflowErrors pass through.
 *
 * The message never carries the driver's text: it can quote SQL, table and column names or the
 * values of other rows, and the server sends an MlflowError's message to the client. The driver
 * error stays as `cause`, for the server's log.
 */
export function toMlflowError(err: unknown): MlflowError {
  if (isMlflowError(err)) return err;
  const e = (err ?? {}) as DriverError;
  const code = String(e.code ?? '');
  if (UNAVAILABLE.has(code) || isRetryableConflict(err) || code.startsWith('08')) {
    return new MlflowError(`${PREFIX}the database is unavailable or busy; retry the request.`, 'TEMPORARILY_UNAVAILABLE', { cause: err });
  }
  if (code.startsWith('23') || code.startsWith('SQLITE_CONSTRAINT') || code.startsWith('ER_DUP') || code.startsWith('ER_NO_REFERENCED')) {
    return new MlflowError(`${PREFIX}the database refused the change: it conflicts with existing data.`, 'BAD_REQUEST', { cause: err });
  }
  if (isDataException(code, e.errno)) {
    return MlflowError.invalidParameter(
      `${PREFIX}the database cannot store or compare a value of the request (for example a NUL character, or a value too long or too large for its column).`,
      { cause: err },
    );
  }
  return new MlflowError(`${PREFIX}the database failed the request.`, 'INTERNAL_ERROR', { cause: err });
}
