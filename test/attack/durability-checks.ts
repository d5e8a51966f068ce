/**
 * What the kill -9 durability attack checks after the server comes back: every acknowledged write
 * is there exactly once (read back through the restarted server), nothing cut by the kill is there
 * twice or half-written, and the store itself is sound (SQLite's integrity_check, the file store's
 * meta.yaml files and metric lines, latest_metrics against metrics on every SQL dialect).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { lastTagKey, type Ledger, type Write } from './durability-workload.js';

/** The outcome of the read-back: writes lost or duplicated, and anything else found wrong. */
export interface Verdict {
  lost: number;
  duplicated: number;
  problems: string[];
  /** Writes cut by the kill that are nevertheless stored whole (the kill came after the write, before the answer). */
  cutLanded: number;
  /** Writes cut by the kill that are partly stored (the kill came inside them; allowed, not atomic over HTTP). */
  cutPartial: number;
}

interface WireRun {
  info: { run_id: string; run_name?: string };
  data?: { metrics?: WireMetric[]; params?: { key: string; value: string }[]; tags?: { key: string; value: string }[] };
}
interface WireMetric {
  key: string;
  value: number | string;
  step?: number | string;
  timestamp?: number | string;
}

async function getJson<T>(url: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(url + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

/** Every run of the experiment (active and deleted), all pages. */
async function searchAll(url: string, experimentId: string): Promise<WireRun[]> {
  const out: WireRun[] = [];
  let pageToken: string | undefined;
  do {
    const page = await getJson<{ runs?: WireRun[]; next_page_token?: string }>(url, 'POST', '/api/2.0/mlflow/runs/search', {
      experiment_ids: [experimentId],
      run_view_type: 'ALL',
      max_results: 1000,
      ...(pageToken ? { page_token: pageToken } : {}),
    });
    out.push(...(page.runs ?? []));
    pageToken = page.next_page_token || undefined;
  } while (pageToken);
  return out;
}

/** A metric's whole history, all pages. */
async function history(url: string, runId: string, key: string): Promise<{ value: number; step: number; timestamp: number }[]> {
  const out: { value: number; step: number; timestamp: number }[] = [];
  let pageToken: string | undefined;
  do {
    const q = new URLSearchParams({ run_id: runId, metric_key: key, max_results: '25000', ...(pageToken ? { page_token: pageToken } : {}) });
    const page = await getJson<{ metrics?: WireMetric[]; next_page_token?: string }>(url, 'GET', `/api/2.0/mlflow/metrics/get-history?${q}`);
    out.push(...(page.metrics ?? []).map((m) => ({ value: Number(m.value), step: Number(m.step ?? 0), timestamp: Number(m.timestamp ?? 0) })));
    pageToken = page.next_page_token || undefined;
  } while (pageToken);
  return out;
}

/** Python's max over (step, timestamp, value): MLflow's latest metric. */
function latest<T extends { value: number; step: number; timestamp: number }>(rows: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const r of rows) {
    if (!best || r.step > best.step || (r.step === best.step && (r.timestamp > best.timestamp || (r.timestamp === best.timestamp && r.value > best.value)))) best = r;
  }
  return best;
}

/**
 * Reads every write of the ledger back through the server at `url`: acknowledged writes must be
 * present exactly once with the values sent; writes cut by the kill may be absent or present, but
 * never twice and never altered; get-run's latest metrics must agree with the histories.
 */
export async function verifyLedger(url: string, experimentId: string, ledger: Ledger): Promise<Verdict> {
  const problems: string[] = [];
  const lostWrites = new Set<Write>();
  const duplicatedWrites = new Set<Write>();
  const lose = (w: Write, why: string) => {
    lostWrites.add(w);
    problems.push(`LOST (acknowledged ${w.kind} of client ${w.client}, cycle ${w.cycle}): ${why}`);
  };
  // Parts of each cut write found stored: [found, total].
  const cutParts = new Map<Write, [number, number]>();
  const part = (w: Write, found: boolean) => {
    if (w.outcome === 'acked') return;
    const [f, t] = cutParts.get(w) ?? [0, 0];
    cutParts.set(w, [f + (found ? 1 : 0), t + 1]);
  };
  const duplicate = (w: Write, why: string) => {
    duplicatedWrites.add(w);
    problems.push(`DUPLICATED (${w.outcome} ${w.kind} of client ${w.client}, cycle ${w.cycle}): ${why}`);
  };

  // Runs, by their unique names.
  const runs = await searchAll(url, experimentId);
  const byName = new Map<string, WireRun[]>();
  for (const r of runs) byName.set(r.info.run_name ?? '', [...(byName.get(r.info.run_name ?? '') ?? []), r]);
  const sentNames = new Set(ledger.writes.filter((w) => w.kind === 'create-run').map((w) => w.runName));
  for (const name of byName.keys()) if (!sentNames.has(name)) problems.push(`a run nobody created: '${name}'`);
  for (const w of ledger.writes.filter((x) => x.kind === 'create-run')) {
    const found = byName.get(w.runName!) ?? [];
    part(w, found.length > 0);
    if (found.length > 1) duplicate(w, `${found.length} runs named ${w.runName}`);
    if (w.outcome === 'acked' && found.length === 0) lose(w, `run ${w.runName} (${w.runId ?? 'id unknown'}) is missing`);
    if (w.outcome === 'acked' && w.runId !== undefined && found.length === 1 && found[0]!.info.run_id !== w.runId) {
      lose(w, `run ${w.runName} has id ${found[0]!.info.run_id}, acknowledged as ${w.runId}`);
    }
  }

  // Each run written to: its data (get-run) and its metric histories (get-history).
  const runIds = [...new Set(ledger.writes.filter((w) => w.kind !== 'create-run' && w.runId !== undefined).map((w) => w.runId!))];
  const data = new Map<string, { run: WireRun; histories: Map<string, { value: number; step: number; timestamp: number }[]> }>();
  for (const runId of runIds) {
    const { run } = await getJson<{ run: WireRun }>(url, 'GET', `/api/2.0/mlflow/runs/get?run_id=${runId}`);
    const histories = new Map<string, { value: number; step: number; timestamp: number }[]>();
    for (const m of run.data?.metrics ?? []) histories.set(m.key, await history(url, runId, m.key));
    data.set(runId, { run, histories });
    // get-run's metrics are the latest values: they must agree with the full histories.
    for (const m of run.data?.metrics ?? []) {
      const best = latest(histories.get(m.key) ?? []);
      if (!best || best.value !== Number(m.value) || best.step !== Number(m.step ?? 0) || best.timestamp !== Number(m.timestamp ?? 0)) {
        problems.push(`run ${runId}: latest ${m.key} is ${JSON.stringify(m)}, its history's maximum is ${JSON.stringify(best)}`);
      }
    }
  }

  const sentValues = new Set<string>();
  for (const w of ledger.writes) for (const m of w.metrics ?? []) sentValues.add(`${w.runId}/${m.key}/${m.value}`);
  for (const [runId, { histories }] of data) {
    for (const [key, rows] of histories) for (const r of rows) if (!sentValues.has(`${runId}/${key}/${r.value}`)) problems.push(`run ${runId}: ${key}=${r.value} was never sent`);
  }

  for (const w of ledger.writes) {
    if (w.kind === 'create-run' || w.kind === 'artifact' || w.runId === undefined) continue;
    const { run, histories } = data.get(w.runId)!;
    const acked = w.outcome === 'acked';
    for (const m of w.metrics ?? []) {
      const rows = (histories.get(m.key) ?? []).filter((r) => r.value === m.value);
      part(w, rows.length > 0);
      if (rows.length > 1) duplicate(w, `${m.key}=${m.value} appears ${rows.length} times in run ${w.runId}`);
      if (acked && rows.length === 0) lose(w, `${m.key}=${m.value} is missing from run ${w.runId}`);
      if (rows.length === 1 && (rows[0]!.step !== m.step || rows[0]!.timestamp !== m.timestamp)) {
        problems.push(`run ${w.runId}: ${m.key}=${m.value} has step/timestamp ${rows[0]!.step}/${rows[0]!.timestamp}, sent ${m.step}/${m.timestamp}`);
      }
    }
    const params = new Map((run.data?.params ?? []).map((p) => [p.key, p.value]));
    const tags = new Map((run.data?.tags ?? []).map((t) => [t.key, t.value]));
    for (const [sent, stored, what] of [[w.params ?? [], params, 'param'], [(w.tags ?? []).filter((t) => t.key !== lastTagKey(w.client)), tags, 'tag']] as const) {
      for (const kv of sent) {
        const got = stored.get(kv.key);
        part(w, got !== undefined);
        if (got === undefined && acked) lose(w, `${what} ${kv.key} is missing from run ${w.runId}`);
        if (got !== undefined && got !== kv.value) (acked ? lose : (x: Write, why: string) => problems.push(`ALTERED (cut ${x.kind}): ${why}`))(w, `${what} ${kv.key} is '${got}', sent '${kv.value}'`);
      }
    }
  }

  // The tag every log-batch of a client overwrites: the last acknowledged value, or one cut after it.
  for (const runId of runIds) {
    const batches = ledger.writes.filter((w) => w.kind === 'log-batch' && w.runId === runId);
    if (batches.length === 0) continue;
    const key = lastTagKey(batches[0]!.client);
    const lastAcked = batches.map((w) => w.outcome).lastIndexOf('acked');
    // Every batch after the last acknowledged one went unacknowledged; any of them may have landed.
    const allowed = new Set(batches.slice(Math.max(lastAcked, 0)).map((w) => w.tags!.find((t) => t.key === key)!.value));
    const got = new Map((data.get(runId)!.run.data?.tags ?? []).map((t) => [t.key, t.value])).get(key);
    if (got === undefined ? lastAcked >= 0 : !allowed.has(got)) {
      const w = batches[lastAcked] ?? batches[0]!;
      lose(w, `run ${runId}: tag ${key} is '${got}', expected one of ${[...allowed].join(', ')}`);
    }
  }

  // Artifacts: the exact bytes, or (cut) nothing.
  for (const w of ledger.writes.filter((x) => x.kind === 'artifact')) {
    const a = w.artifact!;
    const res = await fetch(`${url}/api/2.0/mlflow-artifacts/artifacts/${a.path}`, { signal: AbortSignal.timeout(30_000) });
    const body = Buffer.from(await res.arrayBuffer());
    part(w, res.status === 200);
    if (res.status === 200) {
      const sha = createHash('sha256').update(body).digest('hex');
      if (sha !== a.sha256) {
        if (w.outcome === 'acked') lose(w, `artifact ${a.path} holds ${body.length} bytes that differ from the ${a.bytes.length} sent`);
        else problems.push(`HALF-WRITTEN (cut artifact): ${a.path} holds ${body.length} bytes, ${a.bytes.length} were sent`);
      }
    } else if (w.outcome === 'acked') {
      lose(w, `artifact ${a.path} answers ${res.status}`);
    } else if (res.status !== 404) {
      problems.push(`artifact ${a.path} (cut) answers ${res.status}: ${body.toString('utf8').slice(0, 300)}`);
    }
  }
  const cut = [...cutParts.values()];
  return {
    lost: lostWrites.size,
    duplicated: duplicatedWrites.size,
    problems,
    cutLanded: cut.filter(([f, t]) => f === t).length,
    cutPartial: cut.filter(([f, t]) => f > 0 && f < t).length,
  };
}

/** Files under `dir`, recursively, relative to it. */
function walk(dir: string, out: string[] = [], root = dir): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) walk(full, out, root);
    else out.push(relative(root, full));
  }
  return out;
}

