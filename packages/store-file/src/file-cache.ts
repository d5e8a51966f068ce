import { closeSync, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import type { Metric } from '@mlstore/core';
import { errno } from './file-io.js';
import { metricLines, parseRunMetricLine, replacesLatest } from './metric-file.js';

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

/** How long after its last change a file may still be mid-append. */
const FRESH_MS = 2000;

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
    const hit = this.parsed.get(path);
    if (hit) {
      const st = statOrUndefined(path);
      if (st && st.isFile() && sameStamp(hit, st)) return hit.value as T;
    }
    const file = readWithStamp(path, 0, false);
    if (!file) {
      this.parsed.delete(path);
      return undefined;
    }
    const value = parse(file.text);
    this.remember(this.parsed, path, { ino: file.st.ino, size: file.st.size, mtimeMs: file.st.mtimeMs, value });
    return value;
  }

  /**
   * Latest value of a run-metric file (MLflow's max of (step, timestamp, value)); undefined when
   * absent or empty. Only whole lines count: a line an appender is still writing is read next time.
   */
  latestMetric(path: string, key: string): Metric | undefined {
    const hit = this.metrics.get(path);
    let from = 0;
    let latest: Metric | undefined;
    if (hit) {
      const st = statOrUndefined(path);
      if (st && st.isFile() && sameStamp(hit, st)) return hit.latest;
      if (st && st.isFile() && st.ino === hit.ino && st.size > hit.size) {
        from = hit.size;
        latest = hit.latest;
      }
    }
    const file = readWithStamp(path, from, true);
    if (!file) {
      this.metrics.delete(path);
      return undefined;
    }
    for (const line of metricLines(file.text)) {
      const m = parseRunMetricLine(key, line);
      if (!latest || replacesLatest(m, latest)) latest = m;
    }
    this.remember(this.metrics, path, { ino: file.st.ino, size: from + file.bytes, mtimeMs: file.st.mtimeMs, latest });
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

/**
 * Reads a file from byte `from` with the stamp of the same open descriptor (4 syscalls, no separate
 * stat). With `wholeLines`, stops after the last newline; `bytes` is how much was consumed.
 */
function readWithStamp(path: string, from: number, wholeLines: boolean): { text: string; st: Stats; bytes: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    const code = errno(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR' || code === 'ENAMETOOLONG') return undefined;
    throw err;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return undefined;
    const buf = Buffer.allocUnsafe(Math.max(0, st.size - from));
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, from + off);
      if (n === 0) break;
      off += n;
    }
    // An unterminated last line is left for later while the file is fresh (an appender may be
    // mid-write); in a file untouched for a while it is a line like any other.
    const fresh = Date.now() - st.mtimeMs < FRESH_MS;
    const bytes = wholeLines && fresh && off > 0 && buf[off - 1] !== 10 ? buf.lastIndexOf(10, off - 1) + 1 : off;
    return { text: buf.toString('utf8', 0, bytes), st, bytes };
  } finally {
    closeSync(fd);
  }
}
