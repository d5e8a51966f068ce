import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { jsonDepth, MAX_JSON_DEPTH, parseJsonBody, parsePythonJson } from './http-io.js';

const post = { method: 'POST', headers: { 'content-type': 'application/json' } } as unknown as IncomingMessage;
const body = (text: string) => parseJsonBody(post, Buffer.from(text));

describe('request bodies', () => {
  it('reads the bare NaN and ±Infinity literals that Python writes, outside strings only', () => {
    expect(body('{"value": NaN, "a": Infinity, "b": -Infinity, "s": "NaN Infinity"}')).toEqual({ value: Number.NaN, a: Infinity, b: -Infinity, s: 'NaN Infinity' });
    expect(parsePythonJson('[1, NaN]')).toEqual([1, Number.NaN]);
    expect(body('{"key": "x\\"NaN"}')).toEqual({ key: 'x"NaN' });
    expect(() => parsePythonJson('{"a": nan}')).toThrow(SyntaxError);
    expect(body('{"a": nan}')).toEqual({}); // still MLflow's lenient reading of invalid JSON
  });

  it('refuses nesting deeper than the limit with a 400 (10,000 levels used to overflow the stack)', () => {
    const deep = `{"experiment_id": ${'['.repeat(10_000)}${']'.repeat(10_000)}}`;
    expect(() => body(deep)).toThrow(expect.objectContaining({ errorCode: 'INVALID_PARAMETER_VALUE', httpStatus: 400 }));
    expect(jsonDepth(Buffer.from(`{"a": "${'['.repeat(500)}"}`))).toBe(1);
    expect(jsonDepth(Buffer.from(`{"a": "\\"{{{", "b": [[{}]]}`))).toBe(4);
    const ok = `${'['.repeat(MAX_JSON_DEPTH - 1)}${']'.repeat(MAX_JSON_DEPTH - 1)}`;
    expect(body(`{"a": ${ok}}`)).toHaveProperty('a');
  });
});
