import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeModelRegistryStore, describeTrackingStore } from '@mlstore/testkit';
import { SqlModelRegistryStore, SqlTrackingStore } from '../src/index.js';
import { serverDatabases } from './server-databases.js';

// The whole tracking kit once per dialect: SQLite always (a fresh file per case group),
// PostgreSQL and MariaDB against the servers test/services/ starts (a fresh database per run).
const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-kit-'));
let n = 0;
describeTrackingStore('sqlite', () => SqlTrackingStore.open(`sqlite:///${join(dir, `kit-${n++}.db`)}`, { artifactRoot: join(dir, 'artifacts') }));

for (const server of serverDatabases()) {
  describeTrackingStore(server.name, async () => SqlTrackingStore.open(await server.uri(), { artifactRoot: join(dir, 'artifacts') }));
}

// The model-registry kit the same way: SQLite always, the server dialects when they run.
describeModelRegistryStore('sqlite', () => SqlModelRegistryStore.open(`sqlite:///${join(dir, `registry-${n++}.db`)}`));

// Where MLflow's own SqlAlchemyStore fails on a server database, so do we (the kit asserts SQLite's
// answers): values longer than their VARCHAR/TEXT column are refused by the database, and MariaDB's
// default collation compares names, tag keys and aliases case-insensitively in its primary keys.
const TOO_LONG = 'the database refuses values longer than the column (VARCHAR(5000), as MLflow on this database; SQLite does not enforce lengths)';
const CASE_INSENSITIVE = "MariaDB's default collation makes the primary keys case-insensitive, as for MLflow on MariaDB";
const serverSkips: Record<'postgresql' | 'mysql', Record<string, string>> = {
  postgresql: {
    'registered models > create keeps a 100000-character tag value': TOO_LONG,
    'registered models > updateRegisteredModel keeps a 5001-character description': TOO_LONG,
    'tags > registered model tag: a value that is 100000 characters round-trips': TOO_LONG,
  },
  mysql: {
    'registered models > create keeps a 100000-character tag value': TOO_LONG,
    'registered models > updateRegisteredModel keeps a 5001-character description': TOO_LONG,
    'tags > registered model tag: a value that is 100000 characters round-trips': TOO_LONG,
    'tags > model version tag: a value that is 100000 characters round-trips': `${TOO_LONG}; model_version_tags.value is TEXT, at most 65535 bytes`,
    'registered models > names are case-sensitive: "X" and "x" are two models': CASE_INSENSITIVE,
    'tags > registered model tag: keys are case-sensitive': CASE_INSENSITIVE,
    'tags > model version tag: keys are case-sensitive': CASE_INSENSITIVE,
    'aliases > aliases are case-sensitive': CASE_INSENSITIVE,
  },
};
for (const server of serverDatabases()) {
  describeModelRegistryStore(server.name, async () => SqlModelRegistryStore.open(await server.uri()), { skip: serverSkips[server.name] });
}
