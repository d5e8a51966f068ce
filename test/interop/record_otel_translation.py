"""Records MLflow 3.18's translate_span_when_storing on fixed span attributes (and events) for the
core unit test packages/core/src/traces/otel-translation.test.ts.

Run: .services/mlflow-venv/bin/python test/interop/record_otel_translation.py \
       > packages/core/src/traces/otel-translation.fixtures.json
"""

import json

from mlflow.entities.span import Span
from mlflow.tracing.otel.translation import translate_span_when_storing

J = json.dumps


def s(v):
    """An attribute as MLflow stores an OTLP string attribute (JSON-encoded once)."""
    return json.dumps(v, ensure_ascii=False)


MSGS_IN = [{"role": "user", "content": "hi ü"}]
MSGS_OUT = [{"role": "assistant", "content": "hello"}]

CASES = [
    ("genai chat", {
        "gen_ai.operation.name": s("chat"), "gen_ai.request.model": s("acme-model-x"),
        "gen_ai.response.model": s("acme-model-x-2024"), "gen_ai.provider.name": s("acme"),
        "gen_ai.usage.input_tokens": "12", "gen_ai.usage.output_tokens": "5",
        "gen_ai.usage.cache_read.input_tokens": "3", "gen_ai.input.messages": J(MSGS_IN),
        "gen_ai.output.messages": J(MSGS_OUT), "gen_ai.tool.definitions": J([{"name": "f"}]),
    }, []),
    ("genai tool call", {
        "gen_ai.operation.name": s("execute_tool"), "gen_ai.tool.call.arguments": J({"q": 1}),
        "gen_ai.tool.call.result": s("done"),
    }, []),
    ("genai legacy cache key, no output tokens", {
        "gen_ai.operation.name": s("invoke_agent"), "gen_ai.usage.input_tokens": "4",
        "gen_ai.usage.cache_creation.input_tokens": "2",
    }, []),
    ("genai raw values (REST dict path)", {
        "gen_ai.operation.name": "text_completion", "gen_ai.usage.input_tokens": 7,
        "gen_ai.usage.output_tokens": "5.5", "gen_ai.request.model": "acme-raw",
    }, []),
    ("openinference llm", {
        "openinference.span.kind": s("LLM"), "llm.token_count.prompt": "10",
        "llm.token_count.completion": "20", "llm.token_count.total": "31",
        "llm.token_count.prompt_details.cache_write": "1", "input.value": s("question"),
        "output.value": J({"answer": 42}), "llm.model_name": s("acme-oi"), "llm.provider": s("acme"),
    }, []),
    ("UNKNOWN span type replaced in place", {
        "mlflow.spanType": s("UNKNOWN"), "openinference.span.kind": s("RETRIEVER"), "x": "1",
    }, []),
    ("existing span type and usage kept", {
        "mlflow.spanType": s("LLM"), "gen_ai.operation.name": s("chat"),
        "mlflow.chat.tokenUsage": J({"input_tokens": 1}), "gen_ai.usage.input_tokens": "9",
        "mlflow.spanInputs": J({"model": "from-inputs"}),
    }, []),
    ("traceloop", {
        "traceloop.span.kind": s("workflow"), "gen_ai.prompt.0.content": s("p0"),
        "gen_ai.completion.0.content": s("c0"), "gen_ai.usage.prompt_tokens": s("26"),
        "gen_ai.usage.completion_tokens": "2", "gen_ai.system": s("openai"),
    }, []),
    ("gemini cli llm call", {
        "gen_ai.agent.name": s("gemini-cli"), "gen_ai.operation.name": s("llm_call"),
        "gen_ai.input.messages": J([{"role": "user", "parts": [{"text": "hi"}]}]),
        "gen_ai.output.messages": J([{"role": "model", "parts": [{"text": "a"}]}, {"role": "model", "parts": [{"text": "b"}]}]),
        "gen_ai.usage.input_tokens": "3", "gen_ai.usage.output_tokens": "4",
    }, []),
    ("gemini cli system prompt (raw operation)", {
        "gen_ai.agent.name": "gemini-cli", "gen_ai.operation.name": "system_prompt",
        "gen_ai.input.messages": J([{"role": "user", "parts": [{"text": "be nice"}]}]),
    }, []),
    ("claude code llm request", {
        "span.type": s("claude_code.llm_request"), "input_tokens": "10", "cache_read_tokens": "5",
        "cache_creation_tokens": "2", "output_tokens": "3", "new_context": s("ctx"),
        "response.model_output": s("out"),
    }, []),
    ("claude code tool with event output", {
        "span.type": s("tool"), "full_command": s("ls -l"), "file_path": s("<REDACTED>"),
    }, [{"name": "tool.output", "time_unix_nano": 5, "attributes": {"output": "<REDACTED>", "content": "file list"}}]),
    ("claude code interaction", {"span.type": "interaction", "user_prompt": s("<REDACTED>"), "new_context": s("n")}, []),
    ("spring ai events", {
        "gen_ai.operation.name": s("embeddings"), "gen_ai.usage.input_tokens": "8",
    }, [
        {"name": "gen_ai.content.prompt", "time_unix_nano": 1, "attributes": {"gen_ai.prompt": "the prompt"}},
        {"name": "gen_ai.content.completion", "time_unix_nano": 2, "attributes": {"gen_ai.completion": "the completion"}},
    ]),
    ("livekit with genai events", {
        "lk.agent_name": s("agent-1"), "lk.room_name": s("r"),
    }, [
        {"name": "gen_ai.system.message", "time_unix_nano": 1, "attributes": {"content": "sys"}},
        {"name": "gen_ai.user.message", "time_unix_nano": 2, "attributes": {"content": J(["ü", 1])}},
        {"name": "gen_ai.choice", "time_unix_nano": 3, "attributes": {"content": "answer", "role": s("assistant")}},
    ]),
    ("livekit request model only", {"gen_ai.request.model": s("acme-lk")}, []),
    ("vercel doGenerate", {
        "ai.operationId": s("ai.generateText.doGenerate"), "ai.prompt.messages": s(J(MSGS_IN)),
        "ai.prompt.tools": J([J({"name": "t"})]), "ai.response.text": s("resp"),
        "ai.response.finishReason": s("stop"),
    }, []),
    ("vercel generateText", {"ai.operationId": s("ai.generateText"), "ai.prompt": J({"prompt": "x"}), "ai.response.text": s("y")}, []),
    ("voltagent", {
        "span.type": s("llm"), "entity.type": s("agent"), "voltagent.operation_id": s("op"),
        "usage.prompt_tokens": "0", "llm.usage.prompt_tokens": "6", "usage.completion_tokens": "2",
        "llm.messages": J(MSGS_IN), "output": s("o"),
    }, []),
    ("laminar", {"lmnr.span.type": s("EXECUTOR"), "lmnr.span.input": s("in"), "gen_ai.usage.input_tokens": "1", "gen_ai.system": s("lm")}, []),
    ("langfuse", {"langfuse.observation.type": s("generation"), "langfuse.observation.input": J({"a": 1}), "langfuse.observation.output": s("")}, []),
    ("google adk", {"gcp.vertex.agent.llm_request": J({"contents": []}), "gcp.vertex.agent.tool_response": s("r")}, []),
    ("model from outputs", {"mlflow.spanOutputs": J({"model": "from-outputs", "x": 1})}, []),
    ("model from inputs not a string", {"mlflow.spanInputs": J({"model": 3}), "mlflow.spanOutputs": J({"model": "m"})}, []),
    ("empty values are absent", {"gen_ai.input.messages": s(""), "gen_ai.output.messages": "[]", "gen_ai.operation.name": s("nope")}, []),
    ("plain MLflow span", {"mlflow.spanType": s("CHAIN"), "mlflow.spanInputs": J({"q": "x"}), "mlflow.spanOutputs": s("y")}, []),
]

out = []
for name, attrs, events in CASES:
    span_dict = {
        "trace_id": "AAAAAAAAAAAAAAAAAAAAAQ==", "span_id": "AAAAAAAAAAI=", "parent_span_id": None,
        "name": "s", "kind": "SPAN_KIND_INTERNAL", "start_time_unix_nano": 1, "end_time_unix_nano": 2,
        "events": events, "status": {"code": "STATUS_CODE_OK", "message": ""},
        "attributes": {"mlflow.traceRequestId": s("tr-1"), **attrs}, "links": [],
    }
    translated = translate_span_when_storing(Span.from_dict(json.loads(json.dumps(span_dict))))
    out.append({
        "name": name, "attributes": span_dict["attributes"], "events": events,
        "expected": json.dumps(translated["attributes"], ensure_ascii=False),
    })
print(json.dumps(out, indent=1, ensure_ascii=False))
