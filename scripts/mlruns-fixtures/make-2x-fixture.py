"""Build the MLflow 2.x `mlruns` fixture of @mlstore/store-file, and what MLflow 2.x reads from it.

Usage (from the repository root):

    python3.11 -m venv /tmp/mlflow217 && /tmp/mlflow217/bin/pip install mlflow==2.17.2
    /tmp/mlflow217/bin/python scripts/mlruns-fixtures/make-2x-fixture.py

It writes
  packages/store-file/test/fixtures/mlruns-2x/          the mlruns folder, as MLflow 2.17.2's FileStore
                                                       (tracking and model registry) wrote it
  packages/store-file/test/fixtures/mlruns-2x.expected.json
                                                       {"mlflow_version", "queries", "dump"}: the
                                                       searches run on it and what MLflow 2.17.2's
                                                       MlflowClient reads back (test/interop's dump
                                                       shape, from test/interop/dump_via_client.py)

Reproducible: the clock of both FileStores is a fake one (1000 ms per reading from a fixed epoch),
uuid4 and `random` are seeded, and the folder is always built at BUILD_ROOT below — the absolute
`file://` artifact locations MLflow writes into meta.yaml therefore always read
`file:///tmp/mlstore-mlruns-2x-build/mlruns/...`. They are kept as MLflow wrote them: a store reading
the fixture must take them as opaque strings (they point nowhere once the folder is copied).

Git drops empty directories (a run's empty artifacts/, metrics/ or params/), so their paths are
listed in the JSON under "empty_dirs" and the tests recreate them in their copy of the folder.

Everything goes through MlflowClient except one hand edit: a legacy two-field metric line
(`<timestamp> <value>`, as MLflow before 1.0 wrote it, read with step 0) appended to one history.
"""

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import uuid

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FIXTURES = os.path.join(REPO, "packages", "store-file", "test", "fixtures")
BUILD_ROOT = "/tmp/mlstore-mlruns-2x-build/mlruns"
T0 = 1_600_000_000_000  # 2020-09-13T12:26:40Z: every scenario time is an offset from here
SEED = 20_170_200

# The searches whose results are recorded (same JSON shape as @mlstore/testkit's `Queries`, packages/testkit/src/dump/).
QUERIES = {
    "runs": [
        {
            "name": "active runs by loss",
            "experiments": ["legacy/vision"],
            "filter": "",
            "order_by": ["metrics.loss ASC"],
            "view": "ACTIVE_ONLY",
            "max_results": 2,
        },
        {
            "name": "sgd runs over all stages",
            "experiments": ["legacy/vision", "legacy/abandoned"],
            "filter": "params.optimizer = 'sgd'",
            "order_by": ["attributes.start_time ASC"],
            "view": "ALL",
            "max_results": 10,
        },
        {
            "name": "deleted runs",
            "experiments": ["legacy/vision", "legacy/abandoned", "Default"],
            "filter": "",
            "order_by": [],
            "view": "DELETED_ONLY",
            "max_results": 10,
        },
        {
            "name": "nested tag and status",
            "experiments": ["legacy/vision"],
            "filter": "tags.`team/owner` = 'ann' and attributes.status != 'RUNNING'",
            "order_by": ["attributes.end_time DESC"],
            "view": "ALL",
            "max_results": 10,
        },
    ],
    "experiments": [
        {"name": "all by name", "filter": "", "order_by": ["name ASC"], "view": "ALL", "max_results": 2},
        {"name": "deleted", "filter": "", "order_by": [], "view": "DELETED_ONLY", "max_results": 10},
        {"name": "by tag", "filter": "tags.team = 'vision'", "order_by": [], "view": "ACTIVE_ONLY", "max_results": 10},
    ],
}


def make_reproducible():
    """Fixed clock, seeded ids: the same folder (bytes) on every run of this script."""
    import mlflow.store.model_registry.file_store as registry_file_store
    import mlflow.store.tracking.file_store as tracking_file_store

    clock = {"now": T0 + 86_400_000}

    def fake_millis():
        clock["now"] += 1000
        return clock["now"]

    tracking_file_store.get_current_time_millis = fake_millis
    registry_file_store.get_current_time_millis = fake_millis
    rng = random.Random(SEED)
    random.seed(SEED)  # experiment ids: uuid4 digits plus random.randint for leading zeros
    uuid.uuid4 = lambda: uuid.UUID(int=rng.getrandbits(128), version=4)


