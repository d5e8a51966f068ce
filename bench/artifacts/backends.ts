// Per backend, what run.ts needs to know about its server: whether it answers, which process is
// the emulator (for its CPU and RSS), and why MLflow's side cannot run on it here.
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { servicePort } from '../../packages/testkit/src/faults/service-ports.ts';
import { findPid } from './procfs.ts';
import { OBJECT_STORES, type Backend, type Endpoints } from './workload.ts';

/** Why MLflow's side cannot run on a backend here (reported as skipped, not as a failure). */
export const MLFLOW_UNAVAILABLE: Partial<Record<Backend, string>> = {
  hdfs:
    "hdfs mlflow: MLflow's HdfsArtifactRepository goes through pyarrow's HadoopFileSystem, which needs libhdfs.so from a Hadoop binary distribution (plus HADOOP_HOME/CLASSPATH); test/services/hdfs.sh runs a MiniDFSCluster from Maven jars and has none, so pyarrow fails with 'Unable to load libhdfs' and MLflow's side cannot run here",
};

/**
 * The emulator's process (undefined when it cannot be told apart). sshd forks a process pair per
 * connection: its CPU and RSS are summed over the listener's whole tree (`tree`).
 */
export function emulator(backend: Backend, ep: Endpoints): { pid: number; tree: boolean } | undefined {
  const port = (u: string) => new URL(u).port;
  const pid =
    backend === 's3' ? findPid(['moto_server', `-p ${port(ep.s3)}`])
    : backend === 'azure' ? findPid(['azurite', `--blobPort ${/BlobEndpoint=http:\/\/[^:]+:(\d+)/.exec(ep.azureConnectionString)?.[1] ?? servicePort('MLSTORE_AZURITE_PORT')}`])
    : backend === 'gcs' ? findPid(['fake-gcs-server', `-port ${port(ep.gcs)}`])
    : backend === 'sftp' ? findPid(['sshd', `${ep.sftp.dir}/sshd_config`])
    : backend === 'ftp' ? findPid(['ftp_server.py', ` ${port(ep.ftp) || '21'} `])
    // The namenode's HTTP port is its RPC port + 1 (test/services/hdfs.sh); the datanode runs in the same JVM.
    : findPid(['MlstoreMiniHdfs', ` ${Number(port(ep.hdfs)) - 1} `]);
  return pid === undefined ? undefined : { pid, tree: backend === 'sftp' };
}

/** Resolves when `host:port` sends a greeting that starts with `prefix` (SSH, FTP). */
function greets(host: string, port: number, prefix: string): Promise<void> {
  return new Promise((ok, fail) => {
    const s = connect({ host, port, timeout: 5000 });
    let got = '';
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (got.length >= prefix.length) {
        s.destroy();
        if (got.startsWith(prefix)) ok();
        else fail(new Error(`unexpected greeting ${JSON.stringify(got.slice(0, 40))}`));
      }
    });
    s.on('timeout', () => s.destroy(new Error('timeout')));
    s.on('error', fail);
  });
}

export async function reachable(backend: Backend, ep: Endpoints): Promise<string | undefined> {
  const ftp = new URL(ep.ftp);
  const where: Record<Backend, string | undefined> = {
    s3: `${ep.s3}/moto-api/`,
    azure: /BlobEndpoint=([^;]+)/.exec(ep.azureConnectionString)?.[1],
    gcs: `${ep.gcs}/storage/v1/b`,
    sftp: `${ep.sftp.host}:${ep.sftp.port}`,
    ftp: `${ftp.hostname}:${ftp.port || 21}`,
    hdfs: `${ep.hdfs}/webhdfs/v1/?op=GETFILESTATUS&user.name=bench`,
  };
  const script = { s3: 'moto.sh', azure: 'azurite.sh', gcs: 'fake-gcs.sh', sftp: 'sftp.sh', ftp: 'ftp.sh', hdfs: 'hdfs.sh' }[backend];
  try {
    if (backend === 'sftp') await greets(ep.sftp.host, ep.sftp.port, 'SSH-');
    else if (backend === 'ftp') await greets(ftp.hostname, Number(ftp.port || 21), '220');
    else {
      const res = await fetch(where[backend]!, { signal: AbortSignal.timeout(5000) });
      await res.arrayBuffer();
      if (backend === 'hdfs' && !res.ok) throw new Error(`HTTP ${res.status}`);
    }
    if (backend === 'sftp') readFileSync(join(ep.sftp.dir, 'home', '.ssh', 'config'));
    return undefined;
  } catch {
    return `${backend}: its ${OBJECT_STORES.includes(backend as never) ? 'emulator' : 'server'} is not reachable at ${where[backend]}; start it with: bash test/services/${script} start`;
  }
}
