import { MlflowError, redactUri } from '@mlstore/core';

/** Prefix of every message this package writes. */
export const PREFIX = '@mlstore/artifact-azure:';

/** The parts of a `wasbs://` URI, as MLflow's `parse_wasbs_uri` returns them. */
export interface WasbsUri {
  /** Blob container (everything before the last-but-one `@`; MLflow does not check it further). */
  container: string;
  /** Storage account name (letters and digits, case kept). */
  account: string;
  /** Blob-name prefix of the repository root: the URI path without its first `/`, not decoded. */
  path: string;
  /** `blob.core.windows.net`, `blob.core.chinacloudapi.cn` or `blob.core.usgovcloudapi.net`. */
  apiUriSuffix: string;
}

const FORM_ERROR =
  'WASBS URI must be of the form <container>@<account>.blob.core.windows.net' +
  ' or <container>@<account>.blob.core.chinacloudapi.cn' +
  ' or <container>@<account>.blob.core.usgovcloudapi.net';

/** Said after the form error: how to reach an emulator or a custom endpoint with a valid URI. */
const ENDPOINT_HINT =
  ' (to reach Azurite or another endpoint, keep this form and set AZURE_STORAGE_CONNECTION_STRING: its BlobEndpoint wins over the URI host)';

const NETLOC = /^([^@]+)@([A-Za-z0-9]+)\.(blob\.core\.(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net))$/;
const ABFSS_NETLOC = /^([^@]+)@([A-Za-z0-9]+)\.dfs\.(core\.(?:windows\.net|chinacloudapi\.cn|usgovcloudapi\.net))$/;

/** Scheme, netloc and path of a URI the way Python's `urllib.parse.urlparse` splits them. */
export function splitUrl(uri: string): { scheme: string; netloc: string; path: string } {
  // urlparse strips leading/trailing C0 controls and spaces and drops tabs and newlines anywhere.
  // eslint-disable-next-line no-control-regex
  const text = uri.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '').replace(/[\t\r\n]/g, '');
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(text);
  const scheme = m ? (m[1] as string).toLowerCase() : '';
  let rest = m ? text.slice(m[0].length) : text;
  const cut = rest.search(/[?#]/);
  if (cut >= 0) rest = rest.slice(0, cut);
  let netloc = '';
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    netloc = end < 0 ? rest.slice(2) : rest.slice(2, end);
    rest = end < 0 ? '' : rest.slice(end);
  }
  if (netloc.includes('[') !== netloc.includes(']')) throw MlflowError.invalidParameter(`${PREFIX} ${FORM_ERROR}`);
  return { scheme, netloc, path: rest };
}

/**
 * MLflow's `AzureBlobArtifactRepository.parse_wasbs_uri`: pure and offline. The netloc must be
 * `<container>@<account>.blob.core.(windows.net|chinacloudapi.cn|usgovcloudapi.net)` (suffix
 * case-sensitive, no port); query and fragment are dropped; the path loses one leading `/` and is
 * not percent-decoded.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE "Not a WASBS URI" for another scheme, or the form
 *   error for any other account host.
 */
export function parseWasbsUri(uri: string): WasbsUri {
  const { scheme, netloc, path } = splitUrl(uri);
  if (scheme !== 'wasbs') throw MlflowError.invalidParameter(`${PREFIX} Not a WASBS URI: ${redactUri(uri)}`);
  const m = NETLOC.exec(netloc);
  if (!m) throw MlflowError.invalidParameter(`${PREFIX} ${FORM_ERROR}${ENDPOINT_HINT}; got host '${netloc.slice(netloc.lastIndexOf('@') + 1)}'`);
  return {
    container: m[1] as string,
    account: m[2] as string,
    path: path.startsWith('/') ? path.slice(1) : path,
    apiUriSuffix: m[3] as string,
  };
}

/**
 * The `wasbs://` URI addressing the same data as an `abfss://` (ADLS Gen2) URI: same account,
 * the file system as container, same path. `undefined` when the URI is not of the ADLS form.
 */
export function wasbsEquivalentOfAbfss(uri: string): string | undefined {
  const { scheme, netloc, path } = splitUrl(uri);
  const m = scheme === 'abfss' ? ABFSS_NETLOC.exec(netloc) : null;
  return m ? `wasbs://${m[1] as string}@${m[2] as string}.blob.${m[3] as string}${path}` : undefined;
}

/**
 * The error `abfss://` URIs get: ADLS Gen2 has no emulator, so this package does not claim to
 * support it; the same data is reachable through the account's blob endpoint.
 */
export function abfssNotSupported(uri: string): MlflowError {
  const equivalent = wasbsEquivalentOfAbfss(uri);
  return MlflowError.invalidParameter(
    `${PREFIX} abfss:// (ADLS Gen2) URIs are not supported, use wasbs:// on the same account` +
      (equivalent ? `: ${equivalent}` : ' (wasbs://<filesystem>@<account>.blob.core.windows.net/<path>)'),
  );
}
