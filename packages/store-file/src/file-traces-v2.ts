import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  validateTagName,
  type Assessment,
  type DeprecatedEndTraceV2Request,
  type DeprecatedStartTraceV2Request,
  type TraceInfo,
} from '@mlstore/core';
import type { FileIo } from './file-io.js';
import type { FileTraces } from './file-traces.js';
import { TAGS } from './mlruns-meta.js';
import { REQUEST_METADATA, TRACE_INFO, traceInfoYaml } from './mlruns-traces.js';

/**
 * MLflow's `FileStore.deprecated_start_trace_v2`: a uuid4-hex id, IN_PROGRESS, no duration, the
 * metadata as given and the tags with the artifact location, saved as `start_trace` saves a trace
 * (`TraceInfoV2.to_v3()`; no `mlflow.trace.infoFinalized`, which MLflow's FileStore never adds).
 * @throws RESOURCE_DOES_NOT_EXIST `Experiment <id> does not exist.` for an unknown or deleted experiment
 */
export function startTraceV2InFiles(traces: FileTraces, request: DeprecatedStartTraceV2Request): Promise<TraceInfo> {
  const info: TraceInfo = {
    trace_id: randomUUID().replaceAll('-', ''),
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: request.experimentId } },
    request_time: request.timestampMs,
    state: 'IN_PROGRESS',
    trace_metadata: { ...(request.requestMetadata ?? {}) },
    tags: { ...(request.tags ?? {}) },
    assessments: [],
  };
  return traces.start(info, () => Promise.reject(new Error('a v2 trace starts without assessments')));
}

/** MLflow's `_writeable_value`: None as an empty file, other values as their text. */
const writeable = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/**
 * MLflow's `FileStore.deprecated_end_trace_v2`: duration = end − start, the state, metadata and
 * tags merged, and the whole trace info saved again (`_save_trace_info(..., overwrite=True)`:
 * `trace_info.yaml` with its assessments, every metadata and tag file).
 * @throws RESOURCE_DOES_NOT_EXIST `Trace with ID '<id>' not found`; INVALID_PARAMETER_VALUE for a key that is no safe file name
 */
export async function endTraceV2InFiles(
  traces: FileTraces,
  io: FileIo,
  requestId: string,
  request: DeprecatedEndTraceV2Request,
  loadAssessments: (traceId: string) => Assessment[],
): Promise<TraceInfo> {
  const info = traces.get(requestId, loadAssessments);
  const dir = traces.requireTraceDir(requestId);
  info.execution_duration = request.timestampMs - info.request_time;
  info.state = request.status;
  Object.assign(info.trace_metadata, request.requestMetadata ?? {});
  Object.assign(info.tags, request.tags ?? {});
  // MLflow checks each key as it writes it; all are checked first here, so a bad key changes nothing.
  for (const key of [...Object.keys(info.trace_metadata), ...Object.keys(info.tags)]) validateTagName(key);
  await io.writeAtomic(join(dir, TRACE_INFO), traceInfoYaml(info, info.assessments));
  for (const [k, v] of Object.entries(info.trace_metadata)) await io.writeAtomic(join(dir, REQUEST_METADATA, k), writeable(v));
  for (const [k, v] of Object.entries(info.tags)) await io.writeAtomic(join(dir, TAGS, k), writeable(v));
  return info;
}
