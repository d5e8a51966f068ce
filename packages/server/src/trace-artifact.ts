import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { guessMimeType, isMlflowError, MlflowError, TraceTagKey, type AbstractStore } from '@mlstore/core';
import { attachmentDisposition } from './content-disposition.js';
import type { RunArtifacts } from './run-artifacts.js';

/** MLflow's name of a trace's span data file in its artifact location. */
const TRACE_DATA_FILE_NAME = 'traces.json';

/** Span data from the store goes out as bytes; the file from the artifact location typed by its name (text/plain), as MLflow sends them. */
function sendAttachmentHead(res: ServerResponse, contentType: string): void {
  res.writeHead(200, {
    'Content-Type': contentType,
    'Content-Disposition': attachmentDisposition(TRACE_DATA_FILE_NAME),
    'X-Content-Type-Options': 'nosniff',
  });
}

/**
 * MLflow's `get_trace_artifact_handler` (`GET /ajax-api/{2,3}.0/mlflow/get-trace-artifact`, the UI's
 * span data): the spans from the store when it keeps them, else the trace's `traces.json` from its
 * artifact location (`mlflow.artifactLocation`), as an attachment.
 * Attachments (`path=`) are not served yet: INVALID_PARAMETER_VALUE.
 * @throws BAD_REQUEST without `request_id`; RESOURCE_DOES_NOT_EXIST for an unknown trace; NOT_FOUND
 * (`Trace data not found for path=traces.json`) when the artifact location has no span data
 */
export async function serveTraceArtifact(store: AbstractStore, runArtifacts: RunArtifacts, query: URLSearchParams, res: ServerResponse, signal: AbortSignal): Promise<void> {
  const requestId = query.get('request_id');
  if (!requestId) throw new MlflowError('Request must include the "request_id" query parameter.', 'BAD_REQUEST');
  if (query.get('path')) throw MlflowError.invalidParameter('Trace attachments are not served by mlstore server yet.');
  try {
    const trace = await store.getTrace(requestId, { allowPartial: true }, { signal });
    const body = JSON.stringify({ spans: trace.data.spans });
    sendAttachmentHead(res, 'application/octet-stream');
    res.end(body);
    return;
  } catch (err) {
    // MLflow falls back to the artifact repository when the store has no span data
    // (MlflowTracingException, INTERNAL_ERROR) or cannot read spans (not implemented).
    if (!isMlflowError(err) || (err.errorCode !== 'INTERNAL_ERROR' && err.errorCode !== 'NOT_IMPLEMENTED')) throw err;
  }
  const info = await store.getTraceInfo(requestId, { signal });
  const location = info.tags[TraceTagKey.ARTIFACT_LOCATION];
  if (!location) throw MlflowError.invalidParameter(`Unable to determine trace artifact location for trace '${requestId}'.`);
  let stream;
  try {
    stream = await runArtifacts.open(location, TRACE_DATA_FILE_NAME, signal);
  } catch (err) {
    if (signal.aborted) throw err;
    // `download_trace_data_to_file`: whatever the repository raised is MlflowTraceDataNotFound.
    throw new MlflowError(`Trace data not found for path=${TRACE_DATA_FILE_NAME}`, 'NOT_FOUND', { cause: err });
  }
  sendAttachmentHead(res, guessMimeType(TRACE_DATA_FILE_NAME));
  await pipeline(stream, res);
}
