import { existsSync, readdirSync, rmdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  generateAssessmentId,
  MlflowError,
  normalizeNewAssessment,
  validatePathComponent,
  type Assessment,
  type ExpectationValue,
  type JsonValue,
  type UpdateAssessmentRequest,
} from '@mlstore/core';
import type { FileIo } from './file-io.js';
import { readTextSync } from './file-io.js';
import type { FileTraces } from './file-traces.js';
import { assessmentFromDict, assessmentYaml } from './mlruns-traces.js';
import { parseMetaYaml } from './py-yaml.js';

/**
 * MLflow's `ExpectationValue`: a JSON value, or a JSON-serialized one.
 * @throws INVALID_PARAMETER_VALUE for a serialization format other than JSON_FORMAT
 */
function expectationValue(e: ExpectationValue): JsonValue {
  if (e.value !== undefined || !e.serialized_value) return e.value ?? null;
  const { serialization_format: format, value } = e.serialized_value;
  if (format !== 'JSON_FORMAT') throw MlflowError.invalidParameter(`Unknown serialization format: ${format}. Only JSON_FORMAT is supported.`);
  try {
    return JSON.parse(value) as JsonValue;
  } catch (err) {
    throw MlflowError.invalidParameter(`Invalid JSON in serialized expectation value: ${(err as Error).message}`);
  }
}

/**
 * Assessments of MLflow 3.18's FileStore: one `assessments/<assessment_id>.yaml` per assessment in
 * the trace folder. Ids and times are always assigned by the store; an override marks the overridden
 * assessment invalid, deleting the override restores it; deleting an unknown assessment is no error,
 * an unknown trace is.
 */
export class FileAssessments {
  constructor(
    private readonly traces: FileTraces,
    private readonly io: FileIo,
  ) {}

  /** `_get_assessment_path`: the id is checked before the trace is looked up. */
  private path(traceId: string, assessmentId: string): string {
    validatePathComponent(assessmentId, 'assessment_id');
    return join(this.traces.assessmentsDir(traceId), `${assessmentId}.yaml`);
  }

  private async save(a: Assessment): Promise<void> {
    await this.io.writeAtomic(this.path(a.trace_id, a.assessment_id as string), assessmentYaml(a));
  }

  /** `_load_assessment`. @throws RESOURCE_DOES_NOT_EXIST; INTERNAL_ERROR for an unreadable file */
  load(traceId: string, assessmentId: string): Assessment {
    const path = this.path(traceId, assessmentId);
    const text = readTextSync(path);
    if (text === undefined) throw MlflowError.notFound(`Assessment with ID '${assessmentId}' not found for trace '${traceId}'`);
    try {
      const parsed = parseMetaYaml(text);
      if (!parsed) throw new Error("'NoneType' object is not subscriptable");
      return assessmentFromDict(parsed);
    } catch (err) {
      throw new MlflowError(`Failed to load assessment with ID '${assessmentId}' for trace '${traceId}': ${(err as Error).message}`, 'INTERNAL_ERROR', { cause: err });
    }
  }

  /** Every assessment of a trace. */
  loadAll(traceId: string): Assessment[] {
    return this.traces.loadAssessmentsWith(traceId, (t, a) => this.load(t, a));
  }

  /** `create_assessment`: a new id and the current time whatever the caller sent, `valid: true`. */
  async create(input: Assessment): Promise<Assessment> {
    const now = Date.now();
    const assessment = normalizeNewAssessment({ ...input, assessment_id: generateAssessmentId(), create_time: now, last_update_time: now }, now);
    if (assessment.expectation != null) assessment.expectation = { value: expectationValue(assessment.expectation) };
    assessment.valid = true;
    // An expectation carries no override (MLflow's Expectation has no such field).
    if (assessment.expectation != null) delete assessment.overrides;
    if (assessment.overrides) {
      const original = this.load(assessment.trace_id, assessment.overrides);
      original.valid = false;
      await this.save(original);
    }
    await this.save(assessment);
    return assessment;
  }

  /** `update_assessment`: source, span, creation time, validity and override stay; metadata merges. */
  async update(traceId: string, assessmentId: string, request: UpdateAssessmentRequest = {}): Promise<Assessment> {
    const existing = this.load(traceId, assessmentId);
    const { name, expectation, feedback, rationale, metadata } = request;
    if (expectation != null && feedback != null) throw MlflowError.invalidParameter('Cannot specify both `expectation` and `feedback` parameters.');
    if (expectation != null && existing.expectation == null) throw MlflowError.invalidParameter('Cannot update expectation value on a Feedback assessment.');
    if (feedback != null && existing.feedback == null) throw MlflowError.invalidParameter('Cannot update feedback value on an Expectation assessment.');
    const updated: Assessment = {
      assessment_id: existing.assessment_id as string,
      assessment_name: name != null ? name : existing.assessment_name,
      trace_id: traceId,
      source: existing.source,
      create_time: existing.create_time as number,
      last_update_time: Date.now(),
    };
    if (existing.span_id != null) updated.span_id = existing.span_id;
    const hasMetadata = (m: Record<string, string> | undefined) => m !== undefined && m !== null && Object.keys(m).length > 0;
    if (hasMetadata(existing.metadata) || hasMetadata(metadata)) updated.metadata = { ...(existing.metadata ?? {}), ...(metadata ?? {}) };
    if (existing.expectation != null) {
      updated.expectation = expectation != null ? { value: expectationValue(expectation) } : existing.expectation;
    } else {
      // A new feedback replaces value and error together, as MLflow does.
      updated.feedback = feedback != null ? { value: feedback.value ?? null, ...(feedback.error ? { error: feedback.error } : {}) } : (existing.feedback as Assessment['feedback'] & object);
      const why = rationale != null ? rationale : existing.rationale;
      if (why != null) updated.rationale = why;
    }
    if (existing.valid !== undefined) updated.valid = existing.valid;
    if (existing.overrides) updated.overrides = existing.overrides;
    if (existing.run_id !== undefined) updated.run_id = existing.run_id;
    await this.save(updated);
    return updated;
  }

  /** `delete_assessment`: idempotent for an unknown assessment; restores the one it overrode. */
  async delete(traceId: string, assessmentId: string): Promise<void> {
    this.traces.requireTraceDir(traceId);
    const path = this.path(traceId, assessmentId);
    if (!existsSync(path)) return;
    let overrides: string | undefined;
    try {
      overrides = this.load(traceId, assessmentId).overrides;
    } catch {
      overrides = undefined;
    }
    try {
      unlinkSync(path);
      const dir = this.traces.assessmentsDir(traceId);
      if (existsSync(dir) && readdirSync(dir).length === 0) rmdirSync(dir);
    } catch (err) {
      throw new MlflowError(`Failed to delete assessment with ID '${assessmentId}' for trace '${traceId}': ${(err as Error).message}`, 'INTERNAL_ERROR', { cause: err });
    }
    if (!overrides) return;
    try {
      const original = this.load(traceId, overrides);
      original.valid = true;
      original.last_update_time = Date.now();
      await this.save(original);
    } catch (err) {
      if (!(err instanceof MlflowError)) throw err;
    }
  }
}
