// The floor for `runs/log-metric` on this machine: a bare node:http server that parses the same
// JSON body and runs the single INSERT INTO metrics a log_metric needs, through the same driver
// (better-sqlite3 or pg) on the same database — no routing, validation, run lookup, transaction,
// latest_metrics upsert, logging or security checks. `pnpm bench:server --bare` measures it with
// the same load as our server and prints ours ÷ bare.
//
//   node --import tsx server/bare-log-metric.ts --backend-store-uri URI --host 127.0.0.1 --port N
//
// Answers POST …/runs/log-metric with `{}` and GET /health with `OK`; everything else 404.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    'backend-store-uri': { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
  },
});
const uri = args['backend-store-uri'];
if (!uri) throw new Error('--backend-store-uri is required');

/** One metric row, as the request carries it. */
type Row = [key: string, value: number, timestamp: number, step: number, isNan: number, runUuid: string];

/** The same statement our store sends for one metric (duplicates of the primary key are skipped). */
const INSERT = 'INSERT INTO metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES';

async function openInsert(u: string): Promise<(row: Row) => Promise<unknown>> {
  if (u.startsWith('sqlite:')) {
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(u.replace(/^sqlite:\/\/\//, ''));
    // The pragmas our store sets on every SQLite connection (packages/store-sql connection.ts).
    db.pragma('busy_timeout = 20000');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const stmt = db.prepare(`${INSERT} (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`);
    return async (row) => stmt.run(...row);
  }
  const { default: pg } = await import('pg');
  // Our store's pool size (MLflow's 5 + 10 overflow); BIGINTs need no parsing for an INSERT.
  const pool = new pg.Pool({ connectionString: u, max: 15 });
  const text = `${INSERT} ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`;
  return (row) => pool.query(text, row);
}

const insert = await openInsert(uri);

function send(res: ServerResponse, status: number, body: string, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function logMetric(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { run_id: string; key: string; value: number; timestamp: number; step?: number };
  await insert([m.key, m.value, m.timestamp, m.step ?? 0, Number.isNaN(m.value) ? 1 : 0, m.run_id]);
  send(res, 200, '{}');
}

const server = createServer((req, res) => {
  if (req.method === 'POST' && req.url?.endsWith('/runs/log-metric')) {
    logMetric(req, res).catch((e: unknown) => send(res, 500, JSON.stringify({ error_code: 'INTERNAL_ERROR', message: String(e) })));
  } else if (req.url === '/health') send(res, 200, 'OK', 'text/plain');
  else send(res, 404, '{}');
});
server.keepAliveTimeout = 5_000;
server.listen(Number(args.port), args.host, () => process.stderr.write(`bare log-metric server listening on ${args.host}:${args.port}\n`));
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
