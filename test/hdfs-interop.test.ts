/**
 * @mlstore/artifact-hdfs and Hadoop's own HDFS client on the MiniDFSCluster of
 * test/services/hdfs.sh. MLflow's HdfsArtifactRepository needs pyarrow's HadoopFileSystem, i.e.
 * libhdfs.so from a Hadoop binary distribution (not on Maven Central, not packaged by Debian):
 * in MLflow's venv it stops at "Unable to load libhdfs", so MLflow's side is played by the Java
 * client that libhdfs wraps, `org.apache.hadoop.fs.FsShell` (`hdfs dfs`) from the cached jars,
 * speaking RPC (hdfs://) rather than WebHDFS:
 * - ours logs a tree (nested and empty directories, unicode, spaces, a leading dash, an empty
 *   file, 12 MiB) through WebHDFS; `FsShell -ls -R` sees exactly those paths, types and sizes
 *   (no temporary names), and `FsShell -get` fetches byte-identical files;
 * - `FsShell -put` uploads the tree; ours lists it (HttpFS, LISTSTATUS_BATCH) and downloads it
 *   byte-identically (WebHDFS).
 * Integration profile only (or MLSTORE_INTEROP=1); a missing cluster or Java fails under
 * MLSTORE_REQUIRE_SERVICES=1 and skips loudly otherwise.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HdfsArtifactRepository } from '@mlstore/artifact-hdfs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBounded } from './interop/mlflow-python.js';
import { describeWithServices } from './interop/require-services.js';
import { DIR, makeTree, treeHashes, treeSizes } from './interop/tree.js';
import { servicePort } from '@mlstore/testkit';

const enabled = process.env.MLSTORE_PROFILE === 'integration' || process.env.MLSTORE_INTEROP === '1';
const port = servicePort('MLSTORE_HDFS_PORT');
const webhdfs = `127.0.0.1:${port + 1}`;
const httpfs = `127.0.0.1:${servicePort('MLSTORE_HDFS_HTTPFS_PORT')}`;
const rpc = `hdfs://127.0.0.1:${port}`;
const script = join(import.meta.dirname, 'services', 'hdfs.sh');
const title = "HDFS interop: @mlstore/artifact-hdfs ↔ Hadoop's own client (FsShell) on the MiniDFSCluster";
const base = `/mlstore-interop/${randomBytes(6).toString('hex')}`;

/** Runs `FsShell <args>` (as user mlstore) from the jars cached by test/services/hdfs.sh. */
function fsShell(classpath: string, args: string[]): Promise<string> {
  // UTF-8 whatever the caller's locale (CI may run with none): Java otherwise prints and names
  // local files in ASCII, turning `données` into `donn?es`.
  const utf8 = ['-Dfile.encoding=UTF-8', '-Dsun.jnu.encoding=UTF-8', '-Dsun.stdout.encoding=UTF-8', '-Dsun.stderr.encoding=UTF-8'];
  const jvm = ['-Xmx256m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Dorg.slf4j.simpleLogger.defaultLogLevel=error', ...utf8, '-cp', classpath];
  return runBounded(`FsShell ${args.join(' ')}`, 'java', [...jvm, 'org.apache.hadoop.fs.FsShell', '-fs', rpc, ...args], {
    timeoutMs: 120_000,
    env: { HADOOP_USER_NAME: 'mlstore', LC_ALL: 'C.UTF-8', LANG: 'C.UTF-8' },
  });
}

/** `-ls -R` lines → path (relative to `root`) → `'dir'` or the file size. */
function parseLs(output: string, root: string): Record<string, typeof DIR | number> {
  const out: Record<string, typeof DIR | number> = {};
  for (const line of output.split('\n')) {
    // drwxr-xr-x   - mlstore supergroup          0 2026-12-06 06:00 /path with spaces
    const m = /^([d-])[rwxt-]{9}\S*\s+(\S+)\s+\S+\s+\S+\s+(\d+)\s+\d{4}-\d\d-\d\d \d\d:\d\d (\/.*)$/.exec(line);
    if (!m) continue;
    const path = (m[4] as string).slice(root.length + 1);
    out[path] = m[1] === 'd' ? DIR : Number(m[3]);
  }
  return out;
}

