#!/usr/bin/env bash
# Azurite 3.35.0 (Microsoft's Azure Storage emulator, blob service only) as a plain process on
# 127.0.0.1, for the @mlstore/artifact-azure tests. 3.35.0 is the last release that runs on Node 20.
# Idempotent: `start` installs it once from npm into a cache folder outside the checkout
# (${MLSTORE_CACHE:-/var/tmp/mlstore-cache}/azurite-3.35.0), starts it if it is not running and waits
# until it answers; `stop` stops it (only the process its pid file names); `url` prints the
# connection string of the well-known development account (devstoreaccount1), which is what
# AZURE_STORAGE_CONNECTION_STRING should hold for MLflow and mlstore to reach it.
# Port (the blob service's, the only one started): MLSTORE_AZURITE_PORT, else this checkout's slot
# (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
version=3.35.0
cache="${MLSTORE_CACHE:-/var/tmp/mlstore-cache}/azurite-$version"
# One state dir per checkout, outside it (same rule as postgres.sh).
dir="$state/azurite"
port=$(service_port MLSTORE_AZURITE_PORT)
host=127.0.0.1
bin="$cache/node_modules/azurite/dist/src/blob/main.js"
pidf="$dir/pid"
log="$dir/server.log"
# The public, documented key of Azurite's development account (not a secret).
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

install() {
  [ -f "$bin" ] && return 0
  mkdir -p "$cache"
  npm install --prefix "$cache" --no-audit --no-fund --no-save --loglevel=error "azurite@$version" >/dev/null
  [ -f "$bin" ] || { echo "azurite $version did not install into $cache" >&2; exit 1; }
}

# The pid file must name a live process that really is this Azurite (a stale or reused pid is never killed).
alive() { [ -f "$pidf" ] && grep -qa -- "$bin" "/proc/$(cat "$pidf")/cmdline" 2>/dev/null; }
# Any HTTP answer means it is listening (GET / answers 400).
ready() { curl -s -o /dev/null --max-time 2 "http://$host:$port/"; }

url() { echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=http://$host:$port/devstoreaccount1;"; }

start() {
  install
  mkdir -p "$dir/data"
  if ! alive; then
    if port_listening "$port"; then echo "port $port is taken by another process; set MLSTORE_AZURITE_PORT" >&2; exit 1; fi
    # --skipApiVersionCheck: @azure/storage-blob 12.32 sends an x-ms-version newer than 3.35 knows.
    # --disableTelemetry: it would otherwise call applicationinsights.azure.com.
    # --loose: ignore headers Azurite does not implement instead of failing the request.
    setsid nohup node "$bin" --blobHost "$host" --blobPort "$port" --location "$dir/data" \
      --skipApiVersionCheck --disableTelemetry --loose --silent >"$log" 2>&1 </dev/null &
    echo $! >"$pidf"
  fi
  for _ in $(seq 1 150); do
    ready && break
    alive || { tail -n 20 "$log" >&2; echo "azurite exited; see $log" >&2; exit 1; }
    sleep 0.2
  done
  ready || { echo "azurite did not become ready; see $log" >&2; exit 1; }
  echo "azurite ready: http://$host:$port/devstoreaccount1 (pid $(cat "$pidf"))"
}

stop() {
  if alive; then
    kill "$(cat "$pidf")"
    for _ in $(seq 1 50); do alive || break; sleep 0.1; done
  fi
  rm -f "$pidf"
  # Blobs are test data only; a restart starts empty.
  rm -rf "$dir/data"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) alive && ready && echo "running (pid $(cat "$pidf"), port $port)" || { echo stopped; exit 1; } ;;
  url) url ;;
  dir) echo "$dir" ;;
  *) echo "usage: $0 start|stop|status|url|dir" >&2; exit 2 ;;
esac
