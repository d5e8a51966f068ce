import { describe, expect, it } from 'vitest';
import { queryToJson, readRpcRequest } from './request-parse.js';
import { RPC_SCHEMAS } from './rpc-schemas.js';

const DOCS = ' See the API docs for more information about request parameters.';

describe('readRpcRequest (MLflow _get_request_message)', () => {
  it('reads ints and doubles from numbers and strings, enums by name or number', () => {
    const msg = readRpcRequest(RPC_SCHEMAS.logMetric, { run_id: 'r', key: 'k', value: 'NaN', timestamp: '12', step: 3 });
    expect(msg).toMatchObject({ run_id: 'r', key: 'k', timestamp: 12, step: 3 });
    expect(msg['value']).toBeNaN();
    expect(readRpcRequest(RPC_SCHEMAS.updateRun, { run_id: 'r', status: 3 })['status']).toBe('FINISHED');
    expect(readRpcRequest(RPC_SCHEMAS.searchRuns, { run_view_type: 'ALL' })['run_view_type']).toBe('ALL');
  });

  it('takes run_uuid for a missing run_id', () => {
    expect(readRpcRequest(RPC_SCHEMAS.getRun, { run_uuid: 'abc' })['run_id']).toBe('abc');
  });

  it("answers MLflow's messages for missing and mistyped values", () => {
    expect(() => readRpcRequest(RPC_SCHEMAS.createExperiment, {})).toThrow(`Missing value for required parameter 'name'.${DOCS}`);
    expect(() => readRpcRequest(RPC_SCHEMAS.createExperiment, { name: '' })).toThrow(`Missing value for required parameter 'name'.${DOCS}`);
    expect(() => readRpcRequest(RPC_SCHEMAS.searchExperiments, { max_results: 'abc' })).toThrow(
      `Invalid value "abc" for parameter 'max_results' supplied:  Hint: Value was of type 'str'.${DOCS}`,
    );
    expect(() => readRpcRequest(RPC_SCHEMAS.createExperiment, { name: 5 })).toThrow(expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }));
    expect(() => readRpcRequest(RPC_SCHEMAS.logBatch, { run_id: 'r', metrics: [{ key: 'k', value: 'x' }] })).toThrow("parameter 'metrics[0].value'");
    expect(() => readRpcRequest(RPC_SCHEMAS.updateRun, { run_id: 'r', status: 'DONE' })).toThrow(expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }));
  });

  it('reads repeated query keys as lists and booleans as true/false only', () => {
    const q = new URLSearchParams('run_ids=a&run_ids=b&metric_key=m&max_results=5');
    expect(queryToJson(RPC_SCHEMAS.getMetricHistoryBulkInterval, q)).toEqual({ run_ids: ['a', 'b'], metric_key: 'm', max_results: '5' });
    const schema = { flag: { type: 'bool' as const } };
    expect(queryToJson(schema, new URLSearchParams('flag=TRUE'))).toEqual({ flag: true });
    expect(() => queryToJson(schema, new URLSearchParams('flag=yes'))).toThrow("Invalid boolean value: yes, must be 'true' or 'false'.");
  });
});
