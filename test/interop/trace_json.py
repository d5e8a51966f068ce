"""Neutral JSON of MLflow trace entities for the trace interop scripts (traces_via_store.py,
traces_via_file_store.py): the shapes test/interop/trace-scenario.ts and file-trace-scenario.ts build
from our stores."""


def assessment_json(a):
    d = a.to_dictionary()
    out = {
        "assessment_id": a.assessment_id,
        "name": a.name,
        "trace_id": a.trace_id,
        "source": {"source_type": a.source.source_type, "source_id": a.source.source_id},
        "create_time": a.create_time_ms,
        "last_update_time": a.last_update_time_ms,
        "span_id": a.span_id,
        "rationale": a.rationale,
        "metadata": a.metadata or None,
        "overrides": a.overrides,
        "valid": a.valid,
        "run_id": a.run_id,
    }
    if "feedback" in d:
        out["feedback"] = a.feedback.value
        err = a.feedback.error
        out["error"] = err.to_dictionary() if err else None
    else:
        out["expectation"] = a.expectation.value
    return out


def info_json(info):
    return {
        "trace_id": info.trace_id,
        "experiment_id": info.experiment_id,
        "request_time": info.request_time,
        "execution_duration": info.execution_duration,
        "state": info.state.value,
        "request_preview": info.request_preview,
        "response_preview": info.response_preview,
        "client_request_id": info.client_request_id,
        "tags": dict(sorted(info.tags.items())),
        "trace_metadata": dict(sorted(info.trace_metadata.items())),
        "assessments": sorted((assessment_json(a) for a in info.assessments), key=lambda a: a["assessment_id"]),
    }


def search_ids(store, experiment_id, filter_string=None, order_by=None, max_results=100):
    ids, token, pages = [], None, 0
    while True:
        infos, token = store.search_traces(
            locations=[experiment_id], filter_string=filter_string, order_by=order_by, max_results=max_results, page_token=token
        )
        ids += [i.trace_id for i in infos]
        pages += 1
        if not token or pages > 50:
            return ids
