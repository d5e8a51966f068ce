// The printed result of `pnpm bench:artifacts`: Markdown tables (paste-able into bench/README.md)
// of throughput with ratios and goals, resident memory, and where the CPU went per phase.
import { execFileSync } from 'node:child_process';
import { fmt, median } from '../shared/writes.ts';
import { PHASES, type Backend, type Phase, type Profile, type Side, type SideResult } from './workload.ts';

/** What run.ts saw of one phase of one child. */
export interface PhaseStats {
  peakRssKiB: number;
  /** The emulator's peak VmRSS during the phase. */
  emulatorPeakRssKiB?: number;
  /** CPU over the phase's wall time, in cores: the child, the emulator, every other process. */
  cores: { child: number; emulator: number; other: number };
}

/** One child's run, as measured. */
export interface Measured {
  backend: Backend;
  side: Side;
  rep: number;
  result: SideResult;
  phases: Partial<Record<Phase, PhaseStats>>;
  /** VmRSS when the first timed phase began (after imports and the warm-up). */
  baselineKiB: number;
  peakKiB: number;
  load: [number, number];
  verified: boolean;
}

const SIDE_NAME: Record<Side, string> = { ours: 'mlstore', ours16: 'mlstore, 16 in flight', mlflow: 'MLflow', sdk: 'bare SDK' };
/** The small-files goal per backend, × MLflow: 3× for the object stores, 5× for the pooled host backends. */
const SMALL_FILES_GOAL: Record<Backend, number> = { s3: 3, azure: 3, gcs: 3, sftp: 5, ftp: 5, hdfs: 5 };

/** The "flat RSS" goal: growth over the pre-phase baseline during the large file, MiB. */
export const FLAT_RSS_MIB = 100;
const mib = (kib: number) => fmt(kib / 1024);
/** A rate or ratio, blank when a side did not run (MLflow on HDFS). */
const num = (x: number, unit = '') => (Number.isFinite(x) ? `${fmt(x)}${unit}` : '');

