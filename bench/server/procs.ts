// Memory and CPU of a server's whole process tree, sampled from /proc by a worker thread (so the
// /proc scans never stall the load generator's event loop in the main thread):
// - RSS: VmRSS of every process of the tree (MLflow: the `mlflow server` CLI, uvicorn's supervisor
//   and its worker processes), summed, every `intervalMs`; peak and mean over the window. PSS
//   (smaps_rollup, shared pages split between the processes sharing them) alongside, for
//   information: summed RSS counts shared libraries once per process.
// - CPU: utime + stime of the tree, of this process (autocannon, the sampler), of PostgreSQL's
//   processes, and of everything else (total user + nice + system from /proc/stat minus those),
//   in cores over the window — "other" is work on the machine that is not the benchmark's.
import { Worker } from 'node:worker_threads';

export interface WindowStats {
  samples: number;
  /** Processes in the tree at the last sample. */
  processes: number;
  peakRssKiB: number;
  meanRssKiB: number;
  peakPssKiB: number;
  meanPssKiB: number;
  /** Cores (CPU seconds per second) over the window. */
  cpu: { server: number; loadGenerator: number; postgres: number; other: number; seconds: number };
}

export interface Snapshot {
  processes: { pid: number; comm: string; rssKiB: number; pssKiB: number }[];
  rssKiB: number;
  pssKiB: number;
}

// Plain JavaScript (CommonJS) evaluated in the worker: no loader needed there.
const WORKER = String.raw`
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const HZ = 100; // USER_HZ: the unit of /proc/<pid>/stat times and /proc/stat on Linux

function readStats() {
  const out = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (name < '0' || name > '9') continue;
    let s;
    try { s = fs.readFileSync('/proc/' + name + '/stat', 'utf8'); } catch { continue; }
    const close = s.lastIndexOf(')');
    const f = s.slice(close + 2).split(' ');
    out.set(Number(name), { ppid: Number(f[1]), comm: s.slice(s.indexOf('(') + 1, close), cpu: Number(f[11]) + Number(f[12]) });
  }
  return out;
}
function descendants(stats, root, pred) {
  const kids = new Map();
  for (const [pid, st] of stats) {
    if (!kids.has(st.ppid)) kids.set(st.ppid, []);
    kids.get(st.ppid).push(pid);
  }
  const roots = root !== undefined ? [root] : [...stats.keys()].filter((p) => pred(stats.get(p)) && !pred(stats.get(stats.get(p).ppid) || {}));
  const out = new Set();
  const stack = roots.filter((p) => stats.has(p));
  while (stack.length) {
    const p = stack.pop();
    if (out.has(p)) continue;
    out.add(p);
    for (const c of kids.get(p) || []) stack.push(c);
  }
  return out;
}
function field(pid, file, name) {
  try {
    const m = new RegExp('^' + name + ':\\s+(\\d+) kB', 'm').exec(fs.readFileSync('/proc/' + pid + '/' + file, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
}
function busyJiffies() {
  const f = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
  return Number(f[1]) + Number(f[2]) + Number(f[3]); // user nice system
}
function cpuSnapshot(root) {
  const stats = readStats();
  const tree = descendants(stats, root);
  const pg = descendants(stats, undefined, (st) => st.comm === 'postgres');
  return { t: process.hrtime.bigint(), busy: busyJiffies(), stats, tree, pg };
}
function cpuDelta(a, b) {
  const seconds = Number(b.t - a.t) / 1e9;
  // Per-process deltas over processes alive at both ends (a process of the set that started in
  // between counts from zero).
  const delta = (set) => { let n = 0; for (const p of set) { const s1 = b.stats.get(p); if (!s1) continue; const s0 = a.stats.get(p); n += s1.cpu - (s0 && s0.comm === s1.comm ? s0.cpu : 0); } return n; };
  const server = delta(b.tree);
  const self = new Set([process.pid]);
  const loadGenerator = delta(self);
  const postgres = delta(b.pg);
  const other = Math.max(0, b.busy - a.busy - server - loadGenerator - postgres);
  const cores = (j) => j / HZ / seconds;
  return { server: cores(server), loadGenerator: cores(loadGenerator), postgres: cores(postgres), other: cores(other), seconds };
}

let timer, root, pids = [], tick = 0, samples = [], cpu0;
function sample() {
  if (tick++ % 5 === 0) pids = [...descendants(readStats(), root)];
  let rss = 0, pss = 0;
  for (const p of pids) { rss += field(p, 'status', 'VmRSS'); pss += field(p, 'smaps_rollup', 'Pss'); }
  samples.push({ rss, pss, n: pids.length });
}
parentPort.on('message', (msg) => {
  if (msg.cmd === 'start') {
    root = msg.root; tick = 0; samples = [];
    cpu0 = cpuSnapshot(root);
    sample();
    timer = setInterval(sample, msg.intervalMs);
  } else if (msg.cmd === 'stop') {
    clearInterval(timer);
    sample();
    const cpu = cpuDelta(cpu0, cpuSnapshot(root));
    const peak = (k) => Math.max(...samples.map((s) => s[k]));
    const mean = (k) => Math.round(samples.reduce((a, s) => a + s[k], 0) / samples.length);
    parentPort.postMessage({ samples: samples.length, processes: samples[samples.length - 1].n, peakRssKiB: peak('rss'), meanRssKiB: mean('rss'), peakPssKiB: peak('pss'), meanPssKiB: mean('pss'), cpu });
  } else if (msg.cmd === 'idle') {
    // Waits until the tree uses less than \`cores\` over a \`windowMs\` window (work queued by requests
    // the load generator abandoned when its run ended), or \`maxMs\` passed.
    const t0 = Date.now();
    const step = () => {
      const a = cpuSnapshot(msg.root);
      setTimeout(() => {
        const used = cpuDelta(a, cpuSnapshot(msg.root)).server;
        if (used < msg.cores || Date.now() - t0 > msg.maxMs) parentPort.postMessage({ waitedMs: Date.now() - t0, cores: used });
        else step();
      }, msg.windowMs);
    };
    step();
  } else if (msg.cmd === 'snapshot') {
    const stats = readStats();
    const processes = [...descendants(stats, msg.root)].map((pid) => ({ pid, comm: stats.get(pid).comm, rssKiB: field(pid, 'status', 'VmRSS'), pssKiB: field(pid, 'smaps_rollup', 'Pss') }));
    parentPort.postMessage({ processes, rssKiB: processes.reduce((a, p) => a + p.rssKiB, 0), pssKiB: processes.reduce((a, p) => a + p.pssKiB, 0) });
  }
});
`;

