// What `pnpm bench:artifacts` runs and what its children report: the profiles, the emulators'
// connection settings (the same ones the adapters' own tests use), the task each child gets and
// the phase protocol the orchestrator reads on the child's stderr (for per-phase RSS and CPU).
import { servicePort } from '../../packages/testkit/src/faults/service-ports.ts';

/** The three object stores, each on its local emulator (the default set of a run). */
export const OBJECT_STORES = ['s3', 'azure', 'gcs'] as const;
/** The host backends, each on the project's real test server (sshd, pyftpdlib, a MiniDFSCluster). */
export const HOST_BACKENDS = ['sftp', 'ftp', 'hdfs'] as const;
export const BACKENDS = [...OBJECT_STORES, ...HOST_BACKENDS] as const;
export type Backend = (typeof BACKENDS)[number];

/**
 * Who moves the bytes: the bare Node SDK, our repository as a user calls it, our repository with
 * 16 files in flight (small files only: `writeArtifact` in a pool and `downloadArtifacts` with
 * `concurrency: 16`, what a concurrent `logArtifacts` would do), MLflow's Python repository.
 */
export const SIDES = ['sdk', 'ours', 'ours16', 'mlflow'] as const;
export type Side = (typeof SIDES)[number];

/** The four timed phases, in the order every side runs them. */
export const PHASES = ['upload-large', 'download-large', 'upload-small', 'download-small'] as const;
export type Phase = (typeof PHASES)[number];

/** Sizes of one run. */
export interface Profile {
  name: 'full' | 'quick';
  /** Bytes of the one large file. */
  largeBytes: number;
  /** Number of small files and bytes of each. */
  smallFiles: number;
  smallBytes: number;
  /** Requests in flight in the bare SDK's many-files phases. */
  sdkConcurrency: number;
}

const MiB = 1024 * 1024;
export const FULL: Profile = { name: 'full', largeBytes: 1024 * MiB, smallFiles: 1000, smallBytes: 10 * 1024, sdkConcurrency: 16 };
export const QUICK: Profile = { name: 'quick', largeBytes: 64 * MiB, smallFiles: 100, smallBytes: 10 * 1024, sdkConcurrency: 16 };

/**
 * The bucket (S3, GCS) or container (Azure) every side writes into, each under its own prefix;
 * on SFTP and HDFS the top directory (`<served root>/mlstore-bench`, `/mlstore-bench`).
 */
export const BUCKET = 'mlstore-bench';
/** The top directory on the FTP server. */
export const FTP_DIR = 'bench';
/** Object name of the large file under `<root>/large/`. */
export const LARGE_NAME = 'large.bin';
/** Small file `i` under `<root>/small/`. */
export const smallName = (i: number) => `f${String(i).padStart(5, '0')}.bin`;

/** Where the emulators listen: test/services defaults, overridable like the adapters' tests. */
export interface Endpoints {
  s3: string;
  azureConnectionString: string;
  gcs: string;
  /**
   * sshd of test/services/sftp.sh. `dir` is its state dir (`sftp.sh dir`, filled in by run.ts when
   * sftp runs): `files/` is the served root, `client_ed25519` the client key, `password` the test
   * user's password, `home/.ssh/{config,known_hosts}` a HOME as an MLflow user would have it.
   */
  sftp: { host: string; port: number; user: string; dir: string };
  /** pyftpdlib of test/services/ftp.sh: `ftp://user:password@host:port` (fixed test credentials). */
  ftp: string;
  /** WebHDFS of the MiniDFSCluster's namenode (test/services/hdfs.sh `url`). */
  hdfs: string;
}

/** The alias test/services/sftp.sh writes into `home/.ssh/config` (HostName, Port, User, IdentityFile). */
export const SFTP_HOST_ALIAS = 'mlstore-sftp-test';
/** The `user.name` of WebHDFS simple auth on every side. */
export const HDFS_USER = 'bench';

/** Azurite's published development-account key (documented by Microsoft, not a secret). */
const AZURITE_DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** From `env`, into which run.ts loads the ports test/services publish (.services/ports.env). */
export function endpoints(env: NodeJS.ProcessEnv = process.env): Endpoints {
  const azurePort = servicePort('MLSTORE_AZURITE_PORT', env);
  return {
    s3: env.MLSTORE_MOTO_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_MOTO_PORT', env)}`,
    azureConnectionString:
      env.MLSTORE_AZURITE_CONNECTION_STRING ??
      `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${AZURITE_DEV_KEY};BlobEndpoint=http://127.0.0.1:${azurePort}/devstoreaccount1;`,
    gcs: env.MLSTORE_GCS_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_GCS_PORT', env)}`,
    sftp: { host: env.MLSTORE_SFTP_HOST ?? '127.0.0.1', port: servicePort('MLSTORE_SFTP_PORT', env), user: env.MLSTORE_SFTP_USER ?? 'mlstore-sftp', dir: env.MLSTORE_SFTP_DIR ?? '' },
    ftp:
      env.MLSTORE_FTP_URL ??
      `ftp://${env.MLSTORE_FTP_USER ?? 'mlstore'}:${encodeURIComponent(env.MLSTORE_FTP_PASSWORD ?? 'mlstore-secret')}@127.0.0.1:${servicePort('MLSTORE_FTP_PORT', env)}`,
    hdfs: env.MLSTORE_HDFS_URL ?? `http://127.0.0.1:${servicePort('MLSTORE_HDFS_PORT', env) + 1}`,
  };
}

