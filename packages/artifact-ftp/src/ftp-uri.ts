import { MlflowError, redactUri, splitUri } from '@mlstore/core';
import { PREFIX } from './errors.js';

/** The parts of an `ftp://` / `ftps://` artifact URI. */
export interface FtpLocation {
  /** `ftps` = explicit TLS (AUTH TLS on the control port, then protected data channels). */
  scheme: 'ftp' | 'ftps';
  /** Host name (lower-cased, as Python's `urlparse(...).hostname`), `localhost` when absent. */
  host: string;
  /** Port, 21 when absent (also for ftps: explicit TLS shares the control port). */
  port: number;
  /** User, percent-decoded; `undefined` = anonymous. */
  user?: string;
  /** Password, percent-decoded (MLflow `unquote`s it); `''` when absent. */
  password: string;
  /** Absolute POSIX root directory on the server, without trailing `/` (`/` for the server root). */
  root: string;
}

// CR, LF and other control characters would end an FTP command early (command injection).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function decode(value: string, what: string, uri: string): string {
  let out: string;
  try {
    out = decodeURIComponent(value);
  } catch {
    throw MlflowError.invalidParameter(`${PREFIX} the ${what} of ${redactUri(uri)} is not valid percent-encoding`);
  }
  if (CONTROL.test(out)) throw MlflowError.invalidParameter(`${PREFIX} the ${what} of ${redactUri(uri)} contains control characters`);
  return out;
}

/**
 * Parses `ftp://[user[:password]@]host[:port]/path` (or `ftps://…`) as MLflow's
 * FTPArtifactRepository reads it with `urlparse`: host `localhost` and port 21 by default, no user =
 * anonymous, the password percent-decoded, the path used as it is written (not decoded, `/` when
 * empty); query and fragment are ignored. Differences, all refusals of what MLflow would mishandle:
 * the user is percent-decoded too (so `%40` can stand for `@`), a path with a `..` segment and any
 * part with control characters (which would inject FTP commands) are refused.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for another scheme, a bad port or an unsafe part.
 */
export function parseFtpUri(uri: string): FtpLocation {
  const parts = splitUri(uri);
  if (parts.scheme !== 'ftp' && parts.scheme !== 'ftps') {
    throw MlflowError.invalidParameter(`${PREFIX} not an ftp:// or ftps:// URI: ${redactUri(uri)}`);
  }
  const at = parts.netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? parts.netloc.slice(0, at) : undefined;
  const hostport = at >= 0 ? parts.netloc.slice(at + 1) : parts.netloc;
  let host = hostport;
  let portText = '';
  const bracket = /^\[([^\]]*)\](?::(.*))?$/.exec(hostport);
  if (bracket) {
    host = bracket[1] ?? '';
    portText = bracket[2] ?? '';
  } else {
    const colon = hostport.lastIndexOf(':');
    if (colon >= 0) {
      host = hostport.slice(0, colon);
      portText = hostport.slice(colon + 1);
    }
  }
  let port = 21;
  if (portText !== '') {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
      throw MlflowError.invalidParameter(`${PREFIX} bad port '${portText}' in ${redactUri(uri)}`);
    }
    port = Number(portText);
  }
  host = decode(host, 'host', uri).toLowerCase() || 'localhost';
  if (/[\s/\\]/.test(host)) throw MlflowError.invalidParameter(`${PREFIX} bad host in ${redactUri(uri)}`);
  let user: string | undefined;
  let password = '';
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    user = decode(colon >= 0 ? userinfo.slice(0, colon) : userinfo, 'user', uri);
    if (colon >= 0) password = decode(userinfo.slice(colon + 1), 'password', uri);
    if (user === '') user = undefined;
  }
  const path = parts.path || '/';
  if (CONTROL.test(path)) throw MlflowError.invalidParameter(`${PREFIX} the path of ${redactUri(uri)} contains control characters`);
  let decodedPath: string;
  try {
    decodedPath = decodeURIComponent(path);
  } catch {
    decodedPath = path;
  }
  if ([path, decodedPath].some((p) => p.split('/').includes('..'))) {
    throw MlflowError.invalidParameter(`${PREFIX} the path of ${redactUri(uri)} must not contain '..'`);
  }
  const root = `/${path.split('/').filter((s) => s !== '' && s !== '.').join('/')}`;
  return { scheme: parts.scheme, host, port, ...(user !== undefined ? { user } : {}), password, root };
}

/** `ftp://[user@]host:port/root` for messages: never the password. */
export function describeLocation(loc: FtpLocation, path = loc.root): string {
  const user = loc.user !== undefined ? `${encodeURIComponent(loc.user)}@` : '';
  const host = loc.host.includes(':') ? `[${loc.host}]` : loc.host;
  return `${loc.scheme}://${user}${host}:${loc.port}${path}`;
}
