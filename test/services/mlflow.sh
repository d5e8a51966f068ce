#!/usr/bin/env bash
# The real MLflow 3.18.0 (Python) for the interop tests in test/sql-interop.test.ts.
# Idempotent: `start` installs it into a venv under .services/mlflow-venv once (via
# lib/mlflow-venv.sh, ~90 s the first time) and checks that `mlflow --version` reports 3.18.0;
# the venv also gets pinned pytest plugins for MLflow's own REST suite (test/mlflow-rest-suite.test.ts).
# There is no long-running process here: each interop test spawns its own `mlflow server` on a
# free 127.0.0.1 port and stops it (its whole process group) when done, so `stop` has nothing to do.
# `venv` prints the venv path. Sourcing lib/ports.sh only publishes the checkout's ports (none is MLflow's).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib/ports.sh"
venv="${MLSTORE_MLFLOW_VENV:-$root/.services/mlflow-venv}"
want=3.18.0

installed() {
  [ -x "$venv/bin/mlflow" ] && [ "$("$venv/bin/python" -c 'import mlflow; print(mlflow.__version__)' 2>/dev/null)" = "$want" ]
}

start() {
  # Idempotent and quick once installed; also brings the cloud SDKs into an older venv.
  MLSTORE_MLFLOW_VENV="$venv" bash "$here/lib/mlflow-venv.sh" >/dev/null
  installed || { echo "mlflow $want is not usable in $venv" >&2; exit 1; }
  echo "mlflow ready: $("$venv/bin/mlflow" --version) in $venv"
}

case "${1:-}" in
  start) start ;;
  stop) ;;
  status) installed && echo "installed ($venv)" || { echo "not installed"; exit 1; } ;;
  venv) echo "$venv" ;;
  *) echo "usage: $0 start|stop|status|venv" >&2; exit 2 ;;
esac
