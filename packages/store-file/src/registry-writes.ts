/**
 * Folder builds of the file registry that must appear whole: a new version folder and a renamed
 * model are written as hidden folders inside the model folder (MLflow lists only `version-*`
 * folders there, and only `meta.yaml`, `tags/`, `aliases/` by name) and moved into place with one
 * rename(2), which fails when the target exists and is not empty.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { errno, writeError } from './file-io.js';
import {
  modelMetaText,
  readVersionRecords,
  REGISTRY_ALIASES,
  REGISTRY_META,
  REGISTRY_TAGS,
  VERSION_PREFIX,
  versionDirs,
  versionMetaText,
  type RegistryModelRecord,
  type RegistryVersionRecord,
} from './registry-meta.js';

const taken = (err: unknown) => errno(err) === 'ENOTEMPTY' || errno(err) === 'EEXIST';

/** Writes key files (tags, aliases) into a folder being built (no reader sees it yet). */
export function writeKeys(keys: ReadonlyMap<string, string>, dir: string): void {
  for (const [key, value] of keys) {
    const path = join(dir, key);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, value);
  }
}

/**
 * Creates the next `version-<n>` of `m` (meta.yaml and tags) with `make(n)`: built aside, renamed
 * into place; a number taken meanwhile (another process) moves on to the next, so numbers stay
 * distinct and gap-free and a version never appears half-written.
 */
export function placeVersion(m: RegistryModelRecord, make: (n: number) => RegistryVersionRecord): RegistryVersionRecord {
  let n = versionDirs(m.dir).reduce((max, [k]) => Math.max(max, k), 0) + 1;
  for (;;) {
    const staging = join(m.dir, `.mlstore-version-${randomBytes(6).toString('hex')}`);
    const v = make(n);
    try {
      mkdirSync(staging);
      writeFileSync(join(staging, REGISTRY_META), versionMetaText({ ...v, dir: staging }));
      writeKeys(v.tags, join(staging, REGISTRY_TAGS));
      v.dir = join(m.dir, `${VERSION_PREFIX}${n}`);
      renameSync(staging, v.dir);
      return v;
    } catch (err) {
      rmSync(staging, { recursive: true, force: true });
      if (!taken(err)) throw writeError(err);
      n++;
    }
  }
}

/**
 * Writes `m` renamed to `newName` at `target` — meta, tags, aliases and every version (deleted ones
 * too, with their tags) with `now` as last update — then removes the old folder. The copy is built
 * inside the old folder and renamed into place, so any failure leaves the old model as it was.
 * @returns false when `target` exists (nothing changed).
 */
export function renameModelFolder(m: RegistryModelRecord, newName: string, target: string, now: number): boolean {
  const staging = join(m.dir, `.mlstore-rename-${randomBytes(6).toString('hex')}`);
  try {
    mkdirSync(staging);
    writeKeys(m.tags, join(staging, REGISTRY_TAGS));
    writeKeys(m.aliases, join(staging, REGISTRY_ALIASES));
    writeFileSync(join(staging, REGISTRY_META), modelMetaText({ ...m, dir: staging, name: newName, lastUpdated: now }));
    for (const v of readVersionRecords(m.dir)) {
      const vdir = join(staging, `${VERSION_PREFIX}${v.version}`);
      mkdirSync(vdir);
      writeFileSync(join(vdir, REGISTRY_META), versionMetaText({ ...v, dir: vdir, name: newName, lastUpdated: now }));
      writeKeys(v.tags, join(vdir, REGISTRY_TAGS));
    }
    renameSync(staging, target);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (taken(err)) return false;
    throw writeError(err);
  }
  rmSync(m.dir, { recursive: true, force: true });
  return true;
}
