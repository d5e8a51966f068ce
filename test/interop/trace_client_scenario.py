"""
The real MLflow Python client (3.18.0) traces a small GenAI pipeline against a tracking server and
checks every read-back through the public API: `@mlflow.trace` and `mlflow.start_span` (nested
spans, span types, attributes, inputs/outputs, an exception span), `mlflow.get_trace`,
`mlflow.search_traces` / `MlflowClient.search_traces` (filters, order_by, max_results, page
tokens), `log_feedback` / `log_expectation`, `update_assessment` / `delete_assessment`, trace tags,
traces linked to a run, and `delete_traces` by ids and by timestamp.

    python trace_client_scenario.py <tracking_uri> [--backend sql|file]

<tracking_uri>  http://host:port of an `mlflow server` (or a drop-in replacement) with artifact serving.
--backend       what the server stores into: `sql` (spans in the tracking store, span filters) or
                `file` (MLflow's FileStore: no spans in the store, traces.json through the artifact
                proxy; span filters and run links answer as `mlflow server` on a file store does).

Progress goes to stderr. Stops at the first mismatch with `MISMATCH: <what>` on stderr and exit
code 1 (2 when the scenario could not start). On success prints one JSON line on stdout: what the
server answered where a file store differs from a SQL store (error codes), so a driver can compare
two servers on the same backend. Names are unique per execution (uuid).
"""

from __future__ import annotations

import argparse
import json
import os
import time
import uuid

# Synchronous export: every trace is in the store when the traced call returns.
os.environ.setdefault("MLFLOW_ENABLE_ASYNC_TRACE_LOGGING", "false")

import mlflow  # noqa: E402
from mlflow import MlflowClient  # noqa: E402
from mlflow.entities import AssessmentSource, AssessmentSourceType, Expectation, Feedback, SpanType  # noqa: E402
from mlflow.exceptions import MlflowException  # noqa: E402

from client_checks import Mismatch, check, equal, error_code, run, step  # noqa: E402


def enum_value(v):
    return getattr(v, "value", v)


# ---------------------------------------------------------------------------------------------
# The traced application
# ---------------------------------------------------------------------------------------------
@mlflow.trace(span_type=SpanType.LLM)
def generate(question: str, docs: list[str]) -> str:
    span = mlflow.get_current_active_span()
    span.set_attribute("model", "fake-llm")
    span.set_attribute("temperature", 0.25)
    return f"answer to {question} from {len(docs)} docs"


@mlflow.trace(name="pipeline", span_type=SpanType.CHAIN, attributes={"team": "genai", "version": 2})
def pipeline(question: str, k: int = 2, topic: str = "geo", user: str = "u1") -> str:
    with mlflow.start_span(name="retrieve", span_type=SpanType.RETRIEVER) as span:
        span.set_inputs({"query": question, "k": k})
        docs = [f"doc-{i}" for i in range(k)]
        span.set_outputs(docs)
        span.set_attribute("retriever.k", k)
        span.set_attributes({"index": "wiki", "scores": [0.5, 0.25]})
    mlflow.update_current_trace(tags={"topic": topic}, metadata={"app.user": user})
    return generate(question, docs)


@mlflow.trace(name="failing")
def failing(x: int) -> int:
    with mlflow.start_span(name="validate") as span:
        span.set_inputs({"x": x})
        raise ValueError(f"bad input {x}")


def last_trace_id() -> str:
    trace_id = mlflow.get_last_active_trace_id()
    check(trace_id is not None, "mlflow.get_last_active_trace_id() after a traced call")
    return trace_id


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
def spans_by_name(trace) -> dict:
    spans = {s.name: s for s in trace.data.spans}
    equal(len(spans), len(trace.data.spans), f"span names unique in {trace.info.trace_id}")
    return spans


