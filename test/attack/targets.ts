/**
 * The backends the standing attack suite runs against. A backend joins every attack (traversal
 * corpus, injections, fuzzed filters, bad bodies, slow connections, kill -9 durability) by adding
 * one entry here: a name, what it needs running, and how to make a fresh, empty location for one
 * run. Everything else — the server, the canaries, the checks — is shared by all targets.
 *
 * A target's URIs are resolved through the demo's `defaultRegistries()`, exactly as `mlstore server`
 * resolves its flags, so the suite attacks the composition users run.
 *
 * Profiles: embedded targets (no `service`) run in the unit profile (`pnpm test`); targets that need
 * a server from test/services/ run in the integration profile, where MLSTORE_REQUIRE_SERVICES=1
 * turns a missing service into a failure. No target runs twice in one CI run.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LocalArtifactRepository } from '@mlstore/artifact-local';
import { startMlflowServer } from '@mlstore/server';
import { servicePort } from '@mlstore/testkit';

/** A fresh location made for one attack run. */
export interface Provisioned {
  /** `--backend-store-uri` (tracking targets). */
  backendStoreUri: string;
  /** `--artifacts-destination`. */
  artifactsDestination: string;
  /**
   * The local folder everything of the run lives under: `<base>/a/b/store` (tracking store) and
   * `<base>/a/b/artifacts` (proxy destination) are the only places the server may write; canaries
   * sit beside them and in every folder above. A remote artifact target keeps the same shape under
   * {@link remoteBase}.
   */
  base: string;
  /** The folders the server may write (store, artifacts); a change anywhere else under `base` is an escape. */
  writable: string[];
  /** For remote artifact targets: the URI of the prefix that mirrors `base` (canaries and destination). */
  remoteBase?: string;
  /** The dialect of a SQL target (`sqlite`, `postgresql`, `mysql`), for injection checks. */
  sqlDialect?: 'sqlite' | 'postgresql' | 'mysql';
  /** The file store's mlruns folder, for its layout check. */
  mlrunsDir?: string;
  /** Drops what the run created outside `base` (a server database). */
  dispose(): Promise<void>;
}

export interface AttackTarget {
  /** Shown in test names: `sqlite`, `file`, `local-artifacts`, … */
  name: string;
  /** `tracking` targets vary the store; `artifacts` targets vary the proxy's destination. */
  kind: 'tracking' | 'artifacts';
  /** The test/services/ script this target needs (absent: embedded, runs in the unit profile). */
  service?: string;
  /** Makes a fresh location; rejects when the service is not reachable. */
  provision(): Promise<Provisioned>;
}

const integration = process.env['MLSTORE_PROFILE'] === 'integration';

/** `<tmp>/mlstore-attack-XXXX/a/b/{store,artifacts}`; the folders above them hold canaries. */
export function localBase(prefix: string): { base: string; store: string; artifacts: string } {
  const base = mkdtempSync(join(tmpdir(), `mlstore-attack-${prefix}-`));
  const store = join(base, 'a', 'b', 'store');
  const artifacts = join(base, 'a', 'b', 'artifacts');
  mkdirSync(store, { recursive: true });
  mkdirSync(artifacts, { recursive: true });
  return { base, store, artifacts };
}

async function adminSql(url: string, statement: string): Promise<void> {
  if (url.startsWith('postgresql:')) {
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    await client.connect();
    try {
      await client.query(statement);
    } finally {
      await client.end();
    }
  } else {
    const mysql = await import('mysql2/promise');
    const conn = await mysql.createConnection({ uri: url, connectTimeout: 3000 });
    try {
      await conn.query(statement);
    } finally {
      await conn.end();
    }
  }
}

