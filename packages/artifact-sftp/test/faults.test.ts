/**
 * Failure behaviour against the real sshd of test/services/sftp.sh: connections cut mid-transfer
 * (a node:net TCP proxy in front of sshd, so the shared server keeps running) and a server that
 * goes away, aborts of large streamed transfers, host-key and login failures that say which, and
 * awkward input (names, `..`, a 5,000-entry directory). Bounded in count and size.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { Transform } from 'node:stream';
import { TcpCutProxy, caughtMlflowError as caught, generatedStream, hashStream, readAll, until } from '@mlstore/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SftpArtifactRepository } from '../src/index.js';
import { SFTP_HOST, SFTP_PORT, requireSftp, sftpReachable, sftpState, sftpUri, testOptions } from './sftp-server.js';

const MiB = 1024 * 1024;
const run = `faults-${randomBytes(5).toString('hex')}`;
const repos: SftpArtifactRepository[] = [];
const track = (r: SftpArtifactRepository) => (repos.push(r), r);

if (requireSftp(await sftpReachable(), 'artifact-sftp faults')) {
  const s = sftpState();
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'mlstore-sftp-faults-'));
  });
  afterAll(async () => {
    for (const r of repos) await r.close();
    await rm(work, { recursive: true, force: true });
  });
  const direct = () => track(new SftpArtifactRepository(sftpUri(run), testOptions()));
  /** known_hosts naming the server's key for [127.0.0.1]:<port>. */
  const knownHostsFor = async (port: number) => {
    const key = (await readFile(s.knownHosts, 'utf8')).trim().split(/\s+/).slice(1).join(' ');
    const file = join(work, `known_hosts_${port}`);
    await writeFile(file, `[${SFTP_HOST}]:${port} ${key}\n`);
    return file;
  };

  describe('connection cut or server gone', () => {
    const proxy = new TcpCutProxy(SFTP_HOST, SFTP_PORT);
    let viaProxy: SftpArtifactRepository;
    beforeAll(async () => {
      await proxy.start();
      viaProxy = track(
        new SftpArtifactRepository(`sftp://${s.user}@${SFTP_HOST}:${proxy.port}${s.root}/${run}`, testOptions({ knownHostsPath: await knownHostsFor(proxy.port), maxConnections: 2 })),
      );
    });
    afterAll(() => proxy.stop());

    it('a cut mid-upload → retryable TEMPORARILY_UNAVAILABLE, no file at the destination, the pool recovers', async () => {
      await viaProxy.writeArtifact('cut/warmup.txt', 'warm'); // a pooled, idle connection exists now
      const gen = generatedStream(256 * MiB);
      proxy.upBytes = 0;
      const writing = viaProxy.writeArtifact('cut/up.bin', gen.stream);
      await until(() => proxy.upBytes > 4 * MiB, 30_000, 'the transfer to start');
      proxy.cut();
      const err = await caught(writing);
      expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
      expect(err.retryable).toBe(true);
      expect(err.message).toMatch(/SSH connection/);
      expect(await direct().exists('cut/up.bin')).toBe(false);
      // The next call opens a fresh connection through the (still listening) proxy.
      await viaProxy.writeArtifact('cut/after.txt', 'after');
      expect((await viaProxy.listArtifacts('cut')).map((f) => f.path)).toEqual(expect.arrayContaining(['cut/after.txt', 'cut/warmup.txt']));
    });

    it('a cut mid-download ends the stream with retryable TEMPORARILY_UNAVAILABLE; the next read works', async () => {
      await direct().writeArtifact('cut/down.bin', generatedStream(48 * MiB).stream);
      proxy.downBytes = 0;
      const stream = await viaProxy.openArtifact('cut/down.bin');
      const reading = hashStream(stream);
      await until(() => proxy.downBytes > 2 * MiB, 30_000, 'the transfer to start');
      proxy.cut();
      const err = await caught(reading);
      expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
      expect(err.retryable).toBe(true);
      const again = await hashStream(await viaProxy.openArtifact('cut/down.bin'));
      expect(again.size).toBe(48 * MiB);
    });

    it('an idle pooled connection dropped by the server is replaced transparently', async () => {
      await viaProxy.listArtifacts('cut');
      proxy.cut();
      await new Promise((r) => setTimeout(r, 100));
      expect((await viaProxy.listArtifacts('cut')).length).toBeGreaterThan(0);
    });

    it('a server that is gone → retryable TEMPORARILY_UNAVAILABLE naming the target, fast', async () => {
      const gone = new TcpCutProxy(SFTP_HOST, SFTP_PORT);
      await gone.start();
      const repo = track(new SftpArtifactRepository(`sftp://${s.user}@${SFTP_HOST}:${gone.port}${s.root}/${run}`, testOptions({ knownHostsPath: await knownHostsFor(gone.port) })));
      await repo.writeArtifact('gone/a.txt', 'a');
      await gone.stop();
      const err = await caught(repo.listArtifacts('gone'));
      expect(err.errorCode).toBe('TEMPORARILY_UNAVAILABLE');
      expect(err.retryable).toBe(true);
      expect(err.message).toContain(`${SFTP_HOST}:${gone.port}`);
    });
  });

  describe('abort', () => {
    it('aborting a large streamed upload stops it within a second and leaves nothing', async () => {
      const repo = direct();
      const gen = generatedStream(1024 * MiB);
      let sent = 0;
      const counted = gen.stream.pipe(
        new Transform({
          transform(chunk: Buffer, _enc, cb) {
            sent += chunk.length;
            cb(null, chunk);
          },
        }),
      );
      const ac = new AbortController();
      const writing = repo.writeArtifact('abort/big.bin', counted, { signal: ac.signal });
      await until(() => sent >= 8 * MiB, 30_000, '8 MiB read from the body', 5);
      const t0 = performance.now();
      ac.abort();
      const err = await caught(writing);
      const elapsed = performance.now() - t0;
      expect(err.errorCode).toBe('CANCELLED');
      expect(elapsed).toBeLessThan(1000);
      const sentAtEnd = sent;
      await new Promise((r) => setTimeout(r, 200));
      expect(sent).toBe(sentAtEnd); // nothing more is pulled from the body
      expect(sent).toBeLessThan(1024 * MiB);
      expect(await repo.listArtifacts('abort')).toEqual([]);
    });

    it('aborting a large streamed download stops it within a second', async () => {
      const repo = direct();
      await repo.writeArtifact('abort/read.bin', generatedStream(32 * MiB).stream);
      const ac = new AbortController();
      const stream = await repo.openArtifact('abort/read.bin', { signal: ac.signal });
      let read = 0;
      let t0 = 0;
      const consume = (async () => {
        for await (const chunk of stream) {
          read += (chunk as Buffer).length;
          if (read > MiB && !ac.signal.aborted) {
            t0 = performance.now();
            ac.abort();
          }
        }
      })();
      const err = await caught(consume);
      expect(err.errorCode).toBe('CANCELLED');
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(read).toBeLessThan(32 * MiB);
      // the repository still works afterwards
      expect((await repo.listArtifacts('abort')).map((f) => f.path)).toEqual(['abort/read.bin']);
    });
  });

  describe('login and host-key failures say which, with no secret', () => {
    const secretsIn = (m: string) => [s.password, s.passphrase, 'wrong-pass-0xDEADBEEF'].filter((x) => m.includes(x));

    it('an unknown host key is refused (no known_hosts entry) unless explicitly opted out', async () => {
      const empty = join(work, 'known_hosts_empty');
      await writeFile(empty, '');
      const err = await caught(track(new SftpArtifactRepository(sftpUri(run), testOptions({ knownHostsPath: empty }))).listArtifacts());
      expect(err.errorCode).toBe('UNAUTHENTICATED');
      expect(err.message).toMatch(/unknown host key for \[127\.0\.0\.1\]:\d+.*no host key/);
      const missing = await caught(track(new SftpArtifactRepository(sftpUri(run), testOptions({ knownHostsPath: join(work, 'nope') }))).listArtifacts());
      expect(missing.message).toMatch(/does not exist or cannot be read/);
      const optedOut = track(new SftpArtifactRepository(sftpUri(run), testOptions({ knownHostsPath: empty, strictHostKeyChecking: false })));
      await expect(optedOut.listArtifacts()).resolves.toBeInstanceOf(Array);
      const viaEnv = track(new SftpArtifactRepository(sftpUri(run), testOptions({ knownHostsPath: empty, env: { HOME: work, MLSTORE_SFTP_STRICT_HOST_KEY_CHECKING: 'no' } })));
      await expect(viaEnv.listArtifacts()).resolves.toBeInstanceOf(Array);
    });

    it('a wrong host key is refused as a mismatch', async () => {
      const other = execFileSync('bash', ['-c', `d=$(mktemp -d) && ssh-keygen -q -t ed25519 -N '' -f "$d/k" && cut -d' ' -f1,2 "$d/k.pub" && rm -rf "$d"`], { encoding: 'utf8' }).trim();
      const wrong = join(work, 'known_hosts_wrong');
      await writeFile(wrong, `[${SFTP_HOST}]:${SFTP_PORT} ${other}\n`);
      const err = await caught(track(new SftpArtifactRepository(sftpUri(run), testOptions({ knownHostsPath: wrong }))).listArtifacts());
      expect(err.errorCode).toBe('UNAUTHENTICATED');
      expect(err.message).toMatch(/host key mismatch for \[127\.0\.0\.1\]:\d+/);
    });

    it('a wrong password says the password was refused and does not show it', async () => {
      const { privateKeyPath: _k, ...noKey } = testOptions();
      const err = await caught(track(new SftpArtifactRepository(`sftp://${s.user}:wrong-pass-0xDEADBEEF@${SFTP_HOST}:${SFTP_PORT}${s.root}/${run}`, noKey)).listArtifacts());
      expect(err.errorCode).toBe('UNAUTHENTICATED');
      expect(err.message).toContain(`authentication failed for ${s.user}@${SFTP_HOST}:${SFTP_PORT}: the server refused password`);
      expect(secretsIn(err.message)).toEqual([]);
      expect(secretsIn(JSON.stringify(err))).toEqual([]);
      // and the right password logs in
      const ok = track(new SftpArtifactRepository(`sftp://${s.user}:${s.password}@${SFTP_HOST}:${SFTP_PORT}${s.root}/${run}`, noKey));
      await expect(ok.listArtifacts()).resolves.toBeInstanceOf(Array);
    });

    it('a missing key file is named; an encrypted key needs its passphrase (by env)', async () => {
      const missing = join(work, 'no_such_key');
      const err = await caught(track(new SftpArtifactRepository(sftpUri(run), testOptions({ privateKeyPath: missing }))).listArtifacts());
      expect(err.errorCode).toBe('UNAUTHENTICATED');
      expect(err.message).toContain(`identity file ${missing} could not be read (ENOENT)`);
      const enc = await caught(track(new SftpArtifactRepository(sftpUri(run), testOptions({ privateKeyPath: s.keyWithPassphrase }))).listArtifacts());
      expect(enc.errorCode).toBe('UNAUTHENTICATED');
      expect(enc.message).toMatch(/is encrypted and no passphrase was given \(set MLSTORE_SFTP_KEY_PASSPHRASE/);
      const bad = await caught(track(new SftpArtifactRepository(sftpUri(run), testOptions({ privateKeyPath: s.keyWithPassphrase, passphrase: 'wrong-pass-0xDEADBEEF' }))).listArtifacts());
      expect(bad.message).toMatch(/could not be decrypted with the given passphrase/);
      expect(secretsIn(bad.message)).toEqual([]);
      const good = track(new SftpArtifactRepository(sftpUri(run), testOptions({ privateKeyPath: s.keyWithPassphrase, env: { HOME: work, MLSTORE_SFTP_KEY_PASSPHRASE: s.passphrase } })));
      await expect(good.listArtifacts()).resolves.toBeInstanceOf(Array);
    });

    it('logs in with a key held by ssh-agent (SSH_AUTH_SOCK)', async () => {
      const sock = join(work, 'agent.sock');
      const agent = spawn('ssh-agent', ['-D', '-a', sock], { stdio: 'ignore' });
      try {
        // ssh-add refuses key files others can read; the script's key is world-readable for the test user.
        const key = join(work, 'agent_key');
        await writeFile(key, await readFile(s.key), { mode: 0o600 });
        for (let i = 0; i < 100; i++) {
          try {
            execFileSync('ssh-add', [key], { env: { SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
            break;
          } catch {
            await new Promise((r) => setTimeout(r, 50));
          }
        }
        const { privateKeyPath: _k, agent: _a, ...rest } = testOptions();
        const repo = track(new SftpArtifactRepository(sftpUri(run), { ...rest, env: { HOME: work, SSH_AUTH_SOCK: sock } }));
        await expect(repo.listArtifacts()).resolves.toBeInstanceOf(Array);
      } finally {
        agent.kill();
      }
    });

    it('with nothing to log in with, says so', async () => {
      const { privateKeyPath: _k, ...rest } = testOptions();
      const err = await caught(track(new SftpArtifactRepository(sftpUri(run), rest)).listArtifacts());
      expect(err.errorCode).toBe('UNAUTHENTICATED');
      expect(err.message).toContain(`no credentials to log in to ${s.user}@${SFTP_HOST}:${SFTP_PORT}: no password, no ssh-agent`);
    });
  });

  describe('awkward input', () => {
    it('names with spaces, unicode, leading dashes and shell characters round-trip', async () => {
      const repo = direct();
      const names = ['odd/with space.txt', 'odd/ünïcødé-日本語.txt', 'odd/-leading-dash', 'odd/--rf', 'odd/$(touch x);`y`', "odd/quote'\"s", 'odd/emoji-😀.bin'];
      for (const n of names) await repo.writeArtifact(n, n);
      const listed = (await repo.listArtifacts('odd')).map((f) => f.path);
      expect([...listed].sort()).toEqual([...names].sort());
      for (const n of names) expect((await readAll(await repo.openArtifact(n))).toString()).toBe(n);
      const dst = await mkdtemp(join(work, 'dl-'));
      await repo.downloadArtifacts('odd', dst);
      for (const n of names) expect(await readFile(join(dst, n), 'utf8')).toBe(n);
    });

    it('`..` in artifact paths is refused; `..` in the URI root is passed to the server as MLflow does', async () => {
      const repo = direct();
      for (const bad of ['../x', 'a/../../x', '..', '%2e%2e/x']) {
        await expect(repo.writeArtifact(bad, 'x')).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
        await expect(repo.listArtifacts(bad)).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
      }
      const dotted = track(new SftpArtifactRepository(sftpUri(`${run}/sub/../dotted`), testOptions()));
      await dotted.writeArtifact('f.txt', 'via dots');
      expect((await readAll(await direct().openArtifact('dotted/f.txt'))).toString()).toBe('via dots');
    });

    it('a directory of 5,000 entries is listed completely and sorted', async () => {
      // Made on the server's disk directly (the server is local) to keep the test fast; listed over SFTP.
      const dir = join(s.root, run, 'many');
      await mkdir(dir, { recursive: true });
      const names = Array.from({ length: 5000 }, (_, i) => `f-${String(i).padStart(5, '0')}.txt`);
      await Promise.all(names.map((n) => writeFile(join(dir, n), n)));
      try {
        const listed = await direct().listArtifacts('many');
        expect(listed).toHaveLength(5000);
        expect(listed.map((f) => f.path)).toEqual(names.map((n) => `many/${n}`));
        expect(listed.every((f) => !f.is_dir && f.file_size === 11)).toBe(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
}
