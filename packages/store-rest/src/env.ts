import { booleanEnv, MlflowError } from '@mlstore/core';

/** Environment variables as `process.env` holds them. */
export type Env = NodeJS.ProcessEnv;

/** A boolean variable read with MLflow's rule ({@link booleanEnv}); unset → `defaultValue`. */
export function readBooleanEnv(env: Env, name: string, defaultValue: boolean): boolean {
  return booleanEnv(env, name) ?? defaultValue;
}

/** Whether `name` is set at all (MLflow's `is_set`, which an empty string also satisfies). */
export function isEnvSet(env: Env, name: string): boolean {
  return env[name] !== undefined;
}

// Python's int(): optional whitespace, sign, digits with single underscores between them.
const PY_INT = /^\s*[+-]?\d+(_\d+)*\s*$/;
// Python's float(): decimal/exponent forms, inf/infinity/nan.
const PY_FLOAT = /^\s*[+-]?((\d+(_\d+)*)?\.?\d+(_\d+)*([eE][+-]?\d+(_\d+)*)?|\d+(_\d+)*\.([eE][+-]?\d+(_\d+)*)?|inf|infinity|nan)\s*$/i;

function conversionError(name: string, raw: string, kind: string): MlflowError {
  return MlflowError.invalidParameter(`Failed to convert '${raw}' for ${name}: invalid literal for ${kind}`);
}

/**
 * An integer variable parsed like Python's `int()` (so `1.5` is refused); unset → `defaultValue`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a value that is not an integer.
 */
export function readIntEnv(env: Env, name: string, defaultValue: number): number;
export function readIntEnv(env: Env, name: string, defaultValue: number | undefined): number | undefined;
export function readIntEnv(env: Env, name: string, defaultValue: number | undefined): number | undefined {
  const raw = env[name];
  if (raw === undefined) return defaultValue;
  if (!PY_INT.test(raw)) throw conversionError(name, raw, 'int()');
  return Number(raw.trim().replace(/_/g, ''));
}

/**
 * A float variable parsed like Python's `float()`; unset → `defaultValue`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a value that is not a number.
 */
export function readFloatEnv(env: Env, name: string, defaultValue: number): number {
  const raw = env[name];
  if (raw === undefined) return defaultValue;
  if (!PY_FLOAT.test(raw)) throw conversionError(name, raw, 'float()');
  const text = raw.trim().replace(/_/g, '').toLowerCase();
  if (/^[+-]?inf(inity)?$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/.test(text)) return Number.NaN;
  return Number(text);
}

/** A string variable; unset or empty → `undefined` (MLflow treats an empty value as absent). */
export function readStringEnv(env: Env, name: string): string | undefined {
  const raw = env[name];
  return raw === undefined || raw === '' ? undefined : raw;
}
