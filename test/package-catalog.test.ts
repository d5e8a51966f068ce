import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's package catalog must list exactly the packages that exist under packages/.
const root = join(import.meta.dirname, '..');

function catalogRows(): { name: string; link: string }[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const section = readme.split(/^## Packages$/m)[1]?.split(/^## /m)[0] ?? '';
  return [...section.matchAll(/^\| \[`(@mlstore\/[a-z0-9-]+)`\]\(([^)]+)\) \|/gm)].map((m) => ({ name: m[1]!, link: m[2]! }));
}

describe('README package catalog', () => {
  const folders = readdirSync(join(root, 'packages'), { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, 'packages', d.name, 'package.json')))
    .map((d) => d.name)
    .sort();

  it('lists every package folder and nothing else', () => {
    const listed = catalogRows().map((r) => r.name).sort();
    expect(listed).toEqual(folders.map((f) => `@mlstore/${f}`));
  });

  it('links each row to its folder, whose package.json has that name', () => {
    for (const row of catalogRows()) {
      const pkg = JSON.parse(readFileSync(join(root, row.link, 'package.json'), 'utf8')) as { name: string };
      expect(pkg.name).toBe(row.name);
    }
  });

  it.each(folders)('packages/%s follows the packaging rules', (folder) => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', folder, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(pkg.name).toBe(`@mlstore/${folder}`);
    expect(pkg.type).toBe('module');
    expect(pkg.sideEffects).toBe(false);
    expect(pkg.files).toEqual(['dist']);
    expect(existsSync(join(root, 'packages', folder, 'README.md'))).toBe(true);
    if (folder === 'core') expect(pkg.dependencies ?? {}).toEqual({});
    else expect((pkg.peerDependencies as Record<string, string> | undefined)?.['@mlstore/core']).toBe('workspace:^');
  });
});
