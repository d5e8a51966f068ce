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

BASE_TS = 1_700_000_000_000
SEARCH_EXPERIMENT = "bench-search"
LR = ["0.1", "0.01", "0.001", "0.0001"]
TEAMS = ["vision", "nlp", "speech", "rl", "tabular"]
MODELS = ["resnet", "vit", "mlp"]


def frac(x):
    return x - math.floor(x)


def m1(i):
    return frac(i * 0.6180339887498949)


def m2(i):
    return frac(i * 0.7548776662466927)


def series(step):
    return 1.0 / (1.0 + step * 0.001)


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


def now():
    return time.perf_counter()


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def quantile(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def open_store(root):
    t = now()
    store = FileStore(root, None)
    return store, (now() - t) * 1000


def env():
    return {"python": platform.python_version(), "mlflow": mlflow.__version__, "store": "FileStore"}


def peak_rss_kib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def batch_metrics(keys, steps, step0):
    return [Metric(f"k{k}", series(step0 + s), BASE_TS + step0 + s, step0 + s) for s in range(steps) for k in range(keys)]


def writes(task):
    """Each phase on its own fresh folder (see ours-side.ts `writes`)."""
    p = task["profile"]
    store, open_ms = open_store(os.path.join(task["root"], "create-run"))
    out = {"side": "mlflow", "openMs": open_ms, "env": env()}

    c = p["createRun"]
    exp = store.create_experiment("bench-create-run")
    for i in range(c["warmup"]):
        store.create_run(exp, "bench", BASE_TS + i, [], f"w{i}")
    rounds = []
    for r in range(c["rounds"]):
        t = now()
        for i in range(c["runsPerRound"]):
            store.create_run(exp, "bench", BASE_TS + i, [], f"r{r}-{i}")
        rounds.append(c["runsPerRound"] / (now() - t))
    out["createRun"] = {"runsPerSecond": median(rounds), "rounds": rounds}

    b = p["logBatch"]
    store, _ = open_store(os.path.join(task["root"], "log-batch"))
    exp = store.create_experiment("bench-log-batch")
    run = store.create_run(exp, "bench", BASE_TS, [], "warmup").info.run_id
    for w in range(b["warmupCalls"]):
        store.log_batch(run, batch_metrics(b["keys"], b["steps"], w * b["steps"]), [], [])
    rows = b["keys"] * b["steps"]
    rounds = []
    for r in range(b["rounds"]):
        run = store.create_run(exp, "bench", BASE_TS, [], f"r{r}").info.run_id
        calls = [batch_metrics(b["keys"], b["steps"], j * b["steps"]) for j in range(b["callsPerRound"])]
        t = now()
        for metrics in calls:
            store.log_batch(run, metrics, [], [])
        rounds.append(rows * b["callsPerRound"] / (now() - t))
    out["logBatch"] = {"rowsPerSecond": median(rounds), "rounds": rounds, "rowsPerCall": rows}

    m = p["logMetric"]
    store, _ = open_store(os.path.join(task["root"], "log-metric"))
    exp = store.create_experiment("bench-log-metric")
    run = store.create_run(exp, "bench", BASE_TS, [], "lm").info.run_id
    for i in range(m["warmup"]):
        store.log_metric(run, Metric("warm", series(i), BASE_TS + i, i))
    lat = []
    for i in range(m["calls"]):
        metric = Metric("loss", series(i), BASE_TS + i, i)
        t = now()
        store.log_metric(run, metric)
        lat.append((now() - t) * 1000)
    out["logMetric"] = {"p50Ms": quantile(lat, 0.5), "p99Ms": quantile(lat, 0.99), "meanMs": sum(lat) / len(lat), "calls": len(lat)}
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
