"""MLflow's side of `pnpm bench:growth`: times the operations of bench/growth/workload.ts through
MLflow 3.18.0's own SqlAlchemyStore (no server) on the database our loader grew, printing one JSON
line per operation (as ours-side.ts `measure`) so a run cut short by the orchestrator keeps what
finished.

Invoked by bench/growth/run.ts as `python mlflow_side.py '<MeasureSpec json>'`.
"""

import json
import os
import sys

from mlflow.entities import ViewType
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "shared"))
from bench_common import BASE_TS, batch_metrics, median, now  # noqa: E402

SEARCH_EXPERIMENT = "1"
WRITES_EXPERIMENT = "3"


class Unfinished(Exception):
    """A page traversal that passed the time limit: reported as not finished."""


def main() -> None:
    spec = json.loads(sys.argv[1])
    store = SqlAlchemyStore(spec["uri"], spec["artifactRoot"])
    limit_ms = spec["limitSeconds"] * 1000
    counter = [0]

    def search(op):
        returned, pages, token, t0 = 0, 0, None, now()
        while True:
            if pages and (now() - t0) * 1000 > limit_ms:
                raise Unfinished(f"stopped after {pages} pages ({returned} runs): over the {spec['limitSeconds']} s limit")
            page = store.search_runs([SEARCH_EXPERIMENT], op["filter"], ViewType.ACTIVE_ONLY, op["maxResults"], op["orderBy"], token)
            returned += len(page)
            pages += 1
            token = page.token
            if not op.get("pages") or not token or returned >= op["pages"]["cap"]:
                return returned, pages

    for name, op in spec["operations"].items():
        def prepare():
            if op["kind"] != "logBatch":
                return None
            counter[0] += 1
            return store.create_run(WRITES_EXPERIMENT, "bench", BASE_TS, [], f"lb-mlflow-{spec['size']}-{counter[0]}").info.run_id

        def call(run_id):
            if op["kind"] == "search":
                return search(op)
            if op["kind"] == "history":
                return len(store.get_metric_history(spec["historyRunId"], "loss")), None
            store.log_batch(run_id, batch_metrics(op["keys"], op["steps"], 0), [], [])
            return op["keys"] * op["steps"], None

        times = []
        # One warm-up call; a warm-up slower than the limit is the only (cold) sample.
        t = now()
        try:
            last = call(prepare())
        except Unfinished as e:
            elapsed = (now() - t) * 1000
            sys.stdout.write(json.dumps({"op": name, "p50Ms": None, "timesMs": [elapsed], "returned": 0, "note": str(e)}) + "\n")
            sys.stdout.flush()
            continue
        warm = (now() - t) * 1000
        if warm > limit_ms:
            times.append(warm)
        else:
            for _ in range(spec["reps"]):
                run_id = prepare()
                t = now()
                last = call(run_id)
                times.append((now() - t) * 1000)
                if times[-1] > limit_ms:
                    break
        result = {"op": name, "p50Ms": median(times), "timesMs": times, "returned": last[0]}
        if last[1]:
            result["pages"] = last[1]
        sys.stdout.write(json.dumps(result) + "\n")
        sys.stdout.flush()
    store.engine.dispose()


if __name__ == "__main__":
    main()
