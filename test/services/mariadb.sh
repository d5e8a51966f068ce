#!/usr/bin/env bash
# MariaDB from Debian's packages as a plain process on 127.0.0.1, for the SQL store tests.
# Idempotent: `start` installs it if missing, initialises a data dir in the state dir once, starts
# mariadbd if it is not running and waits until it answers (a server on the port that is not this
# checkout's mariadbd is refused); `stop` shuts it down; `url` prints the connection URI (database
# `mlstore`, user `mlstore`, password `mlstore`). Port: MLSTORE_MYSQL_PORT, else this checkout's
# slot (lib/ports.sh, published in .services/ports.env).
set -euo pipefail
. "$(dirname "$0")/lib/ports.sh"
dir="$state/mariadb"
port=$(service_port MLSTORE_MYSQL_PORT)
sock="$dir/mysqld.sock"

install() {
  if [ ! -x /usr/sbin/mariadbd ]; then
    apt-get update -qq >/dev/null
    # policy-rc.d keeps the package from starting its own server on 3306.
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null
    rm -f /usr/sbin/policy-rc.d
  fi
}

# Over TCP: "mysqld is alive" needs no credentials (any server answers; `alive` tells ours).
ready() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$port" --connect-timeout=2 ping >/dev/null 2>&1; }
# The pid file must name a live mariadbd on our data dir and port (guards against a stale or reused pid).
alive() {
  local args
  [ -f "$dir/mysqld.pid" ] && args=$(tr '\0' '\n' 2>/dev/null <"/proc/$(cat "$dir/mysqld.pid")/cmdline") &&
    grep -qxF -e "--datadir=$dir/data" <<<"$args" && grep -qxF -e "--port=$port" <<<"$args"
}

start() {
  install
  mkdir -p "$dir" && chmod 755 "$(dirname "$dir")"
  chown mysql:mysql "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$dir/data" --auth-root-authentication-method=socket >/dev/null
  fi
  if ! alive; then
    if [ -S "$sock" ] && mariadb-admin --socket="$sock" -u root ping >/dev/null 2>&1; then
      echo "this checkout's mariadb runs on another port than $port; stop it first" >&2; exit 1; fi
    if port_listening "$port"; then echo "port $port already serves something that is not this checkout's mariadb; set MLSTORE_MYSQL_PORT" >&2; exit 1; fi
    # Detached, with every stream closed, so callers piping our output are not held open.
    setsid /usr/sbin/mariadbd --user=mysql --datadir="$dir/data" --socket="$sock" \
      --bind-address=127.0.0.1 --port="$port" --pid-file="$dir/mysqld.pid" --log-error="$dir/server.log" \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --innodb-flush-log-at-trx-commit=2 \
      --max-connections=300 </dev/null >/dev/null 2>&1 &
  fi
  for _ in $(seq 1 60); do ready && break; sleep 1; done
  ready || { echo "mariadb did not become ready; see $dir/server.log" >&2; exit 1; }
  # Make sure the test database and user exist.
  mariadb --socket="$sock" -u root -e "CREATE DATABASE IF NOT EXISTS mlstore; \
    CREATE USER IF NOT EXISTS 'mlstore'@'127.0.0.1' IDENTIFIED BY 'mlstore'; \
    GRANT ALL PRIVILEGES ON *.* TO 'mlstore'@'127.0.0.1'; FLUSH PRIVILEGES;"
  echo "mariadb ready: $(url)"
}

stop() {
  if [ -S "$sock" ]; then mariadb-admin --socket="$sock" -u root shutdown || true; fi
}

url() { echo "mysql://mlstore:mlstore@127.0.0.1:$port/mlstore"; }

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) alive && ready && echo running || { echo stopped; exit 1; } ;;
  url) url ;;
  dir) echo "$dir" ;;
  *) echo "usage: $0 start|stop|status|url|dir" >&2; exit 2 ;;
esac
