import { EVENT_TRANSLATORS, MESSAGE_FORMAT_KEY, TRANSLATORS } from './otel-conventions.js';
import { isDict, loads, truthy, tryJsonLoads, type SpanAttrs, type SpanEventDict } from './otel-translators.js';
import { pythonJsonDumpsUnicode } from './span-json.js';

const KEY = {
  SPAN_TYPE: 'mlflow.spanType',
  INPUTS: 'mlflow.spanInputs',
  OUTPUTS: 'mlflow.spanOutputs',
  CHAT_USAGE: 'mlflow.chat.tokenUsage',
  MESSAGE_FORMAT: MESSAGE_FORMAT_KEY,
  CHAT_TOOLS: 'mlflow.chat.tools',
  MODEL: 'mlflow.llm.model',
  MODEL_PROVIDER: 'mlflow.llm.provider',
} as const;

/** A token count: Python's int, where a JSON `true`/`false` stays a bool as `isinstance(x, int)` lets it. */
type PyInt = number | boolean;

/** `_parse_int_attribute`: an int, a JSON int, or the text of one (`"26"`, `'"26"'`). */
export function parseIntAttribute(value: unknown): PyInt | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? value : null;
  if (typeof value !== 'string') return null;
  const r = loads(value);
  if (r.ok) {
    if (typeof r.value === 'boolean') return r.value;
    if (typeof r.value === 'number' && /^[ \t\n\r]*-?(?:0|[1-9]\d*)[ \t\n\r]*$/.test(value)) return r.value;
    if (typeof r.value === 'string') {
      const n = pyIntText(r.value);
      if (n !== null) return n;
    }
  }
  return pyIntText(value);
}

const pyIntText = (s: string): number | null => (/^[ \t\n\r\f\v]*[+-]?\d+(?:_\d+)*[ \t\n\r\f\v]*$/.test(s) ? Number(s.replace(/_/g, '').trim()) : null);

/** `_get_token_usage`: the first convention with any token count. */
function tokenUsage(a: SpanAttrs): Record<string, PyInt> | null {
  for (const t of TRANSLATORS) {
    const input = parseIntAttribute(t.inputTokens(a));
    const output = parseIntAttribute(t.outputTokens(a));
    let total = parseIntAttribute(t.totalTokens(a));
    if (total === null && input !== null && output !== null) total = Number(input) + Number(output);
    if (input === null && output === null && total === null) continue;
    const usage: Record<string, PyInt> = {};
    if (input !== null) usage['input_tokens'] = input;
    if (output !== null) usage['output_tokens'] = output;
    if (total !== null) usage['total_tokens'] = total;
    const cacheRead = parseIntAttribute(t.cacheReadInputTokens(a));
    if (cacheRead !== null) usage['cache_read_input_tokens'] = cacheRead;
    const cacheCreation = parseIntAttribute(t.cacheCreationInputTokens(a));
    if (cacheCreation !== null) usage['cache_creation_input_tokens'] = cacheCreation;
    return usage;
  }
  return null;
}

function first(get: (t: (typeof TRANSLATORS)[number]) => unknown): unknown {
  for (const t of TRANSLATORS) {
    const v = get(t);
    if (truthy(v)) return v;
  }
  return null;
}

function fromEvents(events: readonly SpanEventDict[], a: SpanAttrs, which: 'inputFromEvents' | 'outputFromEvents'): unknown {
  if (events.length === 0) return null;
  for (const t of EVENT_TRANSLATORS) {
    const v = t[which]?.(events, a);
    if (truthy(v)) return v;
  }
  return null;
}

/** `_get_model_name`: a convention's model attribute, else `model` of the span's inputs or outputs. */
function modelName(a: SpanAttrs): unknown {
  const named = first((t) => t.modelName(a));
  if (truthy(named)) return named;
  for (const key of [KEY.INPUTS, KEY.OUTPUTS]) {
    let v = Object.hasOwn(a, key) ? a[key] : null;
    if (!truthy(v)) continue;
    if (typeof v === 'string') {
      const r = loads(v);
      if (!r.ok) continue; // MLflow logs the parse failure and goes on
      v = r.value;
    }
    if (isDict(v) && truthy(v['model'])) return typeof v['model'] === 'string' ? v['model'] : null;
  }
  return null;
}

/** `translate_span_type_from_otel`: the MLflow span type the first matching convention names. */
export function spanTypeFromOtel(a: SpanAttrs): string | null {
  for (const t of TRANSLATORS) {
    const type = t.spanType(a);
    if (type) return type;
  }
  return null;
}

