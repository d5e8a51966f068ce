"""Dump what the MLflow Python client reads from a tracking URI, as JSON on stdout.

Usage: python dump_via_client.py <tracking_uri> <queries.json>

<tracking_uri> is either an http:// URI of a running `mlflow server` (RestStore), a database URI
(SqlAlchemyStore) or a file: URI of an mlruns folder (FileStore; needs MLFLOW_ALLOW_FILE_STORE=true). The output has the same shape as `store-dump.ts` produces from our store:

  experiments          every experiment (view ALL), as MlflowClient.search_experiments returns it
  runs                 every run of every experiment (view ALL), as MlflowClient.get_run returns it
                       (info, params, tags, latest metrics, dataset inputs), with the full history of
                       each of its metrics (MlflowClient.get_metric_history)
  run_searches         for each query: the runs search_runs returns, in order, following page tokens
  experiment_searches  for each query: the experiment ids search_experiments returns, in order

Nothing is sorted here (the TypeScript side normalises both dumps the same way). Doubles that JSON
cannot carry are written as the strings "NaN", "Infinity", "-Infinity", and -0.0 as "-0" (JavaScript's
JSON.stringify writes -0 as 0, so the scenario and our dump spell it that way too).
"""

import json
import math
import sys

from mlflow import MlflowClient
from mlflow.entities import ViewType

# Bounds every page-token loop: more pages than this means a token that never ends.
MAX_PAGES = 1000


def encode_number(value):
    value = float(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0 and math.copysign(1.0, value) < 0:
        return "-0"
    return value


def dump_metric(metric):
    out = {
        "key": metric.key,
        "value": encode_number(metric.value),
        "timestamp": metric.timestamp,
        "step": metric.step,
    }
    # MLflow 3 metric fields, only when set (the REST layer turns unset strings into "" or None).
    for field in ("dataset_name", "dataset_digest", "model_id"):
        value = getattr(metric, field, None)
        if value:
            out[field] = value
    return out


def dump_key_values(mapping):
    return [{"key": key, "value": value} for key, value in mapping.items()]


def dump_experiment(experiment):
    return {
        "experiment_id": experiment.experiment_id,
        "name": experiment.name,
        "artifact_location": experiment.artifact_location,
        "lifecycle_stage": experiment.lifecycle_stage,
        "creation_time": experiment.creation_time,
        "last_update_time": experiment.last_update_time,
        "tags": dump_key_values(experiment.tags),
    }


def dump_dataset_input(dataset_input):
    d = dataset_input.dataset
    dataset = {"name": d.name, "digest": d.digest, "source_type": d.source_type, "source": d.source}
    # Optional fields, only when set (a file store keeps `null`, the REST layer sends "" or nothing).
    for field in ("schema", "profile"):
        value = getattr(d, field, None)
        if value:
            dataset[field] = value
    return {"dataset": dataset, "tags": [{"key": t.key, "value": t.value} for t in dataset_input.tags]}


def dump_run(run):
    info = run.info
    return {
        "info": {
            "run_id": info.run_id,
            "run_name": info.run_name,
            "experiment_id": info.experiment_id,
            "user_id": info.user_id,
            "status": info.status,
            "start_time": info.start_time,
            "end_time": info.end_time,
            "artifact_uri": info.artifact_uri,
            "lifecycle_stage": info.lifecycle_stage,
        },
        "params": dump_key_values(run.data.params),
        "tags": dump_key_values(run.data.tags),
        # run.data.metrics maps key -> value only; the Metric objects keep timestamp and step.
        "metrics": [dump_metric(m) for m in run.data._metric_objs],
        "inputs": [dump_dataset_input(d) for d in (run.inputs.dataset_inputs if run.inputs else [])],
    }


def all_pages(fetch):
    """Calls fetch(page_token) until the returned PagedList has no token."""
    items, token = [], None
    for _ in range(MAX_PAGES):
        page = fetch(token)
        items.extend(page)
        token = page.token
        if not token:
            return items
    raise RuntimeError(f"more than {MAX_PAGES} pages: the page token never ends")


def view_type(name):
    return {"ACTIVE_ONLY": ViewType.ACTIVE_ONLY, "DELETED_ONLY": ViewType.DELETED_ONLY, "ALL": ViewType.ALL}[name]


def experiment_id_by_name(client, name):
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        raise RuntimeError(f"experiment {name!r} not found")
    return experiment.experiment_id


def main():
    tracking_uri, queries_path = sys.argv[1], sys.argv[2]
    with open(queries_path, encoding="utf-8") as f:
        queries = json.load(f)
    client = MlflowClient(tracking_uri=tracking_uri)

    experiments = all_pages(
        lambda token: client.search_experiments(view_type=ViewType.ALL, max_results=1000, page_token=token)
    )
    runs = []
    for experiment in experiments:
        found = all_pages(
            lambda token: client.search_runs(
                [experiment.experiment_id], run_view_type=ViewType.ALL, max_results=1000, page_token=token
            )
        )
        for listed in found:
            run = client.get_run(listed.info.run_id)
            dumped = dump_run(run)
            dumped["histories"] = {
                key: [dump_metric(m) for m in client.get_metric_history(run.info.run_id, key)]
                for key in run.data.metrics
            }
            runs.append(dumped)

    run_searches = []
    for query in queries["runs"]:
        ids = [experiment_id_by_name(client, name) for name in query["experiments"]]
        found = all_pages(
            lambda token: client.search_runs(
                ids,
                filter_string=query["filter"],
                run_view_type=view_type(query["view"]),
                max_results=query["max_results"],
                order_by=query["order_by"],
                page_token=token,
            )
        )
        run_searches.append({"name": query["name"], "runs": [dump_run(r) for r in found]})

    experiment_searches = []
    for query in queries["experiments"]:
        found = all_pages(
            lambda token: client.search_experiments(
                view_type=view_type(query["view"]),
                max_results=query["max_results"],
                filter_string=query["filter"] or None,
                order_by=query["order_by"] or None,
                page_token=token,
            )
        )
        experiment_searches.append({"name": query["name"], "experiment_ids": [e.experiment_id for e in found]})

    out = {
        "experiments": [dump_experiment(e) for e in experiments],
        "runs": runs,
        "run_searches": run_searches,
        "experiment_searches": experiment_searches,
    }
    json.dump(out, sys.stdout, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
