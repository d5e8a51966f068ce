#!/usr/bin/env bash
# MariaDB from Debian's packages as a plain process on 127.0.0.1, for the SQL store tests.
# Idempotent: `start` installs it if missing, initialises a data dir under .services/mariadb once,
# starts mariadbd if it is not running and waits until it answers; `stop` shuts it down;
# `url` prints the connection URI (database `mlstore`, user `mlstore`, password `mlstore`).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
# Server data lives outside the checkout: the mysql user must reach it, and a checkout
# may sit in a directory only root can enter (mktemp -d makes 0700). One state dir per checkout.
dir="${MLSTORE_SERVICES_STATE:-/var/tmp/mlstore-services/$(printf %s "$root" | cksum | cut -d' ' -f1)}/mariadb"
port="${MLSTORE_MYSQL_PORT:-53306}"
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

# Over TCP: "mysqld is alive" needs no credentials, so a server already on the port counts.
ready() { mariadb-admin --protocol=tcp -h 127.0.0.1 -P "$port" --connect-timeout=2 ping >/dev/null 2>&1; }

start() {
  install
  mkdir -p "$dir" && chmod 755 "$(dirname "$dir")"
  chown mysql:mysql "$dir"
  if [ ! -d "$dir/data/mysql" ]; then
    mariadb-install-db --user=mysql --datadir="$dir/data" --auth-root-authentication-method=socket >/dev/null
  fi
  if ! ready; then
    # Detached, with every stream closed, so callers piping our output are not held open.
    setsid /usr/sbin/mariadbd --user=mysql --datadir="$dir/data" --socket="$sock" \
      --bind-address=127.0.0.1 --port="$port" --pid-file="$dir/mysqld.pid" --log-error="$dir/server.log" \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --innodb-flush-log-at-trx-commit=2 \
      --max-connections=300 </dev/null >/dev/null 2>&1 &
  fi
  for _ in $(seq 1 60); do ready && break; sleep 1; done
  ready || { echo "mariadb did not become ready; see $dir/server.log" >&2; exit 1; }
  # Our own server: make sure the test database and user exist (a foreign one must provide them).
  [ -S "$sock" ] && mariadb --socket="$sock" -u root -e "CREATE DATABASE IF NOT EXISTS mlstore; \
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
  status) ready && echo running || { echo stopped; exit 1; } ;;
  url) url ;;
  dir) echo "$dir" ;;
  *) echo "usage: $0 start|stop|status|url|dir" >&2; exit 2 ;;
esac
