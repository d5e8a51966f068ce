# Sourced by every test/services/*.sh: which checkout this is, where its server state lives and which
# ports its services listen on; publishes those ports in <checkout>/.services/ports.env.
#
# Each checkout gets its own block of 50 ports below Linux's ephemeral range (32768–60999, where a
# client socket of any process may hold a port for a moment and make a server's bind fail), chosen
# from the checkout's path: base = 20000 + (cksum of the path mod 254) × 50, so blocks lie in
# 20000–32699 and two checkouts on one machine get different blocks unless their paths collide
# (1 in 254; a script then refuses the other checkout's server: set MLSTORE_SERVICES_PORT_BASE).
#
#   base+0  postgres            MLSTORE_PG_PORT
#   base+1  mariadb             MLSTORE_MYSQL_PORT
#   base+2  moto                MLSTORE_MOTO_PORT
#   base+3  azurite (blob)      MLSTORE_AZURITE_PORT    (+4, +5 kept for its queue and table services)
#   base+6  fake-gcs-server     MLSTORE_GCS_PORT
#   base+7  sshd (sftp)         MLSTORE_SFTP_PORT
#   base+10 ftp                 MLSTORE_FTP_PORT, passive data ports base+11..+19 (MLSTORE_FTP_PASSIVE)
#   base+20 hdfs namenode RPC   MLSTORE_HDFS_PORT       (+21 namenode HTTP, +22..+24 datanode data/http/ipc)
#   base+25 hdfs HttpFS         MLSTORE_HDFS_HTTPFS_PORT
#   base+30 hdfs-kerberos RPC   MLSTORE_HDFS_KERBEROS_PORT (+31 WebHDFS, +32..+34 datanode, +39 KDC)
#   base+40..+49 the servers of MLflow's REST suite   MLSTORE_REST_SUITE_PORTS (test/mlflow-rest-suite.test.ts)
#
# Each variable, when set, wins over its block slot; MLSTORE_SERVICES_PORT_BASE moves the whole block.
# ports.env holds one KEY=value per line (no quoting) plus MLSTORE_SERVICES_CHECKOUT, the checkout it
# belongs to; vitest.config.ts and the benchmarks load it (@mlstore/testkit's servicePort/loadServicePorts), so tests
# need no exported variables. A script rewrites its own service's lines each time it runs (start, stop,
# url, …) and keeps the other services' lines, so a port given to one script survives another's run.
# shellcheck shell=bash

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
checkout_id=$(printf %s "$root" | cksum | cut -d' ' -f1)
# Server data lives outside the checkout: the postgres/mysql users must reach it, and a checkout may
# sit in a directory only root can enter (mktemp -d makes 0700). One state dir per checkout.
state="${MLSTORE_SERVICES_STATE:-/var/tmp/mlstore-services/$checkout_id}"

ports_base="${MLSTORE_SERVICES_PORT_BASE:-$((20000 + checkout_id % 254 * 50))}"
case "$ports_base" in
  *[!0-9]* | '') echo "MLSTORE_SERVICES_PORT_BASE must be a port number, not '$ports_base'" >&2; exit 2 ;;
esac
[ "$ports_base" -ge 1024 ] && [ "$ports_base" -le 65485 ] || {
  echo "MLSTORE_SERVICES_PORT_BASE=$ports_base leaves no room for 50 ports in 1024–65535" >&2; exit 2; }

