#!/usr/bin/env bash
# Installs MLflow 3.18.0 (our compatibility target) into a venv, idempotently, and prints the venv path.
#
# The reachable PyPI has the `mlflow==3.18.0` wheel but not `mlflow-skinny==3.18.0` nor
# `mlflow-tracing==3.18.0` (their newest there is 3.17.2), so a plain `pip install mlflow==3.18.0`
# fails to resolve. The full `mlflow` wheel carries the whole `mlflow` package, so we install
# 3.17.2 for its dependency set, remove the three 3.17.2 distributions, and add the 3.18.0 wheel
# without dependencies. `mlflow --version` then reports 3.18.0.
set -euo pipefail
root=$(cd "$(dirname "$0")/../../.." && pwd)
venv="${MLSTORE_MLFLOW_VENV:-$root/.services/mlflow-venv}"
want=3.18.0
have=$("$venv/bin/python" -c 'import mlflow; print(mlflow.__version__)' 2>/dev/null || true)
if [ "$have" != "$want" ]; then
  python3 -m venv "$venv"
  # Drivers for the server dialects come along: psycopg (PostgreSQL) and PyMySQL (MySQL/MariaDB).
  "$venv/bin/pip" install -q --disable-pip-version-check "mlflow==3.17.2" "psycopg[binary]" pymysql >&2
  "$venv/bin/pip" uninstall -q -y mlflow mlflow-skinny mlflow-tracing >&2
  "$venv/bin/pip" install -q --disable-pip-version-check --no-deps "mlflow==$want" >&2
  have=$("$venv/bin/python" -c 'import mlflow; print(mlflow.__version__)')
  [ "$have" = "$want" ] || { echo "installed mlflow $have, expected $want" >&2; exit 1; }
fi
# The SDKs MLflow's own cloud artifact repositories import (S3, Azure Blob, GCS), for the
# artifact interop tests: MLflow's repositories and ours on the same emulators.
# pysftp is what MLflow's SFTP repository imports; pysftp 0.2.9 (its last release) imports
# paramiko's DSSKey, which paramiko 4 removed, so paramiko stays below 4.
if ! "$venv/bin/python" -c 'import boto3, azure.storage.blob, azure.identity, google.cloud.storage, pysftp' 2>/dev/null; then
  "$venv/bin/pip" install -q --disable-pip-version-check boto3 azure-storage-blob azure-identity google-cloud-storage pysftp 'paramiko<4' >&2
fi
# MLflow's own REST test suite (test/peer-suites/mlflow-rest-tracking, run by
# test/mlflow-rest-suite.test.ts) runs under pytest in this venv; pinned, installed once.
# pytest-xdist spreads its tests over workers (each test starts its own server).
pytest_pins="pytest==9.2.0 pytest-timeout==2.4.0 pytest-asyncio==1.5.0 pytest-xdist==3.8.0"
if ! "$venv/bin/python" - $pytest_pins <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
sys.exit(any(version(n) != v for n, v in (a.split("==") for a in sys.argv[1:])))
PY
then
  "$venv/bin/pip" install -q --disable-pip-version-check $pytest_pins >&2
fi
echo "$venv"
