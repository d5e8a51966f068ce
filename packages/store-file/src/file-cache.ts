import { closeSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import type { Metric } from '@mlstore/core';
import { errno } from './file-io.js';
import { latestOf, metricLines, parseRunMetricLine, replacesLatest } from './metric-file.js';

interface Stamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

interface Entry<T> extends Stamp {
  value: T;
}

interface MetricEntry extends Stamp {
  latest: Metric | undefined;
}

const sameStamp = (a: Stamp, b: Stats): boolean => a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs;

function statOrUndefined(path: string): Stats | undefined {
  return statSync(path, { throwIfNoEntry: false });
}

/**
 * What search reads often, kept only while the file is provably unchanged: each entry carries the
 * file's inode, size and mtime and is re-validated with one stat() per use. Whole-file writes go
 * through rename (new inode); metric files only grow by whole lines, so a grown metric file with the
 * same inode is read from the old end only (its tail), never re-parsed.
 *
 * Reads here are synchronous on purpose: a search touches thousands of small files, and one
 * thread-pool round trip per stat/read costs more than the I/O itself. Callers yield to the event
 * loop between batches.
 */
export class FileCache {
  private readonly parsed = new Map<string, Entry<unknown>>();
  private readonly metrics = new Map<string, MetricEntry>();
  private readonly maxEntries: number;

  constructor(maxEntries = 500_000) {
    this.maxEntries = maxEntries;
  }

  /** `parse(text)` of the file, cached; undefined when the file does not exist. */
  read<T>(path: string, parse: (text: string) => T): T | undefined {
    const st = statOrUndefined(path);
    if (!st || !st.isFile()) {
      this.parsed.delete(path);
      return undefined;
    }
    const hit = this.parsed.get(path);
    if (hit && sameStamp(hit, st)) return hit.value as T;
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (errno(err) === 'ENOENT') return undefined;
      throw err;
    }
    const value = parse(text);
    this.remember(this.parsed, path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, value });
    return value;
  }

  /** Latest value of a run-metric file (MLflow's max of (step, timestamp, value)); undefined when absent or empty. */
  latestMetric(path: string, key: string): Metric | undefined {
    const st = statOrUndefined(path);
    if (!st || !st.isFile()) {
      this.metrics.delete(path);
      return undefined;
    }
    const hit = this.metrics.get(path);
    if (hit && sameStamp(hit, st)) return hit.latest;
    let latest: Metric | undefined;
    if (hit && hit.ino === st.ino && st.size > hit.size) {
      latest = hit.latest;
      for (const m of readTail(path, hit.size, st.size).map((l) => parseRunMetricLine(key, l))) {
        if (!latest || replacesLatest(m, latest)) latest = m;
      }
    } else {
      const text = readFileSync(path, 'utf8');
      latest = latestOf(metricLines(text).map((l) => parseRunMetricLine(key, l)));
    }
    this.remember(this.metrics, path, { ino: st.ino, size: st.size, mtimeMs: st.mtimeMs, latest });
    return latest;
  }

  /** Drops everything (after bulk deletes). */
  clear(): void {
    this.parsed.clear();
    this.metrics.clear();
  }

  private remember<V>(map: Map<string, V>, key: string, value: V): void {
    if (map.size >= this.maxEntries) map.clear();
    map.set(key, value);
  }
}

function readTail(path: string, from: number, to: number): string[] {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(to - from);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, from + off);
      if (n === 0) break;
      off += n;
    }
    return metricLines(buf.subarray(0, off).toString('utf8'));
  } finally {
    closeSync(fd);
  }
}
