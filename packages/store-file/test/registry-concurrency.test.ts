// Several processes create versions of one model in one registry folder at the same time: every
// number 1..N is given out exactly once (a version folder appears with one rename(2), which fails
// on a taken number), and every meta.yaml left behind is whole.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { FileModelRegistryStore } from '../src/index.js';

const repo = resolve(import.meta.dirname, '../../..');
const WORKERS = 4;
const EACH = 15;

function tsxLoader(): string {
  for (const from of [import.meta.filename, join(repo, 'node_modules', '.pnpm', 'node_modules', 'x.js')]) {
    try {
      return pathToFileURL(createRequire(from).resolve('tsx')).href;
    } catch {
      // try the next place
    }
  }
  throw new Error('tsx is not installed (a devDependency of packages/store-file)');
}

function runWorker(root: string, tsconfig: string): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', tsxLoader(), join(import.meta.dirname, 'registry-concurrency-worker.ts'), root, String(EACH)], {
      env: { ...process.env, TSX_TSCONFIG_PATH: tsconfig },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err = (err + b.toString()).slice(-4000)));
    child.on('error', fail);
    child.on('close', (code) => ok({ out, err, code }));
  });
}

describe('file model registry across processes', () => {
  it(`${WORKERS} processes × ${EACH} createModelVersion on one model get 1..${WORKERS * EACH} exactly once`, async () => {
    const root = mkdtempSync(join(tmpdir(), 'mlstore-registry-procs-'));
    const tsconfig = join(root, 'tsconfig.json');
    writeFileSync(tsconfig, JSON.stringify({ extends: join(repo, 'tsconfig.base.json'), compilerOptions: { paths: { '@mlstore/*': [join(repo, 'packages/*/src/index.ts')] } } }));
    const store = await FileModelRegistryStore.open(root);
    await store.createRegisteredModel('m');
    const runs = Array.from({ length: WORKERS }, () => runWorker(root, tsconfig));
    // Let every worker start and open the store, then release them together.
    await new Promise((r) => setTimeout(r, 3000));
    writeFileSync(join(root, 'go'), '');
    const results = await Promise.all(runs);
    for (const r of results) expect(r.code, r.err).toBe(0);
    const numbers = results.flatMap((r) => JSON.parse(r.out.trim()) as string[]).map(Number);
    expect(numbers.sort((a, b) => a - b)).toEqual(Array.from({ length: WORKERS * EACH }, (_, i) => i + 1));
    const modelDir = join(root, 'models', 'm');
    expect(readdirSync(modelDir).filter((n) => n.startsWith('.'))).toEqual([]);
    for (let n = 1; n <= WORKERS * EACH; n++) {
      expect(parseYaml(readFileSync(join(modelDir, `version-${n}`, 'meta.yaml'), 'utf8'))).toMatchObject({ name: 'm', version: n, current_stage: 'None' });
    }
    expect(parseYaml(readFileSync(join(modelDir, 'meta.yaml'), 'utf8'))).toMatchObject({ name: 'm' });
    expect((await store.searchModelVersions({ maxResults: 1000 })).items).toHaveLength(WORKERS * EACH);
  }, 120_000);
});
