/**
 * The SQL side of the kill -9 durability attack, read with the plain drivers (not the store's code):
 * SQLite's own integrity and foreign-key checks, and on every dialect `latest_metrics` against the
 * maximum (step, timestamp, value) of `metrics` for each run and key of the attacked experiment.
 */
import BetterSqlite3 from 'better-sqlite3';

/** better-sqlite3's options for the Node running the tests (CI's Node 24 leg passes its own binary). */
function sqliteBinding(): { nativeBinding?: string } {
  const nativeBinding = process.env['MLSTORE_BETTER_SQLITE3_BINDING'];
  return nativeBinding ? { nativeBinding } : {};
}

type Row = Record<string, unknown>;

/** The file of a `sqlite:///…` URI. */
export function sqliteFile(uri: string): string {
  return uri.replace(/^sqlite:\/\//, '');
}

/** Runs read-only statements on the database of a store URI with the dialect's driver. */
async function query(uri: string, statements: string[]): Promise<Row[][]> {
  if (uri.startsWith('sqlite:')) {
    const db = new BetterSqlite3(sqliteFile(uri), sqliteBinding());
    try {
      return statements.map((s) => db.prepare(s).all() as Row[]);
    } finally {
      db.close();
    }
  }
  if (uri.startsWith('postgresql:')) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      const out: Row[][] = [];
      for (const s of statements) out.push((await client.query(s)).rows as Row[]);
      return out;
    } finally {
      await client.end();
    }
  }
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({ uri, connectTimeout: 5000 });
  try {
    const out: Row[][] = [];
    for (const s of statements) out.push((await conn.query(s))[0] as Row[]);
    return out;
  } finally {
    await conn.end();
  }
}

/**
 * Opens the SQLite file a killed server left (recovering its WAL, as the next server would) and
 * returns what `PRAGMA integrity_check` and `PRAGMA foreign_key_check` report ([] when sound).
 */
export function sqliteIntegrityProblems(uri: string): string[] {
  const db = new BetterSqlite3(sqliteFile(uri), sqliteBinding());
  try {
    const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
    const foreign = db.pragma('foreign_key_check') as Row[];
    return [...(integrity.join() === 'ok' ? [] : integrity.map((r) => `integrity_check: ${r}`)), ...foreign.map((r) => `foreign_key_check: ${JSON.stringify(r)}`)];
  } finally {
    db.close();
  }
}

/**
 * `latest_metrics` against `metrics` for every run of the experiment: one latest row per (run, key)
 * that has metrics, none for a key without, each equal to the history's maximum by (step,
 * timestamp, value). Also returns the row counts, for the report.
 */
export async function latestMetricsProblems(uri: string, experimentId: string): Promise<{ problems: string[]; metricRows: number; latestRows: number; runs: number }> {
  if (!/^\d+$/.test(experimentId)) throw new Error(`unexpected experiment id ${experimentId}`);
  const cols = (t: string) => `${t}.run_uuid AS run_uuid, ${t}.key AS mkey, ${t}.value AS value, ${t}.timestamp AS ts, ${t}.step AS step`;
  const [metrics, latestRows, runs] = await query(uri, [
    `SELECT ${cols('m')} FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid WHERE r.experiment_id = ${experimentId}`,
    `SELECT ${cols('l')} FROM latest_metrics l JOIN runs r ON r.run_uuid = l.run_uuid WHERE r.experiment_id = ${experimentId}`,
    `SELECT r.run_uuid AS run_uuid FROM runs r WHERE r.experiment_id = ${experimentId}`,
  ]);
  const norm = (r: Row) => ({ id: `${String(r['run_uuid'])}/${String(r['mkey'])}`, value: Number(r['value']), ts: Number(r['ts']), step: Number(r['step']) });
  const best = new Map<string, ReturnType<typeof norm>>();
  for (const m of metrics!.map(norm)) {
    const b = best.get(m.id);
    if (!b || m.step > b.step || (m.step === b.step && (m.ts > b.ts || (m.ts === b.ts && m.value > b.value)))) best.set(m.id, m);
  }
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const l of latestRows!.map(norm)) {
    if (seen.has(l.id)) problems.push(`latest_metrics holds ${l.id} twice`);
    seen.add(l.id);
    const b = best.get(l.id);
    if (!b) problems.push(`latest_metrics holds ${l.id}, metrics has no row for it`);
    else if (b.value !== l.value || b.ts !== l.ts || b.step !== l.step) {
      problems.push(`latest_metrics ${l.id} = ${l.value}@${l.step}/${l.ts}, the maximum in metrics is ${b.value}@${b.step}/${b.ts}`);
    }
  }
  for (const id of best.keys()) if (!seen.has(id)) problems.push(`metrics has ${id}, latest_metrics has no row for it`);
  return { problems, metricRows: metrics!.length, latestRows: latestRows!.length, runs: runs!.length };
}
