import { describe, expect, it } from 'vitest';
import { pyFloatRepr, toWireJson } from './wire-json.js';

describe('toWireJson (MLflow message_to_json)', () => {
  it("spells metric values as Python's json.dumps does", () => {
    const metrics = [1, 0, -0, 0.5, 1e-7, 1e16, 100000, Number.NaN, Number.POSITIVE_INFINITY].map((value) => ({ key: 'm', value, step: 3 }));
    expect(toWireJson({ metrics })).toBe(
      '{"metrics":[' +
        ['1.0', '0.0', '-0.0', '0.5', '1e-07', '1e+16', '100000.0', '"NaN"', '"Infinity"'].map((v) => `{"key":"m","value":${v},"step":3}`).join(',') +
        ']}',
    );
  });

  it('leaves other numbers, string values and look-alike strings as they are', () => {
    expect(toWireJson({ timestamp: 5, value: 'x', tags: [{ key: 'k', value: '1' }] })).toBe('{"timestamp":5,"value":"x","tags":[{"key":"k","value":"1"}]}');
    const lookAlike = '\u0000mlstore-float-abc:1.0';
    expect(JSON.parse(toWireJson({ value: 1, s: lookAlike }))).toEqual({ value: 1, s: lookAlike });
  });
});

describe('pyFloatRepr (Python repr(float))', () => {
  it.each([
    [1, '1.0'],
    [0.1, '0.1'],
    [1e5, '100000.0'],
    [1.5e-7, '1.5e-07'],
    [1e-5, '1e-05'],
    [0.0001, '0.0001'],
    [1e15, '1000000000000000.0'],
    [1e16, '1e+16'],
    [123456789012345678.5, '1.2345678901234568e+17'],
    [-2.5, '-2.5'],
    [5e-324, '5e-324'],
    [1.7976931348623157e308, '1.7976931348623157e+308'],
    [Number.NEGATIVE_INFINITY, '-Infinity'],
  ])('%d → %s', (value, repr) => {
    expect(pyFloatRepr(value)).toBe(repr);
  });
});

describe('toWireJson: OTLP int64 and trace-metric doubles as MLflow writes them', () => {
  it('writes an AnyValue int_value (kept as decimal text) as an exact JSON number', () => {
    const attr = { key: 'n', value: { int_value: '9007199254740993' } };
    expect(toWireJson({ attributes: [attr, { key: 'm', value: { int_value: '-3' } }, { key: 's', value: { string_value: '12' } }] })).toBe(
      '{"attributes":[{"key":"n","value":{"int_value":9007199254740993}},{"key":"m","value":{"int_value":-3}},{"key":"s","value":{"string_value":"12"}}]}',
    );
  });

  it('spells data-point values and NPMI scores as Python floats; counts stay integers', () => {
    expect(toWireJson({ values: { COUNT: 2, AVG: 2.5, 'P99.0': 3 }, npmi: 1, filter1_count: 2 })).toBe('{"values":{"COUNT":2.0,"AVG":2.5,"P99.0":3.0},"npmi":1.0,"filter1_count":2}');
  });
});
