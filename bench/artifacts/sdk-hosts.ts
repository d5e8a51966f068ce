// The bare clients of the host backends for sdk-side.ts: what a developer would write with the
// usual Node library of each protocol and no repository around it. SFTP: ssh2-sftp-client, a pool
// of key-logged-in connections (fastPut/fastGet for the large file, put/get of a local path for
// the small ones); FTP: basic-ftp, a pool of logged-in clients (uploadFrom/downloadTo, MLSD
// listings); HDFS: WebHDFS over plain node:http (CREATE/OPEN with the namenode's 307 redirect to
// the datanode, LISTSTATUS). Pools fill in the warm-up, so the timed phases never log in.
import { createReadStream, createWriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { HDFS_USER, hostBase, type Task } from './workload.ts';

/** One backend's four primitives, plus listing and deletion for cleanup (paths relative to the task's root). */
export interface Sdk {
  setup(): Promise<void>;
  uploadFile(local: string, rel: string): Promise<void>;
  /** Large file: the client's streaming/multipart/parallel helper. */
  uploadLarge(local: string, rel: string): Promise<void>;
  download(rel: string): Promise<void>;
  /** Large file, when the client has a separate helper for it (default {@link download}). */
  downloadLarge?(rel: string): Promise<void>;
  /** Full keys (`prefix` + name) of the files under `prefix` (host backends: one directory level). */
  list(prefix: string): Promise<string[]>;
  deleteKeys(keys: string[]): Promise<void>;
  /** Host backends: removes the task's whole root directory (missing → 0); returns what it removed. */
  deleteRoot?(): Promise<number>;
  /** Opens what the timed phases will use (the connection pool), untimed. */
  warm?(): Promise<void>;
  close(): Promise<void>;
}

/** Up to `max` connected clients, opened on demand and reused; `use` runs `fn` on an idle one. */
class ClientPool<C> {
  private readonly idle: C[] = [];
  private readonly all: C[] = [];
  private readonly waiting: ((c: C) => void)[] = [];
  private opening = 0;

  constructor(
    private readonly open: () => Promise<C>,
    readonly max: number,
    private readonly end: (c: C) => Promise<unknown>,
  ) {}

  private async acquire(): Promise<C> {
    const c = this.idle.pop();
    if (c !== undefined) return c;
    if (this.all.length + this.opening >= this.max) return new Promise((resolve) => this.waiting.push(resolve));
    this.opening++;
    try {
      const made = await this.open();
      this.all.push(made);
      return made;
    } finally {
      this.opening--;
    }
  }

  private release(c: C): void {
    const next = this.waiting.shift();
    if (next) next(c);
    else this.idle.push(c);
  }

  async use<R>(fn: (c: C) => Promise<R>): Promise<R> {
    const c = await this.acquire();
    try {
      return await fn(c);
    } finally {
      this.release(c);
    }
  }

  /** Opens every client now. */
  async fill(): Promise<void> {
    const made = await Promise.all(Array.from({ length: this.max - this.all.length - this.opening }, () => this.open()));
    this.all.push(...made);
    this.idle.push(...made);
  }

  close = async () => void (await Promise.all(this.all.map((c) => this.end(c))));
}

/** Where a download of `rel` lands (the same layout on every side). */
const localPath = (task: Task, rel: string) => join(task.outDir, ...rel.split('/'));

/** Runs `make(dir)` once per directory, however many files wait for it. */
function onceEach(make: (dir: string) => Promise<unknown>): (dir: string) => Promise<void> {
  const made = new Map<string, Promise<void>>();
  return (dir) => {
    let p = made.get(dir);
    if (!p) made.set(dir, (p = make(dir).then(() => undefined)));
    return p;
  };
}

export async function sftpSdk(task: Task): Promise<Sdk> {
  const { default: SftpClient } = await import('ssh2-sftp-client');
  const s = task.endpoints.sftp;
  const base = `${hostBase('sftp', task.endpoints)}/${task.root}`;
  const remote = (rel: string) => `${base}/${rel}`;
  const privateKey = await readFile(`${s.dir}/client_ed25519`);
  const clients = new ClientPool(
    async () => {
      const c = new SftpClient();
      await c.connect({ host: s.host, port: s.port, username: s.user, privateKey });
      // ssh2 leaves Nagle on: every request/answer pair would then wait ~40 ms for a delayed ACK
      // (measured: 44 ms per stat, 176 ms per 10 KiB put). Our repository sets it too.
      (c as unknown as { client: { setNoDelay(on: boolean): void } }).client.setNoDelay(true);
      return c;
    },
    task.sdkConcurrency,
    (c) => c.end(),
  );
  const mkdirp = onceEach((dir) => clients.use((c) => c.mkdir(dir, true)));
  return {
    setup: async () => {},
    warm: () => clients.fill(),
    async uploadFile(local, rel) {
      await mkdirp(posix.dirname(remote(rel)));
      await clients.use((c) => c.put(local, remote(rel)));
    },
    // ssh2's fastPut/fastGet: 64 requests of 32 KiB in flight on one connection.
    async uploadLarge(local, rel) {
      await mkdirp(posix.dirname(remote(rel)));
      await clients.use((c) => c.fastPut(local, remote(rel)));
    },
    download: (rel) => clients.use(async (c) => void (await c.get(remote(rel), localPath(task, rel)))),
    downloadLarge: (rel) => clients.use(async (c) => void (await c.fastGet(remote(rel), localPath(task, rel)))),
    list: (prefix) => clients.use(async (c) => (await c.list(`${hostBase('sftp', task.endpoints)}/${prefix}`)).filter((f) => f.type === '-').map((f) => `${prefix}${f.name}`)),
    deleteKeys: async () => {},
    deleteRoot: () =>
      clients.use(async (c) => {
        if (!(await c.exists(base))) return 0;
        await c.rmdir(base, true);
        return 1;
      }),
    close: clients.close,
  };
}

export async function ftpSdk(task: Task): Promise<Sdk> {
  const { Client } = await import('basic-ftp');
  const u = new URL(task.endpoints.ftp);
  const base = `${hostBase('ftp', task.endpoints)}/${task.root}`;
  const remote = (rel: string) => `${base}/${rel}`;
  const clients = new ClientPool(
    async () => {
      const c = new Client();
      await c.access({ host: u.hostname, port: Number(u.port || 21), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password) });
      return c;
    },
    task.sdkConcurrency,
    async (c) => c.close(),
  );
  // ensureDir creates the path and changes into it; uploads then name absolute paths.
  const ensureDir = onceEach((dir) => clients.use((c) => c.ensureDir(dir)));
  const upload = async (local: string, rel: string) => {
    await ensureDir(posix.dirname(remote(rel)));
    await clients.use((c) => c.uploadFrom(local, remote(rel)));
  };
  return {
    setup: async () => {},
    warm: () => clients.fill(),
    uploadFile: upload,
    uploadLarge: upload,
    download: (rel) => clients.use(async (c) => void (await c.downloadTo(localPath(task, rel), remote(rel)))),
    list: (prefix) => clients.use(async (c) => (await c.list(`${hostBase('ftp', task.endpoints)}/${prefix}`)).filter((f) => f.isFile).map((f) => `${prefix}${f.name}`)),
    deleteKeys: async () => {},
    deleteRoot: () =>
      clients.use(async (c) => {
        try {
          await c.removeDir(base);
          return 1;
        } catch (err) {
          if ((err as { code?: number }).code === 550) return 0;
          throw err;
        }
      }),
    close: clients.close,
  };
}

