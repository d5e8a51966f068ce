import type { LoggedModelDatasetFilter, LoggedModelOrderBy } from '../abstract-store.js';
import type { Experiment, KeyValue, LoggedModel, Metric, Run } from '../entities.js';
import { MlflowError } from '../errors.js';
import type { OrderByClause, SearchComparison } from './ast.js';
import { finiteDouble } from './integer-comparison.js';

const CONTEXT_TAG = 'mlflow.data.context';

/**
 * A LIKE pattern as a RegExp (`%` = any run, `_` = one character; everything else literal, as
 * MLflow 3.18 escapes the pattern). Anchored at the ends the pattern does not open with `%`.
 */
export function likeToRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let body = '';
  for (const ch of pattern) {
    if (ch === '%') body += '[\\s\\S]*';
    else if (ch === '_') body += '[\\s\\S]';
    else body += ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
  }
  return new RegExp(`^${body}$`, caseInsensitive ? 'iu' : 'u');
}

type Scalar = string | number | undefined | null;

/** Equality as SQL compares: a number and a bigint (an int64 bound beyond 2^53) by value, everything else strictly. */
function same(lhs: string | number, rhs: SearchComparison['value']): boolean {
  if (typeof rhs === 'bigint') return typeof lhs === 'number' && Number.isInteger(lhs) && BigInt(lhs) === rhs;
  return lhs === rhs;
}

/** Applies a comparator the way MLflow's in-memory search does (a missing value never matches). */
function compare(lhs: Scalar, comparator: SearchComparison['comparator'], rhs: SearchComparison['value']): boolean {
  if (comparator === 'IS NULL') return lhs === undefined || lhs === null;
  if (comparator === 'IS NOT NULL') return lhs !== undefined && lhs !== null;
  if (lhs === undefined || lhs === null) return false;
  switch (comparator) {
    case '=':
      return same(lhs, rhs);
    case '!=':
      return !same(lhs, rhs);
    // A bigint bound (an int64 beyond 2^53) and a number compare exactly in JS.
    case '>':
      return (lhs as number) > (rhs as number);
    case '>=':
      return (lhs as number) >= (rhs as number);
    case '<':
      return (lhs as number) < (rhs as number);
    case '<=':
      return (lhs as number) <= (rhs as number);
    case 'LIKE':
      return likeToRegExp(String(rhs), false).test(String(lhs));
    case 'ILIKE':
      return likeToRegExp(String(rhs), true).test(String(lhs));
    case 'IN':
      return (rhs as string[]).includes(String(lhs));
    case 'NOT IN':
      return !(rhs as string[]).includes(String(lhs));
  }
}

const valueOf = (items: readonly KeyValue[], key: string): string | undefined => items.find((t) => t.key === key)?.value;
const metricOf = (items: readonly Metric[], key: string): number | undefined => items.find((m) => m.key === key)?.value;
/** A metric as filters see it: ±Infinity read as SQL stores hold them (±max double, see `finiteDouble`). */
const filterable = (value: Scalar): Scalar => (typeof value === 'number' ? finiteDouble(value) : value);

function runAttribute(run: Run, key: string): Scalar {
  const info = run.info;
  switch (key) {
    case 'run_id':
      return info.run_id;
    case 'run_name':
      return valueOf(run.data.tags, 'mlflow.runName') ?? info.run_name;
    case 'status':
      return info.status;
    case 'user_id':
      return info.user_id;
    case 'start_time':
      return info.start_time;
    case 'end_time':
      return info.end_time;
    case 'artifact_uri':
      return info.artifact_uri;
    default:
      return undefined;
  }
}

function runValue(run: Run, c: { type: SearchComparison['type']; key: string }): Scalar {
  switch (c.type) {
    case 'metric':
      return metricOf(run.data.metrics, c.key);
    case 'parameter':
      return valueOf(run.data.params, c.key);
    case 'tag':
      return valueOf(run.data.tags, c.key);
    case 'attribute':
      return runAttribute(run, c.key);
    default:
      return undefined;
  }
}