function revision(): string {
  try {
    const git = (...a: string[]) => execFileSync('git', a, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', '../packages/artifact-s3', '../packages/artifact-azure', '../packages/artifact-gcs', '../packages/artifact-sftp', '../packages/artifact-ftp', '../packages/artifact-hdfs', '../packages/core') ? '+dirty' : ''}`;
  } catch {
    return 'unknown';
  }
}

export function report(p: Profile, ms: Measured[], info: { machine: string; skipped: string[]; problems: string[]; failures: string[] }): string {
  const large = p.largeBytes >= 2 ** 30 ? `${fmt(p.largeBytes / 2 ** 30)} GiB` : `${fmt(p.largeBytes / 2 ** 20)} MiB`;
  const many = `${p.smallFiles.toLocaleString('en-US')} × ${fmt(p.smallBytes / 1024)} KiB`;
  const of = (b: Backend, s: Side) => ms.filter((m) => m.backend === b && m.side === s);
  const secs = (b: Backend, s: Side, ph: Phase) => {
    const xs = of(b, s).flatMap((m) => m.result.seconds[ph] ?? []);
    return xs.length ? median(xs) : Number.NaN;
  };
  const rate = (b: Backend, s: Side, ph: Phase) => (ph.endsWith('large') ? p.largeBytes / 1e6 : p.smallFiles) / secs(b, s, ph);
  const backends = [...new Set(ms.map((m) => m.backend))];
  const out: string[] = [];
  out.push(`## bench:artifacts (${p.name}), ${new Date().toISOString().slice(0, 10)}\n`);
  out.push('| backend | workload | unit | mlstore | MLflow | bare SDK | mlstore / SDK | mlstore / MLflow | goal | mlstore, 16 in flight (÷ MLflow) |');
  out.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |');
  for (const b of backends) {
    for (const ph of PHASES) {
      const isLarge = ph.endsWith('large');
      const [o, m, s] = [rate(b, 'ours', ph), rate(b, 'mlflow', ph), rate(b, 'sdk', ph)];
      const vsSdk = o / s;
      const vsMl = o / m;
      const goal = isLarge
        ? Number.isFinite(vsSdk) ? `≥ 90% of SDK ${vsSdk >= 0.9 ? 'met' : '**not met**'}` : ''
        : Number.isFinite(vsMl) ? `≥ ${SMALL_FILES_GOAL[b]}× MLflow ${vsMl >= SMALL_FILES_GOAL[b] ? 'met' : '**not met**'}`
        : info.skipped.some((x) => x.startsWith(`${b} mlflow:`)) ? `≥ ${SMALL_FILES_GOAL[b]}× MLflow: MLflow cannot run (see SKIPPED)` : '';
      const what = `${ph.startsWith('upload') ? 'upload' : 'download'} ${isLarge ? large : many}`;
      const o16 = rate(b, 'ours16', ph);
      const par = Number.isFinite(o16) ? (Number.isFinite(m) ? `${fmt(o16)} (${fmt(o16 / m)}×)` : fmt(o16)) : '';
      out.push(`| ${b} | ${what} | ${isLarge ? 'MB/s' : 'files/s'} | ${num(o)} | ${num(m)} | ${num(s)} | ${Number.isFinite(vsSdk) ? `${Math.round(vsSdk * 100)}%` : ''} | ${num(vsMl, '×')} | ${goal} | ${par} |`);
    }
  }
  out.push('');
  out.push(`Resident memory (VmRSS sampled every 50 ms from /proc; MiB). Baseline = when the first timed phase began (after imports and a one-file warm-up); flat = the large file adds < ${FLAT_RSS_MIB} MiB.\n`);
  out.push('| backend | side | baseline | peak, large file up / down | peak, small files up / down | growth, large file | peak (ru_maxrss) | flat |');
  out.push('| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const b of backends) {
    for (const s of ['ours', 'ours16', 'mlflow', 'sdk'] as const) {
      const runs = of(b, s);
      if (!runs.length) continue;
      if (s === 'ours16') {
        const pk = (ph: Phase) => mib(Math.max(...runs.map((r) => r.phases[ph]?.peakRssKiB ?? 0)));
        out.push(`| ${b} | ${SIDE_NAME[s]} | ${mib(Math.max(...runs.map((r) => r.baselineKiB)))} | | ${pk('upload-small')} / ${pk('download-small')} | | ${mib(Math.max(...runs.map((r) => r.result.maxRssKiB)))} | |`);
        continue;
      }
      const peak = (ph: Phase) => Math.max(...runs.map((r) => r.phases[ph]?.peakRssKiB ?? 0));
      const base = Math.max(...runs.map((r) => r.baselineKiB));
      const growth = Math.max(...runs.map((r) => Math.max(r.phases['upload-large']?.peakRssKiB ?? 0, r.phases['download-large']?.peakRssKiB ?? 0) - r.baselineKiB));
      const flat = growth / 1024 < FLAT_RSS_MIB ? 'yes' : '**no**';
      out.push(
        `| ${b} | ${SIDE_NAME[s]} | ${mib(base)} | ${mib(peak('upload-large'))} / ${mib(peak('download-large'))} | ${mib(peak('upload-small'))} / ${mib(peak('download-small'))} | +${mib(growth)} | ${mib(Math.max(...runs.map((r) => r.result.maxRssKiB)))} | ${s === 'ours' ? (flat === 'yes' ? 'met' : '**not met**') : flat} |`,
      );
    }
  }
  out.push('');
  out.push('CPU during each phase, in cores (2 available): client process / emulator / everything else on the machine.\n');
  out.push('| backend | phase | mlstore | mlstore, 16 in flight | MLflow | bare SDK |');
  out.push('| --- | --- | --- | --- | --- | --- |');
  for (const b of backends) {
    for (const ph of PHASES) {
      const cell = (s: Side) => {
        const c = of(b, s).map((r) => r.phases[ph]?.cores).filter((x) => x !== undefined);
        if (!c.length) return '';
        const med = (f: (x: PhaseStats['cores']) => number) => median(c.map(f)).toFixed(2);
        return `${med((x) => x.child)} / ${med((x) => x.emulator)} / ${med((x) => x.other)}`;
      };
      out.push(`| ${b} | ${ph} | ${cell('ours')} | ${cell('ours16')} | ${cell('mlflow')} | ${cell('sdk')} |`);
    }
  }
  out.push('');
  out.push('Emulator peak RSS during each phase (MiB), by client: mlstore / MLflow / bare SDK.\n');
  out.push('| backend | upload-large | download-large | upload-small | download-small |');
  out.push('| --- | --- | --- | --- | --- |');
  for (const b of backends) {
    const cell = (ph: Phase) => (['ours', 'mlflow', 'sdk'] as const).map((s) => {
      const xs = of(b, s).map((r) => r.phases[ph]?.emulatorPeakRssKiB ?? 0);
      return xs.length ? mib(Math.max(...xs)) : '–';
    }).join(' / ');
    out.push(`| ${b} | ${PHASES.map(cell).join(' | ')} |`);
  }
  out.push('');
  const loads = ms.flatMap((m) => m.load);
  const ml = ms.find((m) => m.side === 'mlflow')?.result.env;
  out.push(`- ${info.machine}; Node ${process.versions.node}${ml ? `; Python ${ml.python}, mlflow ${ml.mlflow} (download threads: ${ml.downloadThreads})` : ''}; mlstore at ${revision()}`);
  out.push(`- MB = 10^6 bytes; each number is the median of ${Math.max(...ms.map((m) => m.rep)) + 1} run(s) per side, timed inside the client around the calls`);
  out.push(`- 1-min load average around the children: ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))}`);
  out.push(info.problems.length ? info.problems.map((x) => `- **DOWNLOADS WRONG** ${x}`).join('\n') : `- every download verified: SHA-256 and size of the large file and of all ${p.smallFiles.toLocaleString('en-US')} small files equal the source`);
  for (const s of info.skipped) out.push(`- SKIPPED ${s}`);
  for (const f of info.failures) out.push(`- **FAILED** ${f}`);
  return out.join('\n');
}
