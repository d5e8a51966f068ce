import { MlflowError, redactUri } from '@mlstore/core';
import { PREFIX } from './errors.js';

/** Schemes this package serves. */
export const HDFS_SCHEMES = ['hdfs', 'webhdfs', 'swebhdfs'] as const;
export type HdfsScheme = (typeof HDFS_SCHEMES)[number];

/** Hadoop 3's default namenode HTTP / HTTPS ports (`dfs.namenode.http-address` / `https-address`). */
export const DEFAULT_WEBHDFS_PORT = 9870;
export const DEFAULT_SWEBHDFS_PORT = 9871;

/** A parsed artifact URI. */
export interface HdfsUri {
  scheme: HdfsScheme;
  /** Host of the URI (`''` for `hdfs:///path`). */
  host: string;
  /** Port of the URI, if any (for `hdfs://` it is the namenode RPC port, not an HTTP one). */
  port?: number;
  /** Absolute HDFS path of the artifact root, decoded, without trailing `/` (`/` for the root). */
  path: string;
}

/**
 * Parses `webhdfs://host[:port]/path`, `swebhdfs://host[:port]/path` and MLflow's
 * `hdfs://host[:port]/path` / `hdfs:///path`. Percent-escapes in the path are decoded (HDFS names
 * are stored raw); `.` and empty segments are dropped.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for another scheme, a `..` segment (also encoded),
 *   a query or fragment, or a bad port.
 */
export function parseHdfsUri(uri: string): HdfsUri {
  const bad = (why: string) => MlflowError.invalidParameter(`${PREFIX} invalid HDFS URI ${JSON.stringify(redactUri(uri))}: ${why}`);
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(\?[^#]*)?(#.*)?$/.exec(uri);
  if (!m) throw bad('expected <scheme>://<host>[:<port>]/<path>');
  const scheme = (m[1] as string).toLowerCase();
  if (!(HDFS_SCHEMES as readonly string[]).includes(scheme)) throw bad(`scheme must be one of ${HDFS_SCHEMES.join(', ')}`);
  if (m[4] || m[5]) throw bad('query strings and fragments are not supported');
  let authority = m[2] as string;
  const at = authority.lastIndexOf('@');
  if (at >= 0) authority = authority.slice(at + 1); // Hadoop ignores userinfo; a password is never used
  const hp = /^(\[[^\]]+\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (!hp) throw bad('bad host');
  const host = hp[1] as string;
  let port: number | undefined;
  if (hp[2] !== undefined && hp[2] !== '') {
    port = Number(hp[2]);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad(`bad port ${hp[2]}`);
  }
  if (scheme !== 'hdfs' && host === '') throw bad(`${scheme}:// needs a host (the WebHDFS/HttpFS gateway)`);
  const segments: string[] = [];
  for (const raw of (m[3] as string).split('/')) {
    let seg: string;
    try {
      seg = decodeURIComponent(raw);
    } catch {
      throw bad(`malformed percent-escape in ${JSON.stringify(raw)}`);
    }
    if (seg === '' || seg === '.') continue;
    if (seg === '..' || seg.includes('/') || seg.includes('\0')) throw bad('".." segments, encoded "/" and NUL are not allowed in the path');
    segments.push(seg);
  }
  return { scheme: scheme as HdfsScheme, host, ...(port !== undefined ? { port } : {}), path: `/${segments.join('/')}` };
}

/** Percent-encodes an absolute HDFS path for a WebHDFS URL (`/webhdfs/v1` + this). */
export function encodeHdfsPath(absPath: string): string {
  return absPath
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** `root` + a validated artifact-relative path (`''` = the root itself). */
export function hdfsPathOf(root: string, rel: string): string {
  if (rel === '') return root;
  return root === '/' ? `/${rel}` : `${root}/${rel}`;
}
