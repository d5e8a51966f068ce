/**
 * Kerberos (SPNEGO) end to end against test/services/hdfs-kerberos.sh: a MiniKdc and a
 * Kerberos-secured MiniDFSCluster whose WebHDFS answers 401 Negotiate to anything without a ticket.
 * Authentication goes through the optional peer `kerberos` (a native addon) with the ticket cache
 * the script writes, selected the way MLflow does it (MLFLOW_KERBEROS_TICKET_CACHE); data goes to
 * the datanode with the delegation token the namenode puts in its redirect.
 *
 * The script also builds the `kerberos` addon (pnpm does not). Without the cluster or the addon the
 * suite skips loudly, or fails under MLSTORE_REQUIRE_SERVICES=1 (CI).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { expectMlflowError, servicePort } from '@mlstore/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { HdfsArtifactRepository, loadKerberos, type HdfsArtifactRepositoryOptions } from '../src/index.js';

const MiB = 1024 * 1024;
const services = join(import.meta.dirname, '..', '..', '..', 'test', 'services');
const script = join(services, 'hdfs-kerberos.sh');
const required = process.env.MLSTORE_REQUIRE_SERVICES === '1';
const port = servicePort('MLSTORE_HDFS_KERBEROS_PORT');
const gateway = `127.0.0.1:${port + 1}`;
const PRINCIPAL_USER = 'mlstore';
const run = `mlstore-kerberos/${randomBytes(5).toString('hex')}`;
const suite = 'artifact-hdfs: Kerberos (SPNEGO) against a MiniKdc-secured MiniDFSCluster';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** The script's state directory when its cluster is up and asks for Negotiate; else why not. */
async function service(): Promise<{ dir: string } | { problem: string }> {
  const start = `start it with: bash ${script.slice(script.indexOf('test/services'))} start`;
  let dir: string;
  try {
    dir = execFileSync('bash', [script, 'dir'], { encoding: 'utf8' }).trim();
  } catch (error) {
    return { problem: `${script} dir failed: ${(error as Error).message}` };
  }
  if (!existsSync(join(dir, 'ready')) || !existsSync(join(dir, 'user.ccache'))) return { problem: `the Kerberos MiniDFSCluster is not running; ${start}` };
  try {
    const res = await fetch(`http://${gateway}/webhdfs/v1/?op=GETFILESTATUS`, { signal: AbortSignal.timeout(3000) });
    await res.body?.cancel();
    if (res.status !== 401 || !/Negotiate/i.test(res.headers.get('www-authenticate') ?? '')) {
      return { problem: `http://${gateway} answered ${res.status} without asking for Negotiate: not our Kerberos cluster` };
    }
  } catch {
    return { problem: `the Kerberos MiniDFSCluster does not answer at http://${gateway}; ${start}` };
  }
  try {
    await loadKerberos();
  } catch (error) {
    return { problem: `${(error as Error).message.split('. Install')[0]} (bash test/services/hdfs-kerberos.sh start builds it)` };
  }
  return { dir };
}

