import { randomInt } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Metric } from '../entities.js';
import type { RunRecord } from './memory-state.js';
import { parseExperimentId } from '../validation/index.js';

// Our own word lists (MLflow uses `<predicate>-<noun>-<int 0..1000>`, at most 20 characters).
const ADJECTIVES = [
  'able', 'bold', 'brave', 'bright', 'calm', 'casual', 'clever', 'crisp', 'dapper', 'eager',
  'fair', 'gentle', 'glad', 'grand', 'happy', 'honest', 'jolly', 'keen', 'kind', 'lively',
  'loud', 'lucky', 'merry', 'mighty', 'neat', 'nimble', 'polite', 'proud', 'quick', 'quiet',
  'rare', 'rich', 'shy', 'silent', 'smart', 'sunny', 'swift', 'tidy', 'vast', 'wise',
];
const NOUNS = [
  'ant', 'bass', 'bat', 'bear', 'bird', 'cat', 'cod', 'colt', 'crab', 'crow',
  'deer', 'doe', 'dove', 'duck', 'eel', 'elk', 'finch', 'fish', 'fox', 'frog',
  'goat', 'gull', 'hare', 'hawk', 'hen', 'horse', 'lark', 'lion', 'mole', 'moth',
  'mouse', 'newt', 'owl', 'ox', 'ram', 'seal', 'shrew', 'snail', 'toad', 'wolf',
];

function pick(list: readonly string[]): string {
  return list[randomInt(list.length)] as string;
}

/** Random `adjective-noun-N` name (N in 0..1000), ≤ `maxLength` characters like MLflow's name_utils. */
export function generateRandomName(maxLength = 20): string {
  for (let i = 0; i < 10; i++) {
    const name = `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(1001)}`;
    if (name.length <= maxLength) return name;
  }
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${randomInt(1001)}`.slice(0, maxLength);
}

/** MLflow's `resolve_uri_if_local`: a relative local path becomes absolute; URIs are kept. */
export function resolveUriIfLocal(uri: string): string {
  if (/^[a-zA-Z][\w+.-]*:/.test(uri) || isAbsolute(uri)) return uri;
  return resolve(uri);
}

/** MLflow's `append_to_uri_path` for our purposes: join with exactly one `/`. */
export function appendToUriPath(base: string, ...parts: string[]): string {
  let out = base;
  for (const part of parts) {
    out = out.endsWith('/') ? out + part.replace(/^\/+/, '') : `${out}/${part.replace(/^\/+/, '')}`;
  }
  return out;
}

/** SQL stores NaN as 0 (+ is_nan flag): NaN competes as 0 in comparisons. */
function sqlValue(v: number): number {
  return Number.isNaN(v) ? 0 : v;
}

/** SQL's latest-metric rule: `a` replaces `b` when (step, timestamp, value) is strictly greater. */
export function isMoreRecent(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return sqlValue(a.value) > sqlValue(b.value);
}

/** SQL metric history order: timestamp, step, value (NaN as 0). */
export function compareMetricHistory(a: Metric, b: Metric): number {
  return a.timestamp - b.timestamp || a.step - b.step || sqlValue(a.value) - sqlValue(b.value);
}

/** Identity of a metric row (SQL primary key minus run id). */
export function metricIdentity(m: Metric): string {
  return JSON.stringify([m.key, m.timestamp, m.step, Number.isNaN(m.value) ? 'nan' : m.value]);
}

/** Deep copy so callers never share mutable state with the store. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Canonical decimal form of an experiment id, validated as MLflow does (INVALID_PARAMETER_VALUE),
 * without a round trip through JS numbers: file-store ids have 18 digits, beyond 2^53.
 */
export function canonicalExperimentId(experimentId: unknown): string {
  parseExperimentId(experimentId);
  return BigInt(String(experimentId).trim()).toString();
}

/** Adds one history value as logBatch does: duplicates of a stored row are dropped, latest moves forward. */
export function storeMetric(rec: RunRecord, raw: Metric): void {
  const m: Metric = { key: raw.key, value: raw.value, timestamp: raw.timestamp, step: raw.step ?? 0 };
  if (raw.dataset_name !== undefined) m.dataset_name = raw.dataset_name;
  if (raw.dataset_digest !== undefined) m.dataset_digest = raw.dataset_digest;
  if (raw.model_id !== undefined) m.model_id = raw.model_id;
  const identity = metricIdentity(m);
  if (rec.metricIds.has(identity)) return;
  rec.metricIds.add(identity);
  let list = rec.history.get(m.key);
  if (!list) rec.history.set(m.key, (list = []));
  list.push(m);
  const latest = rec.latest.get(m.key);
  if (!latest || isMoreRecent(m, latest)) rec.latest.set(m.key, m);
}
