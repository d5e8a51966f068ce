import { rmSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describeArtifactRepository } from '@mlstore/testkit';
import { LocalArtifactRepository } from '../src/index.js';

// The repository root sits one level below a sandbox that also holds the canary, so every
// traversal payload that escaped by one or more levels would hit (or miss next to) the canary.
const sandbox = await mkdtemp(join(tmpdir(), 'mlstore-local-kit-'));
const root = join(sandbox, 'root');
const canary = join(sandbox, 'canary.txt');
const CANARY = 'canary: must never change';

describeArtifactRepository('local (plain path)', () => new LocalArtifactRepository(root), {
  outsideRootProbe: {
    async setup() {
      await mkdir(root, { recursive: true });
      await writeFile(canary, CANARY);
    },
    async verify() {
      if ((await readFile(canary, 'utf8')) !== CANARY) throw new Error('the canary outside the root changed');
      if (!(await stat(canary)).isFile()) throw new Error('the canary is gone');
      // Nothing may have been written next to the root either.
      await stat(join(sandbox, 'pwned')).then(
        () => {
          throw new Error('a file appeared outside the root');
        },
        () => undefined,
      );
    },
  },
});

describeArtifactRepository('local (file: URI)', () => new LocalArtifactRepository(pathToFileURL(join(sandbox, 'uri root')).href), {});

process.on('exit', () => rmSync(sandbox, { recursive: true, force: true }));
