import {
  attributeOrNull as get,
  checkedAttribute,
  genAiTranslator,
  isDict,
  loads,
  lookup,
  or,
  pyInt,
  pythonJsonDumpsAscii,
  schemaTranslator,
  truthy,
  tryJsonLoads,
  type OtelTranslator,
  type SpanAttrs,
  type SpanEventDict,
} from './otel-translators.js';
import { pythonJsonDumpsUnicode } from './span-json.js';

/** `mlflow.message.format`, which the Vercel AI translator sets while reading inputs. */
export const MESSAGE_FORMAT_KEY = 'mlflow.message.format';

/** `OpenInferenceTranslator` (Arize OpenInference). */
const openInference = schemaTranslator({
  kindKey: 'openinference.span.kind',
  kindMap: { TOOL: 'TOOL', CHAIN: 'CHAIN', LLM: 'LLM', RETRIEVER: 'RETRIEVER', EMBEDDING: 'EMBEDDING', AGENT: 'AGENT', RERANKER: 'RERANKER', UNKNOWN: 'UNKNOWN', GUARDRAIL: 'GUARDRAIL', EVALUATOR: 'EVALUATOR' },
  inputTokenKey: 'llm.token_count.prompt',
  outputTokenKey: 'llm.token_count.completion',
  totalTokenKey: 'llm.token_count.total',
  cacheReadKey: 'llm.token_count.prompt_details.cache_read',
  cacheCreationKey: 'llm.token_count.prompt_details.cache_write',
  inputKeys: ['input.value'],
  outputKeys: ['output.value'],
  modelKeys: ['llm.response.model_name', 'llm.model_name', 'llm.request.model_name', 'embedding.model_name'],
  providerKey: 'llm.provider',
});

/** `GeminiCliTranslator`: GenAI attributes, Gemini CLI's operation names and chat wrapping, only on `gen_ai.agent.name = gemini-cli` spans. */
function geminiCli(): OtelTranslator {
  const base = genAiTranslator({ kindMap: { llm_call: 'LLM', tool_call: 'TOOL', agent_call: 'AGENT' } });
  const isGemini = (a: SpanAttrs) => tryJsonLoads(get(a, 'gen_ai.agent.name')) === 'gemini-cli';
  const wrapInput = (value: unknown, operation: unknown): unknown => {
    let decoded = tryJsonLoads(value);
    if (isDict(decoded) && 'contents' in decoded) return value;
    if (operation === 'system_prompt' && Array.isArray(decoded)) {
      decoded = decoded.map((item: unknown) => (isDict(item) && item['role'] === 'user' ? { ...item, role: 'system' } : item));
    }
    return Array.isArray(decoded) || typeof decoded === 'string' ? pythonJsonDumpsAscii({ contents: decoded }) : value;
  };
  const wrapOutput = (value: unknown): unknown => {
    const decoded = tryJsonLoads(value);
    if (isDict(decoded) && 'candidates' in decoded) return value;
    if (!Array.isArray(decoded)) return value;
    const parts = decoded.flatMap((item: unknown) => (isDict(item) && Array.isArray(item['parts']) ? (item['parts'] as unknown[]) : []));
    return parts.length > 0 ? pythonJsonDumpsAscii({ candidates: [{ content: { role: 'model', parts } }] }) : value;
  };
  return {
    ...base,
    spanType: (a) => (isGemini(a) ? base.spanType(a) : null),
    messageFormat: (a) => (isGemini(a) ? 'gemini' : null),
    inputValue(a) {
      if (!isGemini(a)) return null;
      const v = base.inputValue(a);
      return truthy(v) ? wrapInput(v, get(a, 'gen_ai.operation.name')) : null;
    },
    outputValue(a) {
      if (!isGemini(a)) return null;
      const v = base.outputValue(a);
      return truthy(v) ? wrapOutput(v) : null;
    },
  };
}

