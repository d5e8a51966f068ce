import { MlflowError, type Metric } from '@mlstore/core';
import { parsePyFloat, pyFloatRepr } from './py-float.js';

/**
 * One run-metric line as MLflow writes it: `<timestamp> <value> <step>[ <dataset_name> <dataset_digest>]`,
 * the value in Python's float repr (`3.0`, `1e+16`, `nan`, `inf`).
 */
export function formatRunMetricLine(m: Metric): string {
  const base = `${m.timestamp} ${pyFloatRepr(m.value)} ${m.step ?? 0}`;
  return m.dataset_name !== undefined && m.dataset_digest !== undefined ? `${base} ${m.dataset_name} ${m.dataset_digest}\n` : `${base}\n`;
}

/** One logged-model metric line: `<timestamp> <value> <step> <run_id>[ <dataset_name> <dataset_digest>]`. */
export function formatModelMetricLine(m: Metric, runId: string): string {
  const base = `${m.timestamp} ${pyFloatRepr(m.value)} ${m.step ?? 0} ${runId}`;
  return m.dataset_name !== undefined && m.dataset_digest !== undefined ? `${base} ${m.dataset_name} ${m.dataset_digest}\n` : `${base}\n`;
}

/**
 * Refuses metric fields that would break the space-separated line format (MLflow writes them and
 * then cannot read the file back).
 * @throws INVALID_PARAMETER_VALUE
 */
export function checkMetricLineFields(m: Metric): void {
  for (const [field, v] of [['dataset_name', m.dataset_name], ['dataset_digest', m.dataset_digest]] as const) {
    if (v !== undefined && (v === '' || /\s/.test(v))) {
      throw MlflowError.invalidParameter(`The file store cannot record a metric ${field} that is empty or contains whitespace: '${v}'.`);
    }
  }
}

function malformed(key: string, fields: number, expected: string): MlflowError {
  return new MlflowError(
    `Metric '${key}' is malformed; persisted metric data contained ${fields} fields. Expected ${expected} fields.`,
    'INTERNAL_ERROR',
  );
}

function parseIntField(s: string, key: string): number {
  if (!/^[+-]?\d+$/.test(s)) throw new MlflowError(`Metric '${key}' is malformed: '${s}' is not an integer.`, 'INTERNAL_ERROR');
  return Number(s);
}

/** Splits a metric line the way Python's `line.strip().split(" ")` does. */
function fieldsOf(line: string): string[] {
  return line.trim().split(' ');
}

/**
 * Parses a run-metric line. 2 fields (legacy, step 0), 3, or 5 (with dataset). Unlike MLflow 3.18,
 * which reads step 0 from 5-field lines, the step written on the line is kept.
 * @throws INTERNAL_ERROR for any other shape
 */
export function parseRunMetricLine(key: string, line: string): Metric {
  const f = fieldsOf(line);
  if (f.length !== 2 && f.length !== 3 && f.length !== 5) throw malformed(key, f.length, '2, 3, or 5');
  const m: Metric = {
    key,
    timestamp: parseIntField(f[0] as string, key),
    value: parsePyFloat(f[1] as string),
    step: f.length >= 3 ? parseIntField(f[2] as string, key) : 0,
  };
  if (f.length === 5) {
    m.dataset_name = f[3] as string;
    m.dataset_digest = f[4] as string;
  }
  return m;
}

/** Parses a logged-model metric line (4 or 6 fields). @throws INTERNAL_ERROR */
export function parseModelMetricLine(key: string, modelId: string, line: string): Metric {
  const f = fieldsOf(line);
  if (f.length !== 4 && f.length !== 6) throw malformed(key, f.length, '4 or 6');
  const m: Metric = {
    key,
    timestamp: parseIntField(f[0] as string, key),
    value: parsePyFloat(f[1] as string),
    step: parseIntField(f[2] as string, key),
    run_id: f[3] as string,
    model_id: modelId,
  };
  if (f.length === 6) {
    m.dataset_name = f[4] as string;
    m.dataset_digest = f[5] as string;
  }
  return m;
}

/** Non-empty lines of a metric file (a trailing partial line cannot exist: each append is one write). */
export function metricLines(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) if (line.trim() !== '') out.push(line);
  return out;
}

/**
 * Python's `max(metrics, key=lambda m: (m.step, m.timestamp, m.value))`: `a` replaces the current
 * maximum `b` only when its tuple is strictly greater; NaN compares false both ways, so on a
 * (step, timestamp) tie with NaN involved the earlier line stays.
 */
export function replacesLatest(a: Metric, b: Metric): boolean {
  if (a.step !== b.step) return a.step > b.step;
  if (a.timestamp !== b.timestamp) return a.timestamp > b.timestamp;
  return a.value > b.value;
}

/** Latest value of a metric file's lines (undefined for an empty file). */
export function latestOf(metrics: readonly Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const m of metrics) if (!best || replacesLatest(m, best)) best = m;
  return best;
}