export async function hdfsSdk(task: Task): Promise<Sdk> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: task.sdkConcurrency });
  const abs = (p: string) => `${hostBase('hdfs', task.endpoints)}/${p}`;
  const url = (path: string, op: string, q = '') => `${task.endpoints.hdfs}/webhdfs/v1${path.split('/').map(encodeURIComponent).join('/')}?op=${op}&user.name=${HDFS_USER}${q}`;
  const req = (u: string, method: string, body?: NodeJS.ReadableStream) =>
    new Promise<http.IncomingMessage>((resolve, reject) => {
      const r = http.request(u, { method, agent, headers: body ? { 'content-type': 'application/octet-stream' } : { 'content-length': '0' } }, resolve);
      r.on('error', reject);
      if (body) body.pipe(r);
      else r.end();
    });
  const drain = async (res: http.IncomingMessage, ok: number[]) => {
    let s = '';
    for await (const c of res) s += c;
    if (!ok.includes(res.statusCode ?? 0)) throw new Error(`WebHDFS HTTP ${res.statusCode}: ${s.slice(0, 200)}`);
    return s;
  };
  // CREATE answers 307 with the datanode's URL; the bytes go there in one streamed PUT.
  const upload = async (local: string, rel: string) => {
    const first = await req(url(abs(`${task.root}/${rel}`), 'CREATE', '&overwrite=true'), 'PUT');
    await drain(first, [307]);
    await drain(await req(first.headers.location!, 'PUT', createReadStream(local)), [201]);
  };
  return {
    setup: async () => {},
    uploadFile: upload,
    uploadLarge: upload,
    async download(rel) {
      const first = await req(url(abs(`${task.root}/${rel}`), 'OPEN'), 'GET');
      await drain(first, [307]);
      const res = await req(first.headers.location!, 'GET');
      if (res.statusCode !== 200) await drain(res, [200]);
      await pipeline(res, createWriteStream(localPath(task, rel)));
    },
    async list(prefix) {
      const body = JSON.parse((await drain(await req(url(abs(prefix.replace(/\/$/, '')), 'LISTSTATUS'), 'GET'), [200, 404])) || '{}') as {
        FileStatuses?: { FileStatus: { pathSuffix: string; type: string }[] };
      };
      return (body.FileStatuses?.FileStatus ?? []).filter((f) => f.type === 'FILE').map((f) => `${prefix}${f.pathSuffix}`);
    },
    deleteKeys: async () => {},
    deleteRoot: async () => (JSON.parse(await drain(await req(url(abs(task.root), 'DELETE', '&recursive=true'), 'DELETE'), [200])) as { boolean: boolean }).boolean ? 1 : 0,
    close: async () => agent.destroy(),
  };
}
