"""
The real MLflow Python client (3.18.0) runs a scripted scenario against a tracking server and checks
every read-back through the public API (the `mlflow.*` fluent API and `MlflowClient`).

    python client_scenario.py <tracking_uri> <workdir> [--backend sql|file] [--artifacts-destination DIR]

<tracking_uri>  http://host:port of an `mlflow server` (or a drop-in replacement) started with
                artifact serving (default artifact root `mlflow-artifacts:/`).
<workdir>       a writable folder for the local files uploaded and downloaded (a unique subfolder is used).
--backend       what the server stores into, when known: `sql` (SQLAlchemy stores write ±Inf metric
                values as ±1.7976931348623157e308) or `file` (FileStore keeps ±Inf). Unknown: either is accepted.
--artifacts-destination
                the server's --artifacts-destination; when given, the uploaded files must also be on
                disk there, at the path of their `mlflow-artifacts:/…` URI.

Prints one JSON report on stdout: {"ok", "passed", "failed", "seconds", "checks": [{"name", "ok",
"detail", "seconds", "requests"}], "endpoints"}; `requests` lists the HTTP requests a check made
("METHOD /path status") and `endpoints` every distinct endpoint the scenario hit (ids masked).
Exits 0 only when every check passed, 1 otherwise (2 when the scenario could not start at all).
Names are unique per execution (uuid), so it can run again against the same server.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import posixpath
import re
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from urllib.parse import urlparse

SQL_MAX = 1.7976931348623157e308
DETAIL_LIMIT = 3000
REQUESTS_PER_CHECK = 60

# ---------------------------------------------------------------------------------------------
# HTTP recording: every request the client makes (tracking REST API and artifact proxy) goes
# through requests.Session.request.
# ---------------------------------------------------------------------------------------------
_requests_log: list[str] = []


def _install_request_recorder() -> None:
    import requests

    original = requests.Session.request

    def recording(self, method, url, *args, **kwargs):
        path = urlparse(url).path
        try:
            resp = original(self, method, url, *args, **kwargs)
        except Exception as e:
            _requests_log.append(f"{method.upper()} {path} ({type(e).__name__})")
            raise
        _requests_log.append(f"{method.upper()} {path} {resp.status_code}")
        return resp

    requests.Session.request = recording


_ID_PATTERNS = [
    (re.compile(r"(/mlflow-artifacts/(?:artifacts|presigned))/.*"), r"\1/{path}"),
    (re.compile(r"/logged-models/m-[0-9a-f]+"), "/logged-models/{model_id}"),
    (re.compile(r"/tags/[^/ ]+$"), "/tags/{key}"),
]


def _endpoint(entry: str) -> str:
    method, path = entry.split(" ")[:2]
    for pattern, repl in _ID_PATTERNS:
        path = pattern.sub(repl, path)
    return f"{method} {path}"


# ---------------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------------
class CheckFailed(AssertionError):
    pass


def expect(cond, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


def expect_eq(actual, expected, what: str) -> None:
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def expect_raises(fn: Callable[[], object], error_code: str, what: str):
    from mlflow.exceptions import MlflowException

    try:
        fn()
    except MlflowException as e:
        expect(
            e.error_code == error_code,
            f"{what}: expected an MlflowException with error_code {error_code}, got {e.error_code}: {e.message}",
        )
        return e
    raise CheckFailed(f"{what}: expected an MlflowException with error_code {error_code}, nothing was raised")


class State(dict):
    """Values set by one check for later ones; a missing one means the check that sets it failed."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise _Missing(key) from None

    def __setattr__(self, key, value):
        self[key] = value


class _Missing(Exception):
    pass


class Report:
    def __init__(self) -> None:
        self.checks: list[dict] = []
        self.started = time.monotonic()

    def run(self, name: str, fn: Callable[[], None]) -> bool:
        first_request = len(_requests_log)
        t0 = time.monotonic()
        ok = False
        try:
            fn()
            ok = True
            detail = ""
        except _Missing as e:
            detail = f"not run: needs '{e.args[0]}' from an earlier check that failed"
        except CheckFailed as e:
            detail = str(e)
        except Exception as e:  # an MlflowException, a connection error, a client-side surprise …
            frames = [f for f in traceback.extract_tb(e.__traceback__) if f.filename == __file__ and f.name != "recording"]
            where = f" (at line {frames[-1].lineno}: {frames[-1].line})" if frames else ""
            detail = f"{type(e).__name__}: {e}{where}"
        requests_made = _requests_log[first_request:]
        if len(requests_made) > REQUESTS_PER_CHECK:
            requests_made = requests_made[:REQUESTS_PER_CHECK] + [f"… {len(requests_made) - REQUESTS_PER_CHECK} more"]
        self.checks.append({
            "name": name,
            "ok": ok,
            "detail": detail[:DETAIL_LIMIT],
            "seconds": round(time.monotonic() - t0, 3),
            "requests": requests_made,
        })
        print(f"[{'PASS' if ok else 'FAIL'}] {name}{'' if ok else ': ' + detail[:500]}", file=sys.stderr)
        return ok

    def to_json(self) -> dict:
        failed = [c for c in self.checks if not c["ok"]]
        return {
            "ok": not failed and bool(self.checks),
            "passed": len(self.checks) - len(failed),
            "failed": len(failed),
            "seconds": round(time.monotonic() - self.started, 3),
            "checks": self.checks,
            "endpoints": sorted({_endpoint(r) for r in _requests_log if " " in r}),
            # Every capability request the client made ("GET /api/3.0/mlflow/server-info 200"): it
            # caches a 200 for 60 s and asks again on every use after a 404.
            "server_info": [r for r in _requests_log if "/mlflow/server-info" in r],
        }


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------
def write_bytes(path: str, data: bytes) -> str:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return path


def read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def tree(root: str) -> dict[str, bytes]:
    """Relative posix path -> bytes of every file under root."""
    out = {}
    for dirpath, _, files in os.walk(root):
        for name in files:
            full = os.path.join(dirpath, name)
            out[os.path.relpath(full, root).replace(os.sep, "/")] = read_bytes(full)
    return out


def describe_tree_diff(actual: dict[str, bytes], expected: dict[str, bytes]) -> str:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    differ = sorted(k for k in set(actual) & set(expected) if actual[k] != expected[k])
    return f"missing {missing}, unexpected {extra}, different bytes {differ}"


def file_infos(infos) -> list[tuple]:
    return [(f.path, f.is_dir, f.file_size) for f in infos]


def run_names(runs) -> list[str]:
    return [r.info.run_name for r in runs]


def same_float(actual: float, expected: float) -> bool:
    if math.isnan(expected):
        return math.isnan(actual)
    return actual == expected


