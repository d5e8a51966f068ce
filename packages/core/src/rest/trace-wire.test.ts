import { describe, expect, it } from 'vitest';
import { assessmentFromWire, assessmentToWire, traceInfoToWire } from './trace-wire.js';

const base = { assessment_name: 'e', trace_id: 'tr-1', source: { source_type: 'HUMAN' as const, source_id: 'me' } };

// MLflow 3.18's ExpectationValue.to_proto / from_proto.
describe('expectation values on the wire', () => {
  it('lists, dicts and null go out as a JSON serialized_value (Python json.dumps); numbers, bools and strings as value', () => {
    expect(assessmentToWire({ ...base, expectation: { value: { answer: 'Paris', cities: ['Paris', 'Lyon'], n: 2, ok: null } } })['expectation']).toEqual({
      serialized_value: { serialization_format: 'JSON_FORMAT', value: '{"answer": "Paris", "cities": ["Paris", "Lyon"], "n": 2, "ok": null}' },
    });
    expect(assessmentToWire({ ...base, expectation: { value: null } })['expectation']).toEqual({ serialized_value: { serialization_format: 'JSON_FORMAT', value: 'null' } });
    for (const value of [1.5, true, 'Paris']) expect(assessmentToWire({ ...base, expectation: { value } })['expectation']).toEqual({ value });
  });

  it('a serialized_value is read back as the value it holds; another format or bad JSON is INVALID_PARAMETER_VALUE', () => {
    const read = (expectation: unknown) => assessmentFromWire({ ...base, expectation }).expectation;
    expect(read({ serialized_value: { serialization_format: 'JSON_FORMAT', value: '{"a": [1, "x"]}' } })).toEqual({ value: { a: [1, 'x'] } });
    expect(read({ value: { a: 1 } })).toEqual({ value: { a: 1 } });
    expect(() => read({ serialized_value: { serialization_format: 'PICKLE', value: 'x' } })).toThrow(
      expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE', message: 'Unknown serialization format: PICKLE. Only JSON_FORMAT is supported.' }),
    );
    expect(() => read({ serialized_value: { serialization_format: 'JSON_FORMAT', value: '{' } })).toThrow(expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE' }));
  });
});

// TraceInfo.to_proto: metadata keys and values to 250 characters, tag keys to 250 and values to
// 4096 — Python characters, i.e. code points (an emoji is one, two UTF-16 units).
describe('trace info maps on the wire', () => {
  const info = (trace_metadata: Record<string, string>, tags: Record<string, string>) =>
    traceInfoToWire({ trace_id: 'tr-1', trace_location: { type: 'MLFLOW_EXPERIMENT', mlflow_experiment: { experiment_id: '0' } }, request_time: 0, state: 'OK', trace_metadata, tags, assessments: [] });

  it('truncates by code points and keeps short values whole', () => {
    const emoji250 = '😀'.repeat(250);
    const wire = info({ k: emoji250, long: 'x'.repeat(251), ['k'.repeat(260)]: 'v' }, { t: 'y'.repeat(5000), e: '😀'.repeat(4097) });
    expect(wire['trace_metadata']).toEqual({ k: emoji250, long: 'x'.repeat(250), ['k'.repeat(250)]: 'v' });
    expect(wire['tags']).toEqual({ t: 'y'.repeat(4096), e: '😀'.repeat(4096) });
  });
});
