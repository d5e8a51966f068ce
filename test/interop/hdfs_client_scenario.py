"""
The real MLflow Python client (3.18.0) drives the mlflow-artifacts proxy of a tracking server whose
--artifacts-destination is HDFS (webhdfs:// or hdfs:// through a gateway) and checks every read-back.

    python hdfs_client_scenario.py <tracking_uri> <workdir> --big-mib N

Steps: create a run; `mlflow.log_artifact` (root and an artifact_path); `mlflow.log_artifacts` of a
tree (nested dirs, unicode names, a space, a leading dash, an empty file;
the proxy carries files only);
`MlflowClient.list_artifacts` at every level (names, is_dir, sizes); `download_artifacts` of a file
and of the whole tree, byte-compared; one N MiB file up and down (SHA-256); deletes through the proxy
of a file and of a directory — with MLflow's HDFS semantics a deleted directory is emptied and stays.

Prints one JSON report on stdout: {"ok", "passed", "failed", "checks": [{"name", "ok", "detail"}],
"run_root", "expected"}: `run_root` is `<experiment_id>/<run_id>/artifacts`, `expected` maps every
path that must remain in HDFS below it to its size, or to "d" for a directory. Exits 0 only when
every check passed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import traceback
import uuid
from urllib.parse import urlparse

TREE = {
    "top.txt": b"top level\n",
    "a+b=c&d [1].txt": b"reserved characters\n",
    "empty.txt": b"",
    "-dash.txt": b"leading dash\n",
    "a/b/c/deep.bin": os.urandom(70_000),
    "a/b/sibling.json": b'{"k": 1}\n',
    "a/x.csv": b"a,b\n1,2\n",
    "donn\u00e9es/mod\u00e8le \u00e9t\u00e9.txt": "caf\u00e9 \u2615 \u65e5\u672c\n".encode(),
    "\u65e5\u672c\u8a9e/\u30d5\u30a1\u30a4\u30eb.json": b"[1, 2, 3]\n",
}
BIG_NAME = "poids mod\u00e8le+v1.bin"


class CheckFailed(AssertionError):
    pass


def expect_eq(actual, expected, what):
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_hashes(root):
    out = {}
    for d, dirs, names in os.walk(root):
        for n in dirs:
            p = os.path.join(d, n)
            if not os.listdir(p):
                out[os.path.relpath(p, root).replace(os.sep, "/") + "/"] = "d"
        for n in names:
            p = os.path.join(d, n)
            out[os.path.relpath(p, root).replace(os.sep, "/")] = sha256_file(p)
    return out


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("tracking_uri")
    parser.add_argument("workdir")
    parser.add_argument("--big-mib", type=int, required=True)
    args = parser.parse_args()

    import mlflow
    from mlflow import MlflowClient
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    mlflow.set_tracking_uri(args.tracking_uri)
    client = MlflowClient(args.tracking_uri)
    work = os.path.join(args.workdir, uuid.uuid4().hex[:8])
    src = os.path.join(work, "src")
    checks, S, expected = [], {}, {}

    def listed(path=None):
        return [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(S["run_id"], path)]

    def create_run():
        exp_id = mlflow.set_experiment(f"hdfs-e2e-{uuid.uuid4().hex[:10]}").experiment_id
        run = mlflow.start_run(experiment_id=exp_id)
        S["run_id"] = run.info.run_id
        S["artifact_uri"] = run.info.artifact_uri
        S["run_root"] = urlparse(run.info.artifact_uri).path.strip("/")
        expect_eq(S["run_root"], f"{exp_id}/{run.info.run_id}/artifacts", "run artifact root")

    def log_artifact():
        write(os.path.join(src, "single", "model.bin"), os.urandom(300_000))
        write(os.path.join(src, "single", "notes.txt"), b"some notes\n")
        mlflow.log_artifact(os.path.join(src, "single", "model.bin"))
        mlflow.log_artifact(os.path.join(src, "single", "notes.txt"), artifact_path="docs/text")
        expected.update({"model.bin": 300_000, "docs": "d", "docs/text": "d", "docs/text/notes.txt": 11})
        expect_eq(listed("docs/text"), [("docs/text/notes.txt", False, 11)], "list_artifacts('docs/text')")
        expect_eq(listed("docs"), [("docs/text", True, None)], "list_artifacts('docs')")

    def log_artifacts():
        for rel, data in TREE.items():
            write(os.path.join(src, "tree", *rel.split("/")), data)
        mlflow.log_artifacts(os.path.join(src, "tree"), artifact_path="tree")
        for rel, data in TREE.items():
            expected[f"tree/{rel}"] = len(data)
            parts = rel.split("/")[:-1]
            for i in range(len(parts)):
                expected["tree/" + "/".join(parts[: i + 1])] = "d"
        expected["tree"] = "d"

    def list_every_level():
        expect_eq(listed(), [("docs", True, None), ("model.bin", False, 300_000), ("tree", True, None)], "root listing")
        # The proxy drops the size of empty files, as MLflow's server does.
        expect_eq(
            listed("tree"),
            sorted(
                [
                    ("tree/-dash.txt", False, 13),
                    ("tree/a", True, None),
                    ("tree/a+b=c&d [1].txt", False, 20),
                    ("tree/donn\u00e9es", True, None),
                    ("tree/empty.txt", False, None),
                    ("tree/top.txt", False, 10),
                    ("tree/\u65e5\u672c\u8a9e", True, None),
                ]
            ),
            "list_artifacts('tree')",
        )
        expect_eq(listed("tree/a/b/c"), [("tree/a/b/c/deep.bin", False, 70_000)], "list_artifacts('tree/a/b/c')")

    def download_file():
        dst = os.path.join(work, "dl-one")
        os.makedirs(dst)
        local = mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path="model.bin", dst_path=dst)
        expect_eq(sha256_file(local), sha256_file(os.path.join(src, "single", "model.bin")), "model.bin SHA-256")

    def download_tree():
        dst = os.path.join(work, "dl-tree")
        os.makedirs(dst)
        local = mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path="tree", dst_path=dst)
        want = tree_hashes(os.path.join(src, "tree"))
        expect_eq(tree_hashes(local), want, "downloaded tree")

    def big_round_trip():
        path = os.path.join(src, "big", BIG_NAME)
        os.makedirs(os.path.dirname(path))
        with open(path, "wb") as f:
            for _ in range(args.big_mib):
                f.write(os.urandom(1 << 20))
        mlflow.log_artifact(path, artifact_path="big")
        expected.update({"big": "d", f"big/{BIG_NAME}": args.big_mib << 20})
        dst = os.path.join(work, "dl-big")
        os.makedirs(dst)
        local = mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path=f"big/{BIG_NAME}", dst_path=dst)
        expect_eq(sha256_file(local), sha256_file(path), "big file SHA-256")
        os.remove(local)
        os.remove(path)

    def delete_through_proxy():
        repo = get_artifact_repository(S["artifact_uri"])
        expect_eq(type(repo).__name__, "MlflowArtifactsRepository", "repository of the run's artifact_uri")
        repo.delete_artifacts("docs/text/notes.txt")
        repo.delete_artifacts("tree/a/b")
        for gone in ["docs/text/notes.txt", "tree/a/b/c", "tree/a/b/c/deep.bin", "tree/a/b/sibling.json"]:
            expected.pop(gone)
        expect_eq(listed("docs/text"), [], "docs/text after deleting its only file")
        expect_eq(listed("tree/a/b"), [], "tree/a/b after deleting it (emptied)")
        expect_eq(listed("tree/a"), [("tree/a/b", True, None), ("tree/a/x.csv", False, 8)], "tree/a keeps the emptied tree/a/b (MLflow's HDFS semantics)")
        dst = os.path.join(work, "dl-gone")
        os.makedirs(dst)
        try:
            mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path="docs/text/notes.txt", dst_path=dst)
        except Exception as e:  # noqa: BLE001
            return f"download of a deleted file fails: {type(e).__name__}"
        raise CheckFailed("downloading a deleted file succeeded")

    steps = [
        ("create a run (artifact_uri under mlflow-artifacts:)", create_run),
        ("mlflow.log_artifact at the root and under an artifact_path", log_artifact),
        ("mlflow.log_artifacts of a tree (nested dirs, unicode, a leading dash, an empty file)", log_artifacts),
        ("MlflowClient.list_artifacts at every level", list_every_level),
        ("download_artifacts of a single file (byte-compared)", download_file),
        ("download_artifacts of the tree (byte-compared)", download_tree),
        (f"a {args.big_mib} MiB file up and down (SHA-256)", big_round_trip),
        ("delete a file and a directory through the proxy", delete_through_proxy),
    ]
    for name, fn in steps:
        try:
            detail = fn() or ""
            checks.append({"name": name, "ok": True, "detail": detail})
        except Exception as e:  # noqa: BLE001
            checks.append({"name": name, "ok": False, "detail": f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=5)}"[:3000]})
            break
    try:
        mlflow.end_run()
    except Exception:  # noqa: BLE001
        pass
    passed = sum(1 for c in checks if c["ok"])
    ok = passed == len(steps)
    print(json.dumps({"ok": ok, "passed": passed, "failed": len(checks) - passed, "checks": checks, "run_root": S.get("run_root"), "expected": expected}, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