/** Temp files of interrupted writes (`.mlstore-tmp-*`) under a folder, relative paths. */
export function tempFilesUnder(dir: string): string[] {
  return walk(dir).filter((f) => /(^|\/)\.mlstore-tmp-/.test(f));
}

/**
 * The file store after a kill, read without the store's code: every meta.yaml parses to a mapping
 * with its ids, every metric file holds whole lines of 3 or 5 fields, and no lock file is left.
 *
 * Temp files: a process killed between writing a temp file and renaming (or linking and removing)
 * it necessarily leaves that file, and nothing removes it later. Such a file is returned in
 * `orphanTemps` when it is harmless — directly in the root (no reader looks there: experiments are
 * sub-folders) and named after one of `killedPids` — and is a problem anywhere else or under
 * another name (a live server's leftovers, or a temp file where readers look).
 */
export function checkFileStore(root: string, killedPids: readonly number[]): { problems: string[]; partialRuns: string[]; orphanTemps: string[] } {
  const problems: string[] = [];
  const partialRuns: string[] = [];
  const orphanTemps: string[] = [];
  const files = walk(root);
  for (const f of files) {
    const parts = f.split('/');
    const name = parts.at(-1)!;
    if (name.startsWith('.mlstore-tmp-')) {
      const pid = Number(/^\.mlstore-tmp-(\d+)-/.exec(name)?.[1]);
      if (parts.length === 1 && killedPids.includes(pid)) orphanTemps.push(f);
      else problems.push(`leftover temp file ${f}${parts.length === 1 ? ' (not of a killed server)' : ' (inside a store folder)'}`);
    } else if (name === '.mlstore.lock') problems.push(`leftover lock file ${f}`);
    else if (name === 'meta.yaml') {
      let meta: unknown;
      try {
        meta = parseYaml(readFileSync(join(root, f), 'utf8'));
      } catch (err) {
        problems.push(`${f} does not parse: ${(err as Error).message.split('\n')[0]}`);
        continue;
      }
      const m = (meta ?? {}) as Record<string, unknown>;
      // Runs: MLflow 3 writes run_id (older versions run_uuid).
      const needed = parts.length === 2 ? ['experiment_id', 'name', 'lifecycle_stage'] : ['run_id|run_uuid', 'experiment_id', 'lifecycle_stage'];
      const missing = needed.filter((k) => k.split('|').every((alt) => m[alt] === undefined || m[alt] === null));
      if (typeof meta !== 'object' || missing.length > 0) problems.push(`${f} lacks ${missing.join(', ')}`);
    } else if (parts.length === 4 && parts[2] === 'metrics') {
      const text = readFileSync(join(root, f), 'utf8');
      if (text !== '' && !text.endsWith('\n')) problems.push(`${f} ends in a partial line`);
      for (const line of text.split('\n').filter((l) => l !== '')) {
        const fields = line.split(' ');
        if ((fields.length !== 3 && fields.length !== 5) || !/^-?\d+$/.test(fields[0]!) || Number.isNaN(Number(fields[1])) || !/^-?\d+$/.test(fields[2]!)) {
          problems.push(`${f}: malformed line '${line}'`);
        }
      }
    }
  }
  // A run folder without meta.yaml: a create cut between mkdir and the meta write (never acknowledged).
  for (const exp of readdirSync(root, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== '.trash')) {
    for (const run of readdirSync(join(root, exp.name), { withFileTypes: true }).filter((e) => e.isDirectory() && /^[0-9a-f]{32}$/.test(e.name))) {
      if (!files.includes(`${exp.name}/${run.name}/meta.yaml`)) partialRuns.push(`${exp.name}/${run.name}`);
    }
  }
  return { problems, partialRuns, orphanTemps };
}
