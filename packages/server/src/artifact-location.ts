import { decodeRepeatedly, MlflowError, splitUri } from '@mlstore/core';

// MLflow's storage-location rules for `artifact_location` (server/handlers.py
// `_validate_storage_location_uri`) and its SSRF guard for host-addressed schemes
// (store/artifact/host_policy.py, GHSA-mr9f-g8qf-4w4j).

const HOST_ADDRESSED = new Set(['ftp', 'sftp', 'hdfs', 'viewfs', 'http', 'https', 'mlflow-artifacts', 'r2', 'b2', 'abfss']);
const FAMILY: Record<string, string> = { viewfs: 'hdfs', https: 'http', 'mlflow-artifacts': 'http' };
const DEFAULT_PORTS: Record<string, (number | null)[]> = {
  ftp: [21],
  sftp: [22],
  http: [80],
  https: [443],
  'mlflow-artifacts': [80, 443],
  r2: [443],
  b2: [443],
  abfss: [443],
};

/** Options of the policy: which hosts the server itself was configured with. */
export interface ArtifactLocationPolicyOptions {
  /** The server's `--default-artifact-root` and `--artifacts-destination`: their hosts are trusted. */
  trustedUris?: (string | undefined)[];
  /** Schemes allowed to name any host (MLflow's `MLFLOW_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES`). */
  allowedSchemes?: string[];
  /** Longest accepted location (MLflow's `MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH`, 2048). */
  maxLength?: number;
}

/** The `(family, host, port)` targets a URI makes a server connect to; `null` when it names no host. */
export function hostTargets(uri: string): Set<string> | null {
  const { scheme, netloc } = splitUri(uri);
  if (!HOST_ADDRESSED.has(scheme)) return null;
  // `mlflow-artifacts:/path` resolves against the tracking server itself.
  if (scheme === 'mlflow-artifacts' && netloc === '') return null;
  const family = FAMILY[scheme] ?? scheme;
  const malformed = new Set([`malformed|${netloc}|`]);
  // HTTP clients end the authority at a backslash where a URI parser does not: never trusted.
  if (/[\\\s]/.test(netloc)) return malformed;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(netloc.slice(netloc.lastIndexOf('@') + 1));
  const port = m?.[2] ? Number(m[2]) : null;
  if (!m || (port !== null && port > 65535)) return malformed;
  const host = (m[1] ?? '').replace(/^\[|\]$/g, '').toLowerCase();
  const ports = port !== null ? [port] : (DEFAULT_PORTS[scheme] ?? [null]);
  return new Set(ports.map((p) => `${family}|${host}|${p ?? ''}`));
}

/**
 * Builds the check a server applies to a stored artifact location before connecting to it (the
 * SSRF guard): host-addressed schemes may only name the hosts of the server's own artifact roots.
 *
 * @returns a function that throws INVALID_PARAMETER_VALUE for a refused location.
 */
export function createHostPolicy(options: ArtifactLocationPolicyOptions = {}): (uri: string, fieldName?: string) => void {
  const allowed = new Set((options.allowedSchemes ?? []).map((s) => s.trim().toLowerCase()).filter(Boolean));
  const trusted = new Set<string>();
  for (const uri of options.trustedUris ?? []) for (const t of (uri && hostTargets(uri)) || []) trusted.add(t);
  return (uri, fieldName) => {
    const targets = hostTargets(uri);
    if (!targets) return;
    const { scheme } = splitUri(uri);
    if (allowed.has(scheme) || [...targets].some((t) => trusted.has(t))) return;
    const reason = `the '${scheme}' scheme addresses a host other than the tracking server's configured artifact storage, so the server would connect to the host named in the URI`;
    const hint = 'Set the MLFLOW_ALLOWED_HOST_ADDRESSED_ARTIFACT_SCHEMES environment variable on the server to allow it.';
    throw MlflowError.invalidParameter(
      fieldName ? `'${fieldName}' cannot use the '${scheme}' scheme: ${reason}. ${hint}` : `The tracking server does not connect to artifact location '${uri}': ${reason}. ${hint}`,
    );
  };
}

/**
 * MLflow's checks of an experiment's `artifact_location` at creation: no fragment or `;params`, no
 * `..` in the (decoded) query, not a `runs:/` URI, at most `maxLength` characters, and the host policy.
 *
 * @throws MlflowError INVALID_PARAMETER_VALUE.
 */
export function createArtifactLocationPolicy(options: ArtifactLocationPolicyOptions = {}): (location: string) => void {
  const hostPolicy = createHostPolicy(options);
  const maxLength = options.maxLength ?? 2048;
  return (location) => {
    const { path, query, fragment } = splitUri(location);
    if (fragment || path.slice(path.lastIndexOf('/') + 1).includes(';')) {
      throw MlflowError.invalidParameter("'artifact_location' URL can't include fragments or params.");
    }
    if (decodeRepeatedly(query).includes('..')) throw MlflowError.invalidParameter('Invalid query string');
    hostPolicy(location, 'artifact_location');
    if (location.startsWith('runs:')) throw MlflowError.invalidParameter(`Artifact location cannot be a runs:/ URI. Given: '${location}'`);
    if (location.length > maxLength) {
      throw MlflowError.invalidParameter(
        `Invalid artifact path length. The length of the artifact path cannot be greater than ${maxLength} characters. To configure this limit, please set the MLFLOW_ARTIFACT_LOCATION_MAX_LENGTH environment variable.`,
      );
    }
  };
}