def check_pipeline_trace(trace, trace_id: str, exp_id: str, question: str, k: int, topic: str, user: str) -> None:
    info = trace.info
    equal(info.trace_id, trace_id, "trace_id")
    equal(info.experiment_id, exp_id, "experiment_id")
    equal(enum_value(info.state), "OK", "pipeline trace state")
    check(info.request_time > 0 and info.execution_duration is not None and info.execution_duration >= 0, "request_time / execution_duration", (info.request_time, info.execution_duration))
    equal(info.tags.get("topic"), topic, "tag set by update_current_trace")
    equal(info.tags.get("mlflow.traceName"), "pipeline", "mlflow.traceName tag")
    equal(info.trace_metadata.get("app.user"), user, "metadata set by update_current_trace")
    check(question in (info.request_preview or ""), "request_preview holds the question", info.request_preview)
    check("answer to" in (info.response_preview or ""), "response_preview holds the answer", info.response_preview)

    spans = spans_by_name(trace)
    equal(sorted(spans), ["generate", "pipeline", "retrieve"], "span names")
    root, retrieve, gen = spans["pipeline"], spans["retrieve"], spans["generate"]
    equal(root.parent_id, None, "root span parent")
    equal(retrieve.parent_id, root.span_id, "retrieve's parent is the root span")
    equal(gen.parent_id, root.span_id, "generate's parent is the root span")
    for s in (root, retrieve, gen):
        equal(s.trace_id, trace_id, f"{s.name}.trace_id")
        equal(enum_value(s.status.status_code), "OK", f"{s.name} status")
        check(s.start_time_ns > 0 and s.end_time_ns >= s.start_time_ns, f"{s.name} start/end times", (s.start_time_ns, s.end_time_ns))
    check(root.start_time_ns <= retrieve.start_time_ns and retrieve.end_time_ns <= gen.start_time_ns and gen.end_time_ns <= root.end_time_ns, "span times nest")
    equal(root.span_type, SpanType.CHAIN, "root span type")
    equal(retrieve.span_type, SpanType.RETRIEVER, "retrieve span type")
    equal(gen.span_type, SpanType.LLM, "generate span type")
    equal(root.get_attribute("team"), "genai", "root attribute team")
    equal(root.get_attribute("version"), 2, "root attribute version (int)")
    equal(root.inputs, {"question": question, "k": k, "topic": topic, "user": user}, "root inputs")
    equal(root.outputs, f"answer to {question} from {k} docs", "root outputs")
    equal(retrieve.inputs, {"query": question, "k": k}, "retrieve inputs")
    equal(retrieve.outputs, [f"doc-{i}" for i in range(k)], "retrieve outputs")
    equal(retrieve.get_attribute("retriever.k"), k, "retrieve attribute retriever.k")
    equal(retrieve.get_attribute("index"), "wiki", "retrieve attribute index")
    equal(retrieve.get_attribute("scores"), [0.5, 0.25], "retrieve attribute scores (list)")
    equal(gen.inputs, {"question": question, "docs": [f"doc-{i}" for i in range(k)]}, "generate inputs")
    equal(gen.get_attribute("model"), "fake-llm", "generate attribute model")
    equal(gen.get_attribute("temperature"), 0.25, "generate attribute temperature (float)")
    equal(len(retrieve.events), 0, "retrieve has no events")


def check_failing_trace(trace, trace_id: str) -> None:
    equal(trace.info.trace_id, trace_id, "failing trace_id")
    equal(enum_value(trace.info.state), "ERROR", "failing trace state")
    spans = spans_by_name(trace)
    equal(sorted(spans), ["failing", "validate"], "failing span names")
    root, inner = spans["failing"], spans["validate"]
    equal(inner.parent_id, root.span_id, "validate's parent")
    for s in (root, inner):
        equal(enum_value(s.status.status_code), "ERROR", f"{s.name} status code")
        check("bad input 7" in (s.status.description or ""), f"{s.name} status description names the error", s.status.description)
        events = [e for e in s.events if e.name == "exception"]
        equal(len(events), 1, f"{s.name} has one exception event")
        attrs = events[0].attributes
        equal(attrs.get("exception.type"), "ValueError", f"{s.name} exception.type")
        equal(attrs.get("exception.message"), "bad input 7", f"{s.name} exception.message")
        check("ValueError" in str(attrs.get("exception.stacktrace", "")), f"{s.name} exception.stacktrace", attrs.get("exception.stacktrace"))
        check(events[0].timestamp > 0, f"{s.name} exception event timestamp")
    equal(root.inputs, {"x": 7}, "failing root inputs")
    equal(root.outputs, None, "failing root has no outputs")
    equal(inner.inputs, {"x": 7}, "validate inputs")


