import { describe, expect, it } from 'vitest';
import { toMlflowError } from './errors.js';

/** Texts a database puts in its errors; none may reach an MlflowError's message (the server sends it to clients). */
const DATABASE_TEXT = /SQLITE|syntax|constraint|UNIQUE|secret_table|SELEC|ER_|invalid byte|out of range|0x00|relation "/i;

/** A real better-sqlite3 failure of `statement`. */
async function sqliteError(setup: string[], statement: string): Promise<unknown> {
  const { default: Database } = await import('better-sqlite3');
  const nativeBinding = process.env['MLSTORE_BETTER_SQLITE3_BINDING'];
  const db = new Database(':memory:', nativeBinding ? { nativeBinding } : {});
  try {
    for (const s of setup) db.exec(s);
    db.exec(statement);
  } catch (err) {
    return err;
  } finally {
    db.close();
  }
  throw new Error(`expected ${statement} to fail`);
}

describe('toMlflowError', () => {
  it('maps a real SQL error to INTERNAL_ERROR without its text, keeping it as cause', async () => {
    const cause = await sqliteError([], 'SELEC * FROM secret_table');
    const err = toMlflowError(cause);
    expect(err.errorCode).toBe('INTERNAL_ERROR');
    expect(err.message).not.toMatch(DATABASE_TEXT);
    expect(err.cause).toBe(cause);
  });

  it('maps a real unique violation to BAD_REQUEST without the table or values', async () => {
    const cause = await sqliteError(['CREATE TABLE secret_table (k TEXT PRIMARY KEY)', "INSERT INTO secret_table VALUES ('v')"], "INSERT INTO secret_table VALUES ('v')");
    const err = toMlflowError(cause);
    expect(err.errorCode).toBe('BAD_REQUEST');
    expect(err.message).not.toMatch(DATABASE_TEXT);
  });

  // The shapes node-postgres and mysql2 give their errors (code = SQLSTATE or ER_ name, errno).
  it.each([
    [{ code: '22021', message: 'invalid byte sequence for encoding "UTF8": 0x00' }],
    [{ code: '22003', message: 'value "100000000000000000000" is out of range for type bigint' }],
    [{ code: '22P02', message: 'invalid input syntax for type bigint: "1.5"' }],
    [{ code: 'ER_TRUNCATED_WRONG_VALUE_FOR_FIELD', errno: 1366, message: "Incorrect string value: '\\xF0\\x9F' for column secret_table" }],
    [{ code: 'ER_CANT_AGGREGATE_2COLLATIONS', errno: 1267, message: 'Illegal mix of collations' }],
  ])('maps a value the database cannot hold (%j) to INVALID_PARAMETER_VALUE', (cause) => {
    const err = toMlflowError(cause);
    expect(err.errorCode).toBe('INVALID_PARAMETER_VALUE');
    expect(err.httpStatus).toBe(400);
    expect(err.message).not.toMatch(DATABASE_TEXT);
    expect(err.message).not.toContain(cause.message);
  });

  it('maps an unavailable database to a retryable TEMPORARILY_UNAVAILABLE without the host', () => {
    const err = toMlflowError({ code: 'ECONNREFUSED', message: 'connect ECONNREFUSED 10.1.2.3:5432' });
    expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
    expect(err.retryable).toBe(true);
    expect(err.message).not.toContain('10.1.2.3');
  });

  it('lets an MlflowError through unchanged', async () => {
    const original = toMlflowError(await sqliteError([], 'SELEC 1'));
    expect(toMlflowError(original)).toBe(original);
  });
});
