import { pythonJsonDumpsUnicode } from './span-json.js';

/** Span attributes as stored (`Span.to_dict()["attributes"]`): mostly JSON text, any JSON value allowed. */
export type SpanAttrs = Record<string, unknown>;
/** One span event as stored (`{name, time_unix_nano, attributes}`). */
export type SpanEventDict = { name?: unknown; attributes?: Record<string, unknown> };

/**
 * One OpenTelemetry semantic convention MLflow 3.18 reads (`OtelSchemaTranslator` and its
 * subclasses in mlflow/tracing/otel/translation): every getter answers `null` when the span does not
 * carry the convention. Values keep Python's meaning (raw attribute values, truthiness).
 */
export interface OtelTranslator {
  spanType(a: SpanAttrs): string | null;
  inputTokens(a: SpanAttrs): unknown;
  outputTokens(a: SpanAttrs): unknown;
  totalTokens(a: SpanAttrs): unknown;
  cacheReadInputTokens(a: SpanAttrs): unknown;
  cacheCreationInputTokens(a: SpanAttrs): unknown;
  inputValue(a: SpanAttrs): unknown;
  outputValue(a: SpanAttrs): unknown;
  messageFormat(a: SpanAttrs): unknown;
  toolDefinitions(a: SpanAttrs): unknown;
  modelName(a: SpanAttrs): unknown;
  modelProvider(a: SpanAttrs): unknown;
  inputFromEvents?(events: readonly SpanEventDict[], a: SpanAttrs): unknown;
  outputFromEvents?(events: readonly SpanEventDict[], a: SpanAttrs): unknown;
}

/** Python's `bool(value)` for a JSON value. */
export function truthy(v: unknown): boolean {
  if (v === null || v === undefined || v === false) return false;
  if (typeof v === 'number') return v !== 0;
  if (typeof v === 'string' || Array.isArray(v)) return v.length > 0;
  if (typeof v === 'object') return Object.keys(v).length > 0;
  return true;
}

/** `json.loads` of a string: `{ ok: false }` when it is not a string or not JSON (Python's `NaN`/`Infinity` read). */
export function loads(v: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof v !== 'string') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(v) as unknown };
  } catch {
    const m = /^[ \t\n\r]*(-?Infinity|NaN)[ \t\n\r]*$/.exec(v);
    return m ? { ok: true, value: Number(m[1]) } : { ok: false };
  }
}

/** `try_json_loads`: the decoded value, else the value itself. */
export function tryJsonLoads(v: unknown): unknown {
  const r = loads(v);
  return r.ok ? r.value : (v ?? null);
}

