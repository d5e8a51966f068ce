import { MlflowError, redactUri } from '@mlstore/core';

/** The artifact service root MLflow mounts under every tracking server. */
export const ARTIFACTS_SERVICE_ROOT = '/api/2.0/mlflow-artifacts/artifacts';

/** The parts of a URI as Python's `urllib.parse.urlparse` gives them (params split for http(s)). */
interface ParsedUri {
  scheme: string;
  netloc: string;
  path: string;
}

function urlparse(uri: string): ParsedUri {
  let rest = uri;
  let scheme = '';
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
  if (m) {
    scheme = (m[1] as string).toLowerCase();
    rest = uri.slice(m[0].length);
  }
  rest = rest.replace(/[?#].*$/s, '');
  let netloc = '';
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    netloc = slash < 0 ? rest.slice(2) : rest.slice(2, slash);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  // `;params` of the last segment are split off (and so dropped) only for schemes that use them.
  if (scheme === 'http' || scheme === 'https') {
    const lastSlash = rest.lastIndexOf('/');
    const semi = rest.indexOf(';', lastSlash + 1);
    if (semi >= 0) rest = rest.slice(0, semi);
  }
  return { scheme, netloc, path: rest };
}

/**
 * Python's `hostname` and `port` of a netloc (userinfo dropped, host lower-cased). `port()` is
 * lazy, like the Python property: it throws only when read.
 */
function hostAndPort(netloc: string): { hostname: string; port: () => number | undefined } {
  const hostport = netloc.slice(netloc.lastIndexOf('@') + 1);
  let hostname = hostport;
  let portText: string | undefined;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(hostport);
  if (v6) {
    hostname = v6[1] as string;
    portText = v6[2];
  } else {
    const colon = hostport.lastIndexOf(':');
    if (colon >= 0) {
      hostname = hostport.slice(0, colon);
      portText = hostport.slice(colon + 1);
    }
  }
  const port = () => {
    if (portText === undefined || portText === '') return undefined;
    if (!/^\d+$/.test(portText) || Number(portText) > 65535) {
      throw MlflowError.invalidParameter(`Port could not be cast to integer value or is out of range 0-65535: '${portText}'`);
    }
    return Number(portText);
  };
  return { hostname: hostname.toLowerCase(), port };
}

/** Python's `float(text)` succeeds: decimals, exponents, underscores between digits, inf/nan. */
function isPythonFloat(text: string): boolean {
  return /^\s*[+-]?((\d+(_\d+)*)?\.?\d+(_\d+)*([eE][+-]?\d+(_\d+)*)?|\d+(_\d+)*\.([eE][+-]?\d+(_\d+)*)?|inf|infinity|nan)\s*$/i.test(text);
}

/** The tracking URI reduced to scheme, host and path, for messages (no userinfo, query or fragment). */
function redactTrackingUri(uri: string): string {
  const { scheme, netloc, path } = urlparse(uri);
  const host = netloc.slice(netloc.lastIndexOf('@') + 1);
  return `${scheme ? `${scheme}:` : ''}${host || uri.includes('//') ? `//${host}` : ''}${path}`;
}

/**
 * Resolves an `mlflow-artifacts:` URI to the HTTP URL of MLflow's artifact proxy exactly as
 * MLflow's `MlflowArtifactsRepository.resolve_uri` does:
 *
 * - `mlflow-artifacts:/p` → `<tracking scheme>://<tracking netloc><tracking path>/api/2.0/mlflow-artifacts/artifacts/p`;
 * - `mlflow-artifacts://host:port/p` → the same with that netloc (the scheme still comes from
 *   the tracking URI, which must be http(s) even then);
 * - `mlflow-artifacts:/` and `mlflow-artifacts:/api/2.0/mlflow-artifacts/artifacts` → the service
 *   root *without* the tracking path prefix (a quirk of MLflow kept here);
 * - runs of `/` are collapsed, a trailing `/` is stripped, query and fragment are dropped.
 *
 * Pure and offline.
 *
 * @param trackingUri the tracking server URL (`http(s)://host[:port][/prefix]`).
 * @throws MlflowError INVALID_PARAMETER_VALUE when the URI names a numeric host without a port
 *   (`mlflow-artifacts://5000/p`; an invalid port is only noticed there, as in MLflow), or the
 *   tracking URI is absent or not
 *   http(s) (the message shows it without credentials).
 */
export function resolveMlflowArtifactsUri(artifactUri: string, trackingUri: string | undefined): string {
  const uri = urlparse(artifactUri);
  const { hostname, port } = hostAndPort(uri.netloc);
  if (hostname && isPythonFloat(hostname) && !port()) {
    throw MlflowError.invalidParameter(`The mlflow-artifacts uri was supplied with a port number: ${hostname}, but no host was defined.`);
  }
  const track = urlparse(trackingUri ?? '');
  if (trackingUri === undefined || (track.scheme !== 'http' && track.scheme !== 'https')) {
    throw MlflowError.invalidParameter(
      'When an mlflow-artifacts URI was supplied, the tracking URI must be a valid http or https URI, but it was currently set to ' +
        `${trackingUri === undefined ? 'nothing' : redactTrackingUri(trackingUri)}. Perhaps you forgot to set the tracking URI to the running MLflow server. ` +
        'Pass the trackingUri option or set the MLFLOW_TRACKING_URI environment variable (e.g. http://localhost:5000).',
    );
  }
  let resolved: string;
  if (uri.path === '/') resolved = `${ARTIFACTS_SERVICE_ROOT}/`;
  else if (uri.path === ARTIFACTS_SERVICE_ROOT) resolved = ARTIFACTS_SERVICE_ROOT;
  else resolved = `${track.path}/${ARTIFACTS_SERVICE_ROOT}/${uri.path}`;
  resolved = resolved.replace(/\/\/+/g, '/');
  const netloc = uri.netloc || track.netloc;
  // urlunparse writes `//netloc` for http(s) even when the netloc is empty.
  const joined = `${track.scheme}://${netloc}${resolved.startsWith('/') ? '' : '/'}${resolved}`;
  return joined.replaceAll('///', '/').replace(/\/+$/, '');
}

/**
 * Splits a proxy URL at the first `/mlflow-artifacts/artifacts` like MLflow's `list_artifacts`:
 * `serviceBase` is what precedes it (e.g. `http://h:5000/api/2.0`), `root` what follows, without
 * leading `/` (still percent-encoded). `undefined` when the URL does not contain the service path.
 */
export function splitArtifactServiceUrl(url: string): { serviceBase: string; root: string } | undefined {
  const marker = '/mlflow-artifacts/artifacts';
  const at = url.indexOf(marker);
  if (at < 0) return undefined;
  return { serviceBase: url.slice(0, at), root: url.slice(at + marker.length).replace(/^\/+/, '') };
}

/**
 * MLflow's `_artifact_server_base_uri`: the deployment root (`scheme://netloc/prefix`) of a
 * canonical artifact-service URL, used for `/api/3.0/mlflow/server-info`; `undefined` otherwise.
 */
export function artifactServerBaseUri(url: string): string | undefined {
  const { scheme, netloc, path } = urlparse(url);
  const at = path.indexOf(ARTIFACTS_SERVICE_ROOT);
  if (at < 0) return undefined;
  const suffix = path.slice(at + ARTIFACTS_SERVICE_ROOT.length);
  if (suffix && !suffix.startsWith('/')) return undefined;
  return `${scheme}://${netloc}${path.slice(0, at).replace(/\/+$/, '')}`;
}

/**
 * The http(s) URL of a repository root: an `mlflow-artifacts:` URI resolved against
 * `trackingUri` (see {@link resolveMlflowArtifactsUri}); an `http(s)` URI without query,
 * fragment and trailing `/`.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE for another scheme or an unresolvable URI.
 */
export function resolveArtifactHttpUrl(artifactUri: string, trackingUri: string | undefined): string {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(artifactUri)?.[1]?.toLowerCase();
  if (scheme === 'mlflow-artifacts') return resolveMlflowArtifactsUri(artifactUri, trackingUri);
  if (scheme === 'http' || scheme === 'https') return artifactUri.replace(/[?#].*$/s, '').replace(/\/+$/, '');
  throw MlflowError.invalidParameter(`@mlstore/artifact-http: not an http(s) or mlflow-artifacts URI: ${redactUri(artifactUri)}`);
}