/** `ClaudeCodeTranslator`: Claude Code's `span.type` spans (interaction, llm_request, tool). */
function claudeCode(): OtelTranslator {
  const KNOWN: Record<string, string> = { 'claude_code.interaction': 'AGENT', 'claude_code.llm_request': 'LLM', 'claude_code.tool': 'TOOL' };
  const kind = (a: SpanAttrs): string | null => {
    const t = tryJsonLoads(get(a, 'span.type'));
    if (typeof t !== 'string') return null;
    const name = t.startsWith('claude_code.') ? t : `claude_code.${t}`;
    return Object.hasOwn(KNOWN, name) ? name : null;
  };
  const content = (a: SpanAttrs, key: string): unknown => {
    const v = checkedAttribute(a, key);
    return v === null || v === undefined || tryJsonLoads(v) === '<REDACTED>' ? null : v;
  };
  const int = (a: SpanAttrs, key: string) => {
    const v = tryJsonLoads(get(a, key));
    return v === null ? null : pyInt(v);
  };
  const llm = (a: SpanAttrs) => kind(a) === 'claude_code.llm_request';
  const cacheRead = (a: SpanAttrs) => (llm(a) ? int(a, 'cache_read_tokens') : null);
  const cacheCreation = (a: SpanAttrs) => (llm(a) ? int(a, 'cache_creation_tokens') : null);
  return {
    ...schemaTranslator({}),
    spanType: (a) => lookup(KNOWN, kind(a)),
    inputTokens(a) {
      const n = llm(a) ? int(a, 'input_tokens') : null;
      return n === null ? null : n + (cacheRead(a) ?? 0) + (cacheCreation(a) ?? 0);
    },
    outputTokens: (a) => (llm(a) ? int(a, 'output_tokens') : null),
    cacheReadInputTokens: cacheRead,
    cacheCreationInputTokens: cacheCreation,
    inputValue(a) {
      const k = kind(a);
      if (k === 'claude_code.interaction') return or(content(a, 'user_prompt'), content(a, 'new_context'));
      if (k === 'claude_code.llm_request') return content(a, 'new_context');
      if (k !== 'claude_code.tool') return null;
      const input = content(a, 'tool_input');
      if (truthy(input)) return input;
      const details: Record<string, unknown> = {};
      for (const key of ['full_command', 'file_path', 'skill_name', 'subagent_type']) {
        const v = content(a, key);
        if (truthy(v)) details[key] = tryJsonLoads(v);
      }
      return Object.keys(details).length > 0 ? pythonJsonDumpsAscii(details) : null;
    },
    outputValue(a) {
      const k = kind(a);
      if (k === 'claude_code.llm_request') return content(a, 'response.model_output');
      return k === 'claude_code.tool' ? content(a, 'new_context') : null;
    },
    outputFromEvents(events: readonly SpanEventDict[], a: SpanAttrs) {
      if (kind(a) !== 'claude_code.tool') return null;
      for (const e of events) {
        if (e.name !== 'tool.output') continue;
        for (const key of ['output', 'content', 'diff']) {
          const v = tryJsonLoads(get(e.attributes ?? {}, key));
          if (truthy(v) && v !== '<REDACTED>') return pythonJsonDumpsUnicode(v);
        }
      }
      return null;
    },
  };
}

/** `SpringAiTranslator`: GenAI keys, prompt and completion in `gen_ai.content.*` events. */
function springAi(): OtelTranslator {
  const fromEvent = (events: readonly SpanEventDict[], name: string, key: string): unknown => {
    for (const e of events) {
      if (e.name !== name) continue;
      const v = get(e.attributes ?? {}, key);
      if (truthy(v)) return v;
    }
    return null;
  };
  return {
    ...schemaTranslator({ kindKey: 'gen_ai.operation.name', kindMap: { chat: 'CHAT_MODEL', embeddings: 'EMBEDDING' }, inputTokenKey: 'gen_ai.usage.input_tokens', outputTokenKey: 'gen_ai.usage.output_tokens' }),
    inputFromEvents: (events) => fromEvent(events, 'gen_ai.content.prompt', 'gen_ai.prompt'),
    outputFromEvents: (events) => fromEvent(events, 'gen_ai.content.completion', 'gen_ai.completion'),
  };
}

