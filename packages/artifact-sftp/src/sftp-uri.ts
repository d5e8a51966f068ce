import { MlflowError, redactUri, splitUri } from '@mlstore/core';

/** An `sftp://` URI split like MLflow's `SFTPArtifactRepository.__init__` (Python's `urlparse`). */
export interface SftpLocation {
  /** Host as written (lower-cased, IPv6 brackets removed); `localhost` when the URI has none. */
  host: string;
  /** Port from the URI; `undefined` when absent (then `~/.ssh/config`'s `Port`, else 22). */
  port?: number;
  /** User from the URI, verbatim (MLflow does not percent-decode it). */
  username?: string;
  /** Password from the URI, verbatim (MLflow does not percent-decode it). */
  password?: string;
  /** Remote root directory: the URI path, `/` when empty. */
  path: string;
}

/**
 * MLflow's reading of `sftp://[user[:pass]@]host[:port]/abs/path` (`urllib.parse.urlparse`):
 * userinfo up to the last `@`, user and password split at the first `:` and kept verbatim (not
 * percent-decoded, as MLflow passes `parsed.password` to pysftp as it is), host lower-cased
 * (`localhost` when empty), port checked as Python checks it, query and fragment dropped, path
 * `/` when empty. Pure.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for another scheme or a bad port. Messages never
 *   show the password.
 */
export function parseSftpUri(uri: string): SftpLocation {
  const cleaned = uri.replace(/[\t\r\n]/g, '').replace(/^[\u0000-\u0020]+/, '');
  const parts = splitUri(cleaned);
  if (parts.scheme !== 'sftp') throw MlflowError.invalidParameter(`@mlstore/artifact-sftp: Not an SFTP URI: ${redactUri(uri)}`);
  const at = parts.netloc.lastIndexOf('@');
  const userinfo = at >= 0 ? parts.netloc.slice(0, at) : undefined;
  const hostport = at >= 0 ? parts.netloc.slice(at + 1) : parts.netloc;
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    username = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
    if (colon >= 0) password = userinfo.slice(colon + 1);
  }
  let host: string;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) throw MlflowError.invalidParameter(`@mlstore/artifact-sftp: Invalid IPv6 URL: ${redactUri(uri)}`);
    host = hostport.slice(1, close);
    const rest = hostport.slice(close + 1);
    if (rest.startsWith(':')) portText = rest.slice(1);
  } else {
    const colon = hostport.indexOf(':');
    host = colon >= 0 ? hostport.slice(0, colon) : hostport;
    if (colon >= 0) portText = hostport.slice(colon + 1);
  }
  let port: number | undefined;
  // Python: an empty port is None; otherwise ASCII digits in 0..65535, else ValueError.
  if (portText !== undefined && portText !== '') {
    if (!/^[0-9]+$/.test(portText) || Number(portText) > 65535) {
      throw MlflowError.invalidParameter(`@mlstore/artifact-sftp: Port could not be cast to integer value in ${redactUri(uri)}`);
    }
    port = Number(portText);
  }
  const loc: SftpLocation = { host: host.toLowerCase() || 'localhost', path: parts.path || '/' };
  if (port !== undefined) loc.port = port;
  // Python's urlparse gives '' for `sftp://@host`, which MLflow passes on as an empty user name.
  if (username !== undefined) loc.username = username;
  if (password !== undefined) loc.password = password;
  return loc;
}

/**
 * `posixpath.join(root, rel)` for a validated relative artifact path (never absolute): `rel`
 * appended after a `/` unless it is empty or `root` already ends with one.
 */
export function joinRemotePath(root: string, rel: string): string {
  if (rel === '') return root;
  return root.endsWith('/') ? root + rel : `${root}/${rel}`;
}
