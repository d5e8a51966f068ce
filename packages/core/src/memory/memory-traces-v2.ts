import { randomUUID } from 'node:crypto';
import type { Experiment } from '../entities.js';
import { TraceTagKey, type TraceInfo } from '../traces/trace-entities.js';
import type { DeprecatedEndTraceV2Request, DeprecatedStartTraceV2Request } from '../traces/trace-store.js';
import { validateTraceName } from '../traces/trace-validation.js';
import { appendToUriPath } from './memory-helpers.js';
import type { MemoryTraceStore } from './memory-traces.js';

/**
 * MLflow's `deprecated_start_trace_v2` (SqlAlchemyStore semantics) on the memory store: a uuid4-hex
 * id, IN_PROGRESS, no duration, the metadata exactly as given (no `mlflow.trace.infoFinalized`).
 * @throws INVALID_PARAMETER_VALUE for a trace name over 4096 characters; what `activeExperiment` throws
 */
export function startTraceV2InMemory(
  store: MemoryTraceStore,
  activeExperiment: (experimentId: unknown) => Experiment,
  request: DeprecatedStartTraceV2Request,
): TraceInfo {
  const tags = { ...(request.tags ?? {}) };
  const traceName = validateTraceName(tags[TraceTagKey.TRACE_NAME]);
  const experiment = activeExperiment(request.experimentId);
  const traceId = randomUUID().replaceAll('-', '');
  tags[TraceTagKey.ARTIFACT_LOCATION] = appendToUriPath(experiment.artifact_location, 'traces', traceId, 'artifacts');
  if (traceName !== undefined) tags[TraceTagKey.TRACE_NAME] = traceName;
  store.traces.set(traceId, {
    info: {
      trace_id: traceId,
      trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experiment.experiment_id } },
      request_time: request.timestampMs,
      state: 'IN_PROGRESS',
      trace_metadata: { ...(request.requestMetadata ?? {}) },
      tags,
    },
    assessments: new Map(),
    spans: new Map(),
  });
  return store.getTraceInfo(traceId);
}

/**
 * MLflow's `deprecated_end_trace_v2`: duration = end − start, the state, metadata and tags merged
 * (new keys winning). The experiment's lifecycle is not checked, as MLflow's.
 * @throws RESOURCE_DOES_NOT_EXIST for an unknown trace; INVALID_PARAMETER_VALUE for a trace name over 4096 characters
 */
export function endTraceV2InMemory(store: MemoryTraceStore, requestId: string, request: DeprecatedEndTraceV2Request): TraceInfo {
  const { info } = store.record(requestId);
  const tags = { ...(request.tags ?? {}) };
  if (Object.hasOwn(tags, TraceTagKey.TRACE_NAME)) tags[TraceTagKey.TRACE_NAME] = validateTraceName(tags[TraceTagKey.TRACE_NAME]) ?? '';
  info.execution_duration = request.timestampMs - info.request_time;
  info.state = request.status;
  Object.assign(info.trace_metadata, request.requestMetadata ?? {});
  Object.assign(info.tags, tags);
  return store.getTraceInfo(requestId);
}
