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

/**
 * Maps a driver failure to MLflow's codes the way SqlAlchemyStore's sessions do: connection and
 * operational failures → TEMPORARILY_UNAVAILABLE (retryable), constraint violations → BAD_REQUEST,
 * anything else → INTERNAL_ERROR. The driver error is kept as `cause`; MlflowErrors pass through.
 */
export function toMlflowError(err: unknown): MlflowError {
  if (isMlflowError(err)) return err;
  const e = (err ?? {}) as DriverError;
  const message = `${PREFIX}${e.message ?? String(err)}`;
  const code = String(e.code ?? '');
  if (UNAVAILABLE.has(code) || isRetryableConflict(err) || code.startsWith('08')) {
    return new MlflowError(message, 'TEMPORARILY_UNAVAILABLE', { cause: err });
  }
  if (code.startsWith('23') || code.startsWith('SQLITE_CONSTRAINT') || code.startsWith('ER_DUP') || code.startsWith('ER_NO_REFERENCED')) {
    return new MlflowError(message, 'BAD_REQUEST', { cause: err });
  }
  return new MlflowError(message, 'INTERNAL_ERROR', { cause: err });
}