/** True when the run satisfies every comparison (MLflow's in-memory `SearchUtils.filter`). */
export function runMatches(run: Run, filter: readonly SearchComparison[]): boolean {
  return filter.every((c) => {
    if (c.type === 'dataset') {
      return run.inputs.dataset_inputs.some((input) => {
        if (c.key === 'context') return input.tags.some((t) => t.key === CONTEXT_TAG && compare(t.value, c.comparator, c.value));
        return compare(c.key === 'name' ? input.dataset.name : input.dataset.digest, c.comparator, c.value);
      });
    }
    const lhs = runValue(run, c);
    return compare(c.type === 'metric' ? filterable(lhs) : lhs, c.comparator, c.value);
  });
}

/** 0 for a number or string, 1 for NaN, 2 for a missing value: MLflow sorts them in that order. */
function missingRank(v: Scalar): number {
  if (v === undefined || v === null) return 2;
  return typeof v === 'number' && Number.isNaN(v) ? 1 : 0;
}

/**
 * Orders two values with MLflow's rule: in both directions, values first, then NaN, then missing
 * values. Returns negative when `a` comes first.
 */
export function compareNullsLast(a: Scalar, b: Scalar, ascending: boolean): number {
  const ra = missingRank(a);
  const rb = missingRank(b);
  if (ra !== 0 || rb !== 0) return ra - rb;
  const order = (a as string | number) < (b as string | number) ? -1 : (a as string | number) > (b as string | number) ? 1 : 0;
  return ascending ? order : -order;
}

/**
 * A comparator for runs: the given clauses, then MLflow's defaults `start_time DESC` (unless ordered
 * by start_time) and `run_id ASC`.
 */
export function compareRuns(orderBy: readonly OrderByClause[]): (a: Run, b: Run) => number {
  const clauses = [...orderBy];
  if (!clauses.some((c) => c.type === 'attribute' && c.key === 'start_time')) {
    clauses.push({ type: 'attribute', key: 'start_time', ascending: false });
  }
  clauses.push({ type: 'attribute', key: 'run_id', ascending: true });
  return (a, b) => {
    for (const c of clauses) {
      const d = compareNullsLast(runValue(a, c), runValue(b, c), c.ascending);
      if (d !== 0) return d;
    }
    return 0;
  };
}

function experimentValue(exp: Experiment, c: { type: SearchComparison['type']; key: string }, numericIds: boolean): Scalar {
  if (c.type === 'tag') return valueOf(exp.tags, c.key);
  switch (c.key) {
    case 'name':
      return exp.name;
    case 'experiment_id':
      return numericIds ? Number(exp.experiment_id) : exp.experiment_id;
    case 'creation_time':
      return exp.creation_time;
    case 'last_update_time':
      return exp.last_update_time;
    default:
      return undefined;
  }
}

/** True when the experiment satisfies every comparison. */
export function experimentMatches(exp: Experiment, filter: readonly SearchComparison[]): boolean {
  return filter.every((c) => compare(experimentValue(exp, c, false), c.comparator, c.value));
}

/**
 * MLflow's effective experiment order: the given clauses (default `creation_time DESC,
 * experiment_id ASC`), then `experiment_id DESC` as tie-break unless ordered by id.
 */
export function experimentOrderClauses(orderBy: readonly OrderByClause[]): OrderByClause[] {
  const clauses: OrderByClause[] =
    orderBy.length > 0
      ? [...orderBy]
      : [
          { type: 'attribute', key: 'creation_time', ascending: false },
          { type: 'attribute', key: 'experiment_id', ascending: true },
        ];
  if (!clauses.some((c) => c.key === 'experiment_id')) clauses.push({ type: 'attribute', key: 'experiment_id', ascending: false });
  return clauses;
}

/**
 * A comparator for experiments: the given clauses (default `creation_time DESC, experiment_id ASC`),
 * then `experiment_id DESC` as tie-break unless ordered by id, as MLflow's SQL store does.
 *
 * @param numericIds compare ids as numbers (SQL stores) rather than strings (the file store).
 */
export function compareExperiments(orderBy: readonly OrderByClause[], numericIds = true): (a: Experiment, b: Experiment) => number {
  const clauses = experimentOrderClauses(orderBy);
  return (a, b) => {
    for (const c of clauses) {
      const d = compareNullsLast(experimentValue(a, c, numericIds), experimentValue(b, c, numericIds), c.ascending);
      if (d !== 0) return d;
    }
    return 0;
  };
}

const STATUS_SHORT: Record<string, string> = {
  LOGGED_MODEL_PENDING: 'PENDING',
  LOGGED_MODEL_READY: 'READY',
  LOGGED_MODEL_UPLOAD_FAILED: 'FAILED',
  LOGGED_MODEL_STATUS_UNSPECIFIED: 'UNSPECIFIED',
};

