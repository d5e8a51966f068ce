import type { ArtifactRepository } from '@mlstore/core';

/** The paths of MLflow 3.18's capability endpoint (below the static prefix), for the client and the UI. */
export const SERVER_INFO_PATHS: ReadonlySet<string> = new Set(['/api/3.0/mlflow/server-info', '/ajax-api/3.0/mlflow/server-info']);

/** What `/server-info` describes. */
export interface ServerInfoSettings {
  /** MLflow's name of the tracking store (`SqlStore`, `FileStore`), or null (also in artifacts-only mode). */
  storeType: string | null;
  /** The proxy's destination when artifacts are served (`--serve-artifacts`), else undefined. */
  servedDestination: ArtifactRepository | undefined;
  env: NodeJS.ProcessEnv;
}

const SKILL_CONTENT_MAX_FILES = 10_000;
const SKILL_CONTENT_MAX_SIZE = 25 * 1024 ** 2;

const envTrue = (value: string | undefined): boolean => value !== undefined && ['true', '1'].includes(value.toLowerCase());

/**
 * The JSON of MLflow 3.18's `GET /api/3.0/mlflow/server-info` (`build_server_info_payload`), the
 * capabilities a Python client reads once per process (cached 60 s) before it uses a server: the
 * same keys in the same order. What mlstore does not serve is reported off: workspaces, trace
 * archival, presigned transfers, multipart downloads, the AI gateway and issue detection.
 * Multipart uploads through the proxy are on, as in MLflow, only with
 * `MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true` and a destination that supports them.
 */
export function serverInfoJson({ storeType, servedDestination, env }: ServerInfoSettings): string {
  const d = servedDestination;
  const multipartUploads = d !== undefined && envTrue(env['MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD']) && !!(d.createMultipartUpload && d.completeMultipartUpload && d.abortMultipartUpload);
  // MLflow leaves both skill limits out when the size setting is not a positive integer.
  const rawSize = env['MLFLOW_SKILL_CONTENT_MAX_DECOMPRESSED_SIZE'];
  const size = rawSize === undefined ? SKILL_CONTENT_MAX_SIZE : /^\s*[+-]?\d+\s*$/.test(rawSize) ? Number(rawSize) : Number.NaN;
  const skillLimits = size > 0 ? { skill_content_max_size: size, skill_content_max_files: SKILL_CONTENT_MAX_FILES } : {};
  return JSON.stringify({
    store_type: storeType,
    workspaces_enabled: false,
    trace_archival_enabled: false,
    multipart_uploads_enabled: multipartUploads,
    multipart_downloads_enabled: false,
    artifact_serving_enabled: d !== undefined,
    ...skillLimits,
    presigned_upload_run_id_supported: false,
    presigned_upload_model_id_supported: false,
    model_artifact_presigned_downloads_supported: false,
    features_enabled: { gateway: false, scheduled_issue_detection: false },
    tracking_auth: env['MLFLOW_SERVER_INFO_TRACKING_AUTH'] || '',
    artifacts_presigned_only: false,
  });
}
