/**
 * SFTP requests per file in `logArtifacts` / `downloadArtifacts`, counted on ssh2's SFTP session
 * (every request method of its prototype wrapped, answers timed) against the real sshd of
 * test/services/sftp.sh: a directory is checked once per batch, not once per file; a buffer's
 * WRITE and CLOSE leave together; a listed file is read without a STAT.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SftpArtifactRepository } from '../src/index.js';
import { requireSftp, sftpReachable, sftpUri, testOptions } from './sftp-server.js';

const METHODS = ['open', 'close', 'read', 'write', 'stat', 'lstat', 'fstat', 'mkdir', 'readdir', 'opendir', 'rename', 'ext_openssh_rename', 'unlink', 'rmdir', 'realpath'] as const;
type Method = (typeof METHODS)[number];
interface Event {
  method: Method;
  kind: 'sent' | 'answered';
  id: number;
  handle?: string;
  /** The handle an OPEN or OPENDIR answered with. */
  opened?: string;
}

const require = createRequire(join(import.meta.dirname, '../src/index.ts'));
const { SFTP } = require(require.resolve('ssh2/lib/protocol/SFTP.js')) as { SFTP: { prototype: Record<string, unknown> } };

/** Records every request sent on any SFTP session of this process, and when its answer came. */
function recordRequests(): { events: Event[]; count: (m: Method) => number; fileCloses: () => number; restore: () => void } {
  const events: Event[] = [];
  const originals = new Map<string, unknown>();
  let next = 0;
  // Handles are per session (and reused once closed): they are told apart by session too.
  const sessions = new WeakMap<object, number>();
  for (const method of METHODS) {
    const original = SFTP.prototype[method] as (...args: unknown[]) => unknown;
    originals.set(method, original);
    SFTP.prototype[method] = function (this: object, ...args: unknown[]) {
      const id = next++;
      if (!sessions.has(this)) sessions.set(this, id);
      const session = sessions.get(this);
      const handle = Buffer.isBuffer(args[0]) ? `${session}:${args[0].toString('hex')}` : undefined;
      events.push({ method, kind: 'sent', id, ...(handle ? { handle } : {}) });
      const cbAt = args.findLastIndex((a) => typeof a === 'function');
      if (cbAt >= 0) {
        const cb = args[cbAt] as (...r: unknown[]) => void;
        args[cbAt] = (...r: unknown[]) => {
          const opened = (method === 'open' || method === 'opendir') && Buffer.isBuffer(r[1]) ? `${session}:${r[1].toString('hex')}` : undefined;
          events.push({ method, kind: 'answered', id, ...(handle ? { handle } : {}), ...(opened ? { opened } : {}) });
          cb(...r);
        };
      }
      return original.apply(this, args);
    };
  }
  return {
    events,
    count: (m) => events.filter((e) => e.method === m && e.kind === 'sent').length,
    // ssh2's readdir(path) opens and closes a directory handle itself: count the file handles' CLOSEs.
    // (The server reuses handle values once closed, so each CLOSE is matched with the latest OPEN.)
    fileCloses: () => {
      const kind = new Map<string, Method>();
      let n = 0;
      for (const e of events) {
        if (e.opened) kind.set(e.opened, e.method);
        if (e.method === 'close' && e.kind === 'sent' && e.handle && kind.get(e.handle) === 'open') n++;
      }
      return n;
    },
    restore: () => {
      for (const [m, f] of originals) SFTP.prototype[m] = f;
    },
  };
}

const FILES = 12;

