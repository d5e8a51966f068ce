import { afterAll, describe, expect } from 'vitest';
import { defineDeleteCases } from './cases/delete.js';
import { defineDownloadLogCases } from './cases/download-log.js';
import { defineListCases } from './cases/list.js';
import { defineObjectStoreCases } from './cases/object-store.js';
import { defineStreamConcurrencyCases } from './cases/stream-concurrency.js';
import { defineTraversalCases } from './cases/traversal.js';
import { defineWriteReadCases } from './cases/write-read.js';
import {
  defineArtifactGroup,
  setupArtifactKitRun,
  type ArtifactKitContext,
  type ArtifactKitOptions,
  type ArtifactKitRepositoryFactory,
} from './context.js';

/** The kit's case groups; names are the first part of case names in `options.skip`. */
export const artifactCaseGroups: readonly { name: string; define: (ctx: ArtifactKitContext) => void }[] = [
  { name: 'artifacts/write-read', define: defineWriteReadCases },
  { name: 'artifacts/list', define: defineListCases },
  { name: 'artifacts/download-log', define: defineDownloadLogCases },
  { name: 'artifacts/delete', define: defineDeleteCases },
  { name: 'artifacts/traversal', define: defineTraversalCases },
  { name: 'artifacts/stream-concurrency', define: defineStreamConcurrencyCases },
  { name: 'artifacts/object-store', define: defineObjectStoreCases },
];

/**
 * Runs MLflow's artifact-repository contract (OpenDAL-style behaviours and the traversal corpus)
 * against a repository. Every case works under a random root prefix, removed afterwards when the
 * repository can delete. Cases are gated by `repo.capabilities`, never by adapter name.
 *
 * @param name shown in the suite title, e.g. `"local"`.
 * @param factory makes the repository (called once per kit run).
 * @param options opt-outs by case name with reasons (unknown names fail), large-file size, and the
 *   outside-root canary hook.
 */
export function describeArtifactRepository(name: string, factory: ArtifactKitRepositoryFactory, options: ArtifactKitOptions = {}): void {
  describe(`artifact repository conformance: ${name}`, () => {
    const usedSkips = new Set<string>();
    const run = setupArtifactKitRun(factory);
    for (const group of artifactCaseGroups) defineArtifactGroup(group.name, run, options, usedSkips, group.define);
    afterAll(() => {
      const unknown = Object.keys(options.skip ?? {}).filter((k) => !usedSkips.has(k));
      expect(unknown, 'skip entries that match no case').toEqual([]);
    });
  });
}
