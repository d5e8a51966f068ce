import { randomUUID } from 'node:crypto';
import type { ArtifactRepository, ArtifactRepositoryCapabilities } from '@mlstore/core';
import { afterAll, beforeAll, describe } from 'vitest';
import { declareCase } from '../shared/declare-case.js';

/** Makes the repository under test; called once per kit run. */
export type ArtifactKitRepositoryFactory = () => ArtifactRepository | Promise<ArtifactRepository>;

/** A canary outside the repository root, provided by adapters that know where their root is. */
export interface OutsideRootProbe {
  /** Creates the canary (with known content) and returns the traversal-relevant facts. */
  setup(): Promise<void>;
  /** Asserts the canary still exists, unchanged, and was not read (e.g. atime) — throws otherwise. */
  verify(): Promise<void>;
}

export interface ArtifactKitOptions {
  /** Cases to skip by full name (`"<group> > <case>"`) with a reason; unknown names fail the kit. */
  skip?: Record<string, string>;
  /** Size of the streamed large-file case (default 16 MiB; env `MLSTORE_LARGE_FILE_MB` overrides). */
  largeFileBytes?: number;
  /**
   * Upper bound of the large-file case, even over MLSTORE_LARGE_FILE_MB: for a repository form
   * whose test server cannot take the full size in reasonable time (say why where it is set).
   */
  largeFileCapBytes?: number;
  /**
   * Why an overwrite briefly leaves the path missing (a gateway with no atomic rename over a file,
   * e.g. HttpFS): readers racing an overwrite may then get RESOURCE_DOES_NOT_EXIST, still never a
   * cut-off copy. Without it, every such read must return the old or the new version.
   */
  overwriteGap?: string;
  /** Canary check outside the root for the traversal cases. */
  outsideRootProbe?: OutsideRootProbe;
}

/** Returns a skip reason when the repository cannot run a case, else `undefined`. */
export type CapabilityGate = (caps: ArtifactRepositoryCapabilities) => string | undefined;

/** What a group of cases receives. */
export interface ArtifactKitContext {
  repo(): ArtifactRepository;
  /** A path under this run's random root prefix, e.g. `p('a/b.txt')` → `kit-<uuid>/<group>/a/b.txt`. */
  p(rel?: string): string;
  options: ArtifactKitOptions;
  /** Declares a case; skipped when named in `options.skip` or when `gate` gives a reason. */
  it(name: string, fn: () => Promise<unknown> | unknown, gate?: CapabilityGate, timeoutMs?: number): void;
}

/** Gate: the repository can delete (fully or contents). */
export const canDelete: CapabilityGate = (c) => (c.deleteSemantics === 'none' ? 'repository does not delete' : undefined);
/** Gate: the repository removes directories themselves, not only their contents. */
export const canDeleteFully: CapabilityGate = (c) => (c.deleteSemantics !== 'full' ? `delete semantics are "${c.deleteSemantics}"` : undefined);
/** Gate on one boolean capability. */
export const needs =
  (cap: 'multipartUpload' | 'presign' | 'rangeRead' | 'paginatedList' | 'emptyDirectories' | 'sortedListing'): CapabilityGate =>
  (c) => (c[cap] ? undefined : `repository lacks capability ${cap}`);

/** Shared state of one kit run: the repository and the random root prefix. */
export interface ArtifactKitRun {
  repo?: ArtifactRepository;
  prefix: string;
}

/** Declares one group of cases sharing the kit run's repository. */
export function defineArtifactGroup(
  group: string,
  run: ArtifactKitRun,
  options: ArtifactKitOptions,
  usedSkips: Set<string>,
  body: (ctx: ArtifactKitContext) => void,
): void {
  describe(group, () => {
    const slug = group.replace(/[^a-z0-9]+/gi, '-');
    const ctx: ArtifactKitContext = {
      repo: () => {
        if (!run.repo) throw new Error('the repository is only available inside cases and hooks');
        return run.repo;
      },
      p: (rel = '') => [run.prefix, slug, rel].filter(Boolean).join('/'),
      options,
      it: (name, fn, gate, timeoutMs) =>
        declareCase(
          {
            fullName: `${group} > ${name}`,
            title: name,
            skip: options.skip,
            usedSkips,
            gate: () => (gate && run.repo ? gate(run.repo.capabilities) : undefined),
            timeoutMs,
          },
          fn,
        ),
    };
    body(ctx);
  });
}

/** Creates the run state and the hooks that make the repository and clean the random root. */
export function setupArtifactKitRun(factory: ArtifactKitRepositoryFactory): ArtifactKitRun {
  const run: ArtifactKitRun = { prefix: `kit-${randomUUID()}` };
  beforeAll(async () => {
    run.repo = await factory();
  });
  afterAll(async () => {
    if (run.repo && run.repo.capabilities.deleteSemantics !== 'none') {
      await run.repo.deleteArtifacts(run.prefix).catch(() => undefined);
    }
  });
  return run;
}
