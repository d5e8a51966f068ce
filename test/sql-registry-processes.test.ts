/**
 * Model-version numbers across processes on one SQLite file: 4 Node processes (our
 * SqlModelRegistryStore from the packages' sources through tsx and test/cli-tsconfig.json) create
 * versions of one model at the same time; every number from 1 to the total is taken exactly once.
 * (PostgreSQL and MariaDB: packages/store-sql/test/sql-registry-behaviour.test.ts, separate pools.)
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { SqlModelRegistryStore } from '@mlstore/store-sql';

const root = resolve(import.meta.dirname, '..');
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const dir = mkdtempSync(join(tmpdir(), 'mlstore-registry-procs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SqlModelRegistryStore on sqlite across processes', () => {
  it('4 creator processes get distinct, gap-free version numbers', async () => {
    const uri = `sqlite:///${join(dir, 'registry.db')}`;
    const store = await SqlModelRegistryStore.open(uri);
    await store.createRegisteredModel('shared');
    const script = `
      const { SqlModelRegistryStore } = await import(${JSON.stringify(pathToFileURL(join(root, 'packages/store-sql/src/index.ts')).href)});
      const [uri, who] = process.argv.slice(1);
      const s = await SqlModelRegistryStore.open(uri);
      const got = [];
      for (let i = 0; i < 15; i++) got.push((await s.createModelVersion({ name: 'shared', source: 's3://b/' + who + '/' + i })).version);
      await s.close();
      console.log(JSON.stringify(got));`;
    const run = promisify(execFile);
    const outs = await Promise.all(
      [0, 1, 2, 3].map((w) =>
        run(process.execPath, ['--import', TSX_LOADER, '--input-type=module', '-e', script, uri, String(w)], {
          cwd: root,
          env: { ...process.env, TSX_TSCONFIG_PATH: join(root, 'test/cli-tsconfig.json') },
          timeout: 120_000,
        }),
      ),
    );
    const numbers = outs.flatMap((o) => JSON.parse(o.stdout.trim().split('\n').at(-1)!) as string[]).map(Number);
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    const listed = await store.searchModelVersions({ filterString: "name = 'shared'", maxResults: 1000 });
    expect(listed.items).toHaveLength(60);
    await store.close();
  }, 180_000);
});
