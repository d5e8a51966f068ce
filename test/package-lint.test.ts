import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPackage, createPackageFromTarballData } from '@arethetypeswrong/core';
import { publint } from 'publint';
import { afterAll, describe, expect, it } from 'vitest';

// publint and arethetypeswrong on the packed tarball of every package (house style): what npm users
// would install must resolve, with types, under Node's ESM resolution and bundlers. Needs the
// packages built (`pnpm test` builds first).
const root = join(import.meta.dirname, '..');
const folders = readdirSync(join(root, 'packages')).filter((f) => existsSync(join(root, 'packages', f, 'dist', 'index.js')));
const out = mkdtempSync(join(tmpdir(), 'mlstore-pack-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

// Our packages are ESM-only, so CommonJS resolution modes do not apply (attw's "esm-only" profile).
const IGNORED_RESOLUTIONS = new Set(['node10', 'node16-cjs']);

describe.each(folders)('packages/%s as published', (folder) => {
  const pkgDir = join(root, 'packages', folder);
  let tarball: Uint8Array | undefined;
  const pack = () => {
    if (!tarball) {
      const stdout = execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: pkgDir, encoding: 'utf8' });
      const file = stdout.trim().split('\n').pop()!.trim();
      tarball = new Uint8Array(readFileSync(file.startsWith('/') ? file : join(out, file)));
    }
    return tarball;
  };

  it('passes publint (strict)', async () => {
    const { messages } = await publint({ pkgDir, strict: true, level: 'warning', pack: 'pnpm' });
    expect(messages.map((m) => `${m.code} at ${m.path.join('.')}`)).toEqual([]);
  });

  it('passes arethetypeswrong (esm-only)', async () => {
    const result = await checkPackage(createPackageFromTarballData(pack()));
    expect(result.types).not.toBe(false);
    const problems = 'problems' in result ? result.problems : [];
    const relevant = problems.filter((p) => !('resolutionKind' in p) || !IGNORED_RESOLUTIONS.has(p.resolutionKind));
    expect(relevant).toEqual([]);
  });
});