# The published keys in file order, each with its block default.
declare -A ports_default=(
  [MLSTORE_PG_PORT]=$ports_base
  [MLSTORE_MYSQL_PORT]=$((ports_base + 1))
  [MLSTORE_MOTO_PORT]=$((ports_base + 2))
  [MLSTORE_AZURITE_PORT]=$((ports_base + 3))
  [MLSTORE_GCS_PORT]=$((ports_base + 6))
  [MLSTORE_SFTP_PORT]=$((ports_base + 7))
  [MLSTORE_FTP_PORT]=$((ports_base + 10))
  [MLSTORE_FTP_PASSIVE]="$((ports_base + 11))-$((ports_base + 19))"
  [MLSTORE_HDFS_PORT]=$((ports_base + 20))
  [MLSTORE_HDFS_HTTPFS_PORT]=$((ports_base + 25))
  [MLSTORE_HDFS_KERBEROS_PORT]=$((ports_base + 30))
  [MLSTORE_REST_SUITE_PORTS]="$((ports_base + 40))-$((ports_base + 49))"
)
ports_keys=(MLSTORE_PG_PORT MLSTORE_MYSQL_PORT MLSTORE_MOTO_PORT MLSTORE_AZURITE_PORT MLSTORE_GCS_PORT
  MLSTORE_SFTP_PORT MLSTORE_FTP_PORT MLSTORE_FTP_PASSIVE MLSTORE_HDFS_PORT MLSTORE_HDFS_HTTPFS_PORT
  MLSTORE_HDFS_KERBEROS_PORT MLSTORE_REST_SUITE_PORTS)

# The keys each script owns (rewrites on every run); mlflow.sh's range is for the servers MLflow's REST suite starts.
ports_owned() {
  case "$1" in
    postgres) echo MLSTORE_PG_PORT ;;
    mariadb) echo MLSTORE_MYSQL_PORT ;;
    moto) echo MLSTORE_MOTO_PORT ;;
    azurite) echo MLSTORE_AZURITE_PORT ;;
    fake-gcs) echo MLSTORE_GCS_PORT ;;
    sftp) echo MLSTORE_SFTP_PORT ;;
    ftp) echo MLSTORE_FTP_PORT MLSTORE_FTP_PASSIVE ;;
    hdfs) echo MLSTORE_HDFS_PORT MLSTORE_HDFS_HTTPFS_PORT ;;
    hdfs-kerberos) echo MLSTORE_HDFS_KERBEROS_PORT ;;
    mlflow) echo MLSTORE_REST_SUITE_PORTS ;;
  esac
}

# service_port KEY: the value this checkout uses (the variable when set, else its block slot).
service_port() {
  local v="${!1:-${ports_default[$1]}}"
  case "$v" in
    '' | *[!0-9-]* | -* | *- | *-*-*) echo "$1 must be a port number (or first-last for a range), not '$v'" >&2; return 2 ;;
  esac
  echo "$v"
}

# port_listening PORT: true when anything accepts connections on 127.0.0.1:PORT.
port_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Rewrites ports.env under a lock (CI starts scripts in parallel): this script's keys from service_port,
# the other keys from the file when it belongs to this checkout (a copied tree's file does not), else
# their block slots.
ports_publish() {
  local owned dir="$root/.services" k v line
  owned=" $(ports_owned "$(basename "$0" .sh)") "
  for k in $owned; do service_port "$k" >/dev/null || exit 2; done
  mkdir -p "$dir"
  (
    flock 9
    declare -A have=()
    if [ -f "$dir/ports.env" ] && grep -qxF "MLSTORE_SERVICES_CHECKOUT=$root" "$dir/ports.env"; then
      while IFS= read -r line; do
        case "$line" in MLSTORE_*=*) have[${line%%=*}]=${line#*=} ;; esac
      done <"$dir/ports.env"
    fi
    {
      echo "# Written by test/services/lib/ports.sh: where this checkout's test services listen."
      echo "MLSTORE_SERVICES_CHECKOUT=$root"
      for k in "${ports_keys[@]}"; do
        case "$owned" in
          *" $k "*) v=$(service_port "$k") ;;
          *) v="${have[$k]:-${ports_default[$k]}}" ;;
        esac
        echo "$k=$v"
      done
    } >"$dir/ports.env.tmp"
    mv "$dir/ports.env.tmp" "$dir/ports.env"
  ) 9>"$dir/.ports.lock"
}
ports_publish
