/** The range of MLflow's `BigInteger` columns: run start/end times, experiment and logged-model timestamps. */
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

/** The comparators of numeric clauses. */
export type NumericComparator = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** An integer as the stores bind it: a number while exact (|v| ≤ 2^53 − 1), a bigint beyond. */
export type IntegerValue = number | bigint;

/**
 * The value of a number literal as MLflow's `SearchUtils._get_value` reads it: `int(token)` for an
 * integer literal (exact and unbounded, hence a bigint), `float(token)` for one written with a dot or
 * an exponent (a double; ±Infinity beyond its range, as Python's `float('1e400')`).
 */
export function literalValue(text: string, float: boolean): bigint | number {
  return float ? Number(text) : BigInt(text);
}

/** `v` as a number when that is exact, else as a bigint. */
export function integerValue(v: bigint): IntegerValue {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** No int64 is below the minimum: the clause is false for every row. */
const NONE = { comparator: '<', value: INT64_MIN } as const;
/** Every int64 is at least the minimum: the clause holds for every row with a value (NULL still fails, as in SQL and MLflow). */
const ALL = { comparator: '>=', value: INT64_MIN } as const;

/**
 * Rewrites `<int64 column> <op> x`, for any real `x` (a bigint, a finite double or ±Infinity), as the
 * equivalent comparison with an integer inside int64, so every store can bind and compare it the same way.
 *
 * Why: MLflow hands the literal to the database as it is, and PostgreSQL/MySQL compare the integer
 * column with a fraction or a 20-digit number exactly (`end_time = 1.5` matches nothing,
 * `end_time < 99999999999999999999` every run with an end time). A bound parameter, though, takes the
 * column's type: PostgreSQL refuses `'1.5'` or `'1e+20'` as a bigint, MySQL cannot bind Infinity, and
 * a JS number beyond 2^53 is not the integer written. Over the integers the rewrite is exact:
 * `v > 1.5` ⇔ `v > 1`, `v >= 1.5` ⇔ `v >= 2`, `v = 1.5` is false, `v != 1.5` holds for every value,
 * `v < 1e30` holds for every value, `v > 1e30` for none. "None" and "every value" are written with
 * int64's minimum (`< MIN`, `>= MIN`), so a missing value (a running run's end_time) still matches
 * nothing, as `lhs is None → False` in MLflow and `NULL <op> x` in SQL.
 */
export function integerComparison(comparator: NumericComparator, x: bigint | number): { comparator: NumericComparator; value: IntegerValue } {
  const below = INT64_MIN - 1n;
  const above = INT64_MAX + 1n;
  const clamp = (v: bigint) => (v < INT64_MIN ? below : v > INT64_MAX ? above : v);
  let floor: bigint;
  let ceil: bigint;
  if (typeof x === 'bigint') floor = ceil = clamp(x);
  else if (Number.isNaN(x)) return NONE;
  else if (x === Infinity) floor = ceil = above;
  else if (x === -Infinity) floor = ceil = below;
  else {
    floor = clamp(BigInt(Math.floor(x)));
    ceil = clamp(BigInt(Math.ceil(x)));
  }
  const exact = floor === ceil && floor !== below && floor !== above;
  const keep = (op: NumericComparator, v: bigint) => ({ comparator: op, value: integerValue(v) });
  switch (comparator) {
    case '=':
      return exact ? keep('=', floor) : NONE;
    case '!=':
      return exact ? keep('!=', floor) : ALL;
    case '>': // v > x ⇔ v > floor(x)
      return floor >= INT64_MAX ? NONE : floor < INT64_MIN ? ALL : keep('>', floor);
    case '>=': // v >= x ⇔ v >= ceil(x)
      return ceil > INT64_MAX ? NONE : ceil <= INT64_MIN ? ALL : keep('>=', ceil);
    case '<': // v < x ⇔ v < ceil(x)
      return ceil <= INT64_MIN ? NONE : ceil > INT64_MAX ? ALL : keep('<', ceil);
    case '<=': // v <= x ⇔ v <= floor(x)
      return floor < INT64_MIN ? NONE : floor >= INT64_MAX ? ALL : keep('<=', floor);
  }
}

/**
 * A metric value as SQL stores hold it: ±Infinity become ±the largest finite double (MLflow's
 * `sanitize_metric_value` on write). Applied to both sides of a metric comparison so a filter such as
 * `metrics.m < 1e400` reads the same in every store and never binds Infinity (MySQL cannot).
 */
export function finiteDouble(x: number): number {
  return x === Infinity ? Number.MAX_VALUE : x === -Infinity ? -Number.MAX_VALUE : x;
}
