/**
 * A throwaway MariaDB database per test run on the server test/services/mariadb.sh starts
 * (env `MLSTORE_MYSQL_URL`, else 127.0.0.1 on the port the script publishes in .services/ports.env).
 */
import { randomBytes } from 'node:crypto';
import { servicePort } from '@mlstore/testkit';
import type { TempDatabase } from './postgres.js';

export const mariadbAdminUrl = process.env.MLSTORE_MYSQL_URL ?? `mysql://mlstore:mlstore@127.0.0.1:${servicePort('MLSTORE_MYSQL_PORT')}/mlstore`;

async function adminQuery(statement: string): Promise<void> {
  // Imported on first use, so a run that skips MariaDB does not need the driver installed.
  const mysql = await import('mysql2/promise');
  const url = new URL(mariadbAdminUrl);
  const conn = await mysql.createConnection({
    host: url.hostname,
    port: Number(url.port || 3306),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    database: url.pathname.slice(1),
    connectTimeout: 5_000,
  });
  try {
    await conn.query(statement);
  } finally {
    await conn.end();
  }
}

/** Why MariaDB cannot be used, or null when it accepts connections. */
export async function mariadbProblem(): Promise<string | null> {
  try {
    await adminQuery('SELECT 1');
    return null;
  } catch (e) {
    return `MariaDB at ${mariadbAdminUrl.replace(/\/\/[^@/]*@/, '//***@')} is not reachable (${(e as Error).message}; run: bash test/services/mariadb.sh start)`;
  }
}

/** Creates `mlstore_interop_<label>_<random>` (the server's default charset, as the store-sql suites); `sqlalchemyUrl` uses PyMySQL, which the MLflow venv has. */
export async function createTempMariadbDatabase(label: string): Promise<TempDatabase> {
  const name = `mlstore_interop_${label}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(mariadbAdminUrl);
  url.pathname = `/${name}`;
  const plain = url.toString();
  return {
    name,
    url: plain,
    sqlalchemyUrl: plain.replace(/^mysql:/, 'mysql+pymysql:'),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name}`),
  };
}