/**
 * MLflow 3.18's `translate_loaded_span`, which its SQL store runs on every span it reads back: a
 * span without a span type (or `UNKNOWN`) gets the one its OpenTelemetry attributes name, so spans
 * stored before that translation existed read as MLflow reads them. Changes `span.attributes` in
 * place (never adds an empty attributes object); true when it changed.
 */
export function translateLoadedSpan(span: { attributes?: unknown }): boolean {
  const a = span.attributes;
  if (a === null || typeof a !== 'object' || Array.isArray(a)) return false;
  const attrs = a as SpanAttrs;
  try {
    const rawType = attrs[KEY.SPAN_TYPE];
    const current = truthy(rawType) ? tryJsonLoads(rawType) : null;
    if (current !== null && current !== 'UNKNOWN') return false;
    const otelType = spanTypeFromOtel(attrs);
    if (!otelType) return false;
    attrs[KEY.SPAN_TYPE] = pythonJsonDumpsUnicode(otelType);
    return true;
  } catch {
    return false;
  }
}

/**
 * MLflow 3.18's `translate_span_when_storing` (mlflow/tracing/otel/translation), which its SQL
 * store's `log_spans` runs on every span: the OpenTelemetry GenAI, OpenInference, Traceloop, Gemini
 * CLI, Claude Code, Spring AI, Google ADK, Vercel AI, VoltAgent, LiveKit, Laminar and Langfuse
 * attributes become MLflow's own (`mlflow.spanType` when absent or UNKNOWN, inputs/outputs, token
 * usage, message format, tool definitions, model and provider); attributes already present are
 * kept. Changes `attributes` in place, appending keys in MLflow's order.
 *
 * Not done: the cost MLflow then prices from its bundled model catalog
 * (`calculate_cost_by_model_and_token_usage`, mlflow/utils/model_catalog, ~3 MB of price tables);
 * a span that carries `mlflow.llm.cost` itself keeps it.
 */
export function translateSpanWhenStoring(attributes: SpanAttrs, events: readonly SpanEventDict[]): void {
  const a = attributes;
  const rawType = a[KEY.SPAN_TYPE];
  const spanType = truthy(rawType) ? tryJsonLoads(rawType) : null;
  if (spanType === null || spanType === 'UNKNOWN') {
    const otelType = spanTypeFromOtel(a);
    if (otelType) a[KEY.SPAN_TYPE] = pythonJsonDumpsUnicode(otelType);
  }
  if (!Object.hasOwn(a, KEY.INPUTS)) {
    const fromAttributes = first((t) => t.inputValue(a));
    const v = truthy(fromAttributes) ? fromAttributes : fromEvents(events, a, 'inputFromEvents');
    if (truthy(v)) a[KEY.INPUTS] = v;
  }
  if (!Object.hasOwn(a, KEY.OUTPUTS)) {
    const fromAttributes = first((t) => t.outputValue(a));
    const v = truthy(fromAttributes) ? fromAttributes : fromEvents(events, a, 'outputFromEvents');
    if (truthy(v)) a[KEY.OUTPUTS] = v;
  }
  if (!Object.hasOwn(a, KEY.CHAT_USAGE)) {
    const usage = tokenUsage(a);
    if (usage) a[KEY.CHAT_USAGE] = pythonJsonDumpsUnicode(usage);
  }
  if (!Object.hasOwn(a, KEY.MESSAGE_FORMAT)) {
    const format = first((t) => t.messageFormat(a));
    if (truthy(format)) a[KEY.MESSAGE_FORMAT] = pythonJsonDumpsUnicode(format);
  }
  if (!Object.hasOwn(a, KEY.CHAT_TOOLS)) {
    const tools = first((t) => t.toolDefinitions(a));
    if (truthy(tools)) a[KEY.CHAT_TOOLS] = tools;
  }
  if (!Object.hasOwn(a, KEY.MODEL)) {
    const model = modelName(a);
    if (truthy(model)) a[KEY.MODEL] = pythonJsonDumpsUnicode(model);
  }
  if (!Object.hasOwn(a, KEY.MODEL_PROVIDER)) {
    const provider = first((t) => t.modelProvider(a));
    if (truthy(provider)) a[KEY.MODEL_PROVIDER] = pythonJsonDumpsUnicode(provider);
  }
}
