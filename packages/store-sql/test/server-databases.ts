import { randomBytes } from 'node:crypto';
import { afterAll, describe, it } from 'vitest';
import { servicePort } from '@mlstore/testkit';
import { parseSqlUri } from '../src/index.js';

/** A server dialect under test: its name and a factory of URIs of fresh, empty databases. */
export interface ServerDatabase {
  name: 'postgresql' | 'mysql';
  uri(): Promise<string>;
}

// The servers of test/services/{postgres,mariadb}.sh, on the ports they publish in .services/ports.env.
const DEFAULTS = {
  postgresql: process.env['MLSTORE_POSTGRES_URL'] ?? `postgresql://postgres@127.0.0.1:${servicePort('MLSTORE_PG_PORT')}/mlstore`,
  mysql: process.env['MLSTORE_MYSQL_URL'] ?? `mysql://mlstore:mlstore@127.0.0.1:${servicePort('MLSTORE_MYSQL_PORT')}/mlstore`,
} as const;

const required = process.env['MLSTORE_REQUIRE_SERVICES'] === '1';

async function adminQuery(name: 'postgresql' | 'mysql', statement: string): Promise<void> {
  const config = parseSqlUri(DEFAULTS[name]);
  if (name === 'postgresql') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ host: config.host, port: config.port, user: config.user, password: config.password, database: config.database, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  } else {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ host: config.host, port: config.port, user: config.user, password: config.password, database: config.database, connectTimeout: 3000 });
    try {
      await conn.query(statement);
    } finally {
      await conn.end();
    }
  }
}

/** True when the server answers (probed once per file, synchronously before suites are declared). */
async function reachable(name: 'postgresql' | 'mysql'): Promise<boolean> {
  try {
    await adminQuery(name, 'SELECT 1');
    return true;
  } catch {
    return false;
  }
}

const available = {
  postgresql: await reachable('postgresql'),
  mysql: await reachable('mysql'),
};

/**
 * The server dialects to test. A server that is down is reported as a failing case under
 * MLSTORE_REQUIRE_SERVICES=1 (CI) and as a loud skip otherwise. Every `uri()` creates a new
 * database (dropped after the file) so runs never see each other's data.
 */
export function serverDatabases(): ServerDatabase[] {
  const out: ServerDatabase[] = [];
  for (const name of ['postgresql', 'mysql'] as const) {
    if (!available[name]) {
      const why = `${name} is not reachable at ${parseSqlUri(DEFAULTS[name]).redacted}; start it with test/services/${name === 'mysql' ? 'mariadb' : 'postgres'}.sh start`;
      if (required) {
        describe(`${name} server`, () => it('is running (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(why); }));
      } else {
        describe.skip(`${name} server (SKIPPED: ${why})`, () => it('needs the server', () => {}));
        process.stderr.write(`[store-sql] SKIPPING ${name}: ${why}\n`);
      }
      continue;
    }
    const created: string[] = [];
    afterAll(async () => {
      for (const db of created) await adminQuery(name, `DROP DATABASE IF EXISTS ${db}`).catch(() => undefined);
    });
    out.push({
      name,
      uri: async () => {
        const db = `mlstore_t_${randomBytes(6).toString('hex')}`;
        await adminQuery(name, `CREATE DATABASE ${db}`);
        created.push(db);
        const url = new URL(DEFAULTS[name]);
        url.pathname = `/${db}`;
        return url.toString();
      },
    });
  }
  return out;
}
