/**
 * The writers of the kill -9 durability attack: N concurrent clients (plain fetch, keep-alive) that
 * create runs, log batches and metrics, set tags and PUT artifacts through the proxy, each write
 * carrying values no other write carries, and a ledger of exactly which writes were acknowledged
 * (HTTP 200 received) and which were cut by the kill.
 */
import { createHash, randomBytes } from 'node:crypto';

/** One metric value a write carried; its value is unique over the whole attack. */
export interface SentMetric {
  key: string;
  value: number;
  step: number;
  timestamp: number;
}

/** What one write asked for, and what became of it. */
export interface Write {
  kind: 'create-run' | 'log-batch' | 'log-metric' | 'set-tag' | 'artifact';
  client: number;
  /** The kill cycle the write was sent in (0-based). */
  cycle: number;
  /** performance.now() when it was sent (before the kill: it was in flight). */
  sentAt: number;
  /** `acked`: HTTP 200 received; `cut`: no answer (connection refused or reset by the kill); `answered`: any other status. */
  outcome: 'acked' | 'cut' | 'answered';
  status?: number;
  /** The answer's body when it was not 200, or the connection error's code when cut (`ECONNREFUSED`: sent after the kill). */
  answer?: string;
  /** create-run: the unique run name; the run id once acknowledged. */
  runName?: string;
  runId?: string;
  metrics?: SentMetric[];
  params?: { key: string; value: string }[];
  /** Tags with unique keys (set-tag) — and, for log-batch, the client's `last` tag, overwritten by each batch. */
  tags?: { key: string; value: string }[];
  /** artifact: the path below /api/2.0/mlflow-artifacts/artifacts/ and the bytes sent. */
  artifact?: { path: string; bytes: Buffer; sha256: string };
}

/** The key of the tag each log-batch of a client overwrites (last-writer-wins across the kill). */
export const lastTagKey = (client: number) => `last-c${client}`;

/** Every write sent, in the order each client sent them. */
export class Ledger {
  readonly writes: Write[] = [];
  /** Unique metric values: a counter no two metrics share. */
  private next = 1;

  uniqueValue(): number {
    // Integers plus a binary fraction: exact in a double, in Python's float repr and in SQL DOUBLE.
    return this.next++ + 0.25;
  }

  count(pred: (w: Write) => boolean): number {
    return this.writes.filter(pred).length;
  }
}

/** What a client keeps across cycles: its latest acknowledged run and its write counter. */
export interface ClientState {
  client: number;
  runId?: string;
  seq: number;
}

const JSON_HEADERS = { 'content-type': 'application/json' };
/** Steps per log-batch, each with 3 metrics. */
const BATCH_STEPS = 10;

/** Sends one write; false when the connection failed (the server is gone: the client stops). */
async function send(url: string, w: Write, method: string, path: string, body: string | Buffer, headers: Record<string, string>): Promise<boolean> {
  let res: Response;
  w.sentAt = performance.now();
  try {
    res = await fetch(url + path, { method, body, headers, signal: AbortSignal.timeout(15_000) });
  } catch (err) {
    w.outcome = 'cut';
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    w.answer = cause?.code ?? cause?.message ?? (err as Error).message;
    return false;
  }
  w.status = res.status;
  w.outcome = res.status === 200 ? 'acked' : 'answered';
  let text = '';
  try {
    text = await res.text();
  } catch {
    // The 200 was received: the write is acknowledged even if the body was cut.
  }
  if (w.outcome === 'acked' && w.kind === 'create-run') {
    try {
      w.runId = (JSON.parse(text) as { run: { info: { run_id: string } } }).run.info.run_id;
    } catch {
      // acknowledged, id unknown: checked by run name
    }
  } else if (w.outcome !== 'acked') {
    w.answer = text.slice(0, 500);
  }
  return true;
}

