"""Replay the interop scenario through the MLflow Python client, and print the ids it got as JSON.

Usage: python fill_via_client.py <tracking_uri> <scenario.json>

With a database URI the client talks to SqlAlchemyStore directly, which creates MLflow's schema on
a fresh database (all alembic migrations); with a file: URI (and MLFLOW_ALLOW_FILE_STORE=true) it
talks to FileStore, which creates the mlruns folder. Every op maps to one MlflowClient call, the same call
`apply-scenario.ts` makes on our store. Numbers arrive as JSON numbers, or as the strings "NaN",
"Infinity", "-Infinity" and "-0" for the doubles JSON cannot carry; float() reads both.

Output: {"experiments": {ref: experiment_id}, "runs": {ref: run_id}}
"""

import json
import sys

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag


def key_values(entries):
    return {entry["key"]: entry["value"] for entry in entries}


def metric(m):
    # dataset_name/dataset_digest are MLflow 3 metric fields, set only by some scenarios.
    return Metric(
        m["key"],
        float(m["value"]),
        m["timestamp"],
        m["step"],
        dataset_name=m.get("dataset_name"),
        dataset_digest=m.get("dataset_digest"),
    )


def dataset_input(entry):
    d = entry["dataset"]
    dataset = Dataset(d["name"], d["digest"], d["source_type"], d["source"], d.get("schema"), d.get("profile"))
    return DatasetInput(dataset, [InputTag(t["key"], t["value"]) for t in entry["tags"]])


def main():
    tracking_uri, scenario_path = sys.argv[1], sys.argv[2]
    with open(scenario_path, encoding="utf-8") as f:
        scenario = json.load(f)
    client = MlflowClient(tracking_uri=tracking_uri)
    experiments, runs = {}, {}

    for op in scenario["ops"]:
        kind = op["op"]
        if kind == "create_experiment":
            experiments[op["ref"]] = client.create_experiment(
                op["name"], artifact_location=op.get("artifact_location"), tags=key_values(op["tags"]) or None
            )
        elif kind == "set_experiment_tag":
            client.set_experiment_tag(experiments[op["experiment"]], op["key"], op["value"])
        elif kind == "delete_experiment_tag":
            client.delete_experiment_tag(experiments[op["experiment"]], op["key"])
        elif kind == "delete_experiment":
            client.delete_experiment(experiments[op["experiment"]])
        elif kind == "create_run":
            run = client.create_run(
                experiments[op["experiment"]],
                start_time=op["start_time"],
                tags=key_values(op["tags"]),
                run_name=op["run_name"],
            )
            runs[op["ref"]] = run.info.run_id
        elif kind == "log_batch":
            client.log_batch(
                runs[op["run"]],
                metrics=[metric(m) for m in op["metrics"]],
                params=[Param(p["key"], p["value"]) for p in op["params"]],
                tags=[RunTag(t["key"], t["value"]) for t in op["tags"]],
            )
        elif kind == "set_terminated":
            client.set_terminated(runs[op["run"]], status=op["status"], end_time=op["end_time"])
        elif kind == "delete_tag":
            client.delete_tag(runs[op["run"]], op["key"])
        elif kind == "delete_run":
            client.delete_run(runs[op["run"]])
        elif kind == "restore_run":
            client.restore_run(runs[op["run"]])
        elif kind == "restore_experiment":
            client.restore_experiment(experiments[op["experiment"]])
        elif kind == "log_inputs":
            client.log_inputs(runs[op["run"]], datasets=[dataset_input(d) for d in op["datasets"]])
        else:
            raise ValueError(f"unknown scenario op {kind!r}")

    json.dump({"experiments": experiments, "runs": runs}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
