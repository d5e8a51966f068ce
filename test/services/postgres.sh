#!/usr/bin/env bash
# PostgreSQL from Debian's packages as a plain process on 127.0.0.1, for the SQL store tests.
# Idempotent: `start` installs it if missing, creates a cluster in the state dir once, starts it if
# it is not running and waits until it accepts connections (a server on the port that is not this
# checkout's cluster is refused); `stop` stops it; `url` prints the connection URI (database
# `mlstore`, user `postgres`, trust auth on loopback). Port: MLSTORE_PG_PORT, else this checkout's
# slot (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
dir="$state/postgres"
port=$(service_port MLSTORE_PG_PORT)

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

install() {
  if [ -z "$(find_bin)" ] || [ ! -x "$(find_bin)/postgres" ]; then
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
}

as_pg() { (cd / && runuser -u postgres -- "$@"); }

ready() { "$(find_bin)/pg_isready" -q -h 127.0.0.1 -p "$port" 2>/dev/null; }
# Our cluster runs (pg_ctl checks the postmaster of our data dir); the port it took is line 4 of postmaster.pid.
running() { [ -f "$dir/data/PG_VERSION" ] && as_pg "$(find_bin)/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; }
ours() { running && [ "$(sed -n 4p "$dir/data/postmaster.pid" 2>/dev/null)" = "$port" ]; }

start() {
  install
  local bin; bin=$(find_bin)
  mkdir -p "$dir" && chmod 755 "$(dirname "$dir")"
  chown postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_pg "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! ours; then
    if running; then echo "this checkout's postgres runs on port $(sed -n 4p "$dir/data/postmaster.pid"), not $port; stop it first" >&2; exit 1; fi
    if port_listening "$port"; then echo "port $port already serves something that is not this checkout's postgres; set MLSTORE_PG_PORT" >&2; exit 1; fi
    as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-h 127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=200" start >/dev/null
  fi
  for _ in $(seq 1 60); do ready && break; sleep 1; done
  ready || { echo "postgres did not become ready; see $dir/server.log" >&2; exit 1; }
  if ! "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname='mlstore'" | grep -q 1; then
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres mlstore
  fi
  echo "postgres ready: $(url)"
}

stop() {
  local bin; bin=$(find_bin)
  if [ -n "$bin" ] && running; then
    as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  fi
}

url() { echo "postgresql://postgres@127.0.0.1:$port/mlstore"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) ours && ready && echo running || { echo stopped; exit 1; } ;;
  url) url ;;
  dir) echo "$dir" ;;
  *) echo "usage: $0 start|stop|status|url|dir" >&2; exit 2 ;;
esac