/** One sampler thread for the whole benchmark; `close()` it at the end. */
export class ProcessSampler {
  private readonly worker = new Worker(WORKER, { eval: true });
  private pending: ((v: unknown) => void) | undefined;

  constructor(private readonly intervalMs = 200) {
    this.worker.on('message', (m) => {
      const p = this.pending;
      this.pending = undefined;
      p?.(m);
    });
    this.worker.unref();
  }

  private ask<T>(msg: object): Promise<T> {
    if (this.pending) throw new Error('sampler busy');
    return new Promise<T>((ok) => {
      this.pending = ok as (v: unknown) => void;
      this.worker.postMessage(msg);
    });
  }

  /** Starts sampling the tree under `root` (and the CPU counters) until `stop()`. */
  start(root: number): void {
    this.worker.postMessage({ cmd: 'start', root, intervalMs: this.intervalMs });
  }

  stop(): Promise<WindowStats> {
    return this.ask<WindowStats>({ cmd: 'stop' });
  }

  /**
   * Resolves once the tree under `root` used less than `cores` CPU over `windowMs` (or after `maxMs`):
   * a server still working off requests abandoned at the end of a load run must not overlap the next.
   */
  idle(root: number, cores = 0.1, windowMs = 500, maxMs = 120_000): Promise<{ waitedMs: number; cores: number }> {
    return this.ask({ cmd: 'idle', root, cores, windowMs, maxMs });
  }

  /** The tree's processes and their memory right now. */
  snapshot(root: number): Promise<Snapshot> {
    return this.ask<Snapshot>({ cmd: 'snapshot', root });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}