/** The absolute directory that holds every side's `<root>` on a host backend. */
export function hostBase(backend: (typeof HOST_BACKENDS)[number], e: Endpoints): string {
  switch (backend) {
    case 'sftp':
      return `${e.sftp.dir}/files/${BUCKET}`;
    case 'ftp':
      return `/${FTP_DIR}`;
    case 'hdfs':
      return `/${BUCKET}`;
  }
}

/** `HOME` with `.ssh/config` + `.ssh/known_hosts` for the sftp sides (ours and MLflow's). */
export const sftpHome = (e: Endpoints) => `${e.sftp.dir}/home`;

/**
 * The environment an MLflow user would set for each emulator; our repository and MLflow's read
 * the same variables (moto and fake-gcs-server accept any or no credentials). SFTP: a HOME whose
 * `~/.ssh` holds the server's config alias and host key, and no ssh-agent; FTP and HDFS need none
 * (credentials in the URI, `user.name` as an option).
 */
export function backendEnv(backend: Backend, e: Endpoints): Record<string, string> {
  switch (backend) {
    case 's3':
      return { MLFLOW_S3_ENDPOINT_URL: e.s3, AWS_ACCESS_KEY_ID: 'mlstore-bench', AWS_SECRET_ACCESS_KEY: 'mlstore-bench-secret', AWS_DEFAULT_REGION: 'us-east-1' };
    case 'azure':
      return { AZURE_STORAGE_CONNECTION_STRING: e.azureConnectionString };
    case 'gcs':
      return { STORAGE_EMULATOR_HOST: e.gcs };
    case 'sftp':
      return { HOME: sftpHome(e), SSH_AUTH_SOCK: '' };
    case 'ftp':
    case 'hdfs':
      return {};
  }
}

/** Variables of {@link backendEnv} that every process needs: set for one backend, never removed for the others. */
export const SHARED_ENV = new Set(['HOME']);

/**
 * The artifact root URI of `root` (a key prefix) on `backend`, as MLflow spells it. Our SFTP side
 * names the server by its `~/.ssh/config` alias (key login from its IdentityFile); MLflow's logs in
 * with the password in the URI (pysftp cannot read ed25519 key files), see mlflow_side.py.
 */
export function artifactUri(backend: Backend, root: string, e: Endpoints): string {
  switch (backend) {
    case 's3':
      return `s3://${BUCKET}/${root}`;
    case 'azure':
      return `wasbs://${BUCKET}@devstoreaccount1.blob.core.windows.net/${root}`;
    case 'gcs':
      return `gs://${BUCKET}/${root}`;
    case 'sftp':
      return `sftp://${SFTP_HOST_ALIAS}${hostBase(backend, e)}/${root}`;
    case 'ftp':
      return `${e.ftp}${hostBase(backend, e)}/${root}`;
    case 'hdfs':
      return `webhdfs://${new URL(e.hdfs).host}${hostBase(backend, e)}/${root}`;
  }
}

/** One child's job. `setup` creates the bucket (a no-op on host backends); `cleanup` deletes everything under `root`. */
export interface Task {
  mode: 'bench' | 'setup' | 'cleanup';
  backend: Backend;
  side: Side;
  endpoints: Endpoints;
  /** Key prefix of this side's objects inside {@link BUCKET} (host backends: a directory under {@link hostBase}). */
  root: string;
  largeFile: string;
  smallDir: string;
  /** Downloads land in `<outDir>/large/large.bin` and `<outDir>/small/…`. */
  outDir: string;
  sdkConcurrency: number;
}

/** What a bench child prints as its last stdout line. */
export interface SideResult {
  side: Side;
  backend: Backend;
  /** Seconds per phase, measured inside the child around the calls alone (`ours16`: small files only). */
  seconds: Partial<Record<Phase, number>>;
  /** The process's own peak RSS (`ru_maxrss`), KiB. */
  maxRssKiB: number;
  env: Record<string, string>;
}

/** Child → orchestrator markers on stderr: the line `@@phase <name>` starts a phase, `@@idle` ends it. */
export const MARK = '@@';
export const markPhase = (name: Phase | 'warmup') => process.stderr.write(`${MARK}phase ${name}\n`);
export const markIdle = () => process.stderr.write(`${MARK}idle\n`);

/** Times `fn` between phase markers (the markers are written outside the timed span). */
export async function timed(name: Phase, fn: () => Promise<unknown>): Promise<number> {
  markPhase(name);
  const t = performance.now();
  await fn();
  const s = (performance.now() - t) / 1000;
  markIdle();
  return s;
}

/** Runs `fn` over `items` with at most `limit` in flight; rejects with the first failure. */
export async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
