"""Lets MLflow itself create its tracking schema on a database and prints what it made.

Usage (inside the venv from test/services/lib/mlflow-venv.sh):
    python dump-schema.py sqlite:////tmp/x.db > sqlite.sql

The output is the reference the SQL store's schema is checked against: the alembic head and,
for SQLite, every CREATE statement of `sqlite_master` in a stable order.
"""
import sys

import sqlalchemy as sa
from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore


def main(uri: str) -> None:
    SqlAlchemyStore(uri, "/tmp/mlstore-schema-artifacts")
    engine = sa.create_engine(uri)
    with engine.connect() as conn:
        head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
        print(f"-- MLflow tracking schema created by mlflow {__import__('mlflow').__version__}")
        print(f"-- alembic_version: {head}")
        if engine.dialect.name == "sqlite":
            rows = conn.execute(
                sa.text(
                    "SELECT type, name, sql FROM sqlite_master "
                    "WHERE sql IS NOT NULL ORDER BY type DESC, name"
                )
            )
            for _type, _name, sql in rows:
                print(f"{sql};")
        else:
            inspector = sa.inspect(engine)
            for table in sorted(inspector.get_table_names()):
                print(f"-- table {table}")
                for col in inspector.get_columns(table):
                    print(f"--   {col['name']} {col['type']} nullable={col['nullable']} default={col.get('default')}")


if __name__ == "__main__":
    main(sys.argv[1])
