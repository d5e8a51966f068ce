/**
 * Byte-level snapshots of an `mlruns` folder, for the "byte-compatible with MLflow's FileStore"
 * claim: the same scenario written by our store and by MLflow must give the same folders and the
 * same file bytes once the values that legitimately differ between two writes are masked.
 *
 * Masked, and nothing else:
 *  - experiment and run ids (random: 18 digits / 32 hex), in paths and in meta.yaml, by scenario ref;
 *  - input folder names (md5 of dataset id + run id, so random through the run id) — only when the
 *    name IS that md5, so a wrongly named folder stays visible;
 *  - the absolute root folder inside meta.yaml (the two writes live in different folders);
 *  - the wall-clock values of `creation_time`, `last_update_time` and `deleted_time` in meta.yaml
 *    (the line itself, and whether it is there, still count).
 * Metric, param and tag files are compared raw.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FillResult } from './apply-scenario.js';

/** Relative path (POSIX, masked) → file text, or `DIR` for a directory. */
export type TreeSnapshot = Record<string, string>;

export const DIR = '<dir>';

function walk(root: string, rel: string, out: Map<string, Buffer | null>): void {
  for (const entry of readdirSync(join(root, rel), { withFileTypes: true })) {
    const path = rel ? `${rel}/${entry.name}` : entry.name;
    if (entry.isDirectory()) {
      out.set(path, null);
      walk(root, path, out);
    } else {
      out.set(path, readFileSync(join(root, path)));
    }
  }
}

const md5 = (...parts: string[]) => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part, 'utf8');
  return hash.digest('hex');
};

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Reads every folder and file under `root` into a masked snapshot. `ids` are the ids the writer
 * got, by scenario ref (what `applyScenario` and fill_via_client.py return).
 */
export function snapshotMlruns(root: string, ids: FillResult): TreeSnapshot {
  const raw = new Map<string, Buffer | null>();
  walk(root, '', raw);

  const names = new Map<string, string>();
  for (const [ref, id] of Object.entries(ids.experiments)) names.set(id, `<exp:${ref}>`);
  for (const [ref, id] of Object.entries(ids.runs)) names.set(id, `<run:${ref}>`);
  // Dataset folders are named md5(name + digest): deterministic, kept. Input folders are
  // md5(dataset folder + run id): masked only where they are exactly that.
  const datasetDirs = new Set([...raw.keys()].map((p) => /(?:^|\/)datasets\/([0-9a-f]{32})$/.exec(p)?.[1]).filter((d) => d !== undefined));
  for (const [ref, runId] of Object.entries(ids.runs)) {
    for (const dataset of datasetDirs) names.set(md5(dataset, runId), `<input:${dataset}+run:${ref}>`);
  }

  const maskSegment = (segment: string) => names.get(segment) ?? segment;
  const idPattern = names.size > 0 ? new RegExp([...names.keys()].map(escapeRegExp).join('|'), 'g') : null;
  const maskText = (text: string) => {
    let out = text.split(`file://${root}`).join('file://<root>').split(root).join('<root>');
    if (idPattern) out = out.replace(idPattern, (id) => names.get(id) ?? id);
    return out.replace(/^(creation_time|last_update_time|deleted_time): \d+$/gm, '$1: <wall-clock>');
  };

  const entries: [string, string][] = [];
  for (const [path, bytes] of raw) {
    const masked = path.split('/').map(maskSegment).join('/');
    if (bytes === null) {
      entries.push([masked, DIR]);
      continue;
    }
    const text = bytes.toString('utf8');
    // Only valid UTF-8 round-trips; anything else is compared as hex so no byte hides.
    const exact = Buffer.from(text, 'utf8').equals(bytes) ? text : `<hex:${bytes.toString('hex')}>`;
    entries.push([masked, path.endsWith('meta.yaml') ? maskText(exact) : exact]);
  }
  // Sorted by masked path: the raw order follows random ids.
  return Object.fromEntries(entries.sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

/** What a path is, for grouping the comparison into readable parts. */
export type EntryKind = 'dir' | 'experiment-meta' | 'run-meta' | 'dataset-meta' | 'input-meta' | 'metric' | 'param' | 'tag' | 'other';

export function entryKind(path: string, value: string): EntryKind {
  if (value === DIR) return 'dir';
  const parts = path.split('/');
  if (parts[0] === '.trash') parts.shift();
  if (parts.length === 2 && parts[1] === 'meta.yaml') return 'experiment-meta';
  if (parts[1] === 'datasets') return 'dataset-meta';
  if (parts.length === 3 && parts[2] === 'meta.yaml') return 'run-meta';
  if (parts[2] === 'inputs') return 'input-meta';
  if (parts[2] === 'metrics') return 'metric';
  if (parts[2] === 'params') return 'param';
  if (parts[1] === 'tags' || parts[2] === 'tags') return 'tag';
  return 'other';
}

/** The entries of one kind (all entries when `kinds` is empty). */
export function pick(snapshot: TreeSnapshot, ...kinds: EntryKind[]): TreeSnapshot {
  return Object.fromEntries(Object.entries(snapshot).filter(([path, value]) => kinds.includes(entryKind(path, value))));
}