def ids(traces) -> list[str]:
    return [t.info.trace_id for t in traces]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("tracking_uri")
    parser.add_argument("--backend", choices=["sql", "file"], required=True)
    args = parser.parse_args()
    sql = args.backend == "sql"
    observed: dict[str, object] = {}

    mlflow.set_tracking_uri(args.tracking_uri)
    client = MlflowClient()
    exp_name = f"trace-scenario-{uuid.uuid4().hex[:12]}"
    exp_id = mlflow.set_experiment(exp_name).experiment_id

    step("traced calls: two pipelines, one exception, one inside a run")
    t_before = int(time.time() * 1000) - 1
    q1, q2 = "What is the capital of France?", "Who wrote Hamlet?"
    pipeline(q1, k=2, topic="geo", user="u1")
    tid1 = last_trace_id()
    time.sleep(0.05)
    pipeline(q2, k=3, topic="lit", user="u2")
    tid2 = last_trace_id()
    time.sleep(0.05)
    try:
        failing(7)
        raise Mismatch("failing(7) did not raise")
    except ValueError:
        pass
    tid3 = last_trace_id()
    time.sleep(0.05)
    t_mid = int(time.time() * 1000)
    time.sleep(0.05)
    with mlflow.start_run(run_name="traced-run") as run:
        pipeline("In a run?", k=1, topic="run", user="u3")
        tid4 = last_trace_id()
    run_id = run.info.run_id
    equal(len({tid1, tid2, tid3, tid4}), 4, "four distinct trace ids")
    for tid in (tid1, tid2, tid3, tid4):
        check(tid.startswith("tr-"), "trace ids are tr-<hex>", tid)

    step("get_trace: spans, parents, attributes, inputs/outputs, status, exception event")
    t1 = mlflow.get_trace(tid1)
    check(t1 is not None, f"mlflow.get_trace({tid1}) found the trace")
    check_pipeline_trace(t1, tid1, exp_id, q1, 2, "geo", "u1")
    check_pipeline_trace(client.get_trace(tid2, display=False), tid2, exp_id, q2, 3, "lit", "u2")
    t3 = mlflow.get_trace(tid3)
    check(t3 is not None, f"mlflow.get_trace({tid3}) found the failing trace")
    check_failing_trace(t3, tid3)
    t4 = mlflow.get_trace(tid4)
    equal(t4.info.trace_metadata.get("mlflow.sourceRun"), run_id, "a trace made inside a run names it (mlflow.sourceRun)")
    equal(mlflow.get_trace("tr-" + "0" * 32, silent=True), None, "get_trace of an unknown id")
    equal(error_code(lambda: client.get_trace("tr-" + "0" * 32, display=False)), "RESOURCE_DOES_NOT_EXIST", "MlflowClient.get_trace of an unknown id")

    step("search_traces: filters, order_by, max_results")
    every = [tid1, tid2, tid3, tid4]

    def search(filter_string=None, order_by=None, max_results=None, **kw):
        return ids(mlflow.search_traces(locations=[exp_id], filter_string=filter_string, order_by=order_by, max_results=max_results, return_type="list", **kw))

    equal(search(), every[::-1], "default order (newest first)")
    equal(search(order_by=["timestamp_ms ASC"]), every, "order_by timestamp_ms ASC")
    equal(search(filter_string="trace.status = 'ERROR'"), [tid3], "trace.status = 'ERROR'")
    equal(search(filter_string="trace.status = 'OK'", order_by=["timestamp_ms ASC"]), [tid1, tid2, tid4], "trace.status = 'OK'")
    equal(search(filter_string=f"trace.timestamp_ms > {t_mid}"), [tid4], "trace.timestamp_ms > t")
    equal(search(filter_string=f"trace.timestamp_ms >= {t_before} AND trace.timestamp_ms < {t_mid}", order_by=["timestamp_ms ASC"]), [tid1, tid2, tid3], "timestamp range")
    equal(search(filter_string="tags.topic = 'lit'"), [tid2], "tags.topic = 'lit'")
    equal(search(filter_string="tags.topic != 'lit'", order_by=["timestamp_ms ASC"]), [tid1, tid4], "tags.topic != 'lit'")
    equal(search(filter_string="tags.mlflow.traceName = 'failing'"), [tid3], "tags.mlflow.traceName")
    equal(search(filter_string="metadata.`app.user` = 'u2'"), [tid2], "metadata.`app.user` = 'u2'")
    equal(search(filter_string="request_metadata.`app.user` = 'u1'"), [tid1], "request_metadata.`app.user` = 'u1'")
    equal(search(filter_string="trace.status = 'OK' AND tags.topic = 'geo'"), [tid1], "AND of status and tag")
    equal(search(order_by=["timestamp_ms ASC"], max_results=2), [tid1, tid2], "max_results=2")
    equal(search(run_id=run_id), [tid4], "search_traces(run_id=) finds the trace made in the run")
    equal(search(filter_string="tags.topic = 'none'"), [], "no match")

    def span_search():
        return search(filter_string="span.name = 'retrieve'", order_by=["timestamp_ms ASC"])

    if sql:
        equal(span_search(), [tid1, tid2, tid4], "span.name = 'retrieve'")
        equal(search(filter_string="span.name = 'validate'"), [tid3], "span.name = 'validate'")
    else:
        try:
            span_search()
            observed["span_filter"] = None
        except MlflowException as e:
            observed["span_filter"] = [e.error_code, e.message]
        check(observed["span_filter"] is not None, "a span filter on the file store is refused", observed["span_filter"])
    observed["bad_filter"] = error_code(lambda: search(filter_string="trace.nope = 1"))
    equal(observed["bad_filter"], "INVALID_PARAMETER_VALUE", "an unknown trace attribute in a filter")
    observed["bad_order_by"] = error_code(lambda: search(order_by=["nope ASC"]))
    equal(observed["bad_order_by"], "INVALID_PARAMETER_VALUE", "an unknown order_by key")

    step("MlflowClient.search_traces: page tokens")
    pages: list[list[str]] = []
    token = None
    while True:
        page = client.search_traces(locations=[exp_id], max_results=1, order_by=["timestamp_ms ASC"], page_token=token)
        pages.append(ids(page))
        token = page.token
        if not token:
            break
        check(len(pages) <= 5, "page tokens end")
    equal(pages, [[t] for t in every], "pages of one, oldest first")
    page = client.search_traces(locations=[exp_id], max_results=3, filter_string="trace.status = 'OK'", order_by=["timestamp_ms DESC"])
    equal(ids(page), [tid4, tid2, tid1], "first page of 3 (filtered)")
    page = client.search_traces(locations=[exp_id], max_results=2, order_by=["timestamp_ms DESC"], include_spans=False)
    equal(ids(page), [tid4, tid3], "page of 2 without spans")
    equal([len(t.data.spans) for t in page], [0, 0], "include_spans=False returns no spans")
    page2 = client.search_traces(locations=[exp_id], max_results=2, order_by=["timestamp_ms DESC"], page_token=page.token)
    equal(ids(page2), [tid2, tid1], "second page of 2")
    equal(page2.token, None, "no token after the last page")
    full = client.search_traces(locations=[exp_id], filter_string="trace.status = 'ERROR'")
    equal(len(full), 1, "search with spans finds the failing trace")
    check_failing_trace(full[0], tid3)

    step("assessments: log_feedback, log_expectation, update, delete")
    human = AssessmentSource(source_type=AssessmentSourceType.HUMAN, source_id="alice@example.com")
    judge = AssessmentSource(source_type=AssessmentSourceType.LLM_JUDGE, source_id="gpt-judge")
    fb = mlflow.log_feedback(trace_id=tid1, name="relevance", value=0.75, source=judge, rationale="mostly on topic", metadata={"round": "1"})
    ex = mlflow.log_expectation(trace_id=tid1, name="expected_answer", value={"answer": "Paris", "cities": ["Paris"]}, source=human)
    fb2 = mlflow.log_feedback(trace_id=tid1, name="is_polite", value=True, source=human)
    err = mlflow.log_feedback(trace_id=tid2, name="toxicity", source=judge, error=ValueError("judge unavailable"))
    for a in (fb, ex, fb2, err):
        check(a.assessment_id and a.assessment_id.startswith("a-"), "assessment ids are a-<hex>", a.assessment_id)
    got = mlflow.get_assessment(tid1, fb.assessment_id)
    equal((got.name, got.value, got.rationale, got.metadata, got.trace_id), ("relevance", 0.75, "mostly on topic", {"round": "1"}, tid1), "feedback read back")
    equal((got.source.source_type, got.source.source_id), ("LLM_JUDGE", "gpt-judge"), "feedback source")
    got = mlflow.get_assessment(tid1, ex.assessment_id)
    equal((got.name, got.value), ("expected_answer", {"answer": "Paris", "cities": ["Paris"]}), "expectation read back")
    equal((got.source.source_type, got.source.source_id), ("HUMAN", "alice@example.com"), "expectation source")
    got = mlflow.get_assessment(tid2, err.assessment_id)
    equal((got.name, got.value), ("toxicity", None), "feedback with an error read back")
    equal(got.error.error_code, "ValueError", "feedback error code")
    equal(got.error.error_message, "judge unavailable", "feedback error message")
    by_name = {a.name: a for a in mlflow.get_trace(tid1).info.assessments}
    equal(sorted(by_name), ["expected_answer", "is_polite", "relevance"], "get_trace carries the assessments")
    equal(by_name["is_polite"].value, True, "boolean feedback in the trace")

    updated = mlflow.update_assessment(trace_id=tid1, assessment_id=fb.assessment_id, assessment=Feedback(name="relevance", value=0.9, rationale="on topic"))
    equal(updated.assessment_id, fb.assessment_id, "update keeps the assessment id")
    got = mlflow.get_assessment(tid1, fb.assessment_id)
    equal((got.name, got.value, got.rationale), ("relevance", 0.9, "on topic"), "updated feedback read back")
    check(got.last_update_time_ms >= got.create_time_ms, "last_update_time_ms after update", (got.create_time_ms, got.last_update_time_ms))
    mlflow.update_assessment(trace_id=tid1, assessment_id=ex.assessment_id, assessment=Expectation(name="expected_answer", value="Paris"))
    equal(mlflow.get_assessment(tid1, ex.assessment_id).value, "Paris", "updated expectation read back")
    mlflow.delete_assessment(trace_id=tid1, assessment_id=fb2.assessment_id)
    equal(error_code(lambda: mlflow.get_assessment(tid1, fb2.assessment_id)), "RESOURCE_DOES_NOT_EXIST", "a deleted assessment is gone")
    equal(sorted(a.name for a in mlflow.get_trace(tid1).info.assessments), ["expected_answer", "relevance"], "assessments after the delete")
    equal(error_code(lambda: mlflow.get_assessment(tid1, "a-" + "0" * 32)), "RESOURCE_DOES_NOT_EXIST", "unknown assessment id")

    step("trace tags: set and delete")
    mlflow.set_trace_tag(tid2, "reviewed", "yes")
    client.set_trace_tag(tid2, "reviewer", "bob")
    tags = client.get_trace(tid2, display=False).info.tags
    equal((tags.get("reviewed"), tags.get("reviewer")), ("yes", "bob"), "tags set after the trace ended")
    equal(search(filter_string="tags.reviewed = 'yes'"), [tid2], "search by a tag set later")
    mlflow.delete_trace_tag(tid2, "reviewed")
    tags = client.get_trace(tid2, display=False).info.tags
    check("reviewed" not in tags and tags.get("reviewer") == "bob", "tag deleted, the other kept", tags)

    step("link traces to a run")
    with mlflow.start_run(run_name="linked-run") as linked:
        pass
    linked_id = linked.info.run_id
    try:
        client.link_traces_to_run([tid1, tid3], linked_id)
        observed["link_traces_to_run"] = None
    except MlflowException as e:
        observed["link_traces_to_run"] = [e.error_code, e.message]
    if sql:
        equal(observed["link_traces_to_run"], None, "link_traces_to_run")
        equal(sorted(search(run_id=linked_id)), sorted([tid1, tid3]), "search_traces(run_id=) finds the linked traces")
    else:
        # MLflow's FileStore refuses run links (INVALID_PARAMETER_VALUE, "not supported in FileStore").
        check(observed["link_traces_to_run"] is not None and observed["link_traces_to_run"][0] == "INVALID_PARAMETER_VALUE", "link_traces_to_run on the file store is refused", observed["link_traces_to_run"])
        equal(search(run_id=linked_id), [], "no trace linked on the file store")

    step("delete traces: by ids, then by timestamp")
    equal(client.delete_traces(exp_id, trace_ids=[tid2]), 1, "delete_traces(trace_ids=) count")
    equal(mlflow.get_trace(tid2, silent=True), None, "a deleted trace is gone")
    equal(search(order_by=["timestamp_ms ASC"]), [tid1, tid3, tid4], "search after deleting by id")
    equal(client.delete_traces(exp_id, max_timestamp_millis=t_mid), 2, "delete_traces(max_timestamp_millis=) count")
    equal(search(), [tid4], "search after deleting by timestamp")
    equal(client.delete_traces(exp_id, trace_ids=[tid1]), 0, "deleting a deleted trace counts 0")
    check_pipeline_trace(mlflow.get_trace(tid4), tid4, exp_id, "In a run?", 1, "run", "u3")

    print(json.dumps({"ok": True, "backend": args.backend, "observed": observed}), flush=True)
    return 0


if __name__ == "__main__":
    run(main)
