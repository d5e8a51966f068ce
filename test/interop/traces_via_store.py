"""Traces and assessments through MLflow 3.18.0's own SqlAlchemyStore, for test/sql-trace-interop.test.ts.

usage: traces_via_store.py fill <db-uri> <artifact-root> <spec.json>
       traces_via_store.py dump <db-uri> <artifact-root> <spec.json> <experiment-id>

`fill` replays the spec (test/interop/trace-scenario.ts) and prints {"experiment_id": ...};
`dump` prints the experiment's traces (search_traces order, get_trace_info of each) and the ids
every spec query returns, in the neutral shape trace-scenario.ts builds from our store, as the last
line of stdout.
"""

import json
import sys

from mlflow.entities import Span, TraceInfo, TraceLocation, TraceState
from mlflow.entities.assessment import AssessmentError, AssessmentSource, Expectation, Feedback
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from trace_json import assessment_json, info_json, search_ids


def fill(store, spec, uri):
    experiment_id = store.create_experiment(spec["experiment_name"])
    run_id = store.create_run(experiment_id, "interop", 0, [], "linked").info.run_id
    for t in spec["traces"]:
        store.start_trace(
            TraceInfo(
                trace_id=t["trace_id"],
                trace_location=TraceLocation.from_experiment_id(experiment_id),
                request_time=t["request_time"],
                execution_duration=t.get("execution_duration"),
                state=TraceState(t["state"]),
                request_preview=t.get("request_preview"),
                response_preview=t.get("response_preview"),
                client_request_id=t.get("client_request_id"),
                trace_metadata=t.get("trace_metadata", {}),
                tags=t.get("tags", {}),
            )
        )
    for batch in spec["span_batches"]:
        store.log_spans(experiment_id, [Span.from_dict(d) for d in batch])
    for trace_id, key, value in spec["set_tags"]:
        store.set_trace_tag(trace_id, key, value)
    for trace_id, key in spec["delete_tags"]:
        store.delete_trace_tag(trace_id, key)
    created = []
    for a in spec["assessments"]:
        source = AssessmentSource(source_type=a["source_type"], source_id=a["source_id"])
        common = dict(
            name=a["name"],
            source=source,
            trace_id=a["trace_id"],
            metadata=a.get("metadata"),
            span_id=a.get("span_id"),
        )
        if a["kind"] == "feedback":
            error = a.get("error")
            assessment = Feedback(
                value=a.get("value"),
                error=AssessmentError(**error) if error else None,
                rationale=a.get("rationale"),
                overrides=created[a["overrides"]] if a.get("overrides") is not None else None,
                **common,
            )
        else:
            assessment = Expectation(value=a["value"], **common)
        created.append(store.create_assessment(assessment).assessment_id)
    for index, update in spec["update_assessments"]:
        a = spec["assessments"][index]
        store.update_assessment(
            a["trace_id"],
            created[index],
            name=update.get("name"),
            feedback=Feedback(value=update["value"]).feedback if "value" in update else None,
            rationale=update.get("rationale"),
            metadata=update.get("metadata"),
        )
    store.link_traces_to_run(spec["link_to_run"], run_id)
    if spec.get("traced_call"):
        traced_call(uri, experiment_id)
    return {"experiment_id": experiment_id, "run_id": run_id}


def traced_call(uri, experiment_id):
    """A traced function with nested spans, attributes and an exception span, logged by MLflow's
    client itself (its SQL backend puts the spans in the `spans` table)."""
    import mlflow

    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment(experiment_id=experiment_id)

    @mlflow.trace(span_type="LLM", attributes={"model": "gpt-4", "temperature": 0.5})
    def llm(question):
        return f"MLflow answers {question}"

    @mlflow.trace(name="fails")
    def fails():
        raise ValueError("boom")

    @mlflow.trace(span_type="CHAIN")
    def answer(question):
        with mlflow.start_span(name="retrieve", span_type="RETRIEVER") as span:
            span.set_inputs({"query": question})
            span.set_outputs(["doc-1", "doc-2"])
            span.set_attribute("top_k", 2)
        try:
            fails()
        except ValueError:
            pass
        return llm(question)

    answer("hello tracing")
    flush = getattr(mlflow, "flush_trace_async_logging", None)
    if flush:
        flush()


def spans_json(store, info):
    if info.tags.get("mlflow.trace.spansLocation") != "TRACKING_STORE":
        return None
    return sorted((exact_times(s.to_dict()) for s in store.get_trace(info.trace_id, allow_partial=True).data.spans), key=lambda s: s["span_id"])


