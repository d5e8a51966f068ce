export { SqlTrackingStore, type SqlTrackingStoreOptions } from './sql-tracking-store.js';
export { parseSqlUri, type SqlConnectionConfig, type SqlDialectName } from './sql-uri.js';
export { registerSqlTrackingStore } from './register-sql-tracking-store.js';
export { MLFLOW_ALEMBIC_HEAD, MLFLOW_SCHEMA_VERSION } from './schema.js';
