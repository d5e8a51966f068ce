import type { MetricDataPoint, QueryTraceMetricsRequest, TrackingStoreCapabilities } from '@mlstore/core';
import { expect } from 'vitest';
import { expectMlflowError } from '../expect-error.js';
import { newExperiment } from './fixtures.js';
import type { TrackingCaseGroup } from './group.js';
import { attr, newTrace, newTraceId, span, TRACES } from './trace-fixtures.js';

const ANALYTICS: (keyof TrackingStoreCapabilities)[] = [...TRACES, 'traceAnalytics'];
/** A pattern matching `text` literally. */
const literally = (text: string) => new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
const MS = 1_000_000n;
/** 2026-01-01T00:00:00Z. */
const DAY = 1_767_225_600_000;

const point = (dimensions: Record<string, string>, values: Record<string, number>, metric_name = 'trace_count'): MetricDataPoint => ({ metric_name, dimensions, values });

/**
 * query_trace_metrics and calculate_trace_filter_correlation (MLflow 3.18's trace analytics, its
 * SQL store only), gated on `traces` + `traceAnalytics` (span views also on `traceSpans`). Expected
 * values are MLflow's: its raw SQL path (sql_trace_metrics_utils.py) and NPMI (trace_correlation.py).
 */
export const traceMetricsGroup: TrackingCaseGroup = {
  name: 'trace metrics',
  define(ctx) {
    const s = () => ctx.store();
    const it = (name: string, fn: () => Promise<void>, extra: (keyof TrackingStoreCapabilities)[] = []) => ctx.it(name, fn, [...ANALYTICS, ...extra]);
    const query = async (experimentId: string, request: Omit<QueryTraceMetricsRequest, 'experimentIds'>) =>
      (await s().queryTraceMetrics({ experimentIds: [experimentId], ...request })).items;

    it('queryTraceMetrics counts traces by status, groups in order (MLflow REST test_query_trace_metrics)', async () => {
      const exp = await newExperiment(ctx);
      for (const state of ['OK', 'OK', 'ERROR'] as const) await newTrace(ctx, exp, { state });
      const page = await s().queryTraceMetrics({ experimentIds: [exp], viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }], dimensions: ['trace_status'] });
      expect(page.items).toEqual([point({ trace_status: 'ERROR' }, { COUNT: 1 }), point({ trace_status: 'OK' }, { COUNT: 2 })]);
      expect(page.nextPageToken ?? undefined).toBeUndefined();
    });

    it('queryTraceMetrics without dimensions: COUNT 0 over no traces, no point for an AVG of nothing', async () => {
      const exp = await newExperiment(ctx);
      expect(await query(exp, { viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] })).toEqual([point({}, { COUNT: 0 })]);
      expect(await query(exp, { viewType: 'TRACES', metricName: 'latency', aggregations: [{ aggregation_type: 'AVG' }] })).toEqual([]);
    });

    it('queryTraceMetrics latency: AVG/MIN/MAX/percentiles by trace name; traces without a duration or a name are left out', async () => {
      const exp = await newExperiment(ctx);
      for (const [name, d] of [['a', 10], ['a', 20], ['a', 40], ['b', 5]] as const) await newTrace(ctx, exp, { execution_duration: d, tags: { 'mlflow.traceName': name } });
      await newTrace(ctx, exp, { execution_duration: undefined, tags: { 'mlflow.traceName': 'a' } });
      await newTrace(ctx, exp, { execution_duration: 1000 });
      const aggregations = [{ aggregation_type: 'AVG' }, { aggregation_type: 'MIN' }, { aggregation_type: 'MAX' }, { aggregation_type: 'PERCENTILE', percentile_value: 50 }, { aggregation_type: 'PERCENTILE', percentile_value: 75 }] as const;
      const points = await query(exp, { viewType: 'TRACES', metricName: 'latency', aggregations: [...aggregations], dimensions: ['trace_name'] });
      expect(points).toHaveLength(2);
      expect(points[0]?.dimensions).toEqual({ trace_name: 'a' });
      const a = points[0]?.values ?? {};
      expect(Object.keys(a).sort()).toEqual(['AVG', 'MAX', 'MIN', 'P50.0', 'P75.0']);
      expect(a['AVG']).toBeCloseTo(70 / 3, 3);
      expect([a['MIN'], a['MAX'], a['P50.0']]).toEqual([10, 40, 20]);
      // P75 of 10, 20, 40: linear interpolation between 20 and 40 (MySQL/MariaDB: percent-rank interpolation, also 30)
      expect(a['P75.0']).toBeCloseTo(30, 6);
      expect(points[1]).toEqual(point({ trace_name: 'b' }, { AVG: 5, MIN: 5, MAX: 5, 'P50.0': 5, 'P75.0': 5 }, 'latency'));
    });

    it('queryTraceMetrics buckets by time (ISO UTC starts) within inclusive bounds', async () => {
      const exp = await newExperiment(ctx);
      for (const t of [DAY, DAY + 59_999, DAY + 60_000, DAY + 185_000, DAY + 300_001]) await newTrace(ctx, exp, { request_time: t });
      const points = await query(exp, { viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }], timeIntervalSeconds: 60, startTimeMs: DAY, endTimeMs: DAY + 300_000 });
      expect(points).toEqual([
        point({ time_bucket: '2026-01-01T00:00:00+00:00' }, { COUNT: 2 }),
        point({ time_bucket: '2026-01-01T00:01:00+00:00' }, { COUNT: 1 }),
        point({ time_bucket: '2026-01-01T00:03:00+00:00' }, { COUNT: 1 }),
      ]);
      const byStatus = await query(exp, { viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }], dimensions: ['trace_status'], timeIntervalSeconds: 3600, startTimeMs: DAY, endTimeMs: DAY + 300_001 });
      expect(byStatus).toEqual([point({ time_bucket: '2026-01-01T00:00:00+00:00', trace_status: 'OK' }, { COUNT: 5 })]);
      await expectMlflowError(
        query(exp, { viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }], timeIntervalSeconds: 60, startTimeMs: DAY }),
        'INVALID_PARAMETER_VALUE',
        /start_time_ms and end_time_ms are required if time_interval_seconds is set/,
      );
    });

    it('queryTraceMetrics filters: trace.status, trace.tag (the name too), trace.metadata (run, session); max_results', async () => {
      const exp = await newExperiment(ctx);
      await newTrace(ctx, exp, { state: 'OK', tags: { env: 'prod', 'mlflow.traceName': 'chat' }, trace_metadata: { 'mlflow.sourceRun': 'r1', 'mlflow.trace.session': 's1' } });
      await newTrace(ctx, exp, { state: 'ERROR', tags: { env: 'prod', 'mlflow.traceName': 'chat' }, trace_metadata: { 'mlflow.trace.session': 's1' } });
      await newTrace(ctx, exp, { state: 'OK', tags: { env: 'dev', 'mlflow.traceName': 'search' }, trace_metadata: { 'mlflow.trace.session': 's2' } });
      const count = async (filters: string[], extra: Partial<QueryTraceMetricsRequest> = {}) =>
        (await query(exp, { viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }], filters, ...extra }))[0]?.values['COUNT'];
      expect(await count(["trace.status = 'OK'"])).toBe(2);
      expect(await count(["trace.tag.env = 'prod'", "trace.status = 'OK'"])).toBe(1);
      expect(await count(['trace.tag.`mlflow.traceName` = "chat"'])).toBe(2);
      expect(await count(["trace.metadata.`mlflow.sourceRun` = 'r1'"])).toBe(1);
      expect(await count(["trace.metadata.`mlflow.trace.session` = 's1'"])).toBe(2);
      expect(await count(["trace.tag.env = 'staging'"])).toBe(0);
      const sessions = await query(exp, { viewType: 'TRACES', metricName: 'session_count', aggregations: [{ aggregation_type: 'COUNT' }] });
      expect(sessions).toEqual([point({}, { COUNT: 2 }, 'session_count')]);
      const limited = await query(exp, { viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }], dimensions: ['trace_name'], maxResults: 1 });
      expect(limited).toEqual([point({ trace_name: 'chat' }, { COUNT: 2 })]);
    });

    it('queryTraceMetrics sums token usage from the trace metadata', async () => {
      const exp = await newExperiment(ctx);
      await newTrace(ctx, exp, { trace_metadata: { 'mlflow.trace.tokenUsage': '{"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}' } });
      await newTrace(ctx, exp, { trace_metadata: { 'mlflow.trace.tokenUsage': '{"input_tokens": 10, "output_tokens": 1, "total_tokens": 11}' } });
      await newTrace(ctx, exp);
      expect(await query(exp, { viewType: 'TRACES', metricName: 'total_tokens', aggregations: [{ aggregation_type: 'SUM' }, { aggregation_type: 'MAX' }] })).toEqual([point({}, { SUM: 18, MAX: 11 }, 'total_tokens')]);
      expect(await query(exp, { viewType: 'TRACES', metricName: 'input_tokens', aggregations: [{ aggregation_type: 'AVG' }] })).toEqual([point({}, { AVG: 6.5 }, 'input_tokens')]);
    });

    it('queryTraceMetrics refuses what MLflow refuses (metric, aggregation, dimension, filter)', async () => {
      const exp = await newExperiment(ctx);
      const base = { viewType: 'TRACES', metricName: 'trace_count', aggregations: [{ aggregation_type: 'COUNT' }] } as const;
      await expectMlflowError(query(exp, { ...base, metricName: 'tokens' }), 'INVALID_PARAMETER_VALUE', literally("metric_name must be one of ['trace_count', 'session_count', 'latency', 'input_tokens', 'output_tokens', 'total_tokens', 'cache_read_input_tokens', 'cache_creation_input_tokens'], got 'tokens'"));
      await expectMlflowError(query(exp, { ...base, aggregations: [{ aggregation_type: 'SUM' }] }), 'INVALID_PARAMETER_VALUE', literally("Found invalid aggregation_type(s): ['SUM']. Supported aggregation types: ['COUNT']"));
      await expectMlflowError(query(exp, { ...base, dimensions: ['span_name'] }), 'INVALID_PARAMETER_VALUE', literally("Found invalid dimension(s): ['span_name']. Supported dimensions: ['trace_name', 'trace_status']"));
      await expectMlflowError(query(exp, { ...base, filters: ["span.name = 'x'"] }), 'INVALID_PARAMETER_VALUE', literally('Filtering by span is only supported for SPANS view type, got TRACES'));
      await expectMlflowError(query(exp, { ...base, filters: ["trace.status != 'OK'"] }), 'INVALID_PARAMETER_VALUE', literally("Invalid comparator: '!=', only '=' operator is supported"));
      await expectMlflowError(query(exp, { ...base, filters: ["trace.status = 'OK' AND trace.tag.a = 'b'"] }), 'INVALID_PARAMETER_VALUE', literally('Invalid clause(s) in filter string: AND'));
      await expectMlflowError(query(exp, { ...base, filters: ["trace.tag = 'x'"] }), 'INVALID_PARAMETER_VALUE', literally("Filtering by tag requires a key, e.g. 'trace.tag.<key> = <value>'"));
    });

    it('queryTraceMetrics refuses a PERCENTILE without a value or out of 0..100 (MLflow: a bare ValueError, HTTP 500)', async () => {
      const exp = await newExperiment(ctx);
      const base = { viewType: 'TRACES', metricName: 'latency' } as const;
      await expectMlflowError(query(exp, { ...base, aggregations: [{ aggregation_type: 'PERCENTILE' }] }), 'INVALID_PARAMETER_VALUE', literally('Percentile value is required for PERCENTILE aggregation'));
      await expectMlflowError(query(exp, { ...base, aggregations: [{ aggregation_type: 'PERCENTILE', percentile_value: 101 }] }), 'INVALID_PARAMETER_VALUE', literally('Percentile value must be between 0 and 100, got 101.0'));
      await expectMlflowError(query(exp, { ...base, aggregations: [{ aggregation_type: 'AVG', percentile_value: 5 }] }), 'INVALID_PARAMETER_VALUE', literally('Percentile value is only allowed for PERCENTILE aggregation type, got AVG'));
    });

    it('queryTraceMetrics over spans: count by type, latency, cost by model; span filters', async () => {
      const exp = await newExperiment(ctx);
      const T0 = BigInt(DAY) * MS;
      const cost = (c: number) => attr({ input_cost: c, output_cost: c * 2, total_cost: c * 3 });
      for (const [i, model] of [[0, 'gpt-4'], [1, 'gpt-4'], [2, 'claude']] as const) {
        const id = newTraceId();
        const start = T0 + BigInt(i) * 1000n * MS;
        await s().logSpans(exp, [
          span(id, { id: `00000000000000a${i}`, name: 'root', start, end: start + 100n * MS, attributes: { 'mlflow.spanType': attr('CHAIN') } }),
          span(id, { id: `00000000000000b${i}`, parent: `00000000000000a${i}`, name: 'llm', start: start + 10n * MS, end: start + 10n * MS + BigInt(20 + i * 10) * MS, attributes: { 'mlflow.spanType': attr('LLM'), 'mlflow.llm.model': attr(model), 'mlflow.llm.cost': cost(0.5 + i) } }),
        ]);
      }
      expect(await query(exp, { viewType: 'SPANS', metricName: 'span_count', aggregations: [{ aggregation_type: 'COUNT' }], dimensions: ['span_type'] })).toEqual([
        point({ span_type: 'CHAIN' }, { COUNT: 3 }, 'span_count'),
        point({ span_type: 'LLM' }, { COUNT: 3 }, 'span_count'),
      ]);
      expect(await query(exp, { viewType: 'SPANS', metricName: 'latency', aggregations: [{ aggregation_type: 'MAX' }, { aggregation_type: 'MIN' }], filters: ["span.name = 'llm'"] })).toEqual([point({}, { MAX: 40, MIN: 20 }, 'latency')]);
      const byModel = await query(exp, { viewType: 'SPANS', metricName: 'total_cost', aggregations: [{ aggregation_type: 'SUM' }], dimensions: ['span_model_name'] });
      expect(byModel.map((p) => p.dimensions)).toEqual([{ span_model_name: 'claude' }, { span_model_name: 'gpt-4' }]);
      expect(byModel[0]?.values['SUM']).toBeCloseTo(7.5, 9);
      expect(byModel[1]?.values['SUM']).toBeCloseTo(6, 9);
      // Cost metrics bound on the span's own start (the third trace's LLM span starts at +2010 ms).
      const bounded = await query(exp, { viewType: 'SPANS', metricName: 'input_cost', aggregations: [{ aggregation_type: 'SUM' }], startTimeMs: DAY + 1, endTimeMs: DAY + 1010 });
      expect(bounded[0]?.values['SUM']).toBeCloseTo(2, 9);
      await expectMlflowError(
        query(exp, { viewType: 'SPANS', metricName: 'span_count', aggregations: [{ aggregation_type: 'COUNT' }], filters: ["assessment.name = 'q'"] }),
        'INVALID_PARAMETER_VALUE',
        /Filtering by assessment is only supported for ASSESSMENTS view type, got SPANS/,
      );
    }, ['traceSpans']);

    it('queryTraceMetrics over assessments: count by name and value, value averages, overridden ones left out', async () => {
      const exp = await newExperiment(ctx);
      const source = { source_type: 'HUMAN' as const, source_id: 'me' };
      const a = await newTrace(ctx, exp, { tags: { env: 'prod' } });
      const b = await newTrace(ctx, exp);
      await s().createAssessment({ assessment_name: 'score', trace_id: a, source, feedback: { value: 0.5 } });
      const old = await s().createAssessment({ assessment_name: 'score', trace_id: b, source, feedback: { value: 0.1 } });
      await s().createAssessment({ assessment_name: 'score', trace_id: b, source, feedback: { value: 0.75 }, overrides: old.assessment_id as string });
      await s().createAssessment({ assessment_name: 'ok', trace_id: a, source, feedback: { value: true } });
      await s().createAssessment({ assessment_name: 'ok', trace_id: b, source, feedback: { value: 'yes' } });
      await s().createAssessment({ assessment_name: 'truth', trace_id: a, source, expectation: { value: 'x' } });
      expect(await query(exp, { viewType: 'ASSESSMENTS', metricName: 'assessment_count', aggregations: [{ aggregation_type: 'COUNT' }], dimensions: ['assessment_name', 'assessment_value'] })).toEqual([
        point({ assessment_name: 'ok', assessment_value: '"yes"' }, { COUNT: 1 }, 'assessment_count'),
        point({ assessment_name: 'ok', assessment_value: 'true' }, { COUNT: 1 }, 'assessment_count'),
        point({ assessment_name: 'score', assessment_value: '0.5' }, { COUNT: 1 }, 'assessment_count'),
        point({ assessment_name: 'score', assessment_value: '0.75' }, { COUNT: 1 }, 'assessment_count'),
        point({ assessment_name: 'truth', assessment_value: '"x"' }, { COUNT: 1 }, 'assessment_count'),
      ]);
      expect(await query(exp, { viewType: 'ASSESSMENTS', metricName: 'assessment_value', aggregations: [{ aggregation_type: 'AVG' }], dimensions: ['assessment_name'] })).toEqual([
        point({ assessment_name: 'ok' }, { AVG: 1 }, 'assessment_value'),
        point({ assessment_name: 'score' }, { AVG: 0.625 }, 'assessment_value'),
      ]);
      const filtered = await query(exp, { viewType: 'ASSESSMENTS', metricName: 'assessment_count', aggregations: [{ aggregation_type: 'COUNT' }], filters: ["assessment.type = 'feedback'", "trace.tag.env = 'prod'"] });
      expect(filtered).toEqual([point({}, { COUNT: 2 }, 'assessment_count')]);
    });

    it('calculateTraceFilterCorrelation: counts and NPMI of two search filters (MLflow REST test_calculate_trace_filter_correlation)', async () => {
      const exp = await newExperiment(ctx);
      for (let i = 0; i < 6; i++) await newTrace(ctx, exp, { tags: { env: 'prod', span_type: 'TOOL' } });
      for (let i = 0; i < 4; i++) await newTrace(ctx, exp, { request_time: 5000, tags: { env: 'dev', span_type: i >= 1 ? 'LLM' : 'TOOL' } });
      const r = await s().calculateTraceFilterCorrelation({ experimentIds: [exp], filterString1: "tags.env = 'prod'", filterString2: "tags.span_type = 'TOOL'" });
      expect(r).toMatchObject({ total_count: 10, filter1_count: 6, filter2_count: 7, joint_count: 6 });
      expect(r.npmi).toBeCloseTo(0.6982322877799215, 12);
      expect(r.npmi_smoothed).toBeCloseTo(0.5404578674731575, 12);
      const none = await s().calculateTraceFilterCorrelation({ experimentIds: [exp], filterString1: "tags.env = 'staging'", filterString2: "tags.span_type = 'TOOL'" });
      expect(none).toMatchObject({ total_count: 10, filter1_count: 0, filter2_count: 7, joint_count: 0 });
      expect(none.npmi).toBeNaN();
      const never = await s().calculateTraceFilterCorrelation({ experimentIds: [exp], filterString1: "tags.env = 'prod'", filterString2: "tags.span_type = 'LLM'" });
      expect(never.npmi).toBe(-1);
      // On top of a base filter: the base is the universe (the 4 dev traces).
      const based = await s().calculateTraceFilterCorrelation({ experimentIds: [exp], filterString1: "tags.span_type = 'LLM'", filterString2: "tags.span_type = 'LLM'", baseFilter: 'trace.timestamp_ms > 1000' });
      expect(based).toMatchObject({ total_count: 4, filter1_count: 3, filter2_count: 3, joint_count: 3 });
      expect(based.npmi).toBeCloseTo(1, 12);
      await expectMlflowError(
        s().calculateTraceFilterCorrelation({ experimentIds: [exp], filterString1: "invalid.filter = 'test'", filterString2: "tags.span_type = 'TOOL'" }),
        'INVALID_PARAMETER_VALUE',
        /Invalid/,
      );
    });
  },
};
