"""MLflow's side of `pnpm bench:file`: MLflow 3.18.0's own FileStore (no server, no REST), used
directly, printing one JSON object on stdout.

Invoked by bench/file/run.ts as `python mlflow_side.py '<task json>'` (see `Task` in workload.ts):
  writes    create_run / log_batch / log_metric timings on a fresh mlruns folder
  search    one search query over the shared data set, `reps` times (the first call is cold)
  populate  writes the search data set through MLflow's API (create_run + log_batch per run)
The data formulas are duplicated from workload.ts; IEEE doubles make both sides bit-identical.
"""

import json
import math
import os
import platform
import resource
import sys
import time

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

import mlflow  # noqa: E402
from mlflow.entities import Metric, Param, RunTag, ViewType  # noqa: E402
from mlflow.store.tracking.file_store import FileStore  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared"))
from bench_common import BASE_TS, batch_metrics, m1, m2, measure_writes, median, now, quantile, series  # noqa: E402

SEARCH_EXPERIMENT = "bench-search"
LR = ["0.1", "0.01", "0.001", "0.0001"]
TEAMS = ["vision", "nlp", "speech", "rl", "tabular"]
MODELS = ["resnet", "vit", "mlp"]


def history_length(i):
    return 10 + (i * 7) % 91


def dataset_run(i, n):
    """Run i of the search data set (workload.ts `datasetRun`)."""
    start = BASE_TS + i * 1000
    tags = [
        RunTag("mlflow.user", "bench"),
        RunTag("mlflow.source.name", "train.py"),
        RunTag("mlflow.source.type", "LOCAL"),
        RunTag("team", TEAMS[i % 5]),
        RunTag("stage", "prod" if i % 3 == 0 else "dev"),
    ]
    params = [
        Param("lr", LR[i % 4]),
        Param("batch_size", str(16 << ((i >> 2) % 4))),
        Param("optimizer", "adam" if i % 2 else "sgd"),
        Param("epochs", str(history_length(i))),
        Param("seed", str(i)),
        Param("model", MODELS[i % 3]),
    ]
    metrics = [Metric("m1", m1(i), start, 0), Metric("m2", m2(i), start, 0), Metric("m3", i / n, start, 0)]
    for s in range(history_length(i)):
        metrics.append(Metric("loss", series(s) * (0.5 + m1(i)), start + s * 10, s))
        metrics.append(Metric("accuracy", 1 - series(s) * 0.5, start + s * 10, s))
    return f"run-{i}", start, tags, params, metrics


def open_store(root):
    t = now()
    store = FileStore(root, None)
    return store, (now() - t) * 1000


def env():
    return {"python": platform.python_version(), "mlflow": mlflow.__version__, "store": "FileStore"}


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def writes(task):
    """Each phase on its own fresh folder (see ours-side.ts `writes`)."""
    opened = {}

    def store_for(phase):
        store, opened[phase] = open_store(os.path.join(task["root"], phase))
        return store

    out = {"side": "mlflow", "env": env(), **measure_writes(task["profile"], store_for)}
    out["openMs"] = opened["create-run"]
    out["peakRssKiB"] = peak_rss_kib()
    return out


def digest(run):
    """The fields compared with our side's results (workload.ts `RunDigest`)."""
    i, d = run.info, run.data
    return {
        "run_id": i.run_id,
        "run_name": i.run_name,
        "experiment_id": i.experiment_id,
        "user_id": i.user_id,
        "status": i.status,
        "start_time": i.start_time,
        "end_time": i.end_time,
        "lifecycle_stage": i.lifecycle_stage,
        "artifact_uri": i.artifact_uri,
        "params": sorted([k, v] for k, v in d.params.items()),
        "tags": sorted([k, v] for k, v in d.tags.items()),
        "metrics": sorted([m.key, m.value, m.timestamp, m.step] for m in d._metric_objs),
    }


def search(task):
    """One query, `reps` times; the first call is this process's (and store's) first search."""
    store, open_ms = open_store(task["root"])
    exp = task["experimentId"]  # passed in so that nothing but the timed search touches the store
    q = task["query"]
    times, runs, pages = [], [], 0
    for _ in range(task["reps"]):
        t = now()
        runs, token, pages = [], None, 0
        while True:
            page = store.search_runs([exp], q["filter"], ViewType.ACTIVE_ONLY, q["maxResults"], q["orderBy"], token)
            runs.extend(page)
            pages += 1
            token = page.token
            if q["pages"] == "first" or not token:
                break
        times.append((now() - t) * 1000)
    if task.get("resultsFile"):
        with open(task["resultsFile"], "w") as f:
            json.dump([digest(r) for r in runs], f)
    return {"side": "mlflow", "openMs": open_ms, "peakRssKiB": peak_rss_kib(), "env": env(), "timesMs": times, "runs": len(runs), "pages": pages}


def populate(task):
    store, _ = open_store(task["root"])
    exp = store.create_experiment(SEARCH_EXPERIMENT)
    n = task["runs"]
    t = now()
    for i in range(n):
        name, start, tags, params, metrics = dataset_run(i, n)
        run_id = store.create_run(exp, "bench", start, tags, name).info.run_id
        store.log_batch(run_id, metrics, params, [])
    return {"side": "mlflow", "seconds": now() - t, "runs": n, "experimentId": exp}


def main():
    task = json.loads(sys.argv[1])
    out = {"writes": writes, "search": search, "populate": populate}[task["mode"]](task)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