# ---------------------------------------------------------------------------------------------
# The scenario
# ---------------------------------------------------------------------------------------------
def scenario(report: Report, tracking_uri: str, workdir: str, backend: str | None, artifacts_destination: str | None):
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import LoggedModelStatus, Metric, Param, RunStatus, RunTag, ViewType
    from mlflow.exceptions import MlflowException

    try:
        import pandas as pd
    except ImportError:
        pd = None
    try:
        import numpy as np
    except ImportError:
        np = None

    def health():
        import requests

        resp = requests.get(f"{tracking_uri.rstrip('/')}/health", timeout=10)
        expect_eq(resp.status_code, 200, f"GET {tracking_uri}/health status")

    if not report.run("server: GET /health answers 200", health):
        return  # nothing else can work; the report says why

    mlflow.set_tracking_uri(tracking_uri)
    client = MlflowClient(tracking_uri)
    uid = uuid.uuid4().hex[:12]
    prefix = f"client-scenario-{uid}"
    work = os.path.join(workdir, f"client-scenario-{uid}")
    os.makedirs(work, exist_ok=True)
    S = State()
    check = report.run

    def end_active_runs():
        while mlflow.active_run() is not None:
            mlflow.end_run()

    def pandas_only(fn):
        def wrapped():
            if pd is None:
                print("[SKIP] pandas is not installed: the pandas part of this check is skipped", file=sys.stderr)
                return
            fn()

        return wrapped

    # ----------------------------------------------------------------- experiments
    def set_experiment_creates():
        name = f"{prefix}-main"
        expect(client.get_experiment_by_name(name) is None, f"experiment {name!r} exists before set_experiment")
        exp = mlflow.set_experiment(name)
        expect_eq(exp.name, name, "set_experiment(name).name")
        expect(bool(exp.experiment_id), "set_experiment returned no experiment_id")
        expect_eq(exp.lifecycle_stage, "active", "lifecycle_stage of the new experiment")
        got = client.get_experiment(exp.experiment_id)
        expect_eq(got.name, name, "get_experiment(id).name")
        expect_eq(got.experiment_id, exp.experiment_id, "get_experiment(id).experiment_id")
        expect(
            got.artifact_location.startswith("mlflow-artifacts:"),
            f"artifact_location of a new experiment should be under the default root mlflow-artifacts:/, got {got.artifact_location!r}",
        )
        expect(isinstance(got.creation_time, int) and got.creation_time > 0, f"creation_time {got.creation_time!r}")
        expect(got.last_update_time >= got.creation_time, f"last_update_time {got.last_update_time!r} < creation_time")
        S.exp_name = name
        S.exp_id = exp.experiment_id

    def set_experiment_again():
        again = mlflow.set_experiment(S.exp_name)
        expect_eq(again.experiment_id, S.exp_id, "set_experiment(same name) id")
        by_id = mlflow.set_experiment(experiment_id=S.exp_id)
        expect_eq(by_id.name, S.exp_name, "set_experiment(experiment_id=…).name")
        by_name = client.get_experiment_by_name(S.exp_name)
        expect(by_name is not None, "get_experiment_by_name returned None")
        expect_eq(by_name.experiment_id, S.exp_id, "get_experiment_by_name id")
        expect(client.get_experiment_by_name(f"{prefix}-no-such-experiment") is None, "get_experiment_by_name(unknown) is not None")

    def experiment_tags():
        mlflow.set_experiment_tag("team", "ml-platform")
        mlflow.set_experiment_tags({"purpose": "client scenario", "unicode": "héllo ✓ 日本"})
        client.set_experiment_tag(S.exp_id, "temporary", "x")
        expect_eq(client.get_experiment(S.exp_id).tags.get("temporary"), "x", "tag 'temporary' after set_experiment_tag")
        client.delete_experiment_tag(S.exp_id, "temporary")
        client.set_experiment_tag(S.exp_id, "team", "ml-platform-2")  # overwrite
        tags = client.get_experiment(S.exp_id).tags
        for k, v in {"team": "ml-platform-2", "purpose": "client scenario", "unicode": "héllo ✓ 日本"}.items():
            expect_eq(tags.get(k), v, f"experiment tag {k!r}")
        expect("temporary" not in tags, f"tag 'temporary' still present after delete_experiment_tag: {tags}")

    def search_experiments():
        ids = {}
        for i, c in enumerate("abc"):
            ids[c] = client.create_experiment(f"{prefix}-search-{c}", tags={"suite": uid, "rank": str(i)})
        S.search_exp_ids = ids
        like = f"name LIKE '{prefix}-search-%'"
        got = mlflow.search_experiments(filter_string=like, order_by=["name DESC"])
        expect_eq([e.name for e in got], [f"{prefix}-search-{c}" for c in "cba"], f"search_experiments({like!r}, name DESC)")
        got = client.search_experiments(filter_string=f"tags.suite = '{uid}' AND tags.rank != '1'", order_by=["name ASC"])
        expect_eq([e.experiment_id for e in got], [ids["a"], ids["c"]], "search_experiments by tags, name ASC")
        expect_eq(got[0].tags.get("suite"), uid, "tags of a searched experiment")
        got = client.search_experiments(filter_string=like, order_by=["creation_time DESC", "name ASC"], max_results=5)
        expect_eq(len(got), 3, "search_experiments order_by creation_time: count")
        page1 = client.search_experiments(filter_string=like, order_by=["name ASC"], max_results=2)
        expect_eq([e.experiment_id for e in page1], [ids["a"], ids["b"]], "search_experiments page 1 (max_results=2)")
        expect(page1.token, "search_experiments page 1 has no next page token")
        page2 = client.search_experiments(filter_string=like, order_by=["name ASC"], max_results=2, page_token=page1.token)
        expect_eq([e.experiment_id for e in page2], [ids["c"]], "search_experiments page 2")
        expect(not page2.token, f"search_experiments last page has a token {page2.token!r}")

    check("experiment: set_experiment creates a new experiment (mlflow-artifacts: location)", set_experiment_creates)
    check("experiment: set_experiment again (by name, by id) gives the same id; get_experiment_by_name", set_experiment_again)
    check("experiment: tags (set_experiment_tag(s), overwrite, delete_experiment_tag)", experiment_tags)
    check("experiment: search_experiments with filter, order_by and pagination", search_experiments)

    # ----------------------------------------------------------------- nested runs
    def nested_runs():
        end_active_runs()
        mlflow.set_experiment(experiment_id=S.exp_id)
        with mlflow.start_run(run_name=f"parent-{uid}", tags={"role": "parent"}, description="the parent run") as parent:
            S.parent_id = parent.info.run_id
            expect_eq(parent.info.experiment_id, S.exp_id, "parent run experiment_id")
            with mlflow.start_run(run_name=f"child-{uid}", nested=True, tags={"role": "child"}) as child:
                S.child_id = child.info.run_id
                expect_eq(mlflow.active_run().info.run_id, S.child_id, "active run inside the nested block")
                live = client.get_run(S.child_id)
                expect_eq(live.info.status, "RUNNING", "child status while active")
                expect_eq(live.info.lifecycle_stage, "active", "child lifecycle_stage")
                expect_eq(live.data.tags.get("mlflow.parentRunId"), S.parent_id, "child tag mlflow.parentRunId")
                expect_eq(live.data.tags.get("role"), "child", "child tag role")
                expect_eq(live.info.run_name, f"child-{uid}", "child run_name")
                expect_eq(live.data.tags.get("mlflow.runName"), f"child-{uid}", "child tag mlflow.runName")
                expect(live.info.end_time is None, f"child end_time while running: {live.info.end_time!r}")
            expect_eq(mlflow.active_run().info.run_id, S.parent_id, "active run after the nested block")
            expect_eq(client.get_run(S.child_id).info.status, "FINISHED", "child status after its block")
        expect(mlflow.active_run() is None, "a run is still active after both blocks")

    def nested_runs_finished():
        parent = client.get_run(S.parent_id)
        child = client.get_run(S.child_id)
        for label, run, name in (("parent", parent, f"parent-{uid}"), ("child", child, f"child-{uid}")):
            expect_eq(run.info.status, "FINISHED", f"{label} status after end_run")
            expect_eq(run.info.run_name, name, f"{label} run_name")
            expect(run.info.end_time is not None and run.info.end_time >= run.info.start_time, f"{label} end_time {run.info.end_time!r} (start {run.info.start_time!r})")
        expect_eq(parent.data.tags.get("role"), "parent", "parent tag role")
        expect_eq(parent.data.tags.get("mlflow.note.content"), "the parent run", "parent description (tag mlflow.note.content)")
        expect("mlflow.parentRunId" not in parent.data.tags, "the parent has a mlflow.parentRunId tag")
        children = client.search_runs([S.exp_id], filter_string=f"tags.mlflow.parentRunId = '{S.parent_id}'")
        expect_eq([r.info.run_id for r in children], [S.child_id], "search_runs by tags.mlflow.parentRunId")

    check("runs: nested start_run — child has mlflow.parentRunId, run names, tags, RUNNING while active", nested_runs)
    check("runs: parent and child FINISHED with end_time after end_run; search by parentRunId", nested_runs_finished)

    # ----------------------------------------------------------------- logging into one run
    def start_logging_run():
        end_active_runs()
        mlflow.set_experiment(experiment_id=S.exp_id)
        run = mlflow.start_run(run_name=f"logging-{uid}")
        S.run_id = run.info.run_id
        expect_eq(client.get_run(S.run_id).info.status, "RUNNING", "status of the started run")

    def params():
        expect_eq(mlflow.log_param("lr", 0.01), 0.01, "log_param return value")
        mlflow.log_param("layers", 3)
        mlflow.log_params({"optimizer": "adam", "batch_size": 32, "unicode": "ünïcødé ✓", "long": "x" * 500, "empty": ""})
        mlflow.log_param("lr", 0.01)  # same value again: allowed
        got = client.get_run(S.run_id).data.params
        expected = {"lr": "0.01", "layers": "3", "optimizer": "adam", "batch_size": "32", "unicode": "ünïcødé ✓", "long": "x" * 500, "empty": ""}
        expect_eq(got, expected, "run.data.params")

    def metrics_with_steps():
        base = int(time.time() * 1000)
        S.loss = [(0, 1.0), (1, 0.8), (2, 0.6), (3, 0.45), (4, 0.3)]
        for i, (step, value) in enumerate(S.loss):
            mlflow.log_metric("loss", value, step=step, timestamp=base + i)
        S.loss_ts = [base + i for i in range(len(S.loss))]
        mlflow.log_metrics({"acc": 0.5, "f1": 0.25}, step=0, timestamp=base + 10)
        mlflow.log_metrics({"acc": 0.75, "f1": 0.5}, step=1, timestamp=base + 11)
        mlflow.log_metric("no_step", 42)  # step defaults to 0
        mlflow.log_metric("dup", 1.0, step=1, timestamp=base + 20)
        mlflow.log_metric("dup", 2.0, step=1, timestamp=base + 21)
        mlflow.log_metric("dup", 3.0, step=0, timestamp=base + 22)  # an older step logged later: not the latest
        S.metric_base = base
        got = client.get_run(S.run_id).data.metrics
        expect_eq(
            {k: got.get(k) for k in ("loss", "acc", "f1", "no_step", "dup")},
            {"loss": 0.3, "acc": 0.75, "f1": 0.5, "no_step": 42.0, "dup": 2.0},
            "run.data.metrics (latest value per key: highest step, then latest timestamp)",
        )

    def special_values():
        mlflow.log_metric("nan_metric", float("nan"), step=0)
        mlflow.log_metric("pos_inf", float("inf"), step=0)
        mlflow.log_metric("neg_inf", float("-inf"), step=0)
        got = client.get_run(S.run_id).data.metrics
        expect("nan_metric" in got and math.isnan(got["nan_metric"]), f"NaN read back as {got.get('nan_metric')!r}")
        allowed = {"sql": (SQL_MAX,), "file": (math.inf,), None: (math.inf, SQL_MAX)}[backend]
        for key, sign in (("pos_inf", 1), ("neg_inf", -1)):
            value = got.get(key)
            expect(
                value is not None and any(value == sign * a for a in allowed),
                f"{key} read back as {value!r}; expected one of {[sign * a for a in allowed]} (backend {backend or 'unknown'})",
            )
            history = client.get_metric_history(S.run_id, key)
            expect(len(history) == 1 and history[0].value == value, f"history of {key}: {[m.value for m in history]} (run.data says {value!r})")
        history = client.get_metric_history(S.run_id, "nan_metric")
        expect(len(history) == 1 and math.isnan(history[0].value), f"history of nan_metric: {[m.value for m in history]}")

    def metric_history():
        history = client.get_metric_history(S.run_id, "loss")
        expect_eq([(m.step, m.value) for m in history], S.loss, "get_metric_history('loss') (step, value) in logging order")
        expect_eq([m.timestamp for m in history], S.loss_ts, "get_metric_history('loss') timestamps")
        expect(all(m.key == "loss" for m in history), "history entries with another key")
        acc = client.get_metric_history(S.run_id, "acc")
        expect_eq([(m.step, m.value) for m in acc], [(0, 0.5), (1, 0.75)], "get_metric_history('acc')")
        dup = client.get_metric_history(S.run_id, "dup")
        expect_eq(sorted((m.step, m.value) for m in dup), [(0, 3.0), (1, 1.0), (1, 2.0)], "get_metric_history('dup') keeps every value")
        expect_eq(client.get_metric_history(S.run_id, "never_logged"), [], "get_metric_history of a key never logged")

    def run_tags():
        mlflow.set_tag("stage", "dev")
        mlflow.set_tags({"owner": "scenario", "unicode": "ταγ ✓", "multi": "line1\nline2", "stage": "prod"})
        mlflow.set_tag("to_delete", "bye")
        expect_eq(client.get_run(S.run_id).data.tags.get("to_delete"), "bye", "tag 'to_delete' before delete_tag")
        mlflow.delete_tag("to_delete")
        tags = client.get_run(S.run_id).data.tags
        for k, v in {"stage": "prod", "owner": "scenario", "unicode": "ταγ ✓", "multi": "line1\nline2", "mlflow.runName": f"logging-{uid}"}.items():
            expect_eq(tags.get(k), v, f"run tag {k!r}")
        expect("to_delete" not in tags, "tag 'to_delete' still present after delete_tag")

    def log_batch():
        base = int(time.time() * 1000)
        client.log_batch(
            S.run_id,
            metrics=[Metric("batch_m", i * 0.5, base + i, i) for i in range(4)] + [Metric("batch_other", -1.5, base, 7)],
            params=[Param("batch_p1", "v1"), Param("batch_p2", "2")],
            tags=[RunTag("batch_t", "t1"), RunTag("stage", "batched")],
        )
        run = client.get_run(S.run_id)
        expect_eq(run.data.metrics.get("batch_m"), 1.5, "batch_m latest")
        expect_eq(run.data.metrics.get("batch_other"), -1.5, "batch_other")
        expect_eq(run.data.params.get("batch_p1"), "v1", "param batch_p1")
        expect_eq(run.data.params.get("batch_p2"), "2", "param batch_p2")
        expect_eq(run.data.tags.get("batch_t"), "t1", "tag batch_t")
        expect_eq(run.data.tags.get("stage"), "batched", "tag stage overwritten by log_batch")
        history = client.get_metric_history(S.run_id, "batch_m")
        expect_eq([(m.step, m.value, m.timestamp) for m in history], [(i, i * 0.5, base + i) for i in range(4)], "history of batch_m")
        other = client.get_metric_history(S.run_id, "batch_other")
        expect_eq([(m.step, m.value) for m in other], [(7, -1.5)], "history of batch_other")

    def dataset_inputs():
        expect(np is not None, "numpy is not installed")
        features = np.arange(12, dtype=np.float64).reshape(4, 3)
        ds_np = mlflow.data.from_numpy(features, targets=np.array([0, 1, 0, 1]), name=f"np-{uid}", source="https://example.com/data.npz")
        mlflow.log_input(ds_np, context="training", tags={"split": "train"})
        expected = {ds_np.name: (ds_np, "training")}
        if pd is not None:
            df = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": ["a", "b", "c"]})
            ds_pd = mlflow.data.from_pandas(df, name=f"pd-{uid}", targets="x", source="https://example.com/eval.csv")
            mlflow.log_input(ds_pd, context="evaluation")
            expected[ds_pd.name] = (ds_pd, "evaluation")
        mlflow.log_input(ds_np, context="training", tags={"split": "train"})  # the same dataset again: no duplicate
        run = client.get_run(S.run_id)
        inputs = run.inputs.dataset_inputs
        expect_eq(sorted(i.dataset.name for i in inputs), sorted(expected), "run.inputs.dataset_inputs names")
        for di in inputs:
            ds, context = expected[di.dataset.name]
            entity = ds._to_mlflow_entity()
            for field in ("digest", "source_type", "source", "schema", "profile"):
                expect_eq(getattr(di.dataset, field), getattr(entity, field), f"dataset {di.dataset.name} {field}")
            tags = {t.key: t.value for t in di.tags}
            expect_eq(tags.get("mlflow.data.context"), context, f"dataset {di.dataset.name} input tag mlflow.data.context")
            if di.dataset.name.startswith("np-"):
                expect_eq(tags.get("split"), "train", f"dataset {di.dataset.name} input tag split")
        S.dataset_name = ds_np.name

    check("runs: start_run (fluent) for logging — RUNNING", start_logging_run)
    check("params: log_param / log_params read back as strings (unicode, long, empty)", params)
    check("metrics: log_metric with steps and log_metrics; latest value per key", metrics_with_steps)
    check("metrics: NaN and ±Inf round-trip (get_run and get_metric_history)", special_values)
    check("metrics: get_metric_history — values, steps, timestamps, logging order, duplicates", metric_history)
    check("tags: set_tag / set_tags (overwrite, unicode, multi-line) / delete_tag", run_tags)
    check("log_batch: metrics, params and tags in one MlflowClient call", log_batch)
    check("inputs: log_input (from_numpy, from_pandas) → run.inputs.dataset_inputs", dataset_inputs)

    # ----------------------------------------------------------------- artifacts
    src = os.path.join(work, "src")
    files = {
        "model.bin": bytes(range(256)) * 40 + os.urandom(1000),
        "notes.txt": "héllo\nwörld\n".encode(),
    }
    folder = {
        "a.txt": b"top-level file in the folder\n",
        "with space.txt": b"a name with a space",
        "nested/b.bin": os.urandom(70_000),
        "nested/deeper/c.json": b'{"deep": true}',
        "nested/deeper/empty.txt": b"",
    }
    dict_json = {"a": 1, "nested": {"b": [1, 2, 3], "s": "ü"}}
    dict_yaml = {"lr": 0.01, "layers": [64, 32]}
    readme = "line 1\nlíne 2 ✓\n"

    def artifact_uri():
        uri = client.get_run(S.run_id).info.artifact_uri
        expect(uri.startswith("mlflow-artifacts:"), f"run artifact_uri {uri!r} is not under mlflow-artifacts:")
        expect(uri.rstrip("/").endswith(f"{S.run_id}/artifacts"), f"run artifact_uri {uri!r} does not end with <run_id>/artifacts")
        S.artifact_uri = uri

    def log_artifact():
        for name, data in files.items():
            write_bytes(os.path.join(src, name), data)
        mlflow.log_artifact(os.path.join(src, "model.bin"))
        mlflow.log_artifact(os.path.join(src, "notes.txt"), artifact_path="docs/text")
        expect_eq(
            file_infos(client.list_artifacts(S.run_id, "docs/text")),
            [("docs/text/notes.txt", False, len(files["notes.txt"]))],
            "list_artifacts('docs/text')",
        )

    def log_artifacts():
        for rel, data in folder.items():
            write_bytes(os.path.join(src, "folder", *rel.split("/")), data)
        mlflow.log_artifacts(os.path.join(src, "folder"), artifact_path="folder")
        expect_eq(
            file_infos(client.list_artifacts(S.run_id, "folder")),
            [("folder/a.txt", False, len(folder["a.txt"])), ("folder/nested", True, None), ("folder/with space.txt", False, len(folder["with space.txt"]))],
            "list_artifacts('folder')",
        )

    def log_dict_text():
        mlflow.log_dict(dict_json, "config/params.json")
        mlflow.log_dict(dict_yaml, "config/params.yaml")
        mlflow.log_text(readme, "notes/readme.txt")
        mlflow.log_text("at the root", "root.txt")
        got = file_infos(client.list_artifacts(S.run_id, "config"))
        expect_eq([(p, d) for p, d, _ in got], [("config/params.json", False), ("config/params.yaml", False)], "list_artifacts('config')")

    def list_root():
        got = file_infos(client.list_artifacts(S.run_id))
        expected = [
            ("config", True, None),
            ("docs", True, None),
            ("folder", True, None),
            ("model.bin", False, len(files["model.bin"])),
            ("notes", True, None),
            ("root.txt", False, len("at the root")),
        ]
        expect_eq(got, expected, "list_artifacts(run_id) at the root")
        fluent = file_infos(mlflow.artifacts.list_artifacts(run_id=S.run_id))
        expect_eq(fluent, expected, "mlflow.artifacts.list_artifacts(run_id=…)")

    def list_nested():
        expect_eq(
            file_infos(client.list_artifacts(S.run_id, "folder/nested")),
            [("folder/nested/b.bin", False, len(folder["nested/b.bin"])), ("folder/nested/deeper", True, None)],
            "list_artifacts('folder/nested')",
        )
        expect_eq(
            file_infos(client.list_artifacts(S.run_id, "folder/nested/deeper/")),
            # MLflow's server leaves file_size out of the listing for an empty file: the client reads None.
            [("folder/nested/deeper/c.json", False, len(folder["nested/deeper/c.json"])), ("folder/nested/deeper/empty.txt", False, None)],
            "list_artifacts('folder/nested/deeper/') (trailing slash; no file_size for an empty file)",
        )
        expect_eq(client.list_artifacts(S.run_id, "folder/a.txt"), [], "list_artifacts of a file path")
        expect_eq(client.list_artifacts(S.run_id, "no/such/dir"), [], "list_artifacts of a missing path")

    def download_file():
        dst = os.path.join(work, "dl-file")
        os.makedirs(dst)
        local = mlflow.artifacts.download_artifacts(run_id=S.run_id, artifact_path="model.bin", dst_path=dst)
        expect_eq(os.path.normpath(local), os.path.join(dst, "model.bin"), "download_artifacts local path")
        expect(read_bytes(local) == files["model.bin"], "model.bin downloaded with different bytes")
        local = client.download_artifacts(S.run_id, "folder/with space.txt", dst)
        expect(read_bytes(local) == folder["with space.txt"], "'folder/with space.txt' downloaded with different bytes")
        local = client.download_artifacts(S.run_id, "folder/nested/deeper/empty.txt", dst)
        expect(read_bytes(local) == b"", "empty.txt downloaded non-empty")
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{S.run_id}/docs/text/notes.txt", dst_path=dst)
        expect(read_bytes(local) == files["notes.txt"], "runs:/…/docs/text/notes.txt downloaded with different bytes")

    def download_dir():
        dst = os.path.join(work, "dl-dir")
        os.makedirs(dst)
        local = mlflow.artifacts.download_artifacts(run_id=S.run_id, artifact_path="folder", dst_path=dst)
        got = tree(local)
        expect(got == folder, f"downloaded 'folder' differs: {describe_tree_diff(got, folder)}")
        whole = client.download_artifacts(S.run_id, "", os.path.join(work, "dl-all"))
        got = tree(whole)
        expected_all = {**files, **{f"folder/{k}": v for k, v in folder.items()}}
        expected_all["docs/text/notes.txt"] = expected_all.pop("notes.txt")
        for k in ("config/params.json", "config/params.yaml", "notes/readme.txt", "root.txt"):
            expect(k in got, f"{k} missing from the downloaded run root: {sorted(got)}")
            expected_all[k] = got[k]
        expect(got == expected_all, f"downloaded run root differs: {describe_tree_diff(got, expected_all)}")

    def load_artifacts():
        text = mlflow.artifacts.load_text(f"runs:/{S.run_id}/notes/readme.txt")
        expect_eq(text, readme, "load_text(runs:/…/notes/readme.txt)")
        expect_eq(mlflow.artifacts.load_dict(f"runs:/{S.run_id}/config/params.json"), dict_json, "load_dict(runs:/…/config/params.json)")
        expect_eq(mlflow.artifacts.load_dict(f"{S.artifact_uri}/config/params.yaml"), dict_yaml, "load_dict(<mlflow-artifacts uri>/config/params.yaml)")
        expect_eq(mlflow.artifacts.load_text(f"{S.artifact_uri}/root.txt"), "at the root", "load_text(<mlflow-artifacts uri>/root.txt)")

    def on_disk():
        parsed = urlparse(S.artifact_uri)
        rel = parsed.path.lstrip("/")  # mlflow-artifacts:/<exp>/<run>/artifacts (or mlflow-artifacts://host/<…>)
        root = os.path.join(artifacts_destination, *rel.split("/"))
        expect(os.path.isdir(root), f"no folder {root} under --artifacts-destination for {S.artifact_uri}")
        got = tree(root)
        for k, v in {**files, **{f"folder/{k}": v for k, v in folder.items()}}.items():
            k = "docs/text/notes.txt" if k == "notes.txt" else k
            expect(got.get(k) == v, f"{k} under {root}: {'missing' if k not in got else 'different bytes'}")

    check("artifacts: run artifact_uri is mlflow-artifacts:/…/<run_id>/artifacts", artifact_uri)
    check("artifacts: log_artifact (root, and under an artifact_path)", log_artifact)
    check("artifacts: log_artifacts of a folder with nested subfolders (space in a name, empty file)", log_artifacts)
    check("artifacts: log_dict (json, yaml) and log_text", log_dict_text)
    check("artifacts: list_artifacts at the root (client and mlflow.artifacts), sizes for files only", list_root)
    check("artifacts: list_artifacts nested; a file path and a missing path list as []", list_nested)
    check("artifacts: download_artifacts of files — same bytes", download_file)
    check("artifacts: download_artifacts of a directory and of the whole run — same tree and bytes", download_dir)
    check("artifacts: mlflow.artifacts.load_text / load_dict (runs:/ and mlflow-artifacts: URIs)", load_artifacts)
    if artifacts_destination:
        check("artifacts: files stored under --artifacts-destination at their mlflow-artifacts path", on_disk)

    def end_logging_run():
        mlflow.end_run()
        expect(mlflow.active_run() is None, "a run is still active after end_run")
        run = client.get_run(S.run_id)
        expect_eq(run.info.status, "FINISHED", "status after end_run")
        expect(run.info.end_time is not None and run.info.end_time >= run.info.start_time, f"end_time {run.info.end_time!r}")

    check("runs: end_run → FINISHED", end_logging_run)

    # ----------------------------------------------------------------- search_runs
    def create_search_runs():
        S.search_runs_exp = client.create_experiment(f"{prefix}-runs")
        base = int(time.time() * 1000) - 100_000
        statuses = ["FINISHED"] * 4 + ["RUNNING", "FAILED", "KILLED"]
        ids = {}
        for i, status in enumerate(statuses):
            run = client.create_run(S.search_runs_exp, start_time=base + i * 1000, run_name=f"sr-{i}", tags={"group": "odd" if i % 2 else "even"})
            client.log_batch(
                run.info.run_id,
                metrics=[Metric("score", i * 1.5, base + i, 0), Metric("loss", 10.0 - i, base + i, 0)],
                params=[Param("idx", str(i)), Param("model", "a" if i % 2 else "b")],
            )
            if status != "RUNNING":
                client.set_terminated(run.info.run_id, status=status, end_time=base + i * 1000 + 500)
            ids[f"sr-{i}"] = run.info.run_id
        S.sr = ids
        S.sr_base = base
        got = client.search_runs([S.search_runs_exp], order_by=["attributes.start_time ASC"])
        expect_eq(run_names(got), [f"sr-{i}" for i in range(7)], "all 7 runs by start_time ASC")
        expect_eq([r.info.status for r in got], statuses, "statuses")

    def names_of(df):
        return list(df["tags.mlflow.runName"])

    @pandas_only
    def search_pandas_metrics():
        df = mlflow.search_runs([S.search_runs_exp], filter_string="metrics.score > 4", order_by=["metrics.score DESC"])
        expect_eq(names_of(df), ["sr-6", "sr-5", "sr-4", "sr-3"], "mlflow.search_runs metrics.score > 4, DESC")
        expect_eq(list(df["metrics.score"]), [9.0, 7.5, 6.0, 4.5], "column metrics.score")
        expect_eq(list(df["params.model"]), ["b", "a", "b", "a"], "column params.model")
        expect_eq(list(df["tags.group"]), ["even", "odd", "even", "odd"], "column tags.group")
        expect_eq(list(df["status"]), ["KILLED", "FAILED", "RUNNING", "FINISHED"], "column status")
        expect_eq(list(df["run_id"]), [S.sr[n] for n in ["sr-6", "sr-5", "sr-4", "sr-3"]], "column run_id")
        for col in ("experiment_id", "artifact_uri", "start_time", "end_time", "metrics.loss", "params.idx"):
            expect(col in df.columns, f"column {col} missing: {list(df.columns)}")

    @pandas_only
    def search_pandas_params_tags():
        df = mlflow.search_runs([S.search_runs_exp], filter_string="params.model = 'a'", order_by=["attributes.start_time ASC"])
        expect_eq(names_of(df), ["sr-1", "sr-3", "sr-5"], "params.model = 'a', start_time ASC")
        df = mlflow.search_runs(
            experiment_names=[f"{prefix}-runs"], filter_string="tags.group = 'even' AND tags.mlflow.runName LIKE 'sr-%'", order_by=["params.idx DESC"]
        )
        expect_eq(names_of(df), ["sr-6", "sr-4", "sr-2", "sr-0"], "tags.group = 'even' (experiment_names=…), params.idx DESC")
        df = mlflow.search_runs([S.search_runs_exp], filter_string="params.model != 'a' AND params.idx != '4'", order_by=["metrics.loss ASC"])
        expect_eq(names_of(df), ["sr-6", "sr-2", "sr-0"], "params.model != 'a' AND params.idx != '4', metrics.loss ASC")

    def search_attributes():
        def names(filter_string, order_by=("attributes.start_time ASC",)):
            return run_names(client.search_runs([S.search_runs_exp], filter_string=filter_string, order_by=list(order_by)))

        expect_eq(names("attributes.status = 'FAILED'"), ["sr-5"], "attributes.status = 'FAILED'")
        expect_eq(names("attributes.status != 'FINISHED'"), ["sr-4", "sr-5", "sr-6"], "attributes.status != 'FINISHED'")
        expect_eq(names("attributes.run_name = 'sr-3'"), ["sr-3"], "attributes.run_name = 'sr-3'")
        expect_eq(names("run_name ILIKE 'SR-%'", ["attributes.run_name DESC"]), [f"sr-{i}" for i in range(6, -1, -1)], "run_name ILIKE, run_name DESC")
        expect_eq(names(f"attributes.start_time >= {S.sr_base + 3000}"), ["sr-3", "sr-4", "sr-5", "sr-6"], "attributes.start_time >=")
        expect_eq(names(f"attributes.run_id IN ('{S.sr['sr-1']}', '{S.sr['sr-6']}')"), ["sr-1", "sr-6"], "attributes.run_id IN (…)")
        expect_eq(names(f"attributes.end_time < {S.sr_base + 2000}"), ["sr-0", "sr-1"], "attributes.end_time <")

    def search_combined():
        got = client.search_runs(
            [S.search_runs_exp], filter_string="metrics.score >= 3 AND params.model = 'b' AND tags.group = 'even'", order_by=["metrics.loss ASC"]
        )
        expect_eq(run_names(got), ["sr-6", "sr-4", "sr-2"], "metric + param + tag filter, metrics.loss ASC")
        got = client.search_runs([S.search_runs_exp], order_by=["tags.group ASC", "metrics.score DESC"])
        expect_eq(run_names(got), ["sr-6", "sr-4", "sr-2", "sr-0", "sr-5", "sr-3", "sr-1"], "order_by tags.group ASC, metrics.score DESC")
        runs = mlflow.search_runs([S.search_runs_exp], filter_string="metrics.loss <= 5", output_format="list", order_by=["metrics.loss DESC"])
        expect_eq(run_names(runs), ["sr-5", "sr-6"], "mlflow.search_runs(output_format='list') metrics.loss <= 5")
        expect_eq(runs[0].data.params, {"idx": "5", "model": "a"}, "params of a searched run")
        expect_eq(runs[0].data.metrics, {"score": 7.5, "loss": 5.0}, "metrics of a searched run")

    def search_pagination():
        full = client.search_runs([S.search_runs_exp], order_by=["metrics.score ASC"], max_results=100)
        expect_eq(run_names(full), [f"sr-{i}" for i in range(7)], "full search, metrics.score ASC")
        pages, token = [], None
        while True:
            page = client.search_runs([S.search_runs_exp], order_by=["metrics.score ASC"], max_results=2, page_token=token)
            pages.append(run_names(page))
            token = page.token
            if not token or len(pages) > 10:
                break
        expect_eq(pages, [["sr-0", "sr-1"], ["sr-2", "sr-3"], ["sr-4", "sr-5"], ["sr-6"]], "pages of max_results=2")
        page = client.search_runs([S.search_runs_exp], order_by=["metrics.score ASC"], max_results=7)
        expect(len(page) == 7 and not page.token, f"max_results = number of runs: {len(page)} runs, token {page.token!r}")
        filtered, token = [], None
        for _ in range(5):
            page = client.search_runs([S.search_runs_exp], filter_string="params.model = 'b'", order_by=["attributes.run_name DESC"], max_results=3, page_token=token)
            filtered.append(run_names(page))
            token = page.token
            if not token:
                break
        expect_eq(filtered, [["sr-6", "sr-4", "sr-2"], ["sr-0"]], "filtered pages of max_results=3")

    check("search: create 7 runs (client.create_run, log_batch, set_terminated)", create_search_runs)
    check("search: mlflow.search_runs (pandas) metric filter + order_by metrics DESC; columns", search_pandas_metrics)
    check("search: mlflow.search_runs (pandas) params and tags filters, experiment_names", search_pandas_params_tags)
    check("search: attribute filters (status, run_name, start_time, end_time, run_id IN)", search_attributes)
    check("search: combined filters, multi-key order_by, output_format='list'", search_combined)
    check("search: MlflowClient.search_runs pagination (max_results + page_token)", search_pagination)

    # ----------------------------------------------------------------- lifecycle
    def delete_run():
        rid = S.sr["sr-0"]
        client.delete_run(rid)
        run = client.get_run(rid)
        expect_eq(run.info.lifecycle_stage, "deleted", "lifecycle_stage after delete_run")
        active = client.search_runs([S.search_runs_exp], run_view_type=ViewType.ACTIVE_ONLY)
        expect(rid not in [r.info.run_id for r in active] and len(active) == 6, f"ACTIVE_ONLY after delete_run: {run_names(active)}")
        deleted = client.search_runs([S.search_runs_exp], run_view_type=ViewType.DELETED_ONLY)
        expect_eq([r.info.run_id for r in deleted], [rid], "DELETED_ONLY after delete_run")
        expect_eq(deleted[0].info.lifecycle_stage, "deleted", "lifecycle_stage in DELETED_ONLY results")
        every = client.search_runs([S.search_runs_exp], run_view_type=ViewType.ALL)
        expect_eq(len(every), 7, "ALL after delete_run")
        if pd is not None:
            df = mlflow.search_runs([S.search_runs_exp], run_view_type=ViewType.DELETED_ONLY)
            expect_eq(list(df["run_id"]), [rid], "mlflow.search_runs DELETED_ONLY")

    def restore_run():
        rid = S.sr["sr-0"]
        client.restore_run(rid)
        expect_eq(client.get_run(rid).info.lifecycle_stage, "active", "lifecycle_stage after restore_run")
        expect_eq(client.search_runs([S.search_runs_exp], run_view_type=ViewType.DELETED_ONLY), [], "DELETED_ONLY after restore_run")
        expect_eq(len(client.search_runs([S.search_runs_exp])), 7, "ACTIVE_ONLY after restore_run")

    def delete_experiment():
        eid = S.search_exp_ids["b"]
        name = f"{prefix}-search-b"
        client.delete_experiment(eid)
        expect_eq(client.get_experiment(eid).lifecycle_stage, "deleted", "lifecycle_stage after delete_experiment")
        like = f"name LIKE '{prefix}-search-%'"
        deleted = client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=like)
        expect_eq([e.experiment_id for e in deleted], [eid], "search_experiments DELETED_ONLY")
        active = client.search_experiments(view_type=ViewType.ACTIVE_ONLY, filter_string=like, order_by=["name ASC"])
        expect_eq([e.name for e in active], [f"{prefix}-search-a", f"{prefix}-search-c"], "search_experiments ACTIVE_ONLY")
        every = client.search_experiments(view_type=ViewType.ALL, filter_string=like)
        expect_eq(len(every), 3, "search_experiments ALL")
        by_name = client.get_experiment_by_name(name)
        expect(by_name is not None and by_name.lifecycle_stage == "deleted", f"get_experiment_by_name of a deleted experiment: {by_name}")
        try:
            mlflow.set_experiment(name)
        except MlflowException:
            pass
        else:
            raise CheckFailed("set_experiment(name of a deleted experiment) did not raise")

    def restore_experiment():
        eid = S.search_exp_ids["b"]
        client.restore_experiment(eid)
        expect_eq(client.get_experiment(eid).lifecycle_stage, "active", "lifecycle_stage after restore_experiment")
        expect_eq(client.search_experiments(view_type=ViewType.DELETED_ONLY, filter_string=f"name LIKE '{prefix}-%'"), [], "DELETED_ONLY after restore")
        expect_eq(mlflow.set_experiment(f"{prefix}-search-b").experiment_id, eid, "set_experiment on the restored experiment")
        mlflow.set_experiment(experiment_id=S.exp_id)

    check("lifecycle: delete_run — deleted; ViewType ACTIVE_ONLY / DELETED_ONLY / ALL", delete_run)
    check("lifecycle: restore_run — active again", restore_run)
    check("lifecycle: delete_experiment — deleted; search_experiments views; set_experiment refuses it", delete_experiment)
    check("lifecycle: restore_experiment — active again", restore_experiment)

    # ----------------------------------------------------------------- logged models
    def initialize_model():
        name = f"model-{uid}"
        model = mlflow.initialize_logged_model(
            name=name, source_run_id=S.run_id, tags={"flavor": "custom", "temp": "x"}, params={"alpha": "0.5", "depth": "3"}, model_type="scenario-model", experiment_id=S.exp_id
        )
        S.model_id = model.model_id
        S.model_name = name
        expect(model.model_id.startswith("m-"), f"model_id {model.model_id!r} does not start with m-")
        expect_eq(model.status, LoggedModelStatus.PENDING, "status of an initialized model")
        expect_eq(model.name, name, "model name")
        got = mlflow.get_logged_model(model.model_id)
        expect_eq(got.experiment_id, S.exp_id, "model experiment_id")
        expect_eq(got.source_run_id, S.run_id, "model source_run_id")
        expect_eq(got.model_type, "scenario-model", "model model_type")
        expect_eq(got.status, LoggedModelStatus.PENDING, "status read back")
        expect_eq(got.params, {"alpha": "0.5", "depth": "3"}, "model params")
        expect_eq({k: got.tags.get(k) for k in ("flavor", "temp")}, {"flavor": "custom", "temp": "x"}, "model tags")
        expect(got.artifact_location.startswith("mlflow-artifacts:"), f"model artifact_location {got.artifact_location!r}")
        expect(isinstance(got.creation_timestamp, int) and got.creation_timestamp > 0, f"creation_timestamp {got.creation_timestamp!r}")

    def model_tags_params():
        client.set_logged_model_tags(S.model_id, {"stage": "candidate", "flavor": "custom-2"})
        mlflow.log_model_params({"gamma": "0.1"}, model_id=S.model_id)
        client.delete_logged_model_tag(S.model_id, "temp")
        got = client.get_logged_model(S.model_id)
        expect_eq({k: got.tags.get(k) for k in ("stage", "flavor")}, {"stage": "candidate", "flavor": "custom-2"}, "model tags after set_logged_model_tags")
        expect("temp" not in got.tags, f"tag 'temp' still on the model after delete_logged_model_tag: {got.tags}")
        expect_eq(got.params, {"alpha": "0.5", "depth": "3", "gamma": "0.1"}, "model params after log_model_params")

    def finalize_model():
        model = mlflow.finalize_logged_model(S.model_id, "READY")
        expect_eq(model.status, LoggedModelStatus.READY, "status returned by finalize_logged_model")
        expect_eq(client.get_logged_model(S.model_id).status, LoggedModelStatus.READY, "status read back after finalize")

    def client_models():
        failed = client.create_logged_model(S.exp_id, name=f"failed-{uid}", tags={"flavor": "other"})
        S.failed_model_id = failed.model_id
        expect_eq(failed.status, LoggedModelStatus.PENDING, "status of client.create_logged_model")
        done = client.finalize_logged_model(failed.model_id, LoggedModelStatus.FAILED)
        expect_eq(done.status, LoggedModelStatus.FAILED, "status after finalize FAILED")
        expect_eq(client.get_logged_model(failed.model_id).name, f"failed-{uid}", "name read back")
        doomed = client.create_logged_model(S.exp_id, name=f"doomed-{uid}")
        client.delete_logged_model(doomed.model_id)
        expect_raises(lambda: client.get_logged_model(doomed.model_id), "RESOURCE_DOES_NOT_EXIST", "get_logged_model of a deleted model")
        S.doomed_model_id = doomed.model_id

    def model_artifacts():
        model_dir = os.path.join(work, "model-src")
        model_files = {"MLmodel": b"artifact_path: model\nflavors: {}\n", "data/weights.bin": os.urandom(5000)}
        for rel, data in model_files.items():
            write_bytes(os.path.join(model_dir, *rel.split("/")), data)
        client.log_model_artifacts(S.model_id, model_dir)
        expect_eq(
            file_infos(client.list_logged_model_artifacts(S.model_id)),
            [("MLmodel", False, len(model_files["MLmodel"])), ("data", True, None)],
            "list_logged_model_artifacts at the model root",
        )
        # runs:/<source run>/<model name>/… also reaches the artifacts of the run's logged model of that name.
        expect_eq(
            file_infos(mlflow.artifacts.list_artifacts(run_id=S.run_id, artifact_path=S.model_name)),
            [(f"{S.model_name}/MLmodel", False, len(model_files["MLmodel"])), (f"{S.model_name}/data", True, None)],
            "list_artifacts(run_id, <model name>) lists the run's logged model",
        )
        dst = os.path.join(work, "dl-model")
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{S.model_id}", dst_path=dst)
        got = tree(local)
        expect(got == model_files, f"download of models:/<model_id> differs: {describe_tree_diff(got, model_files)}")
        local = mlflow.artifacts.download_artifacts(artifact_uri=f"runs:/{S.run_id}/{S.model_name}/data/weights.bin", dst_path=os.path.join(work, "dl-model-2"))
        expect(read_bytes(local) == model_files["data/weights.bin"], "runs:/<run>/<model name>/data/weights.bin: different bytes")

    def model_metric():
        end_active_runs()
        with mlflow.start_run(run_name=f"eval-{uid}") as run:
            S.eval_run_id = run.info.run_id
            mlflow.log_metric("eval_acc", 0.91, step=2, model_id=S.model_id)
        model = client.get_logged_model(S.model_id)
        metrics = [(m.key, m.value, m.step, m.run_id) for m in (model.metrics or [])]
        expect_eq(metrics, [("eval_acc", 0.91, 2, S.eval_run_id)], "logged model metrics after log_metric(model_id=…)")
        r = client.get_run(S.eval_run_id)
        expect_eq(r.data.metrics.get("eval_acc"), 0.91, "run metric eval_acc")
        model_inputs = [i.model_id for i in (r.inputs.model_inputs if r.inputs else [])]
        expect_eq(model_inputs, [S.model_id], "run.inputs.model_inputs (logged by the client for a metric with model_id)")

    def search_models():
        def ids(filter_string, **kw):
            return [m.model_id for m in mlflow.search_logged_models(experiment_ids=[S.exp_id], filter_string=filter_string, output_format="list", **kw)]

        expect_eq(ids(f"name = '{S.model_name}'"), [S.model_id], "search_logged_models name =")
        expect_eq(ids("tags.stage = 'candidate'"), [S.model_id], "search_logged_models tags.stage =")
        expect_eq(ids("metrics.eval_acc > 0.9"), [S.model_id], "search_logged_models metrics.eval_acc > 0.9")
        expect_eq(ids("status = 'FAILED'"), [S.failed_model_id], "search_logged_models status = 'FAILED'")
        expect_eq(ids("params.alpha = '0.5' AND model_type = 'scenario-model'"), [S.model_id], "search_logged_models params + model_type")
        expect_eq(ids(None, order_by=[{"field_name": "creation_time", "ascending": False}]), [S.failed_model_id, S.model_id], "all (deleted excluded), newest first")
        page = client.search_logged_models([S.exp_id], max_results=1, order_by=[{"field_name": "creation_time", "ascending": True}])
        expect_eq([m.model_id for m in page], [S.model_id], "client.search_logged_models page 1")
        expect(page.token, "search_logged_models page 1 has no token")
        page = client.search_logged_models([S.exp_id], max_results=1, order_by=[{"field_name": "creation_time", "ascending": True}], page_token=page.token)
        expect_eq([m.model_id for m in page], [S.failed_model_id], "client.search_logged_models page 2")
        if pd is not None:
            df = mlflow.search_logged_models(experiment_ids=[S.exp_id], filter_string=f"name = '{S.model_name}'")
            expect_eq(list(df["model_id"]), [S.model_id], "search_logged_models (pandas) model_id column")

    check("models: initialize_logged_model → PENDING with name, tags, params, source run, model_type", initialize_model)
    check("models: set_logged_model_tags, log_model_params, delete_logged_model_tag", model_tags_params)
    check("models: finalize_logged_model → READY", finalize_model)
    check("models: client create_logged_model / finalize FAILED / delete_logged_model", client_models)
    check("models: log_model_artifacts; list_logged_model_artifacts; models:/<id> and runs:/<run>/<model name> downloads", model_artifacts)
    check("models: log_metric(model_id=…) links the metric to the model and the run", model_metric)
    check("models: search_logged_models (filters on name, tags, metrics, status, params; order_by; pages)", search_models)

    # ----------------------------------------------------------------- errors
    def errors():
        expect_raises(lambda: client.get_run(uuid.uuid4().hex), "RESOURCE_DOES_NOT_EXIST", "get_run(unknown id)")
        expect_raises(lambda: client.get_experiment("999999999"), "RESOURCE_DOES_NOT_EXIST", "get_experiment(unknown id)")
        expect_raises(lambda: client.create_experiment(S.exp_name), "RESOURCE_ALREADY_EXISTS", "create_experiment(existing name)")
        expect_raises(lambda: client.log_param(S.run_id, "lr", "0.02"), "INVALID_PARAMETER_VALUE", "log_param changing a logged value")
        expect_raises(lambda: client.search_runs([S.exp_id], filter_string="metrics.loss >>> 1"), "INVALID_PARAMETER_VALUE", "search_runs(bad filter)")
        expect_raises(lambda: client.get_logged_model("m-" + "0" * 32), "RESOURCE_DOES_NOT_EXIST", "get_logged_model(unknown id)")

    check("errors: unknown ids, duplicate names, changed params and bad filters raise the right error codes", errors)

    end_active_runs()


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tracking_uri")
    parser.add_argument("workdir")
    parser.add_argument("--backend", choices=["sql", "file"], default=None)
    parser.add_argument("--artifacts-destination", default=None)
    args = parser.parse_args(argv)

    # Fail fast instead of retrying for minutes; no telemetry.
    for key, value in {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "60",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }.items():
        os.environ.setdefault(key, value)

    # Everything MLflow prints goes to stderr; stdout carries the JSON report only.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    report = Report()
    code = 0
    try:
        _install_request_recorder()
        scenario(report, args.tracking_uri, os.path.abspath(args.workdir), args.backend, args.artifacts_destination)
    except Exception as e:  # the scenario itself could not go on (import error, …)
        report.checks.append({"name": "scenario: runs to the end", "ok": False, "detail": f"{type(e).__name__}: {e}\n{traceback.format_exc()}"[:DETAIL_LIMIT], "seconds": 0, "requests": []})
        code = 2
    finally:
        sys.stdout = real_stdout
    result = report.to_json()
    print(json.dumps(result, indent=1, ensure_ascii=False))
    sys.stdout.flush()
    return code or (0 if result["ok"] else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
