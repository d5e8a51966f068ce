// `pnpm bench:artifacts [--quick]`: for each object store on its local emulator (s3 on moto, azure
// on Azurite, gcs on fake-gcs-server) and, with `--backends sftp,ftp,hdfs`, each host backend on
// its test server (OpenSSH sshd, pyftpdlib, a MiniDFSCluster), one large file and many small files
// up and down through three clients, one child process at a time (never concurrently, so they
// never share the 2 cores): the bare Node SDK or client (sdk-side.ts), our repository
// (ours-side.ts) and MLflow's own repository class (mlflow_side.py in MLflow's venv). Every
// download is checked byte for byte (SHA-256) against the source before any number is reported;
// RSS and CPU are sampled from /proc.
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadServicePorts } from '../../packages/testkit/src/faults/service-ports.ts';
import { mlflowPython } from '../shared/writes.ts';
import { MLFLOW_UNAVAILABLE, emulator, reachable } from './backends.ts';
import { ProcessTreeMonitor, cpuSeconds, machineBusySeconds, rssKiB } from './procfs.ts';
import { report, type Measured, type PhaseStats } from './report.ts';
import { BACKENDS, FULL, LARGE_NAME, OBJECT_STORES, QUICK, SHARED_ENV, SIDES, backendEnv, endpoints, smallName, type Endpoints, type Phase, type Profile, type Side, type SideResult, type Task } from './workload.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../..');
const userPath = (p: string) => resolve(process.env.INIT_CWD ?? process.cwd(), p);
// Where test/services' servers listen in this checkout (variables already set win); the children inherit it.
loadServicePorts(repo);

const USAGE = `usage: pnpm bench:artifacts [options]
  --quick             64 MiB large file and 100 small files (also: MLSTORE_BENCH_QUICK=1)
  --backends LIST     comma-separated subset of s3,azure,gcs,sftp,ftp,hdfs (default s3,azure,gcs;
                      the host backends run on test/services/{sftp,ftp,hdfs}.sh)
  --sides LIST        comma-separated subset of sdk,ours,ours16,mlflow (default all four; ours16 =
                      our repository with 16 small files in flight, small files only)
  --large-mib N       size of the large file (default 1024; quick 64)
  --files N           number of 10 KiB small files (default 1000; quick 100)
  --reps N            runs of each side (separate processes; the median is reported; default 1)
  --json FILE         also write every raw result to FILE`;

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: process.env.MLSTORE_BENCH_QUICK === '1' },
    backends: { type: 'string', default: OBJECT_STORES.join(',') },
    sides: { type: 'string', default: SIDES.join(',') },
    'large-mib': { type: 'string' },
    files: { type: 'string' },
    reps: { type: 'string', default: '1' },
    json: { type: 'string' },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const profile: Profile = { ...(args.quick ? QUICK : FULL) };
if (args['large-mib']) profile.largeBytes = Number(args['large-mib']) * 1024 * 1024;
if (args.files) profile.smallFiles = Number(args.files);
const reps = Math.max(1, Number(args.reps));
const pick = <T extends string>(list: string, all: readonly T[], what: string): T[] => {
  const xs = list.split(',').map((s) => s.trim()).filter(Boolean);
  for (const x of xs) if (!all.includes(x as T)) throw new Error(`unknown ${what} ${x}\n${USAGE}`);
  return all.filter((a) => xs.includes(a));
};
const backends = pick(args.backends, BACKENDS, 'backend');
const sides = pick(args.sides, SIDES, 'side');
const ep: Endpoints = endpoints();
// The sshd's keys, password and HOME live in test/services/sftp.sh's state dir.
if (backends.includes('sftp') && !ep.sftp.dir) ep.sftp.dir = execFileSync('bash', [join(repo, 'test/services/sftp.sh'), 'dir'], { encoding: 'utf8' }).trim();
const log = (s: string) => process.stderr.write(s);
/** A child is stopped when its emulator's RSS passes this share of the machine's RAM. */
const EMULATOR_RSS_LIMIT = 0.5;