def fill(root):
    from mlflow import MlflowClient
    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag

    uri = "file://" + root
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.search_experiments()  # creates the root, Default (id 0) and .trash

    vision = client.create_experiment("legacy/vision", tags={"team": "vision", "owner/name": "ann"})
    abandoned = client.create_experiment("legacy/abandoned", tags={"team": "misc"})

    def run(experiment_id, name, offset_min, user, tags=None):
        start = T0 + offset_min * 60_000
        r = client.create_run(experiment_id, start_time=start, tags={"mlflow.user": user, **(tags or {})}, run_name=name)
        return r.info.run_id, start

    # Finished: long-ish history, special values, nested keys, unicode, a dataset input, an artifact.
    good, s = run(vision, "sgd-good", 0, "ann", {"team/owner": "ann", "note": "Grüße 🚀"})
    good_start = s
    losses = [1 / (1 + k / 3) for k in range(25)]
    metrics = [Metric("loss", v, s + k * 1000, k) for k, v in enumerate(losses)]
    metrics += [Metric("acc", 0.5 + k / 100, s + k * 1000, k) for k in range(25)]
    metrics += [
        Metric("eval/top_k/5", 0.1, s + 100_000, 0),
        Metric("eval/top_k/5", 1e-05, s + 100_001, 1),
        Metric("eval/top_k/5", 1e16, s + 100_002, 2),
        Metric("eval/top_k/5", 3.0, s + 100_003, 3),
        Metric("big_step", 7.0, s + 100_004, 2**33 + 1),
    ]
    client.log_batch(
        good,
        metrics=metrics,
        params=[Param("optimizer", "sgd"), Param("lr", "0.1"), Param("model/depth", "50"), Param("empty", "")],
        tags=[RunTag("stage", "final"), RunTag("multi/line", "first\nsecond\n")],
    )
    train = Dataset("mnist-train", "d1g3st01", "local", '{"uri": "/data/mnist/train.csv"}', '{"mlflow_colspec": []}', '{"num_rows": 60000}')
    evald = Dataset("mnist-eval", "d1g3st02", "local", '{"uri": "/data/mnist/eval.csv"}')
    client.log_inputs(
        good,
        datasets=[
            DatasetInput(train, [InputTag("mlflow.data.context", "training")]),
            DatasetInput(evald, [InputTag("mlflow.data.context", "evaluation"), InputTag("split", "holdout")]),
        ],
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "readme.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("fixture artifact\n")
        client.log_artifact(good, path, "notes")
    client.set_terminated(good, "FINISHED", end_time=s + 3_600_000)

    # Failed: NaN latest loss, +Inf and -Inf in the history, shares the training dataset.
    diverged, s = run(vision, "sgd-diverged", 10, "bob")
    client.log_batch(
        diverged,
        metrics=[Metric("loss", v, s + k * 1000, k) for k, v in enumerate([2.0, float("inf"), float("-inf"), float("nan")])],
        params=[Param("optimizer", "sgd"), Param("lr", "1.5")],
    )
    client.log_inputs(diverged, datasets=[DatasetInput(train, [InputTag("mlflow.data.context", "training")])])
    client.set_terminated(diverged, "FAILED", end_time=s + 600_000)

    # Still running, no end time; a run deleted and one deleted then restored.
    running, s = run(vision, "adam-running", 20, "ann", {"team/owner": "ann"})
    client.log_batch(running, metrics=[Metric("loss", 0.5, s, 0)], params=[Param("optimizer", "adam")])
    deleted, s = run(vision, "sgd-deleted", 30, "bob")
    client.log_batch(deleted, metrics=[Metric("loss", 0.9, s, 0)], params=[Param("optimizer", "sgd")])
    client.set_terminated(deleted, "KILLED", end_time=s + 60_000)
    client.delete_run(deleted)
    restored, s = run(vision, "restored", 40, "ann", {"team/owner": "ann"})
    client.log_metric(restored, "loss", 0.7, timestamp=s, step=0)
    client.set_terminated(restored, "FINISHED", end_time=s + 60_000)
    client.delete_run(restored)
    client.restore_run(restored)

    # An experiment deleted with its run (moved to .trash, the run stamped deleted).
    orphan, s = run(abandoned, "orphan", 50, "dave")
    client.log_batch(orphan, metrics=[Metric("loss", 0.3, s, 0)], params=[Param("optimizer", "sgd")])
    client.set_terminated(orphan, "FINISHED", end_time=s + 60_000)
    client.delete_experiment(abandoned)

    # A run in Default, and the model registry (the root-level models/ folder is not an experiment).
    default_run, s = run("0", "default-run", 60, "eve")
    client.log_param(default_run, "seed", "7")
    client.set_terminated(default_run, "FINISHED", end_time=s + 1000)
    client.create_registered_model("legacy-model", tags={"task": "classification"}, description="2.x registry")
    client.create_model_version("legacy-model", f"runs:/{good}/model", run_id=good)

    # Hand edit: a legacy two-field line (`<timestamp> <value>`) at the end of one history.
    metric_file = os.path.join(root, vision, good, "metrics", "acc")
    with open(metric_file, "a", encoding="utf-8") as f:
        f.write(f"{good_start + 7_200_000} 0.99\n")


def normalize(dump):
    """Sorts what MLflow does not order (as @mlstore/testkit's normalizeDump) for stable diffs."""
    by_key = lambda items: sorted(items, key=lambda i: i["key"])  # noqa: E731
    inputs = lambda items: sorted(  # noqa: E731
        ({"dataset": i["dataset"], "tags": by_key(i["tags"])} for i in items),
        key=lambda i: (i["dataset"]["name"], i["dataset"]["digest"]),
    )

    def run(r):
        out = {**r, "params": by_key(r["params"]), "tags": by_key(r["tags"]), "metrics": by_key(r["metrics"])}
        out["inputs"] = inputs(r["inputs"])
        if "histories" in r:
            out["histories"] = {k: r["histories"][k] for k in sorted(r["histories"])}
        return out

    return {
        "experiments": sorted(
            ({**e, "tags": by_key(e["tags"])} for e in dump["experiments"]), key=lambda e: int(e["experiment_id"])
        ),
        "runs": sorted((run(r) for r in dump["runs"]), key=lambda r: r["info"]["run_id"]),
        "run_searches": [{"name": s["name"], "runs": [run(r) for r in s["runs"]]} for s in dump["run_searches"]],
        "experiment_searches": dump["experiment_searches"],
    }


def empty_dirs(root):
    """Git keeps no empty directory, but MLflow 3's FileStore only accepts a run folder that has
    metrics/, params/ and artifacts/: the tests recreate these (listed here) in their copy."""
    found = []
    for parent, dirs, files in os.walk(root):
        if not dirs and not files:
            found.append(os.path.relpath(parent, root).replace(os.sep, "/"))
    return sorted(found)


def main():
    import mlflow

    make_reproducible()
    shutil.rmtree(os.path.dirname(BUILD_ROOT), ignore_errors=True)
    fill(BUILD_ROOT)
    target = os.path.join(FIXTURES, "mlruns-2x")
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(BUILD_ROOT, target)
    shutil.rmtree(os.path.dirname(BUILD_ROOT))

    # Read back from a scratch copy, with the same script the interop tests use for MLflow 3.18.
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, "mlruns")
        shutil.copytree(target, copy)
        queries = os.path.join(tmp, "queries.json")
        with open(queries, "w", encoding="utf-8") as f:
            json.dump(QUERIES, f)
        out = subprocess.run(
            [sys.executable, os.path.join(REPO, "test", "interop", "dump_via_client.py"), "file://" + copy, queries],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"},
        ).stdout
    expected = {
        "mlflow_version": mlflow.__version__,
        "empty_dirs": empty_dirs(target),
        "queries": QUERIES,
        "dump": normalize(json.loads(out)),
    }
    with open(os.path.join(FIXTURES, "mlruns-2x.expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"wrote {target} and mlruns-2x.expected.json with MLflow {mlflow.__version__}")


if __name__ == "__main__":
    main()
