import { randomUUID } from 'node:crypto';
import type { TraceInfo } from '@mlstore/core';
import type { TrackingKitContext } from '../context.js';

/** Capabilities every trace case needs. */
export const TRACES = ['traces'] as const;

/** A trace id in the form MLflow's client generates (`tr-` + 32 hex digits). */
export function newTraceId(): string {
  return `tr-${randomUUID().replace(/-/g, '')}`;
}

/** A complete trace info for `experimentId` (request time 1000, 5 ms, OK), with `overrides` applied. */
export function traceInfo(experimentId: string, overrides: Partial<TraceInfo> = {}): TraceInfo {
  return {
    trace_id: newTraceId(),
    trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: experimentId } },
    request_time: 1000,
    execution_duration: 5,
    state: 'OK',
    request_preview: '{"q": "hi"}',
    response_preview: '"hello"',
    client_request_id: 'client-1',
    trace_metadata: {},
    tags: {},
    assessments: [],
    ...overrides,
  };
}

/** Starts a trace in `experimentId` and returns its id. */
export async function newTrace(ctx: TrackingKitContext, experimentId: string, overrides: Partial<TraceInfo> = {}): Promise<string> {
  const info = await ctx.store().startTrace(traceInfo(experimentId, overrides));
  return info.trace_id;
}
