// Proof that each server's database received the writes it acknowledged: rows per benchmark
// experiment, counted in the database itself after the server stopped.
import type { Databases, SideDatabase } from '../sql/databases.ts';

export interface ExperimentRows {
  runs: number;
  metrics: number;
}

const COUNTS_SQL = `
  SELECT e.name AS name,
         (SELECT COUNT(*) FROM runs r WHERE r.experiment_id = e.experiment_id) AS runs,
         (SELECT COUNT(*) FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid WHERE r.experiment_id = e.experiment_id) AS metrics
  FROM experiments e WHERE e.name LIKE 'bench-%'`;

type Row = { name: string; runs: number | string; metrics: number | string };

/** Runs and metric rows of every `bench-*` experiment, by name. */
export async function countRows(dbs: Databases, side: SideDatabase): Promise<Record<string, ExperimentRows>> {
  let rows: Row[];
  if (dbs.backend === 'sqlite') {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(side.label, { readonly: true });
    try {
      rows = db.prepare(COUNTS_SQL).all() as Row[];
    } finally {
      db.close();
    }
  } else if (dbs.backend === 'postgresql') {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: side.ours });
    await client.connect();
    try {
      rows = (await client.query(COUNTS_SQL)).rows as Row[];
    } finally {
      await client.end();
    }
  } else {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection(side.ours);
    try {
      rows = (await conn.query(COUNTS_SQL))[0] as Row[];
    } finally {
      await conn.end();
    }
  }
  return Object.fromEntries(rows.map((r) => [r.name, { runs: Number(r.runs), metrics: Number(r.metrics) }]));
}