/** A tracking target on a server database: a new database per run, dropped afterwards. */
function serverSql(name: 'postgresql' | 'mysql', service: string, adminUrl: string): AttackTarget {
  return {
    name,
    kind: 'tracking',
    service,
    async provision() {
      const db = `mlstore_attack_${randomBytes(5).toString('hex')}`;
      await adminSql(adminUrl, `CREATE DATABASE ${db}`);
      const url = new URL(adminUrl);
      url.pathname = `/${db}`;
      const { base, store, artifacts } = localBase(name);
      return {
        backendStoreUri: url.toString(),
        artifactsDestination: artifacts,
        base,
        writable: [store, artifacts],
        sqlDialect: name,
        dispose: () => adminSql(adminUrl, `DROP DATABASE IF EXISTS ${db}`).catch(() => undefined),
      };
    },
  };
}

/**
 * Every target, in the order the suites run them. Add a backend here to put it under attack.
 * Tracking targets serve artifacts from a local destination (artifact-local is attacked through
 * each of them); an `artifacts` target pairs its destination with a SQLite store.
 */
export const ATTACK_TARGETS: AttackTarget[] = [
  {
    name: 'sqlite',
    kind: 'tracking',
    async provision() {
      const { base, store, artifacts } = localBase('sqlite');
      return { backendStoreUri: `sqlite:///${join(store, 'mlflow.db')}`, artifactsDestination: artifacts, base, writable: [store, artifacts], sqlDialect: 'sqlite', dispose: async () => {} };
    },
  },
  {
    name: 'file',
    kind: 'tracking',
    async provision() {
      const { base, store, artifacts } = localBase('file');
      // A root that does not exist yet: the store creates it with the Default experiment, as MLflow's does.
      const mlruns = join(store, 'mlruns');
      return { backendStoreUri: pathToFileURL(mlruns).href, artifactsDestination: artifacts, base, writable: [store, artifacts], mlrunsDir: mlruns, dispose: async () => {} };
    },
  },
  serverSql('postgresql', 'postgres', process.env['MLSTORE_POSTGRES_URL'] ?? `postgresql://postgres@127.0.0.1:${servicePort('MLSTORE_PG_PORT')}/mlstore`),
  serverSql('mysql', 'mariadb', process.env['MLSTORE_MYSQL_URL'] ?? `mysql://mlstore:mlstore@127.0.0.1:${servicePort('MLSTORE_MYSQL_PORT')}/mlstore`),
  {
    // artifact-http under attack: the destination is another mlstore server's mlflow-artifacts
    // proxy (artifacts-only, its files in <base>/a/b/artifacts), reached over HTTP.
    name: 'http-proxy',
    kind: 'artifacts',
    async provision() {
      const { base, store, artifacts } = localBase('http');
      const inner = await startMlflowServer({ artifactsOnly: true, artifactsDestination: new LocalArtifactRepository(artifacts), port: 0 });
      return {
        backendStoreUri: `sqlite:///${join(store, 'mlflow.db')}`,
        artifactsDestination: `${inner.url}/api/2.0/mlflow-artifacts/artifacts`,
        base,
        writable: [store, artifacts],
        dispose: () => inner.close(),
      };
    },
  },
  {
    // artifact-s3 under attack: the destination is a prefix of a fresh moto bucket; canaries are
    // objects beside and above <remoteBase>/a/b/artifacts. The server resolves s3:// through the
    // registries configured by env, as `mlstore server` is.
    name: 's3',
    kind: 'artifacts',
    service: 'moto',
    async provision() {
      const endpoint = process.env['MLSTORE_MOTO_URL'] ?? `http://127.0.0.1:${servicePort('MLSTORE_MOTO_PORT')}`;
      Object.assign(process.env, { MLFLOW_S3_ENDPOINT_URL: endpoint, AWS_ACCESS_KEY_ID: 'attack', AWS_SECRET_ACCESS_KEY: 'attack', AWS_DEFAULT_REGION: 'us-east-1' });
      const bucket = `mlstore-attack-${randomBytes(5).toString('hex')}`;
      const res = await fetch(`${endpoint}/${bucket}`, { method: 'PUT', signal: AbortSignal.timeout(5000) }); // moto takes an unsigned CreateBucket
      if (!res.ok) throw new Error(`moto at ${endpoint} answered ${res.status} to CreateBucket`);
      const remoteBase = `s3://${bucket}/${randomBytes(6).toString('hex')}`;
      const { base, store } = localBase('s3');
      return {
        backendStoreUri: `sqlite:///${join(store, 'mlflow.db')}`,
        artifactsDestination: `${remoteBase}/a/b/artifacts`,
        base,
        writable: [store],
        remoteBase,
        dispose: async () => {
          const { S3ArtifactRepository } = await import('@mlstore/artifact-s3');
          await new S3ArtifactRepository(remoteBase).deleteArtifacts().catch(() => undefined);
        },
      };
    },
  },
  {
    // artifact-azure under attack: wasbs:// on Azurite (its development account, reached through
    // AZURE_STORAGE_CONNECTION_STRING as a server operator would), canaries as blobs under the prefix.
    name: 'azure',
    kind: 'artifacts',
    service: 'azurite',
    async provision() {
      const port = servicePort('MLSTORE_AZURITE_PORT');
      const key = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='; // Azurite's published dev key
      process.env['AZURE_STORAGE_CONNECTION_STRING'] ??= `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${key};BlobEndpoint=http://127.0.0.1:${port}/devstoreaccount1;`;
      const { AzureBlobArtifactRepository } = await import('@mlstore/artifact-azure');
      const remoteBase = `wasbs://mlstore-attack@devstoreaccount1.blob.core.windows.net/attack-${randomBytes(5).toString('hex')}`;
      const root = new AzureBlobArtifactRepository(remoteBase);
      await (await root.serviceClient()).getContainerClient('mlstore-attack').createIfNotExists({ abortSignal: AbortSignal.timeout(5000) });
      const { base, store } = localBase('azure');
      return {
        backendStoreUri: `sqlite:///${join(store, 'mlflow.db')}`,
        artifactsDestination: `${remoteBase}/a/b/artifacts`,
        base,
        writable: [store],
        remoteBase,
        dispose: () => root.deleteArtifacts().catch(() => undefined),
      };
    },
  },
  {
    // artifact-gcs under attack: a prefix of a fresh bucket on fake-gcs-server, reached through
    // STORAGE_EMULATOR_HOST as MLflow's GCS repository is; canaries as objects under the prefix.
    name: 'gcs',
    kind: 'artifacts',
    service: 'fake-gcs',
    async provision() {
      const endpoint = process.env['MLSTORE_GCS_URL'] ?? `http://127.0.0.1:${servicePort('MLSTORE_GCS_PORT')}`;
      const bucket = `mlstore-attack-${randomBytes(5).toString('hex')}`;
      const res = await fetch(`${endpoint}/storage/v1/b?project=mlstore-attack`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: bucket }),
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`fake-gcs-server at ${endpoint} answered ${res.status} creating bucket ${bucket}`);
      process.env['STORAGE_EMULATOR_HOST'] = endpoint;
      const remoteBase = `gs://${bucket}/run-${randomBytes(6).toString('hex')}`;
      const { base, store } = localBase('gcs');
      return {
        backendStoreUri: `sqlite:///${join(store, 'mlflow.db')}`,
        artifactsDestination: `${remoteBase}/a/b/artifacts`,
        base,
        writable: [store],
        remoteBase,
        dispose: async () => {},
      };
    },
  },
  {
    // artifact-sftp under attack: a fresh folder on the OpenSSH sshd of test/services/sftp.sh,
    // reached as sftp://user:password@… (the password must never reach a response or a log), the
    // host key checked against the script's known_hosts (MLSTORE_SFTP_KNOWN_HOSTS, as an operator
    // would set it); canaries as files beside and above <remoteBase>/a/b/artifacts.
    name: 'sftp',
    kind: 'artifacts',
    service: 'sftp',
    async provision() {
      const { sftpState, SFTP_HOST, SFTP_PORT } = await import('../../packages/artifact-sftp/test/sftp-server.js');
      const s = sftpState();
      Object.assign(process.env, { MLSTORE_SFTP_KNOWN_HOSTS: s.knownHosts, MLSTORE_SFTP_SSH_CONFIG: '/dev/null' });
      const remoteBase = `sftp://${s.user}:${s.password}@${SFTP_HOST}:${SFTP_PORT}${s.root}/attack-${randomBytes(6).toString('hex')}`;
      const { SftpArtifactRepository } = await import('@mlstore/artifact-sftp');
      const root = new SftpArtifactRepository(remoteBase, { agent: false });
      await root.listArtifacts(); // rejects when the server is not reachable
      await root.close();
      const { base, store } = localBase('sftp');
      return {
        backendStoreUri: `sqlite:///${join(store, 'mlflow.db')}`,
        artifactsDestination: `${remoteBase}/a/b/artifacts`,
        base,
        writable: [store],
        remoteBase,
        dispose: async () => {
          const repo = new SftpArtifactRepository(remoteBase, { agent: false });
          await repo.deleteArtifacts().catch(() => undefined);
          await repo.close();
        },
      };
    },
  },
  {
    // artifact-ftp under attack: a fresh folder on the pyftpdlib server of test/services/ftp.sh,
    // reached as ftp://user:password@… (the password must never reach a response or a log);
    // canaries as files beside and above <remoteBase>/a/b/artifacts.
    name: 'ftp',
    kind: 'artifacts',
    service: 'ftp',
    async provision() {
      const port = servicePort('MLSTORE_FTP_PORT');
      const user = process.env['MLSTORE_FTP_USER'] ?? 'mlstore';
      const password = process.env['MLSTORE_FTP_PASSWORD'] ?? 'mlstore-secret';
      const remoteBase = `ftp://${user}:${encodeURIComponent(password)}@127.0.0.1:${port}/attack-${randomBytes(6).toString('hex')}`;
      const { FtpArtifactRepository } = await import('@mlstore/artifact-ftp');
      const root = new FtpArtifactRepository(remoteBase);
      await root.listArtifacts(); // rejects when the server is not reachable
      await root.close();
      const { base, store } = localBase('ftp');
      return {
        backendStoreUri: `sqlite:///${join(store, 'mlflow.db')}`,
        artifactsDestination: `${remoteBase}/a/b/artifacts`,
        base,
        writable: [store],
        remoteBase,
        dispose: async () => {
          const repo = new FtpArtifactRepository(remoteBase);
          await repo.deleteArtifacts().catch(() => undefined);
          await repo.close();
        },
      };
    },
  },
  {
    // artifact-hdfs under attack: a fresh folder on the MiniDFSCluster of test/services/hdfs.sh,
    // reached as webhdfs:// through the namenode's WebHDFS (data legs on the datanode); canaries as
    // files beside and above <remoteBase>/a/b/artifacts.
    name: 'hdfs',
    kind: 'artifacts',
    service: 'hdfs',
    async provision() {
      const port = servicePort('MLSTORE_HDFS_PORT') + 1;
      const dir = `/mlstore-attack/run-${randomBytes(6).toString('hex')}`;
      const remoteBase = `webhdfs://127.0.0.1:${port}${dir}`;
      const { HdfsArtifactRepository } = await import('@mlstore/artifact-hdfs');
      const root = new HdfsArtifactRepository(remoteBase);
      await root.listArtifacts(); // rejects when the cluster is not reachable
      const { base, store } = localBase('hdfs');
      return {
        backendStoreUri: `sqlite:///${join(store, 'mlflow.db')}`,
        artifactsDestination: `${remoteBase}/a/b/artifacts`,
        base,
        writable: [store],
        remoteBase,
        // deleteArtifacts only empties a directory (MLflow's HDFS semantics): drop the run's folder itself.
        dispose: () => root.client.delete(dir, true).then(() => undefined, () => undefined),
      };
    },
  },
];

/**
 * The targets of this profile: embedded ones in the unit profile, service-backed ones in the
 * integration profile (so CI runs each once).
 */
export function targetsForProfile(kind?: AttackTarget['kind']): AttackTarget[] {
  return ATTACK_TARGETS.filter((t) => (kind === undefined || t.kind === kind) && (t.service !== undefined) === integration);
}

/** Under MLSTORE_REQUIRE_SERVICES=1 a target that cannot be provisioned fails its suite. */
export const requireServices = process.env['MLSTORE_REQUIRE_SERVICES'] === '1';
