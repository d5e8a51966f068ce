import { describe, expect, it } from 'vitest';
import { resolvePoolOptions } from './connection.js';

describe('resolvePoolOptions', () => {
  it('defaults to SQLAlchemy QueuePool sizes and no recycling', () => {
    expect(resolvePoolOptions({}, {})).toEqual({ size: 5, maxOverflow: 10, recycleSeconds: -1 });
  });

  it("reads MLflow's MLFLOW_SQLALCHEMYSTORE_* variables", () => {
    const env = { MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '20', MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: '0', MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE: '3600' };
    expect(resolvePoolOptions({}, env)).toEqual({ size: 20, maxOverflow: 0, recycleSeconds: 3600 });
  });

  it('lets explicit options win over the environment', () => {
    expect(resolvePoolOptions({ size: 2 }, { MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '20' }).size).toBe(2);
  });

  it.each([
    [{ MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: 'lots' }, /must be an integer/],
    [{ MLFLOW_SQLALCHEMYSTORE_POOL_SIZE: '0' }, /at least 1/],
    [{ MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW: '-1' }, /must not be negative/],
  ])('refuses %o', (env, message) => {
    expect(() => resolvePoolOptions({}, env)).toThrow(message);
  });
});
