import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { verifyMigration } from '@mlstore/core';
import { SqlTrackingStore } from '@mlstore/store-sql';
import { fillStore } from './migrate-fixture.js';

// `mlstore migrate` as a user runs it: a child process (apps/demo/src/cli.ts through tsx, with
// @mlstore/* taken from the packages' sources as vitest does) between two SQLite files.
const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'mlstore-cli-'));
const RUNS = 400;
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const sourceUri = `sqlite:///${join(dir, 'source.db')}`;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Spawns `mlstore <args>`; `onStderr` sees stderr as it comes (and may signal the child). */
function mlstore(args: string[], onStderr?: (text: string, child: ReturnType<typeof spawn>) => void): Promise<Result> {
  return new Promise((resolve, reject) => {
    // One node process with tsx's loader (the tsx binary would put a wrapper process in between).
    const child = spawn(process.execPath, ['--import', TSX_LOADER, join(root, 'apps/demo/src/cli.ts'), ...args], {
      cwd: dir,
      env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'test/cli-tsconfig.json'), LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out = { stdout: '', stderr: '' };
    child.stdout.on('data', (c: Buffer) => (out.stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => {
      out.stderr += c.toString();
      onStderr?.(out.stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, ...out }));
  });
}

async function verify(targetUri: string) {
  const [source, target] = await Promise.all([SqlTrackingStore.open(sourceUri), SqlTrackingStore.open(targetUri)]);
  try {
    return await verifyMigration(source, target);
  } finally {
    await source.close();
    await target.close();
  }
}

describe('mlstore migrate (CLI, SQLite → SQLite)', () => {
  beforeAll(async () => {
    const source = await SqlTrackingStore.open(sourceUri, { artifactRoot: join(dir, 'artifacts') });
    await fillStore(source, RUNS);
    await source.close();
  }, 600_000);

  it('copies the store, prints the report and exits 0; log lines on stderr when not a terminal', async () => {
    const targetUri = `sqlite:///${join(dir, 'straight.db')}`;
    const r = await mlstore(['migrate', '--from', sourceUri, '--to', targetUri]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`runs          ${RUNS} created, 0 skipped`);
    expect(r.stdout).toMatch(new RegExp(`verification {2}OK: 4 experiments, ${RUNS} runs`));
    expect(r.stdout).toContain('traces        30 created, 0 skipped (already there)');
    expect(r.stdout).toMatch(/, 30 traces \(60 assessments, 30 spans\)/);
    const phases = new Set(r.stderr.trim().split('\n').map((l) => (JSON.parse(l) as { phase?: string }).phase));
    expect([...phases]).toEqual(expect.arrayContaining(['counting', 'experiments', 'runs', 'logged-models', 'traces', 'verifying']));
    expect((await verify(targetUri)).ok).toBe(true);
  }, 300_000);

  it('interrupted by SIGINT exits 130 keeping what it copied; the same command then finishes it', async () => {
    const targetUri = `sqlite:///${join(dir, 'interrupted.db')}`;
    let signalled = false;
    const first = await mlstore(['migrate', '--from', sourceUri, '--to', targetUri, '--concurrency', '2'], (text, child) => {
      if (!signalled && text.includes('"phase":"runs"')) {
        signalled = true;
        child.kill('SIGINT');
      }
    });
    expect(first.code).toBe(130);
    expect(first.stderr).toContain('interrupted; run the same command again to resume');
    const partial = await verify(targetUri);
    const copied = partial.target.runs;
    expect(copied).toBeGreaterThan(0);
    expect(copied).toBeLessThan(RUNS);

    const second = await mlstore(['migrate', '--from', sourceUri, '--to', targetUri, '--json']);
    expect(second.code).toBe(0);
    const report = JSON.parse(second.stdout) as { runs: { created: number; skipped: number }; verification: { ok: boolean } };
    expect(report.runs).toEqual({ created: RUNS - copied, skipped: copied });
    expect(report.verification.ok).toBe(true);
  }, 300_000);
});
