/**
 * Local folders for the artifact interop and server end-to-end tests: writing the tree a test logs
 * (`makeTree`), and reading a folder back as path → SHA-256 (`treeHashes`) or path → size
 * (`treeSizes`) to compare two downloads, a download with its source, or a server's own disk with
 * what a client logged. Paths are POSIX and relative to the walked folder.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Relative POSIX path → file content. */
export type TreeFiles = Record<string, Buffer | string>;

/**
 * Which directories a walk reports besides files (as `'dir'`): `none`; `empty` (only directories
 * without entries, e.g. for backends that keep them); or `all` (to compare layouts exactly).
 */
export type TreeDirs = 'none' | 'empty' | 'all';

/** The marker of a directory in {@link treeHashes} and {@link treeSizes}. */
export const DIR = 'dir';

/**
 * Writes `files` under `root` (parents created) and then each of `emptyDirs` (recursively), e.g.
 * `makeTree(root, modelTree(), ['empty-dir'])`.
 */
export function makeTree(root: string, files: TreeFiles, emptyDirs: string[] = []): void {
  for (const [rel, data] of Object.entries(files)) {
    const path = join(root, ...rel.split('/'));
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(path, data);
  }
  for (const rel of emptyDirs) mkdirSync(join(root, ...rel.split('/')), { recursive: true });
}

/**
 * An MLflow model's worth of artifacts: `MLmodel`, a model folder with an empty file and a 20 MiB
 * file (fresh random bytes per call), a `.tar.gz`, unicode and spaced names, a deep path.
 */
export function modelTree(): TreeFiles {
  return {
    'MLmodel': 'artifact_path: model\nflavors: {}\n',
    'model/model.pkl': randomBytes(3000),
    'model/conda.yaml': 'name: env\n',
    'model/data/big.bin': randomBytes(20 * 1024 * 1024),
    'model/data/empty.txt': '',
    'archive.tar.gz': randomBytes(1000),
    'ünïcödé/日本語 ファイル.json': '{"k": 1}',
    'with space/plus+sign.txt': 'plus',
    'deep/er/and/deeper/leaf.py': 'print(1)\n',
  };
}

function walkTree<T>(root: string, file: (path: string) => T, dirs: TreeDirs): Record<string, T | typeof DIR> {
  const out: Record<string, T | typeof DIR> = {};
  const rel = (path: string) => relative(root, path).split('\\').join('/');
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true });
    if (dirs === 'empty' && entries.length === 0 && dir !== root) out[rel(dir)] = DIR;
    for (const e of entries) {
      const path = join(dir, e.name);
      if (e.isDirectory()) {
        if (dirs === 'all') out[rel(path)] = DIR;
        walk(path);
      } else out[rel(path)] = file(path);
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

/** Every file under `root` → its SHA-256 (hex), plus the directories `dirs` asks for → `'dir'`; {} when `root` is missing. */
export function treeHashes(root: string, dirs: TreeDirs = 'none'): Record<string, string> {
  return walkTree(root, (path) => createHash('sha256').update(readFileSync(path)).digest('hex'), dirs);
}

/** Every file under `root` → its size, plus the directories `dirs` asks for → `'dir'`; {} when `root` is missing. */
export function treeSizes(root: string, dirs: TreeDirs = 'none'): Record<string, number | typeof DIR> {
  return walkTree(root, (path) => statSync(path).size, dirs);
}
