/**
 * Row counts of a target's store, read beside the server (not through it): every table of a SQL
 * database, or every kind of file of a file store. An injected `DROP TABLE`, `DELETE` or `UPDATE`
 * shows as a table gone or a count changed; an injected `CREATE`/`ATTACH` as a table added.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Provisioned } from './targets.js';

/** Table (or file kind) → row (or file) count. */
export type StoreSnapshot = Record<string, number>;

async function sqlCounts(uri: string, dialect: 'sqlite' | 'postgresql' | 'mysql'): Promise<StoreSnapshot> {
  const out: StoreSnapshot = {};
  if (dialect === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const nativeBinding = process.env['MLSTORE_BETTER_SQLITE3_BINDING'];
    const db = new Database(uri.replace(/^sqlite:\/\/\//, ''), { readonly: true, fileMustExist: true, ...(nativeBinding ? { nativeBinding } : {}) });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[];
      for (const { name } of tables) out[name] = (db.prepare(`SELECT COUNT(*) AS n FROM "${name}"`).get() as { n: number }).n;
    } finally {
      db.close();
    }
    return out;
  }
  if (dialect === 'postgresql') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
      for (const { table_name } of rows) out[table_name] = Number((await client.query<{ n: string }>(`SELECT COUNT(*) AS n FROM "${table_name}"`)).rows[0]?.n);
    } finally {
      await client.end();
    }
    return out;
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri, connectTimeout: 3000 });
  try {
    const [tables] = await conn.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE() ORDER BY table_name');
    for (const { t } of tables as { t: string }[]) {
      const [rows] = await conn.query(`SELECT COUNT(*) AS n FROM \`${t}\``);
      out[t] = Number((rows as { n: number }[])[0]?.n);
    }
  } finally {
    await conn.end();
  }
  return out;
}

/** Files of an mlruns folder counted by kind: meta.yaml, params/…, tags/…, metrics/…, and so on. */
function fileCounts(root: string): StoreSnapshot {
  const out: StoreSnapshot = {};
  const walk = (dir: string, depth: number) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, e.name);
      if (e.isDirectory()) walk(full, depth + 1);
      else {
        const kind = `${dir.split('/').slice(-1)[0]?.replace(/^[0-9a-f-]{8,}$|^\d+$/, '<id>')}/${e.name.endsWith('.yaml') ? e.name : '<file>'}`;
        out[kind] = (out[kind] ?? 0) + 1;
      }
    }
  };
  walk(root, 0);
  return out;
}

/** The row counts of the target's store now. */
export async function snapshotStore(p: Provisioned): Promise<StoreSnapshot> {
  if (p.sqlDialect) return sqlCounts(p.backendStoreUri, p.sqlDialect);
  if (p.mlrunsDir) return fileCounts(p.mlrunsDir);
  throw new Error('no way to count the rows of this target');
}
