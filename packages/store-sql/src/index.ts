export { SqlTrackingStore, type SqlTrackingStoreOptions } from './sql-tracking-store.js';
export { parseSqlUri, type SqlConnectionConfig, type SqlDialectName } from './sql-uri.js';
export { resolvePoolOptions, SQL_URI_SCHEMES, type SqlPoolOptions } from './pool-options.js';
export { registerSqlTrackingStore } from './register-sql-tracking-store.js';
export { MLFLOW_ALEMBIC_HEAD, MLFLOW_SCHEMA_VERSION } from './schema.js';
export { SqlModelRegistryStore, type SqlModelRegistryStoreOptions, type SqlRegistryConnection } from './sql-model-registry-store.js';
export { registerSqlModelRegistryStore } from './register-sql-model-registry-store.js';
