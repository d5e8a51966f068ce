// What run.ts reads from /proc while a child runs (Linux only): a process's resident set and CPU
// time, the machine's busy CPU time, and the emulator's pid found by its command line.
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

const TICK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** VmRSS of `pid` in KiB, or undefined once it is gone. */
export function rssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of `pid` (all its threads), or 0 when unknown. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / TICK;
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine (all cores; idle and iowait excluded). */
export function machineBusySeconds(): number {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = f;
  return (user + nice + system + irq + softirq + steal) / TICK;
}

/** The pid whose command line contains every one of `needles`, if exactly one matches. */
export function findPid(needles: string[]): number | undefined {
  const hits: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (needles.every((n) => cmd.includes(n))) hits.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return hits.length === 1 ? hits[0] : undefined;
}

/**
 * CPU and RSS of a process tree whose members come and go (sshd forks a process pair per
 * connection). Each `sample()` scans the tree and adds every member's CPU growth since it was last
 * seen (a member that appeared after the first sample counts from zero); members that exit lose
 * at most the time since their last sample, and the total never goes down. Sample often (run.ts:
 * every 50 ms). Members are keyed by pid + start time, so a reused pid is a new member.
 */
export class ProcessTreeMonitor {
  private readonly last = new Map<string, number>();
  private first = true;
  private total = 0;

  constructor(readonly root: number) {}

  /** Accumulated CPU seconds since the first sample, and the tree's summed VmRSS (KiB; undefined once the root is gone). */
  sample(): { cpuSeconds: number; rssKiB: number | undefined } {
    const seen = new Set<string>();
    let rss: number | undefined;
    for (const p of processTree(this.root)) {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const key = `${p}:${f[19]}`;
        const ticks = Number(f[11]) + Number(f[12]);
        const before = this.last.get(key) ?? (this.first ? ticks : 0);
        this.total += Math.max(0, ticks - before);
        this.last.set(key, ticks);
        seen.add(key);
        const r = rssKiB(p);
        if (r !== undefined) rss = (rss ?? 0) + r;
      } catch {
        // exited meanwhile
      }
    }
    for (const k of this.last.keys()) if (!seen.has(k)) this.last.delete(k);
    this.first = false;
    return { cpuSeconds: this.total / TICK, rssKiB: rss };
  }
}

/** `pid` and every process below it (by PPid). */
function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(d));
      children.set(ppid, list);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  for (let todo = [pid]; todo.length; ) {
    const p = todo.pop()!;
    out.push(p);
    todo = todo.concat(children.get(p) ?? []);
  }
  return out;
}
