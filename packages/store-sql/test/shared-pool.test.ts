import { describe, expect, it } from 'vitest';
import { SqlModelRegistryStore, SqlTrackingStore, parseSqlUri } from '../src/index.js';
import { serverDatabases, type ServerDatabase } from './server-databases.js';

// One server process opens a tracking store and a model registry on the same database: they share
// one connection pool (MLflow opens an engine for each), so the process holds at most
// size + maxOverflow connections. Counted from the database server's side.

const POOL = { size: 2, maxOverflow: 1 };

/** Connections to the database of `uri`, other than the counting one, as the server lists them. */
async function connectionsTo(name: ServerDatabase['name'], uri: string): Promise<number> {
  const c = parseSqlUri(uri);
  if (name === 'postgresql') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database });
    await client.connect();
    try {
      const r = await client.query<{ n: string }>('SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()');
      return Number(r.rows[0]!.n);
    } finally {
      await client.end();
    }
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ host: c.host, port: c.port, user: c.user, password: c.password, database: c.database });
  try {
    const [rows] = await conn.query('SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE DB = DATABASE() AND ID <> CONNECTION_ID()');
    return Number((rows as { n: number }[])[0]!.n);
  } finally {
    await conn.end();
  }
}

for (const server of serverDatabases()) {
  describe(`${server.name}: one pool per database per process`, () => {
    it('is shared by the tracking store and the registry, bounded by the pool settings, and closed with the last store', async () => {
      const uri = await server.uri();
      const tracking = await SqlTrackingStore.open(uri, { pool: POOL, artifactRoot: '/tmp/mlstore-shared-pool' });
      const registry = await SqlModelRegistryStore.open(uri, { pool: POOL });
      // 20 requests in flight on each store: two pools would open up to 2 × 3 connections.
      await Promise.all([
        ...Array.from({ length: 20 }, (_, i) => tracking.createExperiment(`e${i}`)),
        ...Array.from({ length: 20 }, (_, i) => registry.createRegisteredModel(`m${i}`)),
      ]);
      const open = await connectionsTo(server.name, uri);
      expect(open).toBeGreaterThan(0);
      expect(open).toBeLessThanOrEqual(POOL.size + POOL.maxOverflow);

      // Closing one store leaves the pool to the other.
      await tracking.close();
      await tracking.close();
      expect((await registry.getRegisteredModel('m7')).name).toBe('m7');
      await registry.close();
      await expect.poll(() => connectionsTo(server.name, uri)).toBe(0);
    });
  });
}
