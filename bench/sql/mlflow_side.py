"""MLflow's side of `pnpm bench:sql`: the workload of bench/sql/workload.ts, run through MLflow
3.18.0's own SqlAlchemyStore (no server, no REST), printing one JSON object on stdout.

Invoked by bench/sql/run.ts as `python mlflow_side.py '<spec json>'`; the spec carries the database
URI (a fresh, empty database made for this side), the artifact root and every count, so both sides
run exactly the same shapes. Data values come from the same formulas as workload.ts.
"""

import gc
import json
import math
import os
import platform
import resource
import sys
import time
import uuid

import sqlalchemy
import mlflow
from mlflow.entities import LifecycleStage, Metric, Param, RunStatus, RunTag, SourceType, ViewType
from mlflow.store.tracking.dbmodels.models import SqlLatestMetric, SqlMetric, SqlParam, SqlRun, SqlTag
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore
from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME
from mlflow.utils.uri import append_to_uri_path

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared"))
from bench_common import BASE_TS, batch_metrics, m1, m2, measure_writes, median, now, quantile, series  # noqa: E402

def rss_kib() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * (os.sysconf("SC_PAGE_SIZE") // 1024)


def search_metrics(i: int, n: int):
    ts = BASE_TS + i
    return [Metric("m1", m1(i), ts, 0), Metric("m2", m2(i), ts, 0), Metric("m3", i / n, ts, 0)]


def search_params(i: int):
    return [Param("p1", f"v{i % 10}"), Param("p2", f"{i % 7}"), Param("p3", "adam" if i % 2 else "sgd")]


def search_tags(i: int):
    return [RunTag("t1", f"g{i % 5}"), RunTag("t2", "bench"), RunTag("t3", f"{i}")]


def populate_bulk(store: SqlAlchemyStore, experiment_id: str, n: int) -> None:
    """The rows create_run + log_batch would write for the search data set, in one transaction.

    MLflow's API costs ~25 ms of Python CPU per run here (create_run, then log_batch), i.e. minutes
    for 10,000 runs; `--populate api` does it that way. The orchestrator checks afterwards that both
    databases hold the same row counts and value sums for this experiment.
    """
    experiment = store.get_experiment(experiment_id)
    rows = {SqlRun: [], SqlTag: [], SqlParam: [], SqlMetric: [], SqlLatestMetric: []}
    for i in range(n):
        rid = uuid.uuid4().hex
        rows[SqlRun].append({
            "name": f"s{i}",
            "artifact_uri": append_to_uri_path(experiment.artifact_location, rid, SqlAlchemyStore.ARTIFACTS_FOLDER_NAME),
            "run_uuid": rid,
            "experiment_id": int(experiment_id),
            "source_type": SourceType.to_string(SourceType.UNKNOWN),
            "source_name": "",
            "entry_point_name": "",
            "user_id": "bench",
            "status": RunStatus.to_string(RunStatus.RUNNING),
            "start_time": BASE_TS + i,
            "end_time": None,
            "deleted_time": None,
            "source_version": "",
            "lifecycle_stage": LifecycleStage.ACTIVE,
        })
        rows[SqlTag].append({"run_uuid": rid, "key": MLFLOW_RUN_NAME, "value": f"s{i}"})
        rows[SqlTag].extend({"run_uuid": rid, "key": t.key, "value": t.value} for t in search_tags(i))
        rows[SqlParam].extend({"run_uuid": rid, "key": p.key, "value": p.value} for p in search_params(i))
        for m in search_metrics(i, n):
            row = {"run_uuid": rid, "key": m.key, "value": m.value, "timestamp": m.timestamp, "step": m.step, "is_nan": False}
            rows[SqlMetric].append(row)
            rows[SqlLatestMetric].append(dict(row))
    # Core INSERTs on MLflow's own ORM tables (column defaults apply), runs first for the foreign keys.
    with store.ManagedSessionMaker(read_only=False) as session:
        for model, values in rows.items():
            session.execute(model.__table__.insert(), values)


def analyze(store: SqlAlchemyStore) -> None:
    """Refresh planner statistics after a bulk load (both sides do it; see ANALYZE_SQL in databases.ts).

    Without it PostgreSQL plans the search over whatever autovacuum last saw: a side that loaded
    10,000 runs in seconds can get a plan 20x slower than one whose slower load let autovacuum run.
    SQLite has no automatic statistics and neither store runs ANALYZE there, so it is left alone.
    """
    dialect = store.engine.dialect.name
    if dialect not in ("postgresql", "mysql"):
        return
    with store.engine.connect() as conn:
        if dialect == "postgresql":
            conn.exec_driver_sql("ANALYZE")
        else:
            conn.exec_driver_sql("ANALYZE TABLE runs, tags, params, metrics, latest_metrics")
        conn.commit()


def main() -> None:
    spec = json.loads(sys.argv[1])
    out = {"side": "mlflow", "phases": {}, "notes": []}
    t0 = now()
    store = SqlAlchemyStore(spec["uri"], spec["artifactRoot"])
    out["openSeconds"] = now() - t0
    out["rssAfterOpenKiB"] = rss_kib()
    phases = out["phases"]

    # 1-3. create_run, log_batch and log_metric (shared with bench:file), all on this one store.
    phases.update(measure_writes(spec, lambda phase: store))

    # 4. search_runs over an experiment of `runs` runs (populated untimed).
    s = spec["search"]
    exp = store.create_experiment("bench-search")
    t = now()
    if spec["populate"] == "api":
        for i in range(s["runs"]):
            rid = store.create_run(exp, "bench", BASE_TS + i, [], f"s{i}").info.run_id
            store.log_batch(rid, search_metrics(i, s["runs"]), search_params(i), search_tags(i))
    else:
        populate_bulk(store, exp, s["runs"])
    phases["searchPopulate"] = {"seconds": now() - t, "runs": s["runs"], "method": spec["populate"]}
    analyze(store)

    def first_page():
        page = store.search_runs([exp], s["filter"], ViewType.ACTIVE_ONLY, s["maxResults"], s["orderBy"])
        return len(page)

    pages = [0]

    def all_pages():
        n, token, pages[0] = 0, None, 0
        while True:
            page = store.search_runs([exp], s["filter"], ViewType.ACTIVE_ONLY, s["maxResults"], s["orderBy"], token)
            n += len(page)
            pages[0] += 1
            token = page.token
            if not token:
                return n

    # The warm-up queries (first page) serve both timings.
    for _ in range(s["warmup"]):
        first_page()
    for name, fn, reps in (("searchRuns", first_page, s["reps"]), ("searchRunsAllPages", all_pages, s["pageReps"])):
        times, count = [], 0
        for _ in range(reps):
            t = now()
            count = fn()
            times.append((now() - t) * 1000)
        phases[name] = {"medianMs": median(times), "timesMs": times, "runsReturned": count}
    phases["searchRunsAllPages"]["pages"] = pages[0]

    # 5. get_metric_history on one run holding `points` points of one key (populated untimed).
    h = spec["history"]
    exp = store.create_experiment("bench-history")
    run = store.create_run(exp, "bench", BASE_TS, [], "history").info.run_id
    t = now()
    for j in range(h["points"] // h["perCall"]):
        store.log_batch(run, [Metric("loss", series(j * h["perCall"] + s_), BASE_TS + j * h["perCall"] + s_, j * h["perCall"] + s_) for s_ in range(h["perCall"])], [], [])
    phases["historyPopulate"] = {"seconds": now() - t, "points": h["points"]}
    analyze(store)
    for _ in range(h["warmup"]):
        store.get_metric_history(run, "loss")
    times, count = [], 0
    for _ in range(h["reps"]):
        t = now()
        count = len(store.get_metric_history(run, "loss"))
        times.append((now() - t) * 1000)
    phases["metricHistory"] = {"medianMs": median(times), "timesMs": times, "points": count}

    out["rssEndKiB"] = rss_kib()
    out["peakRssKiB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out["env"] = {
        "python": platform.python_version(),
        "mlflow": mlflow.__version__,
        "sqlalchemy": sqlalchemy.__version__,
        "dialect": store.engine.dialect.name,
        "driver": store.engine.dialect.driver,
    }
    if store.engine.dialect.name == "sqlite":
        with store.engine.connect() as conn:
            out["env"]["journalMode"] = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            out["env"]["synchronous"] = conn.exec_driver_sql("PRAGMA synchronous").scalar()
            out["env"]["sqliteVersion"] = conn.exec_driver_sql("SELECT sqlite_version()").scalar()
    store.engine.dispose()
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    gc.collect()
    main()
