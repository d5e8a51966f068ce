import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// What a new user's first run of the README's commands meets in a fresh clone.
//
// pnpm links a workspace dependency's `bin` into the dependent's node_modules/.bin at install time,
// before anything is built: a bin that points at build output (dist/) is missing on a fresh clone
// and every install prints "WARN Failed to create bin at …/node_modules/.bin/<name>".
const root = join(import.meta.dirname, '..');

interface Manifest {
  name: string;
  bin?: string | Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const folders = ['.', 'test', 'bench', ...['packages', 'apps'].flatMap((p) => readdirSync(join(root, p)).map((f) => `${p}/${f}`))].filter((f) =>
  existsSync(join(root, f, 'package.json')),
);
const manifests = new Map(folders.map((f) => [f, JSON.parse(readFileSync(join(root, f, 'package.json'), 'utf8')) as Manifest]));
const byName = new Map([...manifests].map(([folder, m]) => [m.name, { folder, m }]));
const binTargets = (m: Manifest) => (typeof m.bin === 'string' ? [m.bin] : Object.values(m.bin ?? {}));

describe('a fresh clone', () => {
  it('links no workspace bin that only exists after the build', () => {
    const unlinkable: string[] = [];
    for (const [folder, m] of manifests) {
      for (const dep of Object.keys({ ...m.dependencies, ...m.devDependencies, ...m.optionalDependencies })) {
        const target = byName.get(dep);
        if (!target) continue;
        for (const bin of binTargets(target.m)) {
          if (/^(\.\/)?dist\//.test(bin)) unlinkable.push(`${folder} depends on ${dep}, whose bin ${bin} is built`);
        }
      }
    }
    expect(unlinkable).toEqual([]);
  });

  it("ignores what `mlstore server`'s defaults create in the checkout, SQLite's side files included", () => {
    const created = ['mlflow.db', 'mlflow.db-wal', 'mlflow.db-shm', 'mlflow.db-journal', 'mlartifacts/0/x.txt', 'mlruns/0/meta.yaml'];
    // --no-index: the rules alone decide, whatever is tracked; prints each ignored path.
    const ignored = execFileSync('git', ['check-ignore', '--no-index', ...created], { cwd: root, encoding: 'utf8' }).trim().split('\n');
    expect(ignored).toEqual(created);
  });
});