const found = await service();
if ('problem' in found) {
  if (required) {
    describe(suite, () => it('is running (MLSTORE_REQUIRE_SERVICES=1)', () => { throw new Error(found.problem); }));
  } else {
    describe.skip(`${suite} (SKIPPED: ${found.problem})`, () => it('needs the Kerberos cluster', () => {}));
    process.stderr.write(`[${suite}] SKIPPING: ${found.problem}\n`);
  }
} else {
  const { dir } = found;
  // GSSAPI (MIT) reads the realm and the KDC's address from KRB5_CONFIG, process-wide.
  process.env.KRB5_CONFIG = join(dir, 'krb5.conf');
  const ccache = `FILE:${join(dir, 'user.ccache')}`;
  const uri = `webhdfs://${gateway}/${run}`;
  const opened: HdfsArtifactRepository[] = [];
  const repo = (options: HdfsArtifactRepositoryOptions) => {
    const r = new HdfsArtifactRepository(uri, options);
    opened.push(r);
    return r;
  };
  // As MLflow: a ticket cache in the environment selects Kerberos.
  const kerberos = () => repo({ env: { MLFLOW_KERBEROS_TICKET_CACHE: ccache } });
  afterAll(async () => {
    await kerberos().deleteArtifacts().catch(() => {});
    for (const r of opened) r.close();
  });

  describe(suite, () => {
    it('MLFLOW_KERBEROS_TICKET_CACHE selects SPNEGO to HTTP@<gateway host>', () => {
      expect(kerberos().settings.auth).toEqual({ kind: 'kerberos', ticketCache: ccache, service: 'HTTP@127.0.0.1', module: 'kerberos' });
    });

    it('writes (buffer and streamed through the datanode), lists, reads and deletes', async () => {
      const r = kerberos();
      const big = randomBytes(3 * MiB + 17);
      await r.writeArtifact('model/MLmodel', Buffer.from('flavors: {}\n'));
      await r.writeArtifact('model/data/weights.bin', Readable.from([big.subarray(0, MiB), big.subarray(MiB)]));
      expect(await r.listArtifacts('model')).toEqual([
        { path: 'model/MLmodel', is_dir: false, file_size: 12 },
        { path: 'model/data', is_dir: true },
      ]);
      expect(await r.listArtifacts('model/data')).toEqual([{ path: 'model/data/weights.bin', is_dir: false, file_size: big.length }]);
      expect((await readAll(await r.openArtifact('model/MLmodel'))).toString()).toBe('flavors: {}\n');
      expect((await readAll(await r.openArtifact('model/data/weights.bin'))).equals(big)).toBe(true);
      expect((await readAll(await r.openArtifact('model/data/weights.bin', { start: MiB, end: MiB + 9 }))).equals(big.subarray(MiB, MiB + 10))).toBe(true);
      await r.deleteArtifacts('model/data/weights.bin');
      expect(await r.listArtifacts('model/data')).toEqual([]);
      await r.deleteArtifacts('model');
      expect(await r.listArtifacts('model')).toEqual([]);
    });

    it('files belong to the ticket’s principal, not to a user.name', async () => {
      const r = kerberos();
      await r.writeArtifact('owned.txt', Buffer.from('x'));
      const st = await r.client.status(`/${run}/owned.txt`);
      expect(st).toMatchObject({ type: 'FILE', length: 1 });
      expect((st as unknown as { owner: string }).owner).toBe(PRINCIPAL_USER);
    });

    it('keeps working over many calls (SPNEGO, then the hadoop.auth cookie)', async () => {
      const r = kerberos();
      for (let i = 0; i < 20; i++) await r.writeArtifact(`many/${i}.txt`, Buffer.from(String(i)));
      expect((await r.listArtifacts('many')).map((f) => f.path)).toHaveLength(20);
      expect((await readAll(await r.openArtifact('many/19.txt'))).toString()).toBe('19');
    });

    it('negotiates afresh once the gateway’s cookie has expired (5 s on this cluster)', async () => {
      const r = kerberos();
      await r.writeArtifact('renew/a.txt', Buffer.from('a'));
      await new Promise((resolve) => setTimeout(resolve, 6000));
      await r.writeArtifact('renew/b.txt', Readable.from([Buffer.from('b')]));
      expect(await r.listArtifacts('renew')).toEqual([
        { path: 'renew/a.txt', is_dir: false, file_size: 1 },
        { path: 'renew/b.txt', is_dir: false, file_size: 1 },
      ]);
    });

    it('without a ticket → UNAUTHENTICATED naming the service, and nothing is written', async () => {
      const r = repo({ env: {}, auth: 'kerberos', kerberosTicketCache: `FILE:${join(dir, 'no-such-ccache')}` });
      await expectMlflowError(() => r.writeArtifact('no-ticket.txt', Buffer.from('x')), 'UNAUTHENTICATED', /Kerberos could not authenticate to HTTP@127\.0\.0\.1: .*credentials/i);
      await expectMlflowError(() => r.listArtifacts(), 'UNAUTHENTICATED', /Kerberos could not authenticate/);
      expect(await kerberos().listArtifacts()).not.toContainEqual(expect.objectContaining({ path: 'no-ticket.txt' }));
    });

    it('a service principal the KDC does not know → UNAUTHENTICATED', async () => {
      const r = repo({ env: {}, auth: 'kerberos', kerberosTicketCache: ccache, kerberosService: 'HTTP@nohost.example' });
      await expectMlflowError(() => r.listArtifacts(), 'UNAUTHENTICATED', /Kerberos could not authenticate to HTTP@nohost\.example: .*not found in Kerberos database/i);
    });

    it('simple auth (user.name) against the Kerberos gateway → UNAUTHENTICATED (HTTP 401)', async () => {
      const r = repo({ env: {}, user: 'mallory' });
      await expectMlflowError(() => r.listArtifacts(), 'UNAUTHENTICATED', /HTTP 401/);
      await expectMlflowError(() => r.writeArtifact('as-mallory.txt', Buffer.from('x')), 'UNAUTHENTICATED');
      expect(await kerberos().listArtifacts()).not.toContainEqual(expect.objectContaining({ path: 'as-mallory.txt' }));
    });
  });
}