/** One write of client `s`, chosen by its counter; a client without a run creates one first. */
async function writeOnce(url: string, experimentId: string, ledger: Ledger, s: ClientState, cycle: number): Promise<boolean> {
  const i = s.seq++;
  const tag = `c${s.client}-${cycle}-${i}`;
  const now = Date.now();
  const base = { client: s.client, cycle, outcome: 'cut' as const, sentAt: performance.now() };
  if (s.runId === undefined || i % 12 === 0) {
    const w: Write = { ...base, kind: 'create-run', runName: `run-${tag}` };
    ledger.writes.push(w);
    const body = { experiment_id: experimentId, run_name: w.runName, start_time: now, tags: [{ key: 'client', value: String(s.client) }] };
    const ok = await send(url, w, 'POST', '/api/2.0/mlflow/runs/create', JSON.stringify(body), JSON_HEADERS);
    if (w.runId !== undefined) s.runId = w.runId;
    return ok;
  }
  const runId = s.runId;
  switch (i % 4) {
    case 0: {
      const w: Write = { ...base, kind: 'set-tag', runId, tags: [{ key: `tag-${tag}`, value: `value-${tag}` }] };
      ledger.writes.push(w);
      return send(url, w, 'POST', '/api/2.0/mlflow/runs/set-tag', JSON.stringify({ run_id: runId, ...w.tags![0] }), JSON_HEADERS);
    }
    case 1: {
      // Batches big enough to keep the server busy, so that the kill often lands inside one.
      const metrics = Array.from({ length: BATCH_STEPS }, (_, j) => ['loss', 'acc', 'lr'].map((key) => ({ key, value: ledger.uniqueValue(), step: i * 100 + j, timestamp: now + j }))).flat();
      const params = Array.from({ length: 5 }, (_, j) => ({ key: `param${j}-${tag}`, value: `p${j}-${tag}` }));
      const tags = [...Array.from({ length: 5 }, (_, j) => ({ key: `batch-tag${j}-${tag}`, value: `b${j}-${tag}` })), { key: lastTagKey(s.client), value: tag }];
      const w: Write = { ...base, kind: 'log-batch', runId, metrics, params, tags };
      ledger.writes.push(w);
      return send(url, w, 'POST', '/api/2.0/mlflow/runs/log-batch', JSON.stringify({ run_id: runId, metrics, params, tags }), JSON_HEADERS);
    }
    case 2: {
      const m = { key: 'loss', value: ledger.uniqueValue(), step: i, timestamp: now };
      const w: Write = { ...base, kind: 'log-metric', runId, metrics: [m] };
      ledger.writes.push(w);
      return send(url, w, 'POST', '/api/2.0/mlflow/runs/log-metric', JSON.stringify({ run_id: runId, ...m }), JSON_HEADERS);
    }
    default: {
      const bytes = randomBytes(1024 + ((i * 7919) % 31) * 1024);
      const path = `${experimentId}/${runId}/artifacts/c${s.client}/${tag}.bin`;
      const w: Write = { ...base, kind: 'artifact', runId, artifact: { path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') } };
      ledger.writes.push(w);
      return send(url, w, 'PUT', `/api/2.0/mlflow-artifacts/artifacts/${path}`, bytes, { 'content-type': 'application/octet-stream' });
    }
  }
}

/**
 * Runs every client until `stop()` resolves or its connection fails (the kill), whichever comes
 * first; resolves once every client has stopped. A client stops at its first failed connection,
 * so at most one write per client is cut.
 */
export async function runClients(url: string, experimentId: string, ledger: Ledger, clients: ClientState[], cycle: number, stopped: () => boolean): Promise<void> {
  await Promise.all(
    clients.map(async (s) => {
      while (!stopped()) {
        if (!(await writeOnce(url, experimentId, ledger, s, cycle))) return;
      }
    }),
  );
}

/**
 * An artifact upload that is surely in flight at the kill: half of its bytes are sent, the rest
 * never is. Resolves once the first half is handed to the connection, to the promise of the
 * request's end (after the kill: cut; `answered` if the server answered anything).
 */
export async function startHalfUpload(url: string, experimentId: string, ledger: Ledger, cycle: number): Promise<{ settled: Promise<void> }> {
  const bytes = randomBytes(256 * 1024);
  const path = `${experimentId}/half-uploads/${cycle}.bin`;
  const w: Write = { kind: 'artifact', client: -1, cycle, outcome: 'cut', sentAt: 0, artifact: { path, bytes, sha256: createHash('sha256').update(bytes).digest('hex') } };
  ledger.writes.push(w);
  let handedOver!: () => void;
  const started = new Promise<void>((r) => (handedOver = r));
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes.subarray(0, bytes.length / 2));
    },
    pull() {
      // Asked for more: the first half is on its way. The second half never comes.
      handedOver();
      return new Promise<void>(() => {});
    },
  });
  w.sentAt = performance.now();
  const settled = fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${path}`, { method: 'PUT', body, duplex: 'half', headers: { 'content-type': 'application/octet-stream' } } as RequestInit).then(
    async (res) => {
      w.status = res.status;
      w.outcome = res.status === 200 ? 'acked' : 'answered';
      w.answer = (await res.text().catch(() => '')).slice(0, 500);
    },
    (err: unknown) => {
      w.answer = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    },
  );
  await started;
  return { settled };
}