/** `TraceloopTranslator` (OpenLLMetry). */
const traceloop = schemaTranslator({
  kindKey: 'traceloop.span.kind',
  kindMap: { workflow: 'WORKFLOW', task: 'TASK', agent: 'AGENT', tool: 'TOOL', unknown: 'UNKNOWN' },
  inputTokenKey: 'gen_ai.usage.prompt_tokens',
  outputTokenKey: 'gen_ai.usage.completion_tokens',
  totalTokenKey: 'llm.usage.total_tokens',
  inputKeys: ['traceloop.entity.input', /gen_ai\.prompt\.\d+\.content/, /gen_ai\.completion\.\d+\.tool_calls\.\d+\.arguments/],
  outputKeys: ['traceloop.entity.output', /gen_ai\.completion\.\d+\.content/],
  providerKey: 'gen_ai.system',
});

/** `GoogleADKTranslator`. */
const googleAdk = schemaTranslator({
  inputKeys: ['gcp.vertex.agent.llm_request', 'gcp.vertex.agent.tool_call_args'],
  outputKeys: ['gcp.vertex.agent.llm_response', 'gcp.vertex.agent.tool_response'],
});

/** `VercelAITranslator`: `ai.*` attributes; chat spans get their `ai.prompt.*` / `ai.response.*` unpacked. */
function vercelAi(): OtelTranslator {
  const base = schemaTranslator({
    kindKey: 'ai.operationId',
    kindMap: Object.fromEntries(
      [['generateText', 'LLM'], ['generateText.doGenerate', 'LLM'], ['toolCall', 'TOOL'], ['streamText', 'LLM'], ['streamText.doStream', 'LLM'], ['generateObject', 'LLM'], ['generateObject.doGenerate', 'LLM'], ['streamObject', 'LLM'], ['streamObject.doStream', 'LLM'], ['embed', 'EMBEDDING'], ['embed.doEmbed', 'EMBEDDING'], ['embedMany', 'EMBEDDING']].map(([k, v]) => [`ai.${k!}`, v!]),
    ),
    inputKeys: ['ai.prompt', 'ai.toolCall.args', 'ai.value', 'ai.values'],
    outputKeys: ['ai.response.text', 'ai.toolCall.result', 'ai.response.object', 'ai.embedding', 'ai.embeddings'],
  });
  const safeLoad = (v: unknown, depth = 2): unknown => {
    if (typeof v !== 'string') return v;
    const r = loads(v);
    if (!r.ok) return v;
    return depth > 0 ? safeLoad(r.value, depth - 1) : r.value;
  };
  const unpack = (a: SpanAttrs, prefix: string) => Object.fromEntries(Object.entries(a).filter(([k]) => k.startsWith(prefix)).map(([k, v]) => [k.slice(prefix.length), safeLoad(v)]));
  const isChat = (a: SpanAttrs) => ['ai.generateText.doGenerate', 'ai.streamText.doStream'].includes(safeLoad(get(a, 'ai.operationId')) as string);
  return {
    ...base,
    inputValue(a) {
      if (!isChat(a)) return base.inputValue(a);
      const inputs = unpack(a, 'ai.prompt.');
      if ('tools' in inputs) {
        const tools = inputs['tools'];
        const items = Array.isArray(tools) ? tools : typeof tools === 'string' ? Array.from(tools) : isDict(tools) ? Object.keys(tools) : [];
        inputs['tools'] = items.map((t) => safeLoad(t));
      }
      a[MESSAGE_FORMAT_KEY] = 'vercel_ai';
      return Object.keys(inputs).length > 0 ? pythonJsonDumpsAscii(inputs) : null;
    },
    outputValue(a) {
      if (!isChat(a)) return base.outputValue(a);
      const outputs = unpack(a, 'ai.response.');
      return Object.keys(outputs).length > 0 ? pythonJsonDumpsAscii(outputs) : null;
    },
  };
}

/** `VoltAgentTranslator`. */
function voltAgent(): OtelTranslator {
  const KINDS: Record<string, string> = { agent: 'AGENT', llm: 'LLM', tool: 'TOOL', memory: 'MEMORY' };
  return {
    ...schemaTranslator({ inputKeys: ['agent.messages', 'llm.messages', 'input'], outputKeys: ['output'] }),
    spanType(a) {
      for (const key of ['span.type', 'entity.type']) {
        const t = lookup(KINDS, tryJsonLoads(get(a, key)));
        if (t) return t;
      }
      return null;
    },
    messageFormat: (a) => (['voltagent.operation_id', 'voltagent.conversation_id'].some((k) => k in a) ? 'voltagent' : null),
    inputTokens: (a) => or(get(a, 'usage.prompt_tokens'), get(a, 'llm.usage.prompt_tokens')),
    outputTokens: (a) => or(get(a, 'usage.completion_tokens'), get(a, 'llm.usage.completion_tokens')),
    totalTokens: (a) => or(get(a, 'usage.total_tokens'), get(a, 'llm.usage.total_tokens')),
  };
}

