import { createTrackingStoreRegistry, isMlflowError, type Metric } from '@mlstore/core';
import { describe, expect, it } from 'vitest';
import { registerRestTrackingStore } from './register-rest-tracking-store.js';
import { RestStore } from './rest-store.js';
import {
  compact,
  createRunBody,
  doubleToWire,
  logBatchBody,
  logInputsBody,
  logMetricBody,
  logModelBody,
  pythonUtcNow,
  searchLoggedModelsBody,
  searchRunsBody,
} from './rest-store-requests.js';

// Offline checks of the request bodies (the RestStore against a real MLflow server is exercised by
// test/rest-interop.test.ts at the repository root).

function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

describe('RestStore request bodies', () => {
  it('encodes non-finite doubles and -0 as protobuf JSON strings', () => {
    expect([NaN, Infinity, -Infinity, -0, 0, 1.5].map(doubleToWire)).toEqual(['NaN', 'Infinity', '-Infinity', '-0', 0, 1.5]);
    const body = logMetricBody('r1', { key: 'k', value: NaN, timestamp: 5, step: 2 });
    expect(JSON.parse(JSON.stringify(body))).toEqual({ run_uuid: 'r1', run_id: 'r1', key: 'k', value: 'NaN', timestamp: 5, step: 2 });
  });

  it('leaves out unset fields and empty lists, like message_to_json', () => {
    expect(compact({ a: undefined, b: null, c: [], d: '', e: 0, f: { g: [], h: 'x' } })).toEqual({ d: '', e: 0, f: { h: 'x' } });
    expect(logBatchBody('r', {})).toEqual({ run_id: 'r' });
  });

  it('fills the default experiment and the start time of createRun', () => {
    const before = Date.now();
    const body = createRunBody({ userId: 'u' });
    expect(body['experiment_id']).toBe('0');
    expect(body['start_time']).toBeGreaterThanOrEqual(before);
    expect(createRunBody({ experimentId: '7', startTime: 3 })).toMatchObject({ experiment_id: '7', start_time: 3 });
  });

  it('applies MLflow defaults to search_runs and keeps empty experiment_ids for search_logged_models', () => {
    expect(searchRunsBody({ experimentIds: ['1'] })).toEqual({ experiment_ids: ['1'], run_view_type: 'ACTIVE_ONLY', max_results: 1000 });
    expect(searchLoggedModelsBody({ experimentIds: [], orderBy: [{ field_name: 'name' }] })).toEqual({
      experiment_ids: [],
      order_by: [{ field_name: 'name', ascending: true }],
    });
  });

  it('sends model_json as a string with utc_time_created filled in', () => {
    const body = logModelBody('r', { artifact_path: 'm', run_id: 'r', flavors: {} });
    const model = JSON.parse(body['model_json'] as string) as Record<string, unknown>;
    expect(model).toMatchObject({ artifact_path: 'm', run_id: 'r', flavors: {} });
    expect(model['utc_time_created']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/);
    expect(pythonUtcNow(new Date('2024-01-02T03:04:05.678Z'))).toBe('2024-01-02 03:04:05.678000');
  });

  it.each([
    ['a string value', { value: '1.5' }],
    ['a boolean value', { value: true }],
    ['a string timestamp', { timestamp: '1000' }],
    ['a null step', { step: null }],
  ])('refuses a metric with %s before sending', (_label, patch) => {
    const bad = { key: 'm', value: 1, timestamp: 1, step: 0, ...patch } as unknown as Metric;
    const err = errorOf(() => logBatchBody('r', { metrics: [bad] }));
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it('refuses a dataset input without a name before sending', () => {
    const err = errorOf(() => logInputsBody('r', [{ tags: [], dataset: { digest: 'd', source_type: 's', source: 'x' } as never }], undefined));
    expect(isMlflowError(err) && (err as Error).message).toContain('datasets[0].dataset.name');
  });
});

describe('RestStore.open and registration', () => {
  it('opens http(s) URIs and refuses other schemes', async () => {
    const store = RestStore.open('https://tracking.example.com/prefix', { env: {} });
    expect(store.capabilities).toEqual({ metricHistoryPagination: true, loggedModels: true, sequentialExperimentIds: true, metricHistoryOrder: 'sorted', traces: true, traceSpans: true, traceAnalytics: true });
    await store.close();
    await store.close();
    const err = errorOf(() => RestStore.open('file:///tmp/mlruns'));
    expect(isMlflowError(err) && err.errorCode).toBe('INVALID_PARAMETER_VALUE');
  });

  it('lets capabilities be overridden for a file-store-backed server', async () => {
    const store = new RestStore({ baseUrl: 'http://127.0.0.1:1', env: {}, capabilities: { metricHistoryPagination: false, metricHistoryOrder: 'logged' } });
    expect(store.capabilities).toMatchObject({ metricHistoryPagination: false, metricHistoryOrder: 'logged', loggedModels: true });
    await store.close();
  });

  it('registers http and https on a tracking-store registry', async () => {
    const registry = registerRestTrackingStore(createTrackingStoreRegistry(), { env: {} });
    expect(registry.schemes()).toEqual(['http', 'https']);
    const store = await registry.resolve('http://127.0.0.1:5000');
    expect(store).toBeInstanceOf(RestStore);
    await store.close();
  });
});
