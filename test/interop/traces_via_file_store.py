"""Traces and assessments through MLflow 3.18.0's own FileStore, for test/file-trace-interop.test.ts.

usage: traces_via_file_store.py fill <mlruns-dir> <spec.json>
       traces_via_file_store.py dump <mlruns-dir> <spec.json> <experiment-id>

`fill` replays the spec (test/interop/file-trace-scenario.ts) and prints {"experiment_id": ...};
`dump` prints the experiment's traces (search_traces order, get_trace_info of each, assessments
through get_assessment too), the ids (or error code) every spec query returns, and the trace YAML
files whose bytes differ from what PyYAML writes for their own content, as the last line of stdout.
"""

import json
import os
import sys

os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"

import yaml  # noqa: E402
from mlflow.entities import TraceInfo, TraceLocation, TraceState  # noqa: E402
from mlflow.entities.assessment import (  # noqa: E402
    Assessment,
    AssessmentError,
    AssessmentSource,
    Expectation,
    Feedback,
)
from mlflow.store.tracking.file_store import FileStore  # noqa: E402
from trace_json import assessment_json, info_json, search_ids  # noqa: E402


def fill(store, spec):
    experiment_id = store.create_experiment(spec["experiment_name"])
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
    for trace_id, key, value in spec["set_tags"]:
        store.set_trace_tag(trace_id, key, value)
    for trace_id, key in spec["delete_tags"]:
        store.delete_trace_tag(trace_id, key)
    created = []
    for a in spec["assessments"]:
        source = AssessmentSource(source_type=a["source_type"], source_id=a["source_id"])
        common = dict(name=a["name"], source=source, trace_id=a["trace_id"], metadata=a.get("metadata"), span_id=a.get("span_id"))
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
        kind = a["kind"]
        value = None
        if "value" in update:
            value = Feedback(value=update["value"]) if kind == "feedback" else Expectation(name="x", value=update["value"])
        store.update_assessment(
            a["trace_id"],
            created[index],
            name=update.get("name"),
            feedback=value if kind == "feedback" else None,
            expectation=value if kind == "expectation" else None,
            rationale=update.get("rationale"),
            metadata=update.get("metadata"),
        )
    for index in spec.get("delete_assessments", []):
        store.delete_assessment(spec["assessments"][index]["trace_id"], created[index])
    return {"experiment_id": experiment_id}


def error_code(e):
    # What MLflow's server answers: the MlflowException's code, else an internal error.
    return getattr(e, "error_code", None) or "INTERNAL_ERROR"


def _write_yaml_text(data):
    # mlflow.utils.yaml_utils.write_yaml's serialization
    return yaml.dump(data, default_flow_style=False, allow_unicode=True, sort_keys=True, Dumper=yaml.CSafeDumper)


def _mlflow_rewrite(name, loaded):
    """What MLflow's FileStore writes for the entity it reads from this content."""
    if name == "trace_info.yaml":
        return _write_yaml_text(FileStore._convert_trace_info_to_dict(None, TraceInfo.from_dict(loaded)))
    a = Assessment.from_dictionary(loaded)
    d = a.to_dictionary()
    if "valid" in loaded and "valid" not in d:
        d["valid"] = loaded["valid"]  # Expectation.from_dictionary drops it; create_assessment wrote it
    return _write_yaml_text(d)


def yaml_bytes_mismatches(root):
    """Trace YAML files whose bytes are not what PyYAML writes for their content, or not what MLflow
    writes for the trace info / assessment it reads from them."""
    bad = []
    for dirpath, _, files in os.walk(root):
        if os.sep + "traces" + os.sep not in dirpath + os.sep:
            continue
        for name in files:
            if not name.endswith(".yaml"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            loaded = yaml.load(text, Loader=yaml.CSafeLoader)
            if _write_yaml_text(loaded) != text:
                bad.append(["pyyaml", os.path.relpath(path, root)])
            elif _mlflow_rewrite(name, loaded) != text:
                bad.append(["mlflow", os.path.relpath(path, root), _mlflow_rewrite(name, loaded), text])
    return sorted(bad)


def dump(store, spec, experiment_id, root):
    ids = search_ids(store, experiment_id)
    queries = []
    for q in spec["queries"]:
        try:
            result = search_ids(store, experiment_id, q.get("filter"), q.get("order_by"), q.get("max_results", 100))
        except Exception as e:  # noqa: BLE001 - the error code is what both sides must agree on
            result = {"error": error_code(e)}
        queries.append(result)
    infos = [store.get_trace_info(i) for i in ids]
    fetched = sorted(
        (assessment_json(store.get_assessment(i.trace_id, a.assessment_id)) for i in infos for a in i.assessments),
        key=lambda a: a["assessment_id"],
    )
    return {
        "traces": [info_json(i) for i in infos],
        "assessments": fetched,
        "queries": queries,
        "yaml_mismatches": yaml_bytes_mismatches(root),
    }


def main():
    mode, root, spec_path = sys.argv[1:4]
    with open(spec_path) as f:
        spec = json.load(f)
    store = FileStore(root)
    if mode == "fill":
        out = fill(store, spec)
    else:
        out = dump(store, spec, sys.argv[4], root)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
