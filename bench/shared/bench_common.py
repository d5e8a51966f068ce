"""What both benches' MLflow sides share (mirrors bench/shared/writes.ts): the deterministic values,
the statistics and the write workload (create_run, log_batch, log_metric) through a store.
IEEE doubles make both sides bit-identical.
"""

import math
import time

from mlflow.entities import Metric

BASE_TS = 1_700_000_000_000  # fixed epoch ms so both sides write identical rows


def frac(x):
    return x - math.floor(x)


def m1(i):
    return frac(i * 0.6180339887498949)


def m2(i):
    return frac(i * 0.7548776662466927)


def series(step):
    return 1.0 / (1.0 + step * 0.001)


def now():
    return time.perf_counter()


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def quantile(xs, q):
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, math.ceil(q * len(s)) - 1))]


def batch_metrics(keys, steps, step0):
    """`keys` metric keys x `steps` steps: one log_batch call of keys*steps rows."""
    return [Metric(f"k{k}", series(step0 + s), BASE_TS + step0 + s, step0 + s) for s in range(steps) for k in range(keys)]


def measure_writes(p, store_for):
    """create_run (sequential), log_batch (fresh run per round), log_metric latency (single calls,
    steps increasing): the same calls as writes.ts `measureWrites`. `store_for(phase)` gives the
    store of each phase ("create-run", "log-batch", "log-metric")."""
    out = {}
    c = p["createRun"]
    store = store_for("create-run")
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
    store = store_for("log-batch")
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
    store = store_for("log-metric")
    exp = store.create_experiment("bench-log-metric")
    run = store.create_run(exp, "bench", BASE_TS, [], "lm").info.run_id
    cold = []
    for i in range(m["warmup"]):
        t = now()
        store.log_metric(run, Metric("warm", series(i), BASE_TS + i, i))
        if i < m["calls"]:
            cold.append((now() - t) * 1000)
    lat = []
    for i in range(m["calls"]):
        metric = Metric("loss", series(i), BASE_TS + i, i)
        t = now()
        store.log_metric(run, metric)
        lat.append((now() - t) * 1000)
    out["logMetric"] = {"p50Ms": quantile(lat, 0.5), "p99Ms": quantile(lat, 0.99), "meanMs": sum(lat) / len(lat), "calls": len(lat), "coldP99Ms": quantile(cold, 0.99) if cold else None}
    return out
