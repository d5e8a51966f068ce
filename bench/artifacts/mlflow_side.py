"""MLflow's side of `pnpm bench:artifacts`: MLflow 3.18.0's own artifact repository class for the
task's backend (S3ArtifactRepository, AzureBlobArtifactRepository, GCSArtifactRepository,
SFTPArtifactRepository, FTPArtifactRepository), called as a user would (log_artifact /
download_artifacts / log_artifacts) with MLflow's defaults and the backend's usual environment
variables (set by run.ts; for SFTP a HOME with ~/.ssh/config and known_hosts). Timing is measured
here, around the calls. HDFS is not run: pyarrow's HadoopFileSystem needs libhdfs (run.ts says so).

Invoked by bench/artifacts/run.ts as `python mlflow_side.py '<task json>'` (see `Task` in
workload.ts); phase markers go to stderr, one JSON object to stdout.
"""

import json
import os
import platform
import resource
import sys
import time

LARGE_NAME = "large.bin"
BUCKET = "mlstore-bench"
FTP_DIR = "bench"


def small_name(i):
    return f"f{i:05d}.bin"


def mark(line):
    sys.stderr.write(f"@@{line}\n")
    sys.stderr.flush()


def timed(name, fn):
    mark(f"phase {name}")
    t = time.perf_counter()
    fn()
    s = time.perf_counter() - t
    mark("idle")
    return s


def open_repo(backend, root, endpoints):
    if backend == "s3":
        from mlflow.store.artifact.s3_artifact_repo import S3ArtifactRepository

        return S3ArtifactRepository(f"s3://{BUCKET}/{root}")
    if backend == "azure":
        from mlflow.store.artifact.azure_blob_artifact_repo import AzureBlobArtifactRepository

        return AzureBlobArtifactRepository(f"wasbs://{BUCKET}@devstoreaccount1.blob.core.windows.net/{root}")
    if backend == "gcs":
        from mlflow.store.artifact.gcs_artifact_repo import GCSArtifactRepository

        return GCSArtifactRepository(f"gs://{BUCKET}/{root}")
    if backend == "sftp":
        from mlflow.store.artifact.sftp_artifact_repo import SFTPArtifactRepository

        # The password in the URI: pysftp reads only RSA/DSA key files, the server's test key is
        # ed25519. The host key comes from HOME/.ssh/known_hosts (its bare-host line, as pysftp reads it).
        s = endpoints["sftp"]
        with open(os.path.join(s["dir"], "password")) as f:
            password = f.read().strip()
        path = f"{s['dir']}/files/{BUCKET}/{root}"
        return SFTPArtifactRepository(f"sftp://{s['user']}:{password}@{s['host']}:{s['port']}{path}")
    if backend == "ftp":
        from mlflow.store.artifact.ftp_artifact_repo import FTPArtifactRepository

        return FTPArtifactRepository(f"{endpoints['ftp']}/{FTP_DIR}/{root}")
    raise ValueError(backend)


def main():
    task = json.loads(sys.argv[1])
    import mlflow

    repo = open_repo(task["backend"], task["root"], task["endpoints"])
    out_dir = task["outDir"]
    # Warm-up (untimed, same on every side): one small file up and down.
    repo.log_artifact(os.path.join(task["smallDir"], small_name(0)), "warmup")
    repo.download_artifacts(f"warmup/{small_name(0)}", out_dir)
    seconds = {
        "upload-large": timed("upload-large", lambda: repo.log_artifact(task["largeFile"], "large")),
        "download-large": timed("download-large", lambda: repo.download_artifacts(f"large/{LARGE_NAME}", out_dir)),
        "upload-small": timed("upload-small", lambda: repo.log_artifacts(task["smallDir"], "small")),
        "download-small": timed("download-small", lambda: repo.download_artifacts("small", out_dir)),
    }
    out = {
        "side": "mlflow",
        "backend": task["backend"],
        "seconds": seconds,
        "maxRssKiB": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "env": {"python": platform.python_version(), "mlflow": mlflow.__version__, "repository": type(repo).__name__, "downloadThreads": str(repo.max_workers)},
    }
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
