import { describe, expect, it } from 'vitest';
import { assessmentFromWire, assessmentToWire } from './trace-wire.js';

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
