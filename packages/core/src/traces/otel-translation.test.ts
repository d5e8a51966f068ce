import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isMlflowError } from '../errors.js';
import { translateLoadedSpan, translateSpanWhenStoring } from './otel-translation.js';
import { spanBatches } from './span-batches.js';
import { ingestSpan } from './span-ingest.js';
import { pythonJsonDumpsUnicode } from './span-json.js';

/** Inputs and MLflow 3.18's own output, recorded by test/interop/record_otel_translation.py. */
const FIXTURES = JSON.parse(readFileSync(new URL('./otel-translation.fixtures.json', import.meta.url), 'utf8')) as {
  name: string;
  attributes: Record<string, unknown>;
  events: { name: string; time_unix_nano: number; attributes: Record<string, unknown> }[];
  expected: string;
}[];

const span = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  trace_id: 'AAAAAAAAAAAAAAAAAAAAAQ==',
  span_id: 'AAAAAAAAAAI=',
  parent_span_id: null,
  name: 's',
  start_time_unix_nano: 1_700_000_000_000_000_000n.toString(),
  end_time_unix_nano: 1_700_000_001_000_000_000n.toString(),
  status: { code: 'STATUS_CODE_OK', message: '' },
  attributes: { 'mlflow.traceRequestId': '"tr-1"', ...attributes },
  ...extra,
});

describe('translateSpanWhenStoring (MLflow 3.18 translate_span_when_storing)', () => {
  it.each(FIXTURES.map((f) => [f.name, f] as const))('%s: the attributes MLflow stores, byte for byte', (_, f) => {
    const attributes = structuredClone(f.attributes);
    translateSpanWhenStoring(attributes, structuredClone(f.events));
    expect(pythonJsonDumpsUnicode(attributes)).toBe(f.expected);
  });

  it('covers span types, usage, inputs/outputs, message formats, tools, models and providers', () => {
    const all = FIXTURES.map((f) => f.expected).join('\n');
    for (const key of ['mlflow.spanType', 'mlflow.chat.tokenUsage', 'mlflow.spanInputs', 'mlflow.spanOutputs', 'mlflow.message.format', 'mlflow.chat.tools', 'mlflow.llm.model', 'mlflow.llm.provider']) {
      expect(all).toContain(`"${key}"`);
    }
  });
});

describe('ingestSpan / spanBatches with translation', () => {
  it('stores the translated attributes; the row type stays the span\'s own; model, usage and previews read the translation', () => {
    const attrs = {
      'gen_ai.operation.name': '"chat"',
      'gen_ai.request.model': '"acme-x"',
      'gen_ai.provider.name': '"acme"',
      'gen_ai.usage.input_tokens': '12',
      'gen_ai.usage.output_tokens': '5',
      'gen_ai.input.messages': '[{"role": "user", "content": "hi"}]',
    };
    const ingested = ingestSpan(span(attrs));
    expect(ingested.type).toBeNull();
    expect(ingested.span.attributes['mlflow.spanType']).toBe('"CHAT_MODEL"');
    expect(ingested.content).toContain('"mlflow.chat.tokenUsage": "{\\"input_tokens\\": 12, \\"output_tokens\\": 5, \\"total_tokens\\": 17}"');
    expect({ model: ingested.modelName, provider: ingested.modelProvider }).toEqual({ model: 'acme-x', provider: 'acme' });
    const [batch] = spanBatches([span(attrs)]);
    expect(batch!.usage).toEqual({ input_tokens: 12, output_tokens: 5, total_tokens: 17 });
    expect(batch!.rootAttributes!['mlflow.spanInputs']).toBe('[{"role": "user", "content": "hi"}]');
  });

  it('keeps span links as Link.to_dict writes them (empty attributes as null) and refuses a malformed link', () => {
    const links = [
      { trace_id: 'tr-0af7651916cd43dd8448eb211c80319c', span_id: '00f067aa0ba902b7', attributes: { k: 'v', n: 1 }, extra: true },
      { trace_id: 'tr-1', span_id: '2', attributes: {} },
    ];
    const ingested = ingestSpan(span({}, { links }));
    expect(ingested.span.links).toEqual([
      { trace_id: 'tr-0af7651916cd43dd8448eb211c80319c', span_id: '00f067aa0ba902b7', attributes: { k: 'v', n: 1 } },
      { trace_id: 'tr-1', span_id: '2', attributes: null },
    ]);
    expect(ingested.content.endsWith('"links": [{"trace_id": "tr-0af7651916cd43dd8448eb211c80319c", "span_id": "00f067aa0ba902b7", "attributes": {"k": "v", "n": 1}}, {"trace_id": "tr-1", "span_id": "2", "attributes": null}]}')).toBe(true);
    expect(() => ingestSpan(span({}, { links: [{ trace_id: 'tr-1' }] }))).toThrow(/Failed to create a Span object/);
  });

  it('an id wider than OpenTelemetry allows fails as Python\'s OverflowError, not as an MlflowError', () => {
    let err: unknown;
    try {
      ingestSpan(span({}, { span_id: Buffer.from('ff00f067aa0ba902b7', 'hex').toString('base64') }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RangeError);
    expect(isMlflowError(err)).toBe(false);
  });
});

describe('translateLoadedSpan (MLflow 3.18 translate_loaded_span)', () => {
  // Inputs and outputs of MLflow's own translate_loaded_span.
  it.each([
    [{ 'gen_ai.operation.name': '"chat"' }, { 'gen_ai.operation.name': '"chat"', 'mlflow.spanType': '"CHAT_MODEL"' }, true],
    [{ 'mlflow.spanType': '"UNKNOWN"', 'openinference.span.kind': '"RETRIEVER"' }, { 'mlflow.spanType': '"RETRIEVER"', 'openinference.span.kind': '"RETRIEVER"' }, true],
    [{ 'mlflow.spanType': '"LLM"', 'gen_ai.operation.name': '"chat"' }, { 'mlflow.spanType': '"LLM"', 'gen_ai.operation.name': '"chat"' }, false],
  ])('%j → %j', (attributes, expected, changed) => {
    const span = { attributes: { ...attributes } };
    expect(translateLoadedSpan(span)).toBe(changed);
    expect(span.attributes).toEqual(expected);
  });

  it('adds no attributes object to a span without one', () => {
    const span: { name: string; attributes?: unknown } = { name: 'x' };
    expect(translateLoadedSpan(span)).toBe(false);
    expect(span).toEqual({ name: 'x' });
  });
});