def exact_times(d):
    # Nanosecond ints exceed 2^53: compared as decimal text.
    text = lambda v: None if v is None else str(v)  # noqa: E731
    return {
        **d,
        "start_time_unix_nano": text(d["start_time_unix_nano"]),
        "end_time_unix_nano": text(d["end_time_unix_nano"]),
        "events": [{**e, "time_unix_nano": text(e["time_unix_nano"])} for e in d.get("events", [])],
    }


def dump(store, spec, experiment_id):
    ids = search_ids(store, experiment_id)
    queries = []
    for q in spec["queries"]:
        try:
            result = search_ids(store, experiment_id, q.get("filter"), q.get("order_by"), q.get("max_results", 100))
        except Exception as e:  # noqa: BLE001 - the error code is what both sides must agree on
            result = {"error": getattr(e, "error_code", type(e).__name__)}
        queries.append(result)
    infos = [store.get_trace_info(i) for i in ids]
    return {
        "traces": [info_json(i) for i in infos],
        "spans": [spans_json(store, i) for i in infos],
        "queries": queries,
        "metrics": [metric_points(store, experiment_id, q) for q in spec["metric_queries"]],
        "correlations": [correlation(store, experiment_id, q) for q in spec["correlations"]],
        "span_contents": span_contents(store, spec),
    }


def metric_points(store, experiment_id, q):
    """query_trace_metrics' data points ({metric_name, dimensions, values} with float values), or the error code."""
    from mlflow.entities.trace_metrics import AggregationType, MetricAggregation, MetricViewType

    try:
        points = store.query_trace_metrics(
            experiment_ids=[experiment_id],
            view_type=MetricViewType(q["view_type"]),
            metric_name=q["metric_name"],
            # A percentile arrives as a double (proto), so its label is P50.0, not P50.
            aggregations=[MetricAggregation(AggregationType(a["aggregation_type"]), None if a.get("percentile_value") is None else float(a["percentile_value"])) for a in q["aggregations"]],
            dimensions=q.get("dimensions"),
            filters=q.get("filters"),
            time_interval_seconds=q.get("time_interval_seconds"),
            start_time_ms=q.get("start_time_ms"),
            end_time_ms=q.get("end_time_ms"),
        )
    except Exception as e:  # noqa: BLE001 - the error code is what both sides must agree on
        return {"error": getattr(e, "error_code", type(e).__name__)}
    return [{"metric_name": p.metric_name, "dimensions": dict(p.dimensions), "values": {k: float(v) for k, v in p.values.items()}} for p in points]


def correlation(store, experiment_id, q):
    """calculate_trace_filter_correlation's counts and scores (NaN as null), or the error code."""
    import math

    try:
        r = store.calculate_trace_filter_correlation(
            experiment_ids=[experiment_id], filter_string1=q["filter_string1"], filter_string2=q["filter_string2"], base_filter=q.get("base_filter")
        )
    except Exception as e:  # noqa: BLE001
        return {"error": getattr(e, "error_code", type(e).__name__)}
    score = lambda v: None if v is None or math.isnan(v) else v  # noqa: E731
    return {
        "npmi": score(r.npmi),
        "npmi_smoothed": score(r.npmi_smoothed),
        "filter1_count": r.filter1_count,
        "filter2_count": r.filter2_count,
        "joint_count": r.joint_count,
        "total_count": r.total_count,
    }


def span_contents(store, spec):
    """The raw `spans` rows of the spec's log_spans batches (content as stored, byte for byte)."""
    from mlflow.store.tracking.dbmodels.models import SqlSpan

    trace_ids = sorted({json.loads(s["attributes"]["mlflow.traceRequestId"]) for b in spec["span_batches"] for s in b})
    with store.ManagedSessionMaker() as session:
        rows = (
            session.query(SqlSpan.trace_id, SqlSpan.span_id, SqlSpan.type, SqlSpan.model_name, SqlSpan.model_provider, SqlSpan.content)
            .filter(SqlSpan.trace_id.in_(trace_ids))
            .order_by(SqlSpan.trace_id, SqlSpan.span_id)
            .all()
        )
    return [list(r) for r in rows]


def main():
    mode, uri, artifact_root, spec_path = sys.argv[1:5]
    with open(spec_path) as f:
        spec = json.load(f)
    store = SqlAlchemyStore(uri, artifact_root)
    if mode == "fill":
        out = fill(store, spec, uri)
    else:
        out = dump(store, spec, sys.argv[5])
    print(json.dumps(out))


if __name__ == "__main__":
    main()