/** `LiveKitTranslator`: GenAI conventions plus LiveKit's `lk.*` attributes. */
function liveKit(): OtelTranslator {
  const base = genAiTranslator({ inputKeys: ['lk.user_input', 'lk.user_transcript', 'lk.chat_ctx', 'lk.input_text'], outputKeys: ['lk.response.text', 'lk.response.function_calls'] });
  const GENAI: Record<string, string> = { chat: 'CHAT_MODEL', create_agent: 'AGENT', embeddings: 'EMBEDDING', execute_tool: 'TOOL', generate_content: 'LLM', invoke_agent: 'AGENT', text_completion: 'LLM', response: 'LLM' };
  return {
    ...base,
    spanType(a) {
      if ('gen_ai.request.model' in a) return 'LLM';
      const op = get(a, 'gen_ai.operation.name');
      if (truthy(op)) {
        const decoded = tryJsonLoads(op);
        const t = typeof decoded === 'string' ? lookup(GENAI, decoded.toLowerCase()) : null;
        if (t) return t;
      }
      for (const key of Object.keys(a)) {
        if (key === 'lk.retry_count') return 'LLM';
        if (key.startsWith('lk.function_tool')) return 'TOOL';
        if (['lk.agent_name', 'lk.instructions', 'lk.generation_id'].includes(key)) return 'AGENT';
        if (key.startsWith('lk.tts') || key === 'lk.input_text') return 'UNKNOWN';
        if (['lk.user_transcript', 'lk.transcript_confidence', 'lk.transcription_delay'].includes(key)) return 'UNKNOWN';
      }
      return null;
    },
    messageFormat: (a) => (Object.keys(a).some((k) => k.startsWith('lk.')) ? 'livekit' : null),
  };
}

/** `LaminarTranslator`. */
const laminar: OtelTranslator = {
  ...schemaTranslator({
    kindKey: 'lmnr.span.type',
    kindMap: { LLM: 'LLM', TOOL: 'TOOL', DEFAULT: 'CHAIN', PIPELINE: 'CHAIN', EXECUTOR: 'AGENT', EVALUATOR: 'EVALUATOR', HUMAN_EVALUATOR: 'EVALUATOR', EVALUATION: 'EVALUATOR', CACHED: 'LLM' },
    inputKeys: ['lmnr.span.input'],
    outputKeys: ['lmnr.span.output'],
    inputTokenKey: 'gen_ai.usage.input_tokens',
    outputTokenKey: 'gen_ai.usage.output_tokens',
    modelKeys: ['gen_ai.response.model', 'gen_ai.request.model'],
    providerKey: 'gen_ai.system',
  }),
  messageFormat: (a) => ('lmnr.span.type' in a ? 'openai' : null),
};

/** `LangfuseTranslator`. */
const langfuse = schemaTranslator({
  kindKey: 'langfuse.observation.type',
  kindMap: { generation: 'LLM', embedding: 'EMBEDDING', tool: 'TOOL', retriever: 'RETRIEVER', agent: 'AGENT', chain: 'CHAIN', evaluator: 'EVALUATOR', guardrail: 'GUARDRAIL', span: 'UNKNOWN' },
  inputKeys: ['langfuse.observation.input'],
  outputKeys: ['langfuse.observation.output'],
});

const spring = springAi();
const live = liveKit();
const claude = claudeCode();

/** `_TRANSLATORS`, in MLflow's order (the first convention that answers wins). */
export const TRANSLATORS: readonly OtelTranslator[] = [openInference, geminiCli(), claude, genAiTranslator(), spring, traceloop, googleAdk, vercelAi(), voltAgent(), live, laminar, langfuse];
/** `_EVENT_TRANSLATORS`: the conventions that carry inputs/outputs in span events. */
export const EVENT_TRANSLATORS: readonly OtelTranslator[] = [spring, live, claude];