function modelAttribute(model: LoggedModel, key: string): Scalar {
  const info = model.info as unknown as Record<string, Scalar>;
  if (key === 'status') return STATUS_SHORT[model.info.status] ?? model.info.status;
  return info[key];
}

function isOnDataset(m: Metric, datasets: readonly LoggedModelDatasetFilter[] | undefined): boolean {
  if (!datasets || datasets.length === 0) return true;
  return datasets.some((d) => m.dataset_name === d.dataset_name && (d.dataset_digest === undefined || d.dataset_digest === m.dataset_digest));
}

/**
 * The model's latest value of a metric, optionally limited to datasets: the highest (step,
 * timestamp, value), as MLflow's SQL store ranks them and its FileStore reduces a model's metrics.
 */
function latestModelMetric(model: LoggedModel, key: string, datasets?: readonly LoggedModelDatasetFilter[]): number | undefined {
  let best: Metric | undefined;
  for (const m of model.data.metrics) {
    if (m.key !== key || !isOnDataset(m, datasets)) continue;
    if (!best || (m.step - best.step || m.timestamp - best.timestamp || m.value - best.value) > 0) best = m;
  }
  return best?.value;
}

/**
 * True when the logged model satisfies every comparison; metric comparisons use its latest value
 * on the given datasets. With `datasets`, a model must have a metric on one of them.
 */
export function loggedModelMatches(
  model: LoggedModel,
  filter: readonly SearchComparison[],
  datasets?: readonly LoggedModelDatasetFilter[],
): boolean {
  if (datasets && datasets.length > 0 && !model.data.metrics.some((m) => isOnDataset(m, datasets))) return false;
  return filter.every((c) => {
    switch (c.type) {
      case 'metric':
        return compare(filterable(latestModelMetric(model, c.key, datasets)), c.comparator, c.value);
      case 'parameter':
        return compare(valueOf(model.data.params, c.key), c.comparator, c.value);
      case 'tag':
        return compare(valueOf(model.info.tags, c.key), c.comparator, c.value);
      default:
        return compare(modelAttribute(model, c.key), c.comparator, c.value);
    }
  });
}

const MODEL_ORDER_FIELDS = new Set(['name', 'model_id', 'model_type', 'status', 'source_run_id', 'experiment_id', 'creation_timestamp', 'creation_timestamp_ms', 'creation_time', 'last_updated_timestamp', 'last_updated_timestamp_ms']);

/**
 * A comparator for logged models from MLflow's structured `order_by` (`field_name` is an attribute
 * or `metrics.<key>`, optionally scoped to a dataset), with nulls last and the default tie-break
 * `creation_timestamp_ms DESC`, then `model_id`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for an unknown field.
 */
export function compareLoggedModels(orderBy: readonly LoggedModelOrderBy[] | undefined): (a: LoggedModel, b: LoggedModel) => number {
  const keys = (orderBy ?? []).map((o) => {
    const ascending = o.ascending ?? true;
    if (typeof o.field_name !== 'string' || o.field_name === '') throw MlflowError.invalidParameter('order_by field_name is required');
    if (o.field_name.startsWith('metrics.')) {
      const key = o.field_name.slice('metrics.'.length);
      const ds = o.dataset_name ? [{ dataset_name: o.dataset_name, dataset_digest: o.dataset_digest }] : undefined;
      return { get: (m: LoggedModel) => latestModelMetric(m, key, ds), ascending };
    }
    if (!MODEL_ORDER_FIELDS.has(o.field_name)) {
      throw MlflowError.invalidParameter(`Invalid order by field name: ${o.field_name}`);
    }
    const field = o.field_name.startsWith('creation') ? 'creation_timestamp_ms' : o.field_name.startsWith('last_updated') ? 'last_updated_timestamp_ms' : o.field_name;
    return { get: (m: LoggedModel) => modelAttribute(m, field), ascending };
  });
  keys.push({ get: (m) => m.info.creation_timestamp_ms, ascending: false }, { get: (m) => m.info.model_id, ascending: true });
  return (a, b) => {
    for (const k of keys) {
      const d = compareNullsLast(k.get(a), k.get(b), k.ascending);
      if (d !== 0) return d;
    }
    return 0;
  };
}
