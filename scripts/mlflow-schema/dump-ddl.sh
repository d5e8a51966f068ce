#!/usr/bin/env bash
# Lets MLflow 3.18.0 create its tracking schema on SQLite, PostgreSQL and MariaDB, and writes the
# DDL it made as executable scripts to packages/store-sql/src/schema/<dialect>.sql. @mlstore/store-sql
# runs these on an empty database, so its schema is MLflow's own, table for table.
# Needs: test/services/lib/mlflow-venv.sh, test/services/postgres.sh and test/services/mariadb.sh.
set -euo pipefail
# root, and the servers' ports: MLSTORE_PG_PORT / MLSTORE_MYSQL_PORT, else this checkout's slots.
. "$(dirname "$0")/../../test/services/lib/ports.sh"
pg_port=$(service_port MLSTORE_PG_PORT)
mysql_port=$(service_port MLSTORE_MYSQL_PORT)
out="$root/packages/store-sql/src/schema"
venv=$(bash "$root/test/services/lib/mlflow-venv.sh")
py="$venv/bin/python"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
db="mlflow_ddl_$$"

# SQLite: every CREATE of sqlite_master, tables first, then indexes, then triggers.
"$py" "$root/scripts/mlflow-schema/dump-schema.py" "sqlite:///$tmp/mlflow.db" >/dev/null
"$py" - "$tmp/mlflow.db" >"$out/sqlite.sql" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
rank = {"table": 0, "index": 1, "trigger": 2}
rows = c.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL").fetchall()
for type_, name, sql in sorted(rows, key=lambda r: (rank.get(r[0], 3), r[1])):
    print(f"{sql};")
PY

# PostgreSQL: pg_dump of the schema without ownership, privileges, session settings or psql meta-commands.
pg=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
"$pg/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE $db"
"$py" "$root/scripts/mlflow-schema/dump-schema.py" "postgresql+psycopg://postgres@127.0.0.1:$pg_port/$db" >/dev/null
"$pg/pg_dump" -h 127.0.0.1 -p "$pg_port" -U postgres --schema-only --no-owner --no-privileges --no-comments "$db" \
  | grep -v -E '^(\\restrict|\\unrestrict|SET |SELECT pg_catalog\.set_config|--)' | cat -s >"$out/postgresql.sql"
"$pg/psql" -q -h 127.0.0.1 -p "$pg_port" -U postgres -c "DROP DATABASE $db"

# MariaDB: tables without AUTO_INCREMENT counters and without table-level charset (MLflow's tables
# take the database default); the trigger as one statement.
sock="$(bash "$root/test/services/mariadb.sh" dir)/mysqld.sock"
mariadb --socket="$sock" -u root -e "CREATE DATABASE $db"
"$py" "$root/scripts/mlflow-schema/dump-schema.py" "mysql+pymysql://mlstore:mlstore@127.0.0.1:$mysql_port/$db" >/dev/null
mariadb-dump --socket="$sock" -u root --no-data --skip-comments --skip-add-drop-table --skip-set-charset --compact "$db" \
  | sed -E -e 's/ AUTO_INCREMENT=[0-9]+//' -e 's/ DEFAULT CHARSET=[a-z0-9_]+( COLLATE=[a-z0-9_]+)?//' \
      -e '/^\/\*!40101 SET/d' -e '/^DELIMITER/d' -e 's#^/\*!50003 (CREATE)\*/ /\*!50017 DEFINER=[^*]*\*/ /\*!50003 #CREATE #' \
      -e 's#^\*/;;$#;#' -e '/^\/\*!50003 SET/d' -e '/^\/\*M!/d' >"$out/mysql.sql"
mariadb --socket="$sock" -u root -e "DROP DATABASE $db"
head=$("$py" -c 'from mlflow.store.db.utils import _get_latest_schema_revision as h; print(h())')
echo "wrote $out/{sqlite,postgresql,mysql}.sql for alembic head $head" >&2
