#!/usr/bin/env bash
# moto server (S3 emulator from PyPI `moto[server]`) on 127.0.0.1, for @mlstore/artifact-s3 and
# test/s3-interop.test.ts. Idempotent: `start` installs the pinned version into a venv cached
# outside the checkout once (~80 s), starts the server if it is not running and waits until it
# answers; `stop` stops it (its state is in memory, so nothing survives); `url` prints the endpoint.
# Clients: endpoint = `url`, path-style addressing, any region and any credentials (e.g. `test`).
# Port: MLSTORE_MOTO_PORT, else this checkout's slot (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
version="${MLSTORE_MOTO_VERSION:-5.2.6}"
# The venv is shared by every checkout on the machine; the server state is per checkout.
venv="${MLSTORE_CACHE:-/var/tmp/mlstore-cache}/moto-venv"
dir="$state/moto"
port=$(service_port MLSTORE_MOTO_PORT)
host=127.0.0.1

# A venv counts as installed only once its marker exists: an interrupted install is redone.
installed() { [ -f "$venv/.mlstore-moto-$version" ] && [ -x "$venv/bin/moto_server" ]; }

install() {
  installed && return
  mkdir -p "$(dirname "$venv")"
  # venvs hold absolute paths, so it is built in place (--clear drops a half-made one) and the
  # marker is written last.
  python3 -m venv --clear "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==$version" || {
    echo "pip install moto[server]==$version into $venv failed" >&2; exit 1; }
  "$venv/bin/python" -c 'import moto; print(moto.__version__)' | grep -qx "$version" || {
    echo "moto $version is not usable in $venv" >&2; exit 1; }
  touch "$venv/.mlstore-moto-$version"
}

# The pid file must name a live moto_server (guards against a stale or reused pid).
alive() { [ -f "$dir/pid" ] && grep -qa -- moto_server "/proc/$(cat "$dir/pid")/cmdline" 2>/dev/null; }
ready() { curl -fs -o /dev/null --max-time 2 "$(url)/moto-api/"; }

start() {
  install
  mkdir -p "$dir"
  if ! alive; then
    if port_listening "$port"; then echo "port $port already serves something that is not our moto_server; set MLSTORE_MOTO_PORT" >&2; exit 1; fi
    setsid nohup "$venv/bin/moto_server" -H "$host" -p "$port" >"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
  fi
  for _ in $(seq 1 150); do ready && break; alive || break; sleep 0.2; done
  ready || { echo "moto did not become ready; see $dir/server.log" >&2; tail -n 20 "$dir/server.log" >&2 || true; exit 1; }
  echo "moto ready: $(url) (pid $(cat "$dir/pid"); path-style, region us-east-1, any credentials)"
}

stop() {
  if alive; then
    kill "$(cat "$dir/pid")"
    for _ in $(seq 1 50); do alive || break; sleep 0.1; done
  fi
  rm -f "$dir/pid"
}

url() { echo "http://$host:$port"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) alive && ready && echo running || { echo stopped; exit 1; } ;;
  url) url ;;
  dir) echo "$dir" ;;
  *) echo "usage: $0 start|stop|status|url|dir" >&2; exit 2 ;;
esac