/** `json.dumps(value)` (ASCII only), as the translators build their JSON text. */
export function pythonJsonDumpsAscii(v: unknown): string {
  return pythonJsonDumpsUnicode(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const isDict = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const get = (a: Record<string, unknown>, key: string): unknown => (Object.hasOwn(a, key) ? a[key] : null);
const lookup = (map: Record<string, string>, key: unknown): string | null => (typeof key === 'string' && Object.hasOwn(map, key) ? (map[key] ?? null) : null);
/** Python's `a or b`. */
const or = (x: unknown, y: unknown): unknown => (truthy(x) ? x : (y ?? null));

/** `_get_and_check_attribute_value`: a JSON text that decodes to an empty/false value counts as absent. */
export function checkedAttribute(a: SpanAttrs, key: string): unknown {
  const value = get(a, key);
  const r = loads(value);
  if (r.ok) return truthy(r.value) ? value : null;
  return value;
}

/** The keys `get_attribute_value` tries; a RegExp matches attribute keys from their start (`re.match`). */
type Keys = readonly (string | RegExp)[] | null;

/** `get_attribute_value`: the first key with a present value. */
function attributeValue(a: SpanAttrs, keys: Keys): unknown {
  for (const key of keys ?? []) {
    if (typeof key === 'string') {
      const v = checkedAttribute(a, key);
      if (truthy(v)) return v;
    } else {
      for (const attrKey of Object.keys(a)) {
        if (!new RegExp(`^(?:${key.source})`).test(attrKey)) continue;
        const v = checkedAttribute(a, attrKey);
        if (truthy(v)) return v;
      }
    }
  }
  return null;
}

interface Schema {
  kindKey?: string;
  kindMap?: Record<string, string>;
  inputTokenKey?: string;
  outputTokenKey?: string;
  totalTokenKey?: string;
  cacheReadKey?: string;
  cacheCreationKey?: string;
  inputKeys?: Keys;
  outputKeys?: Keys;
  modelKeys?: Keys;
  providerKey?: string;
  toolKeys?: Keys;
}

/** `OtelSchemaTranslator`: the behaviour every convention inherits, driven by its attribute keys. */
export function schemaTranslator(s: Schema): OtelTranslator {
  const raw = (key: string | undefined) => (a: SpanAttrs) => (key ? get(a, key) : null);
  return {
    spanType(a) {
      if (!s.kindKey) return null;
      const kind = get(a, s.kindKey);
      if (!truthy(kind)) return null;
      return lookup(s.kindMap ?? {}, typeof kind === 'string' ? tryJsonLoads(kind) : kind);
    },
    inputTokens: raw(s.inputTokenKey),
    outputTokens: raw(s.outputTokenKey),
    totalTokens: raw(s.totalTokenKey),
    cacheReadInputTokens: raw(s.cacheReadKey),
    cacheCreationInputTokens: raw(s.cacheCreationKey),
    inputValue: (a) => attributeValue(a, s.inputKeys ?? null),
    outputValue: (a) => attributeValue(a, s.outputKeys ?? null),
    messageFormat: () => null,
    toolDefinitions: (a) => attributeValue(a, s.toolKeys ?? null),
    modelName(a) {
      const v = attributeValue(a, s.modelKeys ?? null);
      return truthy(v) ? tryJsonLoads(v) : null;
    },
    modelProvider(a) {
      if (!s.providerKey) return null;
      const v = checkedAttribute(a, s.providerKey);
      return truthy(v) ? tryJsonLoads(v) : null;
    },
  };
}

/** Python's `int(x)` for a decoded attribute value; null where Python raises. */
export function pyInt(v: unknown): number | null {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.trunc(v) : null;
  if (typeof v === 'string' && /^[ \t\n\r\f\v]*[+-]?\d+(?:_\d+)*[ \t\n\r\f\v]*$/.test(v)) return Number(v.replace(/_/g, '').trim());
  return null;
}

const GENAI_KINDS: Record<string, string> = {
  chat: 'CHAT_MODEL',
  create_agent: 'AGENT',
  embeddings: 'EMBEDDING',
  execute_tool: 'TOOL',
  generate_content: 'LLM',
  invoke_agent: 'AGENT',
  text_completion: 'LLM',
  response: 'LLM',
};

const GENAI_SCHEMA: Schema = {
  kindKey: 'gen_ai.operation.name',
  kindMap: GENAI_KINDS,
  inputTokenKey: 'gen_ai.usage.input_tokens',
  outputTokenKey: 'gen_ai.usage.output_tokens',
  cacheReadKey: 'gen_ai.usage.cache_read.input_tokens',
  cacheCreationKey: 'gen_ai.usage.cache_write.input_tokens',
  inputKeys: ['gen_ai.input.messages', 'gen_ai.tool.call.arguments'],
  outputKeys: ['gen_ai.output.messages', 'gen_ai.tool.call.result'],
  modelKeys: ['gen_ai.response.model', 'gen_ai.request.model'],
  providerKey: 'gen_ai.provider.name',
  toolKeys: ['gen_ai.tool.definitions'],
};

/** `GenAiTranslator`: OpenTelemetry GenAI semantic conventions (`gen_ai.*`). */
export function genAiTranslator(overrides: Schema = {}): OtelTranslator {
  const base = schemaTranslator({ ...GENAI_SCHEMA, ...overrides });
  const messages = (events: readonly SpanEventDict[], pick: (name: string, attrs: Record<string, unknown>) => Record<string, unknown> | null) => {
    const out: Record<string, unknown>[] = [];
    for (const e of events) {
      const m = pick(typeof e.name === 'string' ? e.name : '', e.attributes ?? {});
      if (m) out.push(m);
    }
    return out.length > 0 ? pythonJsonDumpsAscii(out) : null;
  };
  const ROLES: Record<string, string> = { 'gen_ai.system.message': 'system', 'gen_ai.user.message': 'user', 'gen_ai.assistant.message': 'assistant' };
  return {
    ...base,
    cacheCreationInputTokens(a) {
      const v = base.cacheCreationInputTokens(a);
      return v !== null && v !== undefined ? v : get(a, 'gen_ai.usage.cache_creation.input_tokens');
    },
    inputFromEvents: (events) =>
      messages(events, (name, attrs) => {
        const role = Object.hasOwn(ROLES, name) ? ROLES[name] : undefined;
        const content = get(attrs, 'content');
        return role && truthy(content) ? { role, content: tryJsonLoads(content) } : null;
      }),
    outputFromEvents: (events) =>
      messages(events, (name, attrs) => {
        const content = get(attrs, 'content');
        if (name !== 'gen_ai.choice' || !truthy(content)) return null;
        return { role: tryJsonLoads(Object.hasOwn(attrs, 'role') ? attrs['role'] : 'assistant'), content: tryJsonLoads(content) };
      }),
  };
}

export { get as attributeOrNull, isDict, lookup, or };