if (requireSftp(await sftpReachable(), 'artifact-sftp round trips')) {
  describe('SFTP requests per file', () => {
    const run = `rt-${randomBytes(5).toString('hex')}`;
    let repo: SftpArtifactRepository;
    let src: string;
    let recorder: ReturnType<typeof recordRequests> | undefined;

    beforeAll(async () => {
      repo = new SftpArtifactRepository(sftpUri(run), testOptions());
      src = await mkdtemp(join(tmpdir(), 'mlstore-sftp-rt-'));
      await mkdir(join(src, 'sub'));
      for (let i = 0; i < FILES; i++) await writeFile(join(src, i % 2 ? 'sub' : '', `f${i}.bin`), randomBytes(10_240 + i));
      await repo.listArtifacts(); // log in before counting
    });
    afterEach(() => recorder?.restore());
    afterAll(async () => {
      await repo.deleteArtifacts().catch(() => undefined);
      await repo.close();
      await rm(src, { recursive: true, force: true });
    });

    it('logArtifacts: OPEN, WRITE + CLOSE together, RENAME per file; each directory checked once', async () => {
      recorder = recordRequests();
      await repo.logArtifacts(src, 'up');
      recorder.restore();
      expect(recorder.count('open')).toBe(FILES);
      expect(recorder.count('write')).toBe(FILES);
      expect(recorder.fileCloses()).toBe(FILES);
      expect(recorder.count('ext_openssh_rename')).toBe(FILES);
      // The run's root, `up` and `up/sub` are new: at most STAT, MKDIR, STAT, MKDIR each (a MKDIR
      // under a missing parent fails first), never a check per file.
      expect(recorder.count('stat') + recorder.count('mkdir')).toBeLessThanOrEqual(3 * 4);
      // The CLOSE of each file is sent before its WRITE is answered (one round trip for both).
      const { events } = recorder;
      let checked = 0;
      events.forEach((close, at) => {
        if (close.method !== 'close' || close.kind !== 'sent') return;
        const write = events.slice(0, at).findLast((e) => e.method === 'write' && e.kind === 'sent' && e.handle === close.handle);
        if (!write) return; // a directory handle of readdir
        expect(at).toBeLessThan(events.findIndex((e) => e.id === write.id && e.kind === 'answered'));
        checked++;
      });
      expect(checked).toBe(FILES);
      // A second batch into the same folders: only the walk's makeDirectory of `up/sub` looks (a
      // folder must exist even when empty); the files check nothing.
      recorder = recordRequests();
      await repo.logArtifacts(src, 'up');
      recorder.restore();
      expect(recorder.count('stat') + recorder.count('mkdir')).toBe(1);
      expect(recorder.count('open')).toBe(FILES);
    });

    it('a directory removed behind the repository is made again', async () => {
      await repo.writeArtifact('gone/a.txt', 'a');
      const other = new SftpArtifactRepository(sftpUri(run), testOptions());
      try {
        await other.deleteArtifacts('gone');
      } finally {
        await other.close();
      }
      await repo.writeArtifact('gone/b.txt', 'b');
      expect((await repo.listArtifacts('gone')).map((f) => f.path)).toEqual(['gone/b.txt']);
    });

    it('downloadArtifacts: no STAT per listed file; OPEN, READs in one round, CLOSE', async () => {
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-sftp-rt-dl-'));
      try {
        recorder = recordRequests();
        await repo.downloadArtifacts('up', dst);
        recorder.restore();
        // Three STATs: is `up` a directory, and one per listed directory (`up`, `up/sub`); none per file.
        expect(recorder.count('stat')).toBe(3);
        expect(recorder.count('open')).toBe(FILES);
        expect(recorder.fileCloses()).toBe(FILES);
        // The data and the read that confirms the end, both sent before either is answered.
        expect(recorder.count('read')).toBe(2 * FILES);
        const { events } = recorder;
        events.forEach((open, at) => {
          if (open.method !== 'open' || open.kind !== 'answered') return;
          const later = events.slice(at + 1);
          const until = later.findIndex((e) => e.method === 'close' && e.handle === open.opened);
          const reads = later.slice(0, until).filter((e) => e.method === 'read' && e.handle === open.opened);
          expect(reads.map((e) => e.kind)).toEqual(['sent', 'sent', 'answered', 'answered']);
        });
        for (let i = 0; i < FILES; i++) {
          const rel = join(i % 2 ? 'sub' : '', `f${i}.bin`);
          expect(await readFile(join(dst, 'up', rel))).toEqual(await readFile(join(src, rel)));
        }
      } finally {
        await rm(dst, { recursive: true, force: true });
      }
    });

    it('a file that grew after the listing is still downloaded whole', async () => {
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-sftp-rt-grow-'));
      const first = randomBytes(5_000);
      const grown = randomBytes(300_000);
      await repo.writeArtifact('grow/g.bin', first);
      const original = repo.listArtifacts.bind(repo);
      // Replace the file right after the listing reported its old size.
      repo.listArtifacts = async (path, opts) => {
        const listed = await original(path, opts);
        await repo.writeArtifact('grow/g.bin', grown);
        return listed;
      };
      try {
        await repo.downloadArtifacts('grow', dst);
        expect(await readFile(join(dst, 'grow', 'g.bin'))).toEqual(grown);
      } finally {
        repo.listArtifacts = original;
        await rm(dst, { recursive: true, force: true });
      }
    });
  });
}
