"""
The real MLflow Python client (3.18.0) drives the mlflow-artifacts proxy of a tracking server whose
--artifacts-destination is a cloud object store (s3://, wasbs://, gs://) or a file server with real
directories (ftp://, sftp://, HDFS) and checks every read-back.

    python cloud_client_scenario.py <tracking_uri> <workdir> --big-mib N --big-expect multipart|fallback
        [--keeps-empty-dirs] [--delete-empties-dirs]

`--keeps-empty-dirs`: the store has real directories, so one emptied by deleting its files stays.
`--delete-empties-dirs` (MLflow's HDFS semantics, implies the former): deleting a directory empties
it and leaves it in place rather than removing it.

The client itself gets no cloud settings: everything goes through the server, except the parts of a
proxy multipart upload, which the client PUTs to the presigned URLs the server hands out.

Steps: create a run; `mlflow.log_artifact` (root and an artifact_path); `mlflow.log_artifacts` of a
tree (nested dirs, unicode names, a space, a leading dash, an empty file);
`MlflowClient.list_artifacts` at every level (names, is_dir, sizes);
`mlflow.artifacts.download_artifacts` of a file and of the whole tree, byte-compared; one N MiB file
through `mlflow.log_artifact` with MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD (set by the caller, with
MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE / _MINIMUM_FILE_SIZE): `multipart` expects
mpu/create → part PUTs → mpu/complete, `fallback` expects mpu/create answered 501 and one proxied
PUT; downloaded back and SHA-256-compared; deletion through the proxy (DELETE
/api/2.0/mlflow-artifacts/artifacts/<path>, MlflowArtifactsRepository.delete_artifacts) of a file and
of a directory, checked by listing and by a failing download.

Prints one JSON report on stdout: {"ok", "passed", "failed", "seconds", "checks": [{"name", "ok",
"detail", "seconds", "requests"}], "run_root", "expected", "empty_dirs", "big"}: `run_root` is the
run's artifact root below `mlflow-artifacts:/` (`<experiment_id>/<run_id>/artifacts`), `expected`
maps every artifact path that must remain in the store to its size, `empty_dirs` lists the
directories left empty that a store with real directories keeps (none for an object store), `big`
describes the large upload (path, size, sha256, parts). Exits 0 only when every check passed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
import traceback
import uuid
from urllib.parse import unquote, urlparse

_requests_log: list[str] = []


def _install_request_recorder() -> None:
    import requests

    original = requests.Session.request

    def recording(self, method, url, *args, **kwargs):
        parsed = urlparse(url)
        where = unquote(parsed.path) + (f"?{parsed.query[:60]}" if parsed.query else "")
        host = parsed.netloc
        try:
            resp = original(self, method, url, *args, **kwargs)
        except Exception as e:
            _requests_log.append(f"{method.upper()} {host} {where} ({type(e).__name__})")
            raise
        _requests_log.append(f"{method.upper()} {host} {where} {resp.status_code}")
        return resp

    requests.Session.request = recording


class CheckFailed(AssertionError):
    pass


def expect(cond, message: str) -> None:
    if not cond:
        raise CheckFailed(message)


def expect_eq(actual, expected, what: str) -> None:
    if actual != expected:
        raise CheckFailed(f"{what}: expected {expected!r}, got {actual!r}")


class Report:
    def __init__(self):
        self.checks: list[dict] = []
        self.started = time.monotonic()

    def check(self, name, fn):
        start = len(_requests_log)
        t0 = time.monotonic()
        ok, detail = True, ""
        try:
            detail = fn() or ""
        except Exception as e:  # noqa: BLE001 — every failure becomes a failed check
            ok = False
            detail = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}"[:3000]
        self.checks.append(
            {
                "name": name,
                "ok": ok,
                "detail": detail,
                "seconds": round(time.monotonic() - t0, 2),
                "requests": _requests_log[start:][-40:],
            }
        )
        return ok


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tree_hashes(root: str) -> dict[str, str]:
    """Relative path → SHA-256 of every file, and `<path>/` → "d" of every empty directory."""
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


def write(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


# The tree logged with log_artifacts(…, artifact_path="tree"): relative path → content.
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


# The large file's name: its presigned part URLs (or the fallback PUT) must carry it encoded right.
BIG_NAME = "poids mod\u00e8le+v1.bin"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("tracking_uri")
    parser.add_argument("workdir")
    parser.add_argument("--big-mib", type=int, required=True)
    parser.add_argument("--big-expect", choices=["multipart", "fallback"], required=True)
    # Destinations with real directories (ftp, sftp, hdfs) keep a directory emptied by a delete.
    parser.add_argument("--keeps-empty-dirs", action="store_true")
    # MLflow's HDFS repository empties a deleted directory and leaves it in place.
    parser.add_argument("--delete-empties-dirs", action="store_true")
    args = parser.parse_args()
    args.keeps_empty_dirs = args.keeps_empty_dirs or args.delete_empties_dirs

    _install_request_recorder()
    import mlflow
    from mlflow import MlflowClient
    from mlflow.store.artifact.artifact_repository_registry import get_artifact_repository

    mlflow.set_tracking_uri(args.tracking_uri)
    client = MlflowClient(args.tracking_uri)
    work = os.path.join(args.workdir, uuid.uuid4().hex[:8])
    src = os.path.join(work, "src")
    report = Report()
    S: dict = {}
    expected: dict[str, int] = {}
    empty_dirs: list[str] = []
    big: dict = {}

    def listed(path=None):
        return [(f.path, f.is_dir, f.file_size) for f in client.list_artifacts(S["run_id"], path)]

    def create_run():
        exp_id = mlflow.set_experiment(f"cloud-e2e-{uuid.uuid4().hex[:10]}").experiment_id
        run = mlflow.start_run(experiment_id=exp_id)
        uri = run.info.artifact_uri
        expect(uri.startswith("mlflow-artifacts:"), f"run artifact_uri {uri!r} is not under mlflow-artifacts:")
        S["run_id"] = run.info.run_id
        S["artifact_uri"] = uri
        S["run_root"] = urlparse(uri).path.strip("/")
        expect_eq(S["run_root"], f"{exp_id}/{run.info.run_id}/artifacts", "run artifact root")
        return uri

    def log_artifact():
        model = os.urandom(300_000)
        write(os.path.join(src, "single", "model.bin"), model)
        write(os.path.join(src, "single", "notes.txt"), b"some notes\n")
        mlflow.log_artifact(os.path.join(src, "single", "model.bin"))
        mlflow.log_artifact(os.path.join(src, "single", "notes.txt"), artifact_path="docs/text")
        expected.update({"model.bin": len(model), "docs/text/notes.txt": 11})
        expect_eq(listed("docs/text"), [("docs/text/notes.txt", False, 11)], "list_artifacts('docs/text')")
        expect_eq(listed("docs"), [("docs/text", True, None)], "list_artifacts('docs')")

    def log_artifacts():
        for rel, data in TREE.items():
            write(os.path.join(src, "tree", *rel.split("/")), data)
        mlflow.log_artifacts(os.path.join(src, "tree"), artifact_path="tree")
        expected.update({f"tree/{rel}": len(data) for rel, data in TREE.items()})

    def list_every_level():
        expect_eq(
            listed(),
            [("docs", True, None), ("model.bin", False, 300_000), ("tree", True, None)],
            "list_artifacts(run_id) at the root",
        )
        expect_eq(
            listed("tree"),
            sorted(
                [
                    ("tree/-dash.txt", False, len(TREE["-dash.txt"])),
                    ("tree/a", True, None),
                    ("tree/a+b=c&d [1].txt", False, len(TREE["a+b=c&d [1].txt"])),
                    ("tree/donn\u00e9es", True, None),
                    ("tree/empty.txt", False, None),
                    ("tree/top.txt", False, len(TREE["top.txt"])),
                    ("tree/\u65e5\u672c\u8a9e", True, None),
                ]
            ),
            "list_artifacts('tree') (an empty file has no file_size)",
        )
        expect_eq(
            listed("tree/a"),
            [("tree/a/b", True, None), ("tree/a/x.csv", False, len(TREE["a/x.csv"]))],
            "list_artifacts('tree/a')",
        )
        expect_eq(
            listed("tree/a/b/"),
            [("tree/a/b/c", True, None), ("tree/a/b/sibling.json", False, len(TREE["a/b/sibling.json"]))],
            "list_artifacts('tree/a/b/') (trailing slash)",
        )
        expect_eq(listed("tree/a/b/c"), [("tree/a/b/c/deep.bin", False, 70_000)], "list_artifacts('tree/a/b/c')")
        name = "tree/donn\u00e9es/mod\u00e8le \u00e9t\u00e9.txt"
        expect_eq(listed("tree/donn\u00e9es"), [(name, False, len(TREE["donn\u00e9es/mod\u00e8le \u00e9t\u00e9.txt"]))], "list_artifacts of a unicode dir")
        expect_eq(listed("tree/top.txt"), [], "list_artifacts of a file path")
        expect_eq(listed("no/such/dir"), [], "list_artifacts of a missing path")

    def download_file():
        dst = os.path.join(work, "dl-file")
        os.makedirs(dst)
        local = mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path="model.bin", dst_path=dst)
        expect_eq(os.path.normpath(local), os.path.join(dst, "model.bin"), "download_artifacts local path")
        expect_eq(sha256_file(local), sha256_file(os.path.join(src, "single", "model.bin")), "model.bin SHA-256")
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"{S['artifact_uri']}/tree/donn\u00e9es/mod\u00e8le \u00e9t\u00e9.txt", dst_path=dst
        )
        with open(local, "rb") as f:
            expect_eq(f.read(), TREE["donn\u00e9es/mod\u00e8le \u00e9t\u00e9.txt"], "unicode file by artifact_uri")

    def download_tree():
        dst = os.path.join(work, "dl-tree")
        os.makedirs(dst)
        local = mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path="tree", dst_path=dst)
        got = tree_hashes(local)
        want = tree_hashes(os.path.join(src, "tree"))
        expect_eq(got, want, "downloaded tree (path → SHA-256)")
        expect_eq(os.path.getsize(os.path.join(local, "empty.txt")), 0, "empty.txt size after download")
        return f"{len(got)} files byte-identical"

    def big_upload():
        path = os.path.join(src, "big", BIG_NAME)
        os.makedirs(os.path.dirname(path))
        size = args.big_mib * 1024 * 1024
        h = hashlib.sha256()
        with open(path, "wb") as f:
            block = os.urandom(1 << 20)
            for i in range(args.big_mib):
                # distinct MiBs, so a misplaced part changes the hash
                chunk = i.to_bytes(4, "big") + block[4:]
                h.update(chunk)
                f.write(chunk)
        start = len(_requests_log)
        t0 = time.monotonic()
        mlflow.log_artifact(path, artifact_path="big")
        seconds = round(time.monotonic() - t0, 1)
        reqs = _requests_log[start:]
        creates = [r for r in reqs if " /api/2.0/mlflow-artifacts/mpu/create/" in r]
        completes = [r for r in reqs if " /api/2.0/mlflow-artifacts/mpu/complete/" in r]
        proxied_puts = [r for r in reqs if r.startswith("PUT ") and " /api/2.0/mlflow-artifacts/artifacts/" in r]
        part_puts = [r for r in reqs if r.startswith("PUT ") and "/mlflow-artifacts/" not in r]
        expect_eq(len(creates), 1, f"mpu/create requests (min size {os.environ.get('MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE')})")
        chunk = int(os.environ["MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE"])
        want_parts = -(-size // chunk)
        if args.big_expect == "multipart":
            expect(creates[0].endswith(" 200"), f"mpu/create should succeed: {creates[0]}")
            expect_eq(len(part_puts), want_parts, "part PUTs to presigned URLs")
            expect(all(r.endswith(" 200") or r.endswith(" 201") for r in part_puts), f"every part PUT succeeds: {part_puts}")
            expect_eq([r.split(" ")[-1] for r in completes], ["200"], "mpu/complete")
            expect_eq(proxied_puts, [], "no proxied PUT when multipart succeeds")
        else:
            expect(creates[0].endswith(" 501"), f"mpu/create should answer 501 NOT_IMPLEMENTED: {creates[0]}")
            expect_eq(completes + part_puts, [], "no parts or completion after a 501")
            expect_eq([r.split(" ")[-1] for r in proxied_puts], ["200"], "one proxied PUT (the fallback)")
        big.update(
            path=f"big/{BIG_NAME}",
            size=size,
            sha256=h.hexdigest(),
            parts=len(part_puts),
            chunk_size=chunk,
            upload_seconds=seconds,
            mode=args.big_expect,
            requests=[r.split("?")[0] for r in reqs][:20],
        )
        expected[f"big/{BIG_NAME}"] = size
        expect_eq(listed("big"), [(f"big/{BIG_NAME}", False, size)], "list_artifacts('big')")
        return f"{size} bytes in {seconds} s; {len(part_puts)} parts"

    def big_download():
        dst = os.path.join(work, "dl-big")
        os.makedirs(dst)
        t0 = time.monotonic()
        local = mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path=f"big/{BIG_NAME}", dst_path=dst)
        big["download_seconds"] = round(time.monotonic() - t0, 1)
        expect_eq(os.path.getsize(local), big["size"], "downloaded size")
        expect_eq(sha256_file(local), big["sha256"], "downloaded SHA-256")
        os.remove(local)
        os.remove(os.path.join(src, "big", BIG_NAME))
        return f"SHA-256 equal ({big['download_seconds']} s)"

    def delete_through_proxy():
        repo = get_artifact_repository(S["artifact_uri"])
        expect_eq(type(repo).__name__, "MlflowArtifactsRepository", "repository of the run's artifact_uri")
        start = len(_requests_log)
        repo.delete_artifacts("docs/text/notes.txt")
        repo.delete_artifacts("tree/a/b")
        deletes = [r for r in _requests_log[start:] if r.startswith("DELETE ")]
        expect_eq(len(deletes), 2, "DELETE requests")
        for r in deletes:
            expect(" /api/2.0/mlflow-artifacts/artifacts/" in r and r.endswith(" 200"), f"DELETE through the proxy: {r}")
        for gone in ["docs/text/notes.txt", "tree/a/b/c/deep.bin", "tree/a/b/sibling.json"]:
            expected.pop(gone)
        x_csv = ("tree/a/x.csv", False, len(TREE["a/x.csv"]))
        if args.delete_empties_dirs:
            expect_eq(listed("tree/a"), [("tree/a/b", True, None), x_csv], "list_artifacts('tree/a') keeps the emptied tree/a/b")
            empty_dirs.append("tree/a/b")
        else:
            expect_eq(listed("tree/a"), [x_csv], "list_artifacts('tree/a') after deleting tree/a/b")
        expect_eq(listed("tree/a/b"), [], "list_artifacts('tree/a/b') after deleting it")
        expect_eq(listed("docs/text"), [], "list_artifacts('docs/text') after deleting its only file")
        if args.keeps_empty_dirs:
            empty_dirs.append("docs/text")
            expect_eq([p for p, _, _ in listed()], ["big", "docs", "model.bin", "tree"], "root listing after the deletes (docs/ stays, emptied)")
        else:
            expect_eq(
                [p for p, _, _ in listed()],
                ["big", "model.bin", "tree"],
                "root listing after the deletes (an object store has no empty directories)",
            )
        dst = os.path.join(work, "dl-gone")
        os.makedirs(dst)
        try:
            mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path="docs/text/notes.txt", dst_path=dst)
        except Exception as e:  # noqa: BLE001
            gets = [r for r in _requests_log[start:] if r.startswith("GET ") and "/mlflow-artifacts/artifacts/" in r and "notes.txt" in r]
            expect(gets and gets[-1].endswith(" 404"), f"a deleted file answers 404: {gets}")
            return f"download of a deleted file fails: {type(e).__name__}"
        raise CheckFailed("downloading a deleted file succeeded")

    def untouched_after_delete():
        dst = os.path.join(work, "dl-after")
        os.makedirs(dst)
        local = mlflow.artifacts.download_artifacts(run_id=S["run_id"], artifact_path="tree", dst_path=dst)
        want = {k: v for k, v in tree_hashes(os.path.join(src, "tree")).items() if not k.startswith("a/b/")}
        if args.delete_empties_dirs:
            want["a/b/"] = "d"
        expect_eq(tree_hashes(local), want, "tree after the deletes")

    steps = [
        ("create a run (artifact_uri under mlflow-artifacts:)", create_run),
        ("mlflow.log_artifact at the root and under an artifact_path", log_artifact),
        ("mlflow.log_artifacts of a tree (nested dirs, unicode names, a leading dash, an empty file)", log_artifacts),
        ("MlflowClient.list_artifacts at every level", list_every_level),
        ("mlflow.artifacts.download_artifacts of single files (byte-compared)", download_file),
        ("mlflow.artifacts.download_artifacts of the tree (byte-compared)", download_tree),
        (f"a {args.big_mib} MiB log_artifact with proxy multipart enabled ({args.big_expect})", big_upload),
        ("the large file downloads back with the same SHA-256", big_download),
        ("delete a file and a directory through the proxy (DELETE …/mlflow-artifacts/artifacts/<path>)", delete_through_proxy),
        ("the rest of the tree is intact after the deletes", untouched_after_delete),
    ]
    for name, fn in steps:
        # Later steps depend on the run; stop at the first failure rather than pile up noise.
        if not report.check(name, fn):
            break
    try:
        mlflow.end_run()
    except Exception:  # noqa: BLE001
        pass
    passed = sum(1 for c in report.checks if c["ok"])
    ok = passed == len(steps)
    print(
        json.dumps(
            {
                "ok": ok,
                "passed": passed,
                "failed": len(report.checks) - passed,
                "seconds": round(time.monotonic() - report.started, 1),
                "checks": report.checks,
                "run_root": S.get("run_root"),
                "expected": expected,
                "empty_dirs": empty_dirs,
                "big": big,
            },
            ensure_ascii=False,
        )
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
