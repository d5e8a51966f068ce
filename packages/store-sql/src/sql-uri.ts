import { isAbsolute, resolve } from 'node:path';
import { MlflowError, redactUri } from '@mlstore/core';

/** The SQL dialects mlstore ships (each tested against a real server in CI). */
export type SqlDialectName = 'sqlite' | 'postgresql' | 'mysql';

/** A parsed database URI. */
export interface SqlConnectionConfig {
  dialect: SqlDialectName;
  /** SQLite: absolute file path, or `:memory:`. */
  filename?: string;
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** Query parameters of the URI (driver options such as `sslmode`). */
  query: Record<string, string>;
  /** The URI with its password replaced, for messages and logs. */
  redacted: string;
}

const DIALECTS: Record<string, SqlDialectName> = {
  sqlite: 'sqlite',
  postgresql: 'postgresql',
  postgres: 'postgresql',
  mysql: 'mysql',
  mariadb: 'mysql',
};

/**
 * Parses a database URI the way MLflow (SQLAlchemy) takes it: `sqlite:///relative.db`,
 * `sqlite:////abs/path.db`, `sqlite:///:memory:`, `postgresql[+driver]://user:pass@host:port/db`,
 * `mysql[+driver]://…`. The `+driver` part is accepted and reduced to the dialect; a relative
 * SQLite path is resolved against the current directory.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for `mssql` (no server to test it against, so not
 *   shipped), unknown schemes and malformed URIs.
 */
export function parseSqlUri(uri: string): SqlConnectionConfig {
  const match = /^([A-Za-z][A-Za-z0-9.-]*)(?:\+[A-Za-z0-9_.-]+)?:\/\/(.*)$/s.exec(uri ?? '');
  const redacted = redactUri(String(uri ?? ''));
  if (!match) throw MlflowError.invalidParameter(`Invalid database URI '${redacted}': expected <dialect>[+driver]://…`);
  const scheme = (match[1] as string).toLowerCase();
  if (scheme === 'mssql') {
    throw MlflowError.invalidParameter(
      `@mlstore/store-sql: the mssql dialect is not supported (only sqlite, postgresql and mysql are, each tested against a real server): '${redacted}'`,
    );
  }
  const dialect = DIALECTS[scheme];
  if (!dialect) {
    throw MlflowError.invalidParameter(
      `@mlstore/store-sql: unsupported database URI scheme '${scheme}' in '${redacted}'. Supported: sqlite, postgresql, mysql.`,
    );
  }
  const rest = match[2] as string;
  const queryAt = rest.indexOf('?');
  const query = Object.fromEntries(new URLSearchParams(queryAt >= 0 ? rest.slice(queryAt + 1) : ''));
  if (dialect === 'sqlite') {
    const location = queryAt >= 0 ? rest.slice(0, queryAt) : rest;
    // `sqlite://` + `/<path>`: the slash after the authority separates it from the path.
    if (location !== '' && !location.startsWith('/')) {
      throw MlflowError.invalidParameter(`Invalid SQLite URI '${redacted}': expected sqlite:///<path>`);
    }
    const path = decodeURIComponent(location.slice(1));
    const filename = path === '' || path === ':memory:' ? ':memory:' : isAbsolute(path) ? path : resolve(path);
    return { dialect, filename, query, redacted };
  }
  let url: URL;
  try {
    // An empty host (`user@/db?host=/socket`) is legal for libpq but not for WHATWG URLs.
    url = new URL(`${scheme}://${rest.replace(/^([^/?]*@)(?=[/?]|$)/, "$1localhost")}`);
  } catch (cause) {
    throw MlflowError.invalidParameter(`Invalid database URI '${redacted}'`, { cause });
  }
  const config: SqlConnectionConfig = { dialect, query, redacted };
  if (url.hostname) config.host = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1');
  if (url.port) config.port = Number(url.port);
  if (url.username) config.user = decodeURIComponent(url.username);
  if (url.password) config.password = decodeURIComponent(url.password);
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (database) config.database = database;
  // libpq/SQLAlchemy style overrides in the query string (`?host=/var/run/postgresql`).
  if (query['host']) config.host = query['host'];
  if (query['port']) config.port = Number(query['port']);
  if (query['user']) config.user = query['user'];
  if (query['password']) config.password = query['password'];
  return config;
}
