import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeTrackingStore } from '@mlstore/testkit';
import { SqlTrackingStore } from '../src/index.js';
import { serverDatabases } from './server-databases.js';

// The whole tracking kit once per dialect: SQLite always (a fresh file per case group),
// PostgreSQL and MariaDB against the servers test/services/ starts (a fresh database per run).
const dir = mkdtempSync(join(tmpdir(), 'mlstore-sql-kit-'));
let n = 0;
describeTrackingStore('sqlite', () => SqlTrackingStore.open(`sqlite:///${join(dir, `kit-${n++}.db`)}`, { artifactRoot: join(dir, 'artifacts') }));

for (const server of serverDatabases()) {
  describeTrackingStore(server.name, async () => SqlTrackingStore.open(await server.uri(), { artifactRoot: join(dir, 'artifacts') }));
}
