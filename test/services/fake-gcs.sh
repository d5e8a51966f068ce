#!/usr/bin/env bash
# fake-gcs-server (Google Cloud Storage emulator) on 127.0.0.1, for @mlstore/artifact-gcs.
# Idempotent: `start` builds the pinned version from the Go module proxy once (4–5 minutes on two
# cores) into a cache outside the checkout, starts it if it is not running and waits until the JSON
# API answers; `stop` stops it and removes its data; `url` prints the API endpoint.
# Node's @google-cloud/storage must get this URL as `apiEndpoint` (STORAGE_EMULATOR_HOST is taken
# verbatim as its base URL and breaks uploads); Python's SDK takes it as STORAGE_EMULATOR_HOST.
# Port: MLSTORE_GCS_PORT, else this checkout's slot (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
version="${MLSTORE_FAKE_GCS_VERSION:-v1.56.1}"
# The build cache is shared by every checkout on the machine; the server state is per checkout.
cache="${MLSTORE_CACHE:-/var/tmp/mlstore-cache}/fake-gcs-server-$version"
dir="$state/fake-gcs"
port=$(service_port MLSTORE_GCS_PORT)
host=127.0.0.1
bin="$cache/bin/fake-gcs-server"

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  if [ -x /usr/local/go/bin/go ]; then echo /usr/local/go/bin/go; return; fi
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null
  command -v go
}

install() {
  [ -x "$bin" ] && return
  local go; go=$(find_go)
  mkdir -p "$cache"
  # Build into a temporary GOBIN and move into place, so an interrupted build never leaves a
  # half-written binary that a later run would take as installed.
  local tmp; tmp=$(mktemp -d "$cache/build.XXXXXX")
  GOBIN="$tmp" GOPATH="$cache/gopath" GOMODCACHE="$cache/gopath/pkg/mod" GOCACHE="$cache/gocache" \
    GOFLAGS=-modcacherw "$go" install "github.com/fsouza/fake-gcs-server@$version"
  mkdir -p "$cache/bin" && mv "$tmp/fake-gcs-server" "$bin" && rm -rf "$tmp"
}

# The pid file must name a live fake-gcs-server (guards against a stale or reused pid).
alive() { [ -f "$dir/pid" ] && grep -qa -- fake-gcs-server "/proc/$(cat "$dir/pid")/cmdline" 2>/dev/null; }
ready() { curl -fs -o /dev/null --max-time 2 "$(url)/storage/v1/b"; }

start() {
  install
  mkdir -p "$dir/data"
  if ! alive; then
    if port_listening "$port"; then echo "port $port already serves something that is not our fake-gcs-server; set MLSTORE_GCS_PORT" >&2; exit 1; fi
    # -scheme http: the default is https with a self-signed certificate. -external-url is what the
    # server writes into resumable-upload Location headers, so it must be the reachable address.
    # -backend memory: GCS object names are flat, so `a/x` and `a/x/y` coexist; the filesystem
    # backend maps names to files and answers 500 for that (it buffers whole uploads either way).
    setsid nohup "$bin" -scheme http -host "$host" -port "$port" -external-url "$(url)" \
      -public-host "$host:$port" -backend memory -log-level warn \
      >"$dir/server.log" 2>&1 </dev/null &
    echo $! >"$dir/pid"
  fi
  for _ in $(seq 1 150); do ready && break; alive || break; sleep 0.2; done
  ready || { echo "fake-gcs-server did not become ready; see $dir/server.log" >&2; tail -n 20 "$dir/server.log" >&2 || true; exit 1; }
  echo "fake-gcs-server ready: $(url) (pid $(cat "$dir/pid"))"
}

stop() {
  if alive; then
    kill "$(cat "$dir/pid")"
    for _ in $(seq 1 50); do alive || break; sleep 0.1; done
  fi
  rm -f "$dir/pid"
  rm -rf "$dir/data"
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
