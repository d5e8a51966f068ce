/**
 * A throwaway PostgreSQL database per test run on the server test/services/postgres.sh starts
 * (env `MLSTORE_POSTGRES_URL`, else 127.0.0.1 on the port the script publishes in .services/ports.env).
 */
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import { servicePort } from '@mlstore/testkit';

export const postgresAdminUrl = process.env.MLSTORE_POSTGRES_URL ?? `postgresql://postgres@127.0.0.1:${servicePort('MLSTORE_PG_PORT')}/mlstore`;

async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  // Imported on first use, so a run that skips PostgreSQL does not need the driver installed.
  const { default: driver } = await import('pg');
  const client = new driver.Client({ connectionString: postgresAdminUrl, connectionTimeoutMillis: 5_000, query_timeout: 60_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Why PostgreSQL cannot be used, or null when it accepts connections. */
export async function postgresProblem(): Promise<string | null> {
  try {
    await withAdmin((c) => c.query('SELECT 1'));
    return null;
  } catch (e) {
    return `PostgreSQL at ${postgresAdminUrl.replace(/\/\/[^@/]*@/, '//***@')} is not reachable (${(e as Error).message}; run: bash test/services/postgres.sh start)`;
  }
}

export interface TempDatabase {
  name: string;
  /** postgresql://… for our store. */
  url: string;
  /** postgresql+psycopg://… for SQLAlchemy (the venv has psycopg 3, not psycopg2). */
  sqlalchemyUrl: string;
  drop(): Promise<void>;
}

/** Creates `mlstore_interop_<label>_<random>`; `drop()` removes it, closing leftover sessions first. */
export async function createTempDatabase(label: string): Promise<TempDatabase> {
  const name = `mlstore_interop_${label}_${randomBytes(4).toString('hex')}`;
  await withAdmin((c) => c.query(`CREATE DATABASE ${name} ENCODING 'UTF8' TEMPLATE template0`));
  const url = new URL(postgresAdminUrl);
  url.pathname = `/${name}`;
  const plain = url.toString();
  return {
    name,
    url: plain,
    sqlalchemyUrl: plain.replace(/^postgres(ql)?:/, 'postgresql+psycopg:'),
    drop: () =>
      withAdmin(async (c) => {
        await c.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
        await c.query(`DROP DATABASE IF EXISTS ${name}`);
      }),
  };
}
