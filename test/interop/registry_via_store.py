"""The model registry through MLflow 3.18.0's own SqlAlchemyStore, for test/sql-registry-interop.test.ts.

usage: registry_via_store.py fill <db-uri> <spec.json>
       registry_via_store.py dump <db-uri> <spec.json>

`fill` replays the spec's writes (test/interop/registry-scenario.ts); `dump` prints, as the last line
of stdout, what the store reads back in the neutral shape registry-scenario.ts builds from our store.
"""

import json
import sys

from mlflow.entities.model_registry import ModelVersionTag, RegisteredModelTag
from mlflow.store.model_registry.sqlalchemy_store import SqlAlchemyStore


def fill(store, spec):
    for op, *a in spec["ops"]:
        if op == "create_rm":
            tags = [RegisteredModelTag(k, v) for k, v in a[1].items()]
            store.create_registered_model(a[0], tags, a[2])
        elif op == "create_mv":
            tags = [ModelVersionTag(k, v) for k, v in a[3].items()]
            store.create_model_version(a[0], a[1], run_id=a[2], tags=tags, run_link=a[4], description=a[5])
        elif op == "transition":
            # An int version: with archive_existing_versions MLflow compares `version != <str>`,
            # which PostgreSQL refuses (integer <> character varying) — an MLflow bug we do not copy.
            store.transition_model_version_stage(a[0], int(a[1]), a[2], a[3])
        elif op == "update_rm":
            store.update_registered_model(a[0], a[1])
        elif op == "update_mv":
            store.update_model_version(a[0], a[1], a[2])
        elif op == "set_rm_tag":
            store.set_registered_model_tag(a[0], RegisteredModelTag(a[1], a[2]))
        elif op == "delete_rm_tag":
            store.delete_registered_model_tag(a[0], a[1])
        elif op == "set_mv_tag":
            store.set_model_version_tag(a[0], a[1], ModelVersionTag(a[2], a[3]))
        elif op == "delete_mv_tag":
            store.delete_model_version_tag(a[0], a[1], a[2])
        elif op == "set_alias":
            store.set_registered_model_alias(a[0], a[1], a[2])
        elif op == "delete_alias":
            store.delete_registered_model_alias(a[0], a[1])
        elif op == "delete_mv":
            store.delete_model_version(a[0], a[1])
        elif op == "rename":
            store.rename_registered_model(a[0], a[1])
        elif op == "delete_rm":
            store.delete_registered_model(a[0])
        else:
            raise ValueError(op)


def version_json(v):
    return {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.creation_timestamp,
        "last_updated_timestamp": v.last_updated_timestamp,
        "current_stage": v.current_stage,
        "description": v.description,
        "source": v.source,
        "run_id": v.run_id,
        "run_link": v.run_link,
        "status": v.status,
        "tags": dict(sorted(v.tags.items())),
        "aliases": sorted(v.aliases),
    }


def model_json(m):
    return {
        "name": m.name,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "description": m.description,
        # `_tags`: the `tags` property hides the prompt tag; the wire (and our entity) has it.
        "tags": dict(sorted(m._tags.items())),
        "aliases": {k: str(v) for k, v in sorted(m.aliases.items())},
        "latest_versions": sorted((version_json(v) for v in m.latest_versions), key=lambda v: int(v["version"])),
    }


def pages(search, key):
    out, token = [], None
    while True:
        page = search(token)
        # MLflow's SQL store returns the token as bytes (base64.b64encode); the wire carries its text.
        text = page.token.decode() if isinstance(page.token, bytes) else page.token
        out.append({"items": [key(x) for x in page], "token": text})
        token = page.token
        if not token:
            return out


def dump(store, spec):
    models = []
    for name in spec["models"]:
        rm = store.get_registered_model(name)
        versions = store.search_model_versions(f"name = '{name}'", max_results=1000)
        if not versions:
            versions = store.search_model_versions(f"name = '{name}' AND tags.`mlflow.prompt.is_prompt` = 'true'")
        full = []
        for v in versions:
            d = version_json(store.get_model_version(name, str(v.version)))
            d["download_uri"] = store.get_model_version_download_uri(name, str(v.version))
            full.append(d)
        models.append(
            {
                "model": model_json(rm),
                "versions": full,
                "latest": sorted((version_json(v) for v in store.get_latest_versions(name)), key=lambda v: int(v["version"])),
                "latest_production": [str(v.version) for v in store.get_latest_versions(name, ["production"])],
                "by_alias": {a: str(store.get_model_version_by_alias(name, a).version) for a in sorted(rm.aliases)},
                "latest_alias": str(store.get_model_version_by_alias(name, "Latest").version) if versions else None,
            }
        )
    rm_queries = [
        pages(
            lambda t, q=q: store.search_registered_models(q["filter"], q["page_size"], q["order_by"], t),
            lambda m: m.name,
        )
        for q in spec["rm_queries"]
    ]
    mv_queries = [
        pages(
            lambda t, q=q: store.search_model_versions(q["filter"], q["page_size"], q["order_by"], t),
            lambda v: f"{v.name}/{v.version}",
        )
        for q in spec["mv_queries"]
    ]
    return {"models": models, "rm_queries": rm_queries, "mv_queries": mv_queries}


def main():
    mode, uri, spec_path = sys.argv[1:4]
    with open(spec_path) as f:
        spec = json.load(f)
    store = SqlAlchemyStore(uri)
    if mode == "fill":
        fill(store, spec)
        print(json.dumps({"ok": True}))
    else:
        print(json.dumps(dump(store, spec)))


if __name__ == "__main__":
    main()