/** Writes `bytes` random bytes to `path`; returns their SHA-256. */
async function randomFile(path: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let left = bytes; left > 0; ) {
    const chunk = randomBytes(Math.min(left, 4 * 1024 * 1024));
    hash.update(chunk);
    left -= chunk.length;
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

async function sha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

interface Source {
  largeFile: string;
  largeSha: string;
  smallDir: string;
  smallSha: Map<string, string>;
}

/** Byte-for-byte check of one side's downloads; returns the problems found. */
async function verify(src: Source, outDir: string, withLarge: boolean): Promise<string[]> {
  const problems: string[] = [];
  const large = join(outDir, 'large', LARGE_NAME);
  if (withLarge) {
    try {
      const size = statSync(large).size;
      if (size !== profile.largeBytes) problems.push(`large file: ${size} bytes, expected ${profile.largeBytes}`);
      else if ((await sha256(large)) !== src.largeSha) problems.push('large file: SHA-256 differs');
    } catch {
      problems.push('large file: not downloaded');
    }
  }
  const dir = join(outDir, 'small');
  const got = new Set(readdirSync(dir, { recursive: false }).map(String));
  for (const [name, sha] of src.smallSha) {
    if (!got.has(name)) problems.push(`small/${name}: missing`);
    else if (statSync(join(dir, name)).size !== profile.smallBytes || (await sha256(join(dir, name))) !== sha) problems.push(`small/${name}: content differs`);
    got.delete(name);
  }
  if (got.size) problems.push(`small/: ${got.size} unexpected files (${[...got].slice(0, 3).join(', ')})`);
  return problems.slice(0, 10);
}

interface ChildRun<T> {
  result: T;
  phases: Partial<Record<Phase, PhaseStats>>;
  baselineKiB: number;
  peakKiB: number;
  load: [number, number];
}

/**
 * Runs one child and watches it: VmRSS every 50 ms (attributed to the phase its last marker
 * named), CPU of the child, of the emulator and of everything else at every marker.
 */
function runChild<T>(side: Side | 'setup' | 'cleanup', task: Task, python: string): Promise<ChildRun<T>> {
  const script = side === 'mlflow' ? [python, [join(here, 'mlflow_side.py'), JSON.stringify(task)]] : [process.execPath, ['--import', 'tsx', join(here, side === 'ours' || side === 'ours16' ? 'ours-side.ts' : 'sdk-side.ts'), JSON.stringify(task)]];
  const [cmd, argv] = script as [string, string[]];
  // Our repository and MLflow's read the backend's usual variables; the bare SDK side is configured explicitly.
  const env: NodeJS.ProcessEnv = { ...process.env, PYTHONUNBUFFERED: '1', MLFLOW_DISABLE_TELEMETRY: 'true', DO_NOT_TRACK: 'true' };
  for (const b of BACKENDS) for (const k of Object.keys(backendEnv(b, ep))) if (!SHARED_ENV.has(k)) delete env[k];
  if (side === 'ours' || side === 'ours16' || side === 'mlflow') Object.assign(env, backendEnv(task.backend, ep));
  const emuProc = emulator(task.backend, ep);
  const emu = emuProc?.pid;
  // sshd: the listener and every connection's processes, sampled with the RSS (every 50 ms).
  const tree = emuProc?.tree ? new ProcessTreeMonitor(emuProc.pid) : undefined;
  let treeCpu = tree?.sample().cpuSeconds ?? 0;
  const emuCpu = () => (tree ? treeCpu : cpuSeconds(emu));
  const emuRss = (pid: number) => {
    if (!tree) return rssKiB(pid);
    const t = tree.sample();
    treeCpu = t.cpuSeconds;
    return t.rssKiB;
  };
  const load0 = loadavg()[0]!;
  return new Promise((ok, fail) => {
    const child = spawn(cmd, argv, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], env });
    const pid = child.pid!;
    const phases: Partial<Record<Phase, PhaseStats>> = {};
    let current: PhaseStats | undefined;
    let baselineKiB = 0;
    let peakKiB = 0;
    const cpuAt = () => ({ child: cpuSeconds(pid), emulator: emuCpu(), machine: machineBusySeconds(), t: performance.now() });
    let mark = cpuAt();
    let killed = '';
    const sample = () => {
      const r = rssKiB(pid);
      if (r === undefined) return;
      peakKiB = Math.max(peakKiB, r);
      if (current) current.peakRssKiB = Math.max(current.peakRssKiB, r);
      const e = emu === undefined ? undefined : emuRss(emu);
      if (e !== undefined && current) current.emulatorPeakRssKiB = Math.max(current.emulatorPeakRssKiB ?? 0, e);
      // fake-gcs-server holds uploads in memory: stop before the shared machine runs out of it.
      if (e !== undefined && e * 1024 > totalmem() * EMULATOR_RSS_LIMIT && !killed) {
        killed = `the emulator's RSS reached ${Math.round(e / 1024)} MiB (over ${EMULATOR_RSS_LIMIT * 100}% of RAM); the child was stopped`;
        child.kill('SIGTERM');
      }
    };
    const timer = setInterval(sample, 50);
    let out = '';
    let err = '';
    let partial = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      const lines = (partial + d.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('@@')) {
          err += `${line}\n`;
          continue;
        }
        sample();
        const now = cpuAt();
        if (current) {
          const wall = (now.t - mark.t) / 1000;
          current.cores = { child: (now.child - mark.child) / wall, emulator: (now.emulator - mark.emulator) / wall, other: (now.machine - mark.machine - (now.child - mark.child) - (now.emulator - mark.emulator)) / wall };
        }
        mark = now;
        const name = line.startsWith('@@phase ') ? (line.slice(8) as Phase) : undefined;
        if (name && baselineKiB === 0) baselineKiB = rssKiB(pid) ?? 0;
        current = name ? (phases[name] = { peakRssKiB: rssKiB(pid) ?? 0, cores: { child: 0, emulator: 0, other: 0 } }) : undefined;
      }
    });
    child.on('error', fail);
    child.on('close', (code) => {
      clearInterval(timer);
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) {
        fail(new Error(`${side} (${task.backend}) exited with ${code}${killed ? ` (${killed})` : ''}:\n${(err + partial).split('\n').slice(-12).join('\n')}`));
        return;
      }
      ok({ result: JSON.parse(last) as T, phases, baselineKiB, peakKiB, load: [load0, loadavg()[0]!] });
    });
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'mlstore-bench-artifacts-'));
  const runId = randomUUID().slice(0, 8);
  log(`[bench] ${profile.name} profile: 1 × ${profile.largeBytes / 2 ** 20} MiB, ${profile.smallFiles} × ${profile.smallBytes / 1024} KiB; scratch ${work}\n`);
  const python = sides.includes('mlflow') ? mlflowPython(repo) : '';
  const measured: Measured[] = [];
  const problems: string[] = [];
  const failures: string[] = [];
  const skipped: string[] = [];
  try {
    const t0 = performance.now();
    const smallDir = join(work, 'data', 'small');
    mkdirSync(smallDir, { recursive: true });
    const largeFile = join(work, 'data', LARGE_NAME);
    const src: Source = { largeFile, largeSha: await randomFile(largeFile, profile.largeBytes), smallDir, smallSha: new Map() };
    for (let i = 0; i < profile.smallFiles; i++) {
      const data = randomBytes(profile.smallBytes);
      writeFileSync(join(smallDir, smallName(i)), data);
      src.smallSha.set(smallName(i), createHash('sha256').update(data).digest('hex'));
    }
    log(`[bench] source data written in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
    for (const backend of backends) {
      const why = await reachable(backend, ep);
      if (why) {
        log(`[bench] SKIPPING ${why}\n`);
        skipped.push(why);
        continue;
      }
      const base: Omit<Task, 'side' | 'root' | 'outDir'> = { mode: 'bench', backend, endpoints: ep, largeFile, smallDir, sdkConcurrency: profile.sdkConcurrency };
      await runChild('setup', { ...base, mode: 'setup', side: 'sdk', root: '', outDir: work }, python);
      const mlflowWhy = sides.includes('mlflow') ? MLFLOW_UNAVAILABLE[backend] : undefined;
      if (mlflowWhy) {
        log(`[bench] skipping ${mlflowWhy}\n`);
        skipped.push(mlflowWhy);
      }
      for (let rep = 0; rep < reps; rep++) {
        for (const side of sides) {
          if (side === 'mlflow' && mlflowWhy) continue;
          const root = `bench-${runId}/${side}-${rep}`;
          const outDir = join(work, `out-${backend}-${side}`);
          mkdirSync(outDir, { recursive: true });
          log(`[bench] ${backend} ${side}${reps > 1 ? ` #${rep + 1}` : ''}… `);
          const t = performance.now();
          try {
            const run = await runChild<SideResult>(side, { ...base, side, root, outDir }, python);
            const wrong = await verify(src, outDir, side !== 'ours16');
            for (const w of wrong) problems.push(`${backend} ${side}: ${w}`);
            measured.push({ backend, side, rep, ...run, verified: wrong.length === 0 });
            log(`${((performance.now() - t) / 1000).toFixed(1)} s${wrong.length ? ' — DOWNLOADS WRONG' : ', downloads verified'}\n`);
          } catch (e) {
            // One failed side (an emulator that died, a network error) must not lose the others' numbers.
            const msg = e instanceof Error ? e.message : String(e);
            failures.push(`${backend} ${side}: ${msg.split('\n')[0]}`);
            log(`FAILED\n${msg}\n`);
          } finally {
            rmSync(outDir, { recursive: true, force: true });
            await runChild('cleanup', { ...base, mode: 'cleanup', side: 'sdk', root, outDir: work }, python).catch((e: unknown) => log(`[bench] cleanup of ${root} failed: ${String(e)}\n`));
          }
        }
      }
    }
    const machine = `${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, Linux ${release()}`;
    console.log(report(profile, measured, { machine, skipped, problems, failures }));
    if (args.json) writeFileSync(userPath(args.json), `${JSON.stringify({ profile, machine, measured, problems, failures, skipped }, null, 2)}\n`);
    if (problems.length || failures.length) process.exitCode = 2;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

await main().catch((e: unknown) => {
  log(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
