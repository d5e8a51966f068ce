import type { Kysely, Selectable } from 'kysely';
import {
  applyAssessmentUpdate,
  assessmentAggregate,
  MlflowError,
  normalizeNewAssessment,
  pythonJsonDumps,
  type Assessment,
  type AssessmentError,
  type JsonValue,
  type UpdateAssessmentRequest,
} from '@mlstore/core';
import type { AssessmentsTable, Database } from './db-types.js';
import { inTransaction, reading, type SqlContext } from './sql-context.js';

type AssessmentRow = Selectable<AssessmentsTable>;

/** `AssessmentError.to_dictionary()` as MLflow stores it (every key, nulls included). */
function errorJson(error: AssessmentError | undefined): string | null {
  if (error == null) return null;
  return pythonJsonDumps({ error_code: error.error_code ?? null, error_message: error.error_message ?? null, stack_trace: error.stack_trace ?? null });
}

/** The value columns of an assessment (`SqlAssessments.from_mlflow_entity`). */
function valueColumns(a: Assessment): Pick<AssessmentsTable, 'assessment_type' | 'value' | 'error' | 'aggregate_value' | 'is_numeric_value'> {
  const feedback = a.feedback != null;
  const value = feedback ? (a.feedback?.value ?? null) : (a.expectation?.value ?? null);
  return {
    assessment_type: feedback ? 'feedback' : 'expectation',
    value: pythonJsonDumps(value),
    error: feedback ? errorJson(a.feedback?.error) : null,
    ...assessmentAggregate(value),
  };
}

/** The `assessments` row of a normalized assessment ({@link normalizeNewAssessment}) on a trace. */
export function assessmentRow(a: Assessment, trace: { experiment_id: AssessmentsTable['experiment_id']; timestamp_ms: number }): AssessmentsTable {
  return {
    assessment_id: a.assessment_id as string,
    trace_id: a.trace_id,
    name: a.assessment_name,
    ...valueColumns(a),
    created_timestamp: a.create_time as number,
    last_updated_timestamp: a.last_update_time as number,
    source_type: a.source.source_type,
    source_id: a.source.source_id ?? null,
    run_id: a.run_id ?? null,
    span_id: a.span_id ?? null,
    rationale: a.rationale ?? null,
    overrides: a.overrides ?? null,
    // 1/0: booleans as every driver binds them (PostgreSQL reads '1'/'0' as booleans).
    valid: a.valid !== false ? 1 : 0,
    assessment_metadata: a.metadata && Object.keys(a.metadata).length > 0 ? pythonJsonDumps(a.metadata) : null,
    experiment_id: trace.experiment_id,
    trace_timestamp_ms: trace.timestamp_ms,
  };
}

const truthy = (v: unknown) => v === true || v === 1 || v === '1' || v === 't';

/** An `assessments` row as the entity (`SqlAssessments.to_mlflow_entity`). */
export function toAssessment(row: AssessmentRow): Assessment {
  const out: Assessment = {
    assessment_id: row.assessment_id,
    assessment_name: row.name,
    trace_id: row.trace_id,
    source: { source_type: row.source_type as Assessment['source']['source_type'], source_id: row.source_id ?? '' },
    create_time: Number(row.created_timestamp),
    last_update_time: Number(row.last_updated_timestamp),
    valid: truthy(row.valid),
  };
  if (row.span_id != null) out.span_id = row.span_id;
  const value = JSON.parse(row.value) as JsonValue;
  if (row.assessment_type === 'feedback') {
    out.feedback = { value };
    if (row.error != null) {
      const parsed = JSON.parse(row.error) as Record<string, string | null>;
      const error: AssessmentError = {};
      for (const k of ['error_code', 'error_message', 'stack_trace'] as const) if (parsed[k] != null) error[k] = parsed[k] as string;
      out.feedback.error = error;
    }
    if (row.rationale != null) out.rationale = row.rationale;
  } else {
    out.expectation = { value };
  }
  if (row.assessment_metadata != null) out.metadata = JSON.parse(row.assessment_metadata) as Record<string, string>;
  if (row.overrides != null) out.overrides = row.overrides;
  if (row.run_id != null) out.run_id = row.run_id;
  return out;
}

const assessmentNotFound = (traceId: string, assessmentId: string) =>
  MlflowError.notFound(`Assessment with ID '${assessmentId}' not found for trace '${traceId}'`);

