import { randomUUID } from 'node:crypto';
import { MlflowError } from '../errors.js';
import { ASSESSMENT_SOURCE_RUN_ID_KEY, type Assessment } from '../traces/trace-entities.js';
import type { UpdateAssessmentRequest } from '../traces/trace-store.js';
import { clone } from './memory-helpers.js';
import type { MemoryTraceStore, TraceRecord } from './memory-traces.js';

/** MLflow's `generate_assessment_id`: `a-` + 32 hex digits. */
export function generateAssessmentId(): string {
  return `a-${randomUUID().replace(/-/g, '')}`;
}

/**
 * An assessment as the store keeps it, built from a caller's one as MLflow's entity constructor and
 * `SqlAssessments.from_mlflow_entity` do: exactly one of feedback/expectation, a top-level `error`
 * moved into the feedback, id and times assigned, `valid` true, `run_id` from metadata;
 * expectations keep no rationale.
 * @throws INVALID_PARAMETER_VALUE
 */
export function normalizeNewAssessment(input: Assessment, now: number): Assessment {
  if (!input || typeof input !== 'object') throw MlflowError.invalidParameter("Missing value for required parameter 'assessment'.");
  const kinds = (input.feedback != null ? 1 : 0) + (input.expectation != null ? 1 : 0);
  if (kinds !== 1) throw MlflowError.invalidParameter('Exactly one of `expectation`, `feedback`, or `issue` should be specified.');
  if (input.error != null && input.expectation != null) {
    throw MlflowError.invalidParameter('Cannot set `error` when `expectation` is specified.');
  }
  if (!input.source || typeof input.source !== 'object' || typeof input.source.source_type !== 'string') {
    throw MlflowError.invalidParameter('`source` must be an instance of `AssessmentSource`.');
  }
  if (typeof input.assessment_name !== 'string' || input.assessment_name === '') {
    throw MlflowError.invalidParameter("Missing value for required parameter 'assessment_name'.");
  }
  const out: Assessment = {
    assessment_id: input.assessment_id || generateAssessmentId(),
    assessment_name: input.assessment_name,
    trace_id: input.trace_id,
    source: { source_type: input.source.source_type, source_id: input.source.source_id ?? '' },
    create_time: input.create_time || now,
    last_update_time: input.last_update_time || now,
    valid: input.valid ?? true,
  };
  if (input.span_id != null) out.span_id = input.span_id;
  if (input.feedback != null) {
    out.feedback = clone(input.feedback);
    const error = input.error ?? input.feedback.error;
    if (error != null) out.feedback.error = clone(error);
    if (input.rationale != null) out.rationale = input.rationale;
  } else {
    out.expectation = clone(input.expectation);
  }
  if (input.metadata && Object.keys(input.metadata).length > 0) out.metadata = { ...input.metadata };
  if (input.overrides) out.overrides = input.overrides;
  const runId = input.run_id ?? input.metadata?.[ASSESSMENT_SOURCE_RUN_ID_KEY];
  if (runId != null) out.run_id = runId;
  return out;
}

/**
 * MLflow 3.18's `update_assessment` rules, shared by the stores that keep MLflow's SQL semantics:
 * name, value (feedback replaces value and error together), rationale (feedback only; an
 * expectation keeps none) and metadata (merged, new keys winning) change; source, span, creation
 * time, validity and override stay. Changes `existing` in place.
 * @throws INVALID_PARAMETER_VALUE for both values, or a value of the other kind
 */
export function applyAssessmentUpdate(existing: Assessment, request: UpdateAssessmentRequest, now: number): void {
  const { name, expectation, feedback, rationale, metadata } = request;
  if (expectation != null && feedback != null) {
    throw MlflowError.invalidParameter('Cannot specify both `expectation` and `feedback` parameters.');
  }
  if (expectation != null && existing.expectation == null) {
    throw MlflowError.invalidParameter('Cannot update expectation value on a Feedback assessment.');
  }
  if (feedback != null && existing.feedback == null) {
    throw MlflowError.invalidParameter('Cannot update feedback value on an Expectation assessment.');
  }
  const hasMetadata = (m: Record<string, string> | undefined) => m !== undefined && Object.keys(m).length > 0;
  if (hasMetadata(existing.metadata) || hasMetadata(metadata)) existing.metadata = { ...(existing.metadata ?? {}), ...(metadata ?? {}) };
  if (name != null) existing.assessment_name = name;
  if (existing.expectation != null) {
    if (expectation != null) existing.expectation = clone(expectation);
    delete existing.rationale;
  } else {
    // A new feedback replaces value and error together, as MLflow does.
    if (feedback != null) existing.feedback = clone(feedback);
    if (rationale != null) existing.rationale = rationale;
  }
  existing.last_update_time = now;
}

/** MLflow's `_get_sql_assessment`. @throws RESOURCE_DOES_NOT_EXIST */
function findAssessment(traces: MemoryTraceStore, traceId: string, assessmentId: string): { rec: TraceRecord; assessment: Assessment } {
  const rec = traces.traces.get(traceId);
  if (!rec) throw MlflowError.notFound(`Trace with request_id '${traceId}' not found`);
  const assessment = rec.assessments.get(assessmentId);
  if (!assessment) throw MlflowError.notFound(`Assessment with ID '${assessmentId}' not found for trace '${traceId}'`);
  return { rec, assessment };
}

/**
 * Assessments of the memory store (MLflow 3.18 SqlAlchemyStore semantics): an override marks the
 * overridden assessment invalid, deleting the override restores it, deleting is idempotent.
 */
export class MemoryAssessments {
  constructor(private readonly traces: MemoryTraceStore) {}

  create(input: Assessment): Assessment {
    const traceId = input?.trace_id;
    const assessment = normalizeNewAssessment(input, Date.now());
    const rec = this.traces.record(traceId);
    const id = assessment.assessment_id as string;
    const overridden = assessment.overrides ? rec.assessments.get(assessment.overrides) : undefined;
    if (assessment.overrides && !overridden) {
      throw MlflowError.notFound(`Assessment with ID '${assessment.overrides}' not found for trace '${traceId}'`);
    }
    for (const other of this.traces.traces.values()) {
      if (other.assessments.has(id)) {
        throw new MlflowError(`Failed to create assessment for trace '${traceId}' due to a constraint violation.`, 'INTERNAL_ERROR');
      }
    }
    if (overridden) overridden.valid = false;
    rec.assessments.set(id, assessment);
    return clone(assessment);
  }

  get(traceId: string, assessmentId: string): Assessment {
    return clone(findAssessment(this.traces, traceId, assessmentId).assessment);
  }

  update(traceId: string, assessmentId: string, request: UpdateAssessmentRequest = {}): Assessment {
    const { assessment: existing } = findAssessment(this.traces, traceId, assessmentId);
    applyAssessmentUpdate(existing, request, Date.now());
    return clone(existing);
  }

  delete(traceId: string, assessmentId: string): void {
    const rec = this.traces.traces.get(traceId);
    const assessment = rec?.assessments.get(assessmentId);
    if (!rec || !assessment) return;
    if (assessment.overrides) {
      // MLflow restores the overridden assessment by id alone.
      for (const other of this.traces.traces.values()) {
        const restored = other.assessments.get(assessment.overrides);
        if (restored) restored.valid = true;
      }
    }
    rec.assessments.delete(assessmentId);
  }
}