async function clusterProblem(): Promise<string | null> {
  try {
    execFileSync('java', ['-version'], { stdio: 'ignore' });
  } catch {
    return 'java is not installed';
  }
  for (const gw of [webhdfs, httpfs]) {
    try {
      const res = await fetch(`http://${gw}/webhdfs/v1/?op=GETFILESTATUS&user.name=probe`, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      if (!res.ok) return `the HDFS gateway at ${gw} answered ${res.status}`;
    } catch {
      return `HDFS is not reachable at ${gw} (run: bash test/services/hdfs.sh start)`;
    }
  }
  return null;
}

const problem = !enabled ? 'needs MLSTORE_PROFILE=integration or MLSTORE_INTEROP=1' : await clusterProblem();

describeWithServices({ tag: 'hdfs-interop', title, needs: 'the MiniDFSCluster and Java', enabled, problem }, () => {
  let dir = '';
  let tree = '';
  let classpath = '';
  let expected: Record<string, string> = {};
  let sizes: Record<string, typeof DIR | number> = {};

  beforeAll(() => {
    classpath = execFileSync('bash', [script, 'classpath'], { encoding: 'utf8' }).trim();
    dir = mkdtempSync(join(tmpdir(), 'mlstore-hdfs-interop-'));
    tree = join(dir, 'tree');
    makeTree(
      tree,
      {
        'MLmodel': Buffer.from('flavors: {}\n'),
        'empty.txt': Buffer.alloc(0),
        'data/table.csv': Buffer.from('a,b\n1,2\n'),
        'data/big/weights.bin': randomBytes(12 * 1024 * 1024),
        'data/nested/deeper/notes.txt': Buffer.from('deep'),
        'données/ünïcödé 📈.png': randomBytes(4096),
        'with space/and space.txt': Buffer.from('spaces'),
        '-leading-dash.txt': Buffer.from('dash'),
        "odd !$&'()+,;=@[]~.txt": Buffer.from('odd'),
        '100%25.txt': Buffer.from('percent'),
      },
      ['empty-dir'],
    );
    expected = treeHashes(tree, 'all');
    sizes = treeSizes(tree, 'all');
  });
  afterAll(async () => {
    await new HdfsArtifactRepository(`webhdfs://${webhdfs}${base}`, { user: 'mlstore', env: {} }).client.delete(base, true).catch(() => undefined);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ours logs a tree through WebHDFS; FsShell -ls -R sees the same layout and -get the same bytes', async () => {
    const ours = new HdfsArtifactRepository(`webhdfs://${webhdfs}${base}/from-mlstore`, { user: 'mlstore', env: {} });
    await ours.logArtifacts(tree);
    const listed = parseLs(await fsShell(classpath, ['-ls', '-R', `${base}/from-mlstore`]), `${base}/from-mlstore`);
    expect(listed).toEqual(sizes);
    const got = join(dir, 'fsshell-get');
    await fsShell(classpath, ['-get', `${base}/from-mlstore`, got]);
    expect(treeHashes(got, 'all')).toEqual(expected);
  }, 300_000);

  it('FsShell -put uploads the tree; ours lists it (HttpFS) and downloads it (WebHDFS) byte-identically', async () => {
    await fsShell(classpath, ['-mkdir', '-p', base]);
    await fsShell(classpath, ['-put', tree, `${base}/from-fsshell`]);
    const viaHttpFs = new HdfsArtifactRepository(`webhdfs://${httpfs}${base}/from-fsshell`, { user: 'mlstore', env: {} });
    const walk = async (path: string): Promise<Record<string, typeof DIR | number>> => {
      const out: Record<string, typeof DIR | number> = {};
      for (const f of await viaHttpFs.listArtifacts(path)) {
        out[f.path] = f.is_dir ? DIR : (f.file_size ?? -1);
        if (f.is_dir) Object.assign(out, await walk(f.path));
      }
      return out;
    };
    expect(await walk('')).toEqual(sizes);
    const out = join(dir, 'ours-download');
    mkdirSync(out);
    await new HdfsArtifactRepository(`hdfs://127.0.0.1:${port}${base}/from-fsshell`, { user: 'mlstore', env: { MLSTORE_HDFS_GATEWAY: `http://${webhdfs}` } }).downloadArtifacts('', out);
    expect(treeHashes(out, 'all')).toEqual(expected);
  }, 300_000);
});
