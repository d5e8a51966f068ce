"""
Fills a tracking server with the data MLflow's web UI shows, through the real MLflow 3.18.0 Python
client, for test/ui-e2e.test.ts (which then serves copies of the store from `mlflow server` and
`mlstore server` and compares the pages):

- experiment `ui-e2e-training` (kind: custom model development, so the UI opens its runs table):
  a parent run `parent-sweep` with two nested children `child-lr-0.01` / `child-lr-0.1`, and a
  separate run `baseline`; params, tags, a description note on `baseline`; 100-step `loss` and
  `accuracy` histories (final loss below 0.5 on the children only); `system/...` metrics (what
  MLflow's system-metrics monitor logs, written directly: no psutil, deterministic);
  a PNG (`plots/curve.png`) and a text file (`notes/summary.txt`) on `baseline`;
  a pyfunc logged model (`model`, a tiny python_model) from `baseline`, registered as
  `ui-e2e-model` version 1, with a metric linked to it;
- experiment `ui-e2e-second` with one run.

    python populate_ui_store.py <tracking_uri>

Values are deterministic (metric curves, names, params); ids and timestamps are the server's.
Prints one JSON line: {"ok": true, "experiments": {...}, "runs": {...}, "model_id": ..., ...}.
"""

from __future__ import annotations

import json
import struct
import sys
import tempfile
import warnings
import zlib
from pathlib import Path

import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag

warnings.filterwarnings("ignore")

STEPS = 100


def png(width: int, height: int) -> bytes:
    """A small RGB gradient PNG, written by hand (the venv has no Pillow)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 128)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


class Echo(mlflow.pyfunc.PythonModel):
    """The smallest pyfunc model: returns its input."""

    def predict(self, context, model_input, params=None):
        return model_input


def curves(client: MlflowClient, run_id: str, lr: float, ts0: int) -> None:
    """100-step loss/accuracy histories and system metrics, in batches (one request per batch)."""
    metrics = []
    for step in range(STEPS):
        loss = round(2.0 / (1.0 + lr * 10 * step), 6)
        metrics.append(Metric("loss", loss, ts0 + step * 1000, step))
        metrics.append(Metric("accuracy", round(1.0 - loss / 2.5, 6), ts0 + step * 1000, step))
    for step in range(20):
        metrics.append(Metric("system/cpu_utilization_percentage", 20.0 + (step * 7) % 50, ts0 + step * 5000, step))
        metrics.append(Metric("system/system_memory_usage_megabytes", 1024.0 + step * 3, ts0 + step * 5000, step))
    for i in range(0, len(metrics), 1000):
        client.log_batch(run_id, metrics=metrics[i : i + 1000])


def main() -> None:
    uri = sys.argv[1]
    mlflow.set_tracking_uri(uri)
    client = MlflowClient(uri)
    exp1 = client.create_experiment("ui-e2e-training", tags={"mlflow.experimentKind": "custom_model_development", "team": "vision"})
    exp2 = client.create_experiment("ui-e2e-second", tags={"mlflow.experimentKind": "custom_model_development"})
    client.set_experiment_tag(exp1, "mlflow.note.content", "Training runs for the UI end-to-end test.")
    runs: dict[str, str] = {}
    ts0 = 1_700_000_000_000

    parent = client.create_run(exp1, run_name="parent-sweep", tags={"sweep": "lr"}, start_time=ts0)
    runs["parent-sweep"] = parent.info.run_id
    client.log_batch(parent.info.run_id, params=[Param("optimizer", "adam"), Param("epochs", "100")])
    curves(client, parent.info.run_id, 0.02, ts0)
    for lr in (0.01, 0.1):
        name = f"child-lr-{lr}"
        child = client.create_run(exp1, run_name=name, start_time=ts0 + 1000, tags={"mlflow.parentRunId": parent.info.run_id, "lr_group": "sweep"})
        runs[name] = child.info.run_id
        client.log_batch(child.info.run_id, params=[Param("lr", str(lr)), Param("optimizer", "adam"), Param("epochs", "100")],
                         tags=[RunTag("candidate", "yes" if lr == 0.1 else "no")])
        curves(client, child.info.run_id, lr * 5, ts0 + 1000)
        client.set_terminated(child.info.run_id, "FINISHED", end_time=ts0 + 1000 + 120_000)
    client.set_terminated(parent.info.run_id, "FINISHED", end_time=ts0 + 200_000)

    with mlflow.start_run(experiment_id=exp1, run_name="baseline") as base:
        runs["baseline"] = base.info.run_id
        client.log_batch(base.info.run_id, params=[Param("lr", "0.001"), Param("optimizer", "sgd"), Param("epochs", "100")],
                         tags=[RunTag("mlflow.note.content", "Baseline with plain SGD."), RunTag("candidate", "no")])
        curves(client, base.info.run_id, 0.001, ts0 + 5000)
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "curve.png").write_bytes(png(64, 48))
            (Path(tmp) / "summary.txt").write_text("baseline run\nfinal loss: 1.8\n", encoding="utf-8")
            mlflow.log_artifact(str(Path(tmp) / "curve.png"), "plots")
            mlflow.log_artifact(str(Path(tmp) / "summary.txt"), "notes")
        info = mlflow.pyfunc.log_model(name="model", python_model=Echo(), pip_requirements=["mlflow==3.18.0"],
                                       registered_model_name="ui-e2e-model")
        model_id = info.model_id
        mlflow.log_metric("eval_accuracy", 0.81, step=0, model_id=model_id)
        client.set_logged_model_tags(model_id, {"stage": "candidate"})
        client.log_model_params(model_id, {"threshold": "0.5"})

    client.update_registered_model("ui-e2e-model", description="Echo model for the UI test.")
    client.set_model_version_tag("ui-e2e-model", "1", "validated", "true")

    with mlflow.start_run(experiment_id=exp2, run_name="second-run") as second:
        runs["second-run"] = second.info.run_id
        mlflow.log_params({"depth": "3"})
        mlflow.log_metric("loss", 0.42, step=0)

    print(json.dumps({"ok": True, "experiments": {"training": exp1, "second": exp2}, "runs": runs, "model_id": model_id,
                      "registered_model": "ui-e2e-model"}))


if __name__ == "__main__":
    main()
