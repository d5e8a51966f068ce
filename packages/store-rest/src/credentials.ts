import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { MlflowError } from '@mlstore/core';
import type { Env } from './env.js';

/** Username and password as MLflow's `read_mlflow_creds` returns them (each may be absent). */
export interface MlflowCredentials {
  username?: string;
  password?: string;
}

/** `<HOME>/.mlflow/credentials`, with HOME taken from `env` (falling back to the OS home). */
export function mlflowCredentialsPath(env: Env = process.env): string {
  return join(env.HOME || homedir(), '.mlflow', 'credentials');
}

type Sections = Map<string, Map<string, string>>;

/**
 * Parses INI text the way Python's `configparser` reads `~/.mlflow/credentials`: `[section]`
 * headers (case-sensitive), `key = value` or `key: value` (keys lower-cased, both sides
 * trimmed), full-line `#`/`;` comments, indented continuation lines, and `[DEFAULT]` values
 * inherited by every section. Raw values are returned (interpolation happens in
 * {@link interpolate}).
 */
export function parseIni(text: string): Sections {
  const sections: Sections = new Map([['DEFAULT', new Map()]]);
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  let lastIndent = 0;
  for (const rawLine of text.replace(/^\uFEFF/, '').split(/\r?\n/)) {
    const stripped = rawLine.trim();
    if (stripped === '' || stripped.startsWith('#') || stripped.startsWith(';')) {
      if (stripped === '') lastKey = undefined;
      continue;
    }
    const indent = rawLine.length - rawLine.trimStart().length;
    if (current && lastKey !== undefined && indent > lastIndent) {
      current.set(lastKey, `${current.get(lastKey) ?? ''}\n${stripped}`);
      continue;
    }
    const header = /^\[(.+)\]$/.exec(stripped);
    if (header) {
      const name = header[1] as string;
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      lastKey = undefined;
      continue;
    }
    const delim = stripped.search(/[=:]/);
    if (!current || delim <= 0) continue; // configparser would raise; such a file yields nothing useful
    lastKey = stripped.slice(0, delim).trim().toLowerCase();
    lastIndent = indent;
    current.set(lastKey, stripped.slice(delim + 1).trim());
  }
  return sections;
}

/**
 * Applies configparser's BasicInterpolation to one value: `%%` → `%`, `%(name)s` → the option
 * `name` of the section (or DEFAULT). Never echoes the value in errors (it may be a password).
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for a bare `%` or an unknown reference, as
 *   configparser refuses those too.
 */
function interpolate(value: string, section: Map<string, string>, defaults: Map<string, string>, key: string, depth = 0): string {
  if (!value.includes('%')) return value;
  if (depth > 10) throw MlflowError.invalidParameter(`~/.mlflow/credentials: interpolation of '${key}' is too deeply nested`);
  let out = '';
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const next = value[i + 1];
    if (next === '%') {
      out += '%';
      i++;
      continue;
    }
    const ref = /^\(([^)]+)\)s/.exec(value.slice(i + 1));
    if (!ref) {
      throw MlflowError.invalidParameter(`~/.mlflow/credentials: '%' must be followed by '%' or '(' in the value of '${key}' (write '%%' for a literal '%')`);
    }
    const name = (ref[1] as string).toLowerCase();
    const target = section.get(name) ?? defaults.get(name);
    if (target === undefined) throw MlflowError.invalidParameter(`~/.mlflow/credentials: '${key}' refers to the missing option '${name}'`);
    out += interpolate(target, section, defaults, name, depth + 1);
    i += ref[0].length;
  }
  return out;
}

/**
 * Reads `mlflow_tracking_username` / `mlflow_tracking_password` from the `[mlflow]` section of
 * the credentials file, like MLflow's `_read_mlflow_creds_from_file`. A missing or unreadable
 * file, or one without `[mlflow]`, gives `{}`.
 *
 * @param path defaults to {@link mlflowCredentialsPath}.
 * @throws MlflowError INVALID_PARAMETER_VALUE for a value configparser could not interpolate.
 */
export function readMlflowCredentialsFile(path: string = mlflowCredentialsPath()): MlflowCredentials {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  const sections = parseIni(text);
  const section = sections.get('mlflow');
  if (!section) return {};
  const defaults = sections.get('DEFAULT') ?? new Map<string, string>();
  const get = (key: string) => {
    const raw = section.get(key) ?? defaults.get(key);
    return raw === undefined ? undefined : interpolate(raw, section, defaults, key);
  };
  const creds: MlflowCredentials = {};
  const username = get('mlflow_tracking_username');
  const password = get('mlflow_tracking_password');
  if (username !== undefined) creds.username = username;
  if (password !== undefined) creds.password = password;
  return creds;
}

/**
 * MLflow's `read_mlflow_creds`: each of username and password comes from the environment
 * (`MLFLOW_TRACKING_USERNAME` / `MLFLOW_TRACKING_PASSWORD`) when non-empty, else from the
 * credentials file under `env.HOME`.
 */
export function readMlflowCredentials(env: Env = process.env): MlflowCredentials {
  const file = readMlflowCredentialsFile(mlflowCredentialsPath(env));
  const creds: MlflowCredentials = {};
  const username = env.MLFLOW_TRACKING_USERNAME || file.username;
  const password = env.MLFLOW_TRACKING_PASSWORD || file.password;
  if (username) creds.username = username;
  if (password) creds.password = password;
  return creds;
}
