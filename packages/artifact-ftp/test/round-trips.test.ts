/**
 * FTP commands per file in `logArtifacts` / `downloadArtifacts`, counted on basic-ftp's control
 * connection (`FTPContext.send`) against the real pyftpdlib of test/services/ftp.sh: each
 * directory is made once, not per file; the default upload is STOR to a temp name + RNFR/RNTO;
 * `atomicWrites: false` (MLflow's in-place writes, opted into) is EPSV + STOR only; a download is
 * EPSV + RETR.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FTPContext } from 'basic-ftp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FtpArtifactRepository, resolveFtpSettings } from '../src/index.js';
import { ftpBase, ftpReachable, requireFtp } from './ftp-server.js';

/** The verbs of every command sent on any control connection of this process while `fn` runs. */
async function commandsDuring(fn: () => Promise<unknown>): Promise<string[]> {
  const verbs: string[] = [];
  const proto = FTPContext.prototype as unknown as { send(command: string): void };
  const original = proto.send;
  proto.send = function (this: unknown, command: string) {
    verbs.push(command.split(' ')[0]!.toUpperCase());
    return original.call(this, command);
  };
  try {
    await fn();
  } finally {
    proto.send = original;
  }
  return verbs;
}

const tally = (verbs: string[]) => verbs.reduce<Record<string, number>>((t, v) => ((t[v] = (t[v] ?? 0) + 1), t), {});

const FILES = 24;

describe('atomicWrites setting', () => {
  it('defaults to true; MLSTORE_FTP_ATOMIC_WRITES=false opts out; the option wins; junk is refused', () => {
    expect(resolveFtpSettings({ env: {} }).atomicWrites).toBe(true);
    expect(resolveFtpSettings({ env: { MLSTORE_FTP_ATOMIC_WRITES: 'false' } }).atomicWrites).toBe(false);
    expect(resolveFtpSettings({ env: { MLSTORE_FTP_ATOMIC_WRITES: 'false' }, atomicWrites: true }).atomicWrites).toBe(true);
    expect(() => resolveFtpSettings({ env: { MLSTORE_FTP_ATOMIC_WRITES: 'maybe' } })).toThrow(/MLSTORE_FTP_ATOMIC_WRITES must be true or false/);
  });
});

if (requireFtp(await ftpReachable(), 'artifact-ftp round trips')) {
  describe('FTP commands per file', () => {
    const run = `rt-${randomBytes(5).toString('hex')}`;
    let src: string;
    const repos: FtpArtifactRepository[] = [];
    const open = (sub: string, atomicWrites?: boolean) => {
      const r = new FtpArtifactRepository(`${ftpBase()}/${run}/${sub}`, atomicWrites === undefined ? {} : { atomicWrites });
      repos.push(r);
      return r;
    };

    beforeAll(async () => {
      src = await mkdtemp(join(tmpdir(), 'mlstore-ftp-rt-'));
      await mkdir(join(src, 'sub'));
      for (let i = 0; i < FILES; i++) await writeFile(join(src, i % 2 ? 'sub' : '', `f${i}.bin`), randomBytes(10_240 + i));
    });
    afterAll(async () => {
      await repos[0]?.deleteArtifacts().catch(() => undefined);
      for (const r of repos) await r.close();
      await rm(src, { recursive: true, force: true });
    });

    it('default: STOR to a temp name + RNFR/RNTO per file, each directory made once', async () => {
      const repo = open('atomic');
      await repo.listArtifacts(); // log in before counting
      const t = tally(await commandsDuring(() => repo.logArtifacts(src, 'up')));
      expect(t.STOR).toBe(FILES);
      expect(t.RNFR).toBe(FILES);
      expect(t.RNTO).toBe(FILES);
      // Four new levels (run, atomic, up, up/sub): 10 commands to make them top-down after failed
      // MKDs, then MKD + CWD once for the files' folder `up`, whichever of the concurrent uploads
      // gets there first; never a check per file.
      expect((t.MKD ?? 0) + (t.CWD ?? 0)).toBeLessThanOrEqual(12);
      const again = tally(await commandsDuring(() => repo.logArtifacts(src, 'up')));
      expect(again.STOR).toBe(FILES);
      expect((again.MKD ?? 0) + (again.CWD ?? 0)).toBeLessThanOrEqual(2);
    });

    it('atomicWrites: false writes in place: EPSV + STOR per file, nothing else', async () => {
      const repo = open('inplace', false);
      await repo.listArtifacts();
      await repo.logArtifacts(src, 'up'); // makes the folders
      const t = tally(await commandsDuring(() => repo.logArtifacts(src, 'up')));
      // The walk's makeDirectory of `up/sub` (MKD refused: it exists, then CWD) is per folder.
      const { MKD = 0, CWD = 0, ...perFile } = t;
      expect(MKD + CWD).toBeLessThanOrEqual(2);
      expect(perFile).toEqual({ EPSV: FILES, STOR: FILES });
      expect((await repo.listArtifacts('up')).map((f) => f.path)).toContain('up/f22.bin');
      expect(await repo.listArtifacts('up')).toHaveLength(FILES / 2 + 1);
      await repo.writeArtifact('up/f0.bin', 'replaced');
      const dst = await mkdtemp(join(tmpdir(), 'mlstore-ftp-rt-dl-'));
      try {
        const d = tally(await commandsDuring(() => repo.downloadArtifacts('up', dst)));
        // Per file: EPSV + RETR (the listing is CWD + EPSV + MLSD per folder).
        expect(d.RETR).toBe(FILES);
        expect(d.SIZE ?? 0).toBe(0);
        expect(await readFile(join(dst, 'up', 'f0.bin'), 'utf8')).toBe('replaced');
        expect(await readFile(join(dst, 'up', 'sub', 'f1.bin'))).toEqual(await readFile(join(src, 'sub', 'f1.bin')));
      } finally {
        await rm(dst, { recursive: true, force: true });
      }
    });
  });
}