/** MLflow's `_get_sql_assessment`. @throws RESOURCE_DOES_NOT_EXIST */
async function sqlAssessment(db: Kysely<Database>, traceId: string, assessmentId: string): Promise<AssessmentRow> {
  const trace = await db.selectFrom('trace_info').select('request_id').where('request_id', '=', traceId).executeTakeFirst();
  if (!trace) throw MlflowError.notFound(`Trace with request_id '${traceId}' not found`);
  const row = await db.selectFrom('assessments').selectAll().where('trace_id', '=', traceId).where('assessment_id', '=', assessmentId).executeTakeFirst();
  if (!row) throw assessmentNotFound(traceId, assessmentId);
  return row;
}

/**
 * Assessments on MLflow 3.18's `assessments` table (SqlAlchemyStore semantics): an override marks
 * the overridden assessment invalid, deleting the override restores it, deleting is idempotent.
 */
export class SqlAssessments {
  constructor(private readonly ctx: SqlContext) {}

  /** @throws RESOURCE_DOES_NOT_EXIST (trace, overridden assessment); INTERNAL_ERROR for a taken id */
  create(input: Assessment): Promise<Assessment> {
    const assessment = normalizeNewAssessment(input, Date.now());
    const traceId = assessment.trace_id;
    return inTransaction(this.ctx, async (tx) => {
      const trace = await tx.selectFrom('trace_info').select(['experiment_id', 'timestamp_ms']).where('request_id', '=', traceId ?? '').executeTakeFirst();
      if (!trace) throw MlflowError.notFound(`Trace with ID '${traceId}' not found.`);
      if (assessment.overrides) {
        const updated = await tx
          .updateTable('assessments')
          .set({ valid: 0 })
          .where('trace_id', '=', traceId)
          .where('assessment_id', '=', assessment.overrides)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) throw assessmentNotFound(traceId, assessment.overrides);
      }
      const taken = await tx.selectFrom('assessments').select('assessment_id').where('assessment_id', '=', assessment.assessment_id as string).executeTakeFirst();
      if (taken) throw new MlflowError(`Failed to create assessment for trace '${traceId}' due to a constraint violation.`, 'INTERNAL_ERROR');
      await tx.insertInto('assessments').values(assessmentRow(assessment, { experiment_id: trace.experiment_id, timestamp_ms: Number(trace.timestamp_ms) })).execute();
      return assessment;
    });
  }

  /** @throws RESOURCE_DOES_NOT_EXIST */
  async get(traceId: string, assessmentId: string): Promise<Assessment> {
    return toAssessment(await reading(() => sqlAssessment(this.ctx.db, traceId, assessmentId)));
  }

  /** @throws RESOURCE_DOES_NOT_EXIST; INVALID_PARAMETER_VALUE for a value of the other kind */
  update(traceId: string, assessmentId: string, request: UpdateAssessmentRequest = {}): Promise<Assessment> {
    return inTransaction(this.ctx, async (tx) => {
      const existing = toAssessment(await sqlAssessment(tx, traceId, assessmentId));
      applyAssessmentUpdate(existing, request, Date.now());
      await tx
        .updateTable('assessments')
        .set({
          name: existing.assessment_name,
          ...valueColumns(existing),
          rationale: existing.rationale ?? null,
          assessment_metadata: existing.metadata && Object.keys(existing.metadata).length > 0 ? pythonJsonDumps(existing.metadata) : null,
          last_updated_timestamp: existing.last_update_time,
        })
        .where('assessment_id', '=', assessmentId)
        .execute();
      return existing;
    });
  }

  /** Idempotent; deleting an override makes the assessment it replaced valid again (by id alone, as MLflow). */
  async delete(traceId: string, assessmentId: string): Promise<void> {
    await inTransaction(this.ctx, async (tx) => {
      const row = await tx.selectFrom('assessments').select('overrides').where('trace_id', '=', traceId).where('assessment_id', '=', assessmentId).executeTakeFirst();
      if (!row) return;
      if (row.overrides) await tx.updateTable('assessments').set({ valid: 1 }).where('assessment_id', '=', row.overrides).execute();
      await tx.deleteFrom('assessments').where('assessment_id', '=', assessmentId).execute();
    });
  }
}
