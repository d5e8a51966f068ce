import type { Assessment, JsonValue } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';
import { newTrace, TRACES } from './trace-fixtures.js';

const UNKNOWN_TRACE = 'tr-ffffffffffffffffffffffffffffffff';
const UNKNOWN_ASSESSMENT = 'a-ffffffffffffffffffffffffffffffff';
const HUMAN = { source_type: 'HUMAN', source_id: 'reviewer@example.com' } as const;

function feedback(traceId: string, value: JsonValue, extra: Partial<Assessment> = {}): Assessment {
  return { assessment_name: 'quality', trace_id: traceId, source: { ...HUMAN }, feedback: { value }, ...extra };
}

/** Assessments (feedback and expectations) on traces, gated on the `traces` capability. */
export const assessmentsGroup: TrackingCaseGroup = {
  name: 'assessments',
  define(ctx) {
    const s = () => ctx.store();
    const it = (name: string, fn: () => Promise<void>) => ctx.it(name, fn, [...TRACES]);
    const trace = async () => newTrace(ctx, await newExperiment(ctx));

    it('createAssessment (feedback) assigns an a- id, times and valid=true; get and the trace return it', async () => {
      const id = await trace();
      const before = Date.now();
      const created = await s().createAssessment(feedback(id, 0.5, { rationale: 'why', metadata: { m: '1' }, span_id: 'span-1' }));
      expect(created.assessment_id).toMatch(/^a-[0-9a-f]{32}$/);
      expect(created).toMatchObject({ assessment_name: 'quality', trace_id: id, source: HUMAN, feedback: { value: 0.5 }, rationale: 'why', metadata: { m: '1' }, span_id: 'span-1', valid: true });
      expect(created.create_time).toBeGreaterThanOrEqual(before - 1000);
      expect(created.last_update_time).toBe(created.create_time);
      const got = await s().getAssessment(id, created.assessment_id as string);
      expect(got).toEqual(created);
      expect((await s().getTraceInfo(id)).assessments).toEqual([created]);
    });

    it('createAssessment (expectation) keeps a structured value', async () => {
      const id = await trace();
      const created = await s().createAssessment({ assessment_name: 'expected', trace_id: id, source: { ...HUMAN }, expectation: { value: { answer: ['a', 1, true, null] } } });
      const got = await s().getAssessment(id, created.assessment_id as string);
      expect(got.expectation).toEqual({ value: { answer: ['a', 1, true, null] } });
      expect(got.feedback ?? undefined).toBeUndefined();
      expect(got.valid).toBe(true);
    });

    it('createAssessment keeps a feedback error', async () => {
      const id = await trace();
      const created = await s().createAssessment({
        assessment_name: 'judge',
        trace_id: id,
        source: { source_type: 'LLM_JUDGE', source_id: 'gpt' },
        feedback: { value: null, error: { error_code: 'RATE_LIMIT', error_message: 'slow down' } },
      });
      const got = await s().getAssessment(id, created.assessment_id as string);
      expect(got.feedback?.error).toMatchObject({ error_code: 'RATE_LIMIT', error_message: 'slow down' });
    });

    it('createAssessment on an unknown trace fails with RESOURCE_DOES_NOT_EXIST', async () => {
      await expectMlflowError(s().createAssessment(feedback(UNKNOWN_TRACE, 1)), 'RESOURCE_DOES_NOT_EXIST', /not found/);
    });

    it('an override marks the overridden assessment invalid; deleting the override restores it', async () => {
      const id = await trace();
      const original = await s().createAssessment(feedback(id, true));
      const override = await s().createAssessment(feedback(id, false, { overrides: original.assessment_id as string }));
      expect(override).toMatchObject({ overrides: original.assessment_id, valid: true });
      expect((await s().getAssessment(id, original.assessment_id as string)).valid).toBe(false);
      await s().deleteAssessment(id, override.assessment_id as string);
      expect((await s().getAssessment(id, original.assessment_id as string)).valid).toBe(true);
      await expectMlflowError(s().getAssessment(id, override.assessment_id as string), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('an override of an unknown assessment fails with RESOURCE_DOES_NOT_EXIST and creates nothing', async () => {
      const id = await trace();
      await expectMlflowError(
        s().createAssessment(feedback(id, false, { overrides: UNKNOWN_ASSESSMENT })),
        'RESOURCE_DOES_NOT_EXIST',
        new RegExp(`Assessment with ID '${UNKNOWN_ASSESSMENT}' not found for trace '${id}'`),
      );
      expect((await s().getTraceInfo(id)).assessments).toEqual([]);
    });

    it('getAssessment of an unknown assessment or trace fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await trace();
      await expectMlflowError(s().getAssessment(id, UNKNOWN_ASSESSMENT), 'RESOURCE_DOES_NOT_EXIST', /Assessment with ID 'a-f+' not found for trace/);
      await expectMlflowError(s().getAssessment(UNKNOWN_TRACE, UNKNOWN_ASSESSMENT), 'RESOURCE_DOES_NOT_EXIST', /Trace with request_id 'tr-f+' not found/);
    });

    it('updateAssessment changes name, feedback, rationale and merges metadata; source, span, creation time and validity stay', async () => {
      const id = await trace();
      const created = await s().createAssessment(feedback(id, 1, { rationale: 'r1', metadata: { a: '1', b: '1' }, span_id: 'span-1' }));
      const aid = created.assessment_id as string;
      const updated = await s().updateAssessment(id, aid, { name: 'renamed', feedback: { value: 2 }, rationale: 'r2', metadata: { b: '2', c: '3' } });
      expect(updated).toMatchObject({
        assessment_id: aid,
        assessment_name: 'renamed',
        feedback: { value: 2 },
        rationale: 'r2',
        metadata: { a: '1', b: '2', c: '3' },
        source: HUMAN,
        span_id: 'span-1',
        create_time: created.create_time,
        valid: true,
      });
      expect(updated.last_update_time).toBeGreaterThanOrEqual(created.last_update_time as number);
      expect(await s().getAssessment(id, aid)).toEqual(updated);
    });

    it('updateAssessment without a rationale keeps the old one; an expectation takes a new value', async () => {
      const id = await trace();
      const fb = await s().createAssessment(feedback(id, 'yes', { rationale: 'kept' }));
      expect((await s().updateAssessment(id, fb.assessment_id as string, { name: 'n2' })).rationale).toBe('kept');
      const ex = await s().createAssessment({ assessment_name: 'e', trace_id: id, source: { ...HUMAN }, expectation: { value: 'old' } });
      const updated = await s().updateAssessment(id, ex.assessment_id as string, { expectation: { value: 'new' } });
      expect(updated.expectation).toEqual({ value: 'new' });
      expect((await s().getAssessment(id, ex.assessment_id as string)).expectation).toEqual({ value: 'new' });
    });

    it('updateAssessment refuses both values, or a value of the other kind', async () => {
      const id = await trace();
      const fb = await s().createAssessment(feedback(id, 1));
      const ex = await s().createAssessment({ assessment_name: 'e', trace_id: id, source: { ...HUMAN }, expectation: { value: 1 } });
      await expectMlflowError(
        s().updateAssessment(id, fb.assessment_id as string, { feedback: { value: 1 }, expectation: { value: 1 } }),
        'INVALID_PARAMETER_VALUE',
        /Cannot specify both `expectation` and `feedback` parameters/,
      );
      await expectMlflowError(s().updateAssessment(id, fb.assessment_id as string, { expectation: { value: 2 } }), 'INVALID_PARAMETER_VALUE', /Cannot update expectation value on a Feedback assessment/);
      await expectMlflowError(s().updateAssessment(id, ex.assessment_id as string, { feedback: { value: 2 } }), 'INVALID_PARAMETER_VALUE', /Cannot update feedback value on an Expectation assessment/);
    });

    it('updateAssessment of an unknown assessment fails with RESOURCE_DOES_NOT_EXIST', async () => {
      const id = await trace();
      await expectMlflowError(s().updateAssessment(id, UNKNOWN_ASSESSMENT, { name: 'x' }), 'RESOURCE_DOES_NOT_EXIST');
    });

    it('deleteAssessment removes it and is idempotent (unknown assessment or trace)', async () => {
      const id = await trace();
      const created = await s().createAssessment(feedback(id, 1));
      await s().deleteAssessment(id, created.assessment_id as string);
      expect((await s().getTraceInfo(id)).assessments).toEqual([]);
      await s().deleteAssessment(id, created.assessment_id as string);
      await s().deleteAssessment(UNKNOWN_TRACE, UNKNOWN_ASSESSMENT);
    });

    it('startTrace stores the assessments it carries, with the trace id filled in', async () => {
      const exp = await newExperiment(ctx);
      const id = await newTrace(ctx, exp, {
        assessments: [{ assessment_name: 'carried', trace_id: '', source: { ...HUMAN }, feedback: { value: 'ok' } }],
      });
      const [carried] = (await s().getTraceInfo(id)).assessments;
      expect(carried).toMatchObject({ assessment_name: 'carried', trace_id: id, feedback: { value: 'ok' }, valid: true });
      expect(carried?.assessment_id).toMatch(/^a-[0-9a-f]{32}$/);
    });
  },
};
