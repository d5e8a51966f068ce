"""
The real MLflow Python client (3.18.0) uses the model registry of a tracking server and checks
every read-back through the public API: pyfunc models logged in runs, `register_model` (and
`log_model(registered_model_name=)`), `create_model_version`, descriptions, registered-model and
version tags, aliases, stage transitions (with archiving), `get_latest_versions`,
`search_registered_models` / `search_model_versions` (filters, order_by, max_results, page
tokens), `mlflow.pyfunc.load_model("models:/<name>@<alias>")` / `models:/<name>/<stage>`
downloading through the server's artifact proxy, the prompt registry (`register_prompt`,
`load_prompt`, prompt aliases, `search_prompts`), rename, version delete and model delete.

    python registry_client_scenario.py <tracking_uri> [--backend sql|file]

<tracking_uri>  http://host:port of an `mlflow server` (or a drop-in replacement) with artifact
                serving; its registry store is the backend store.
--backend       what the server stores into: `sql` (SQLite, PostgreSQL, MySQL/MariaDB) or `file`.
                Where MLflow's SQL and file registry stores legitimately differ (aliases in version
                search results and in `latest_versions`, registered-model timestamps after
                tag/alias writes, the keys `order_by` accepts, what a rename carries), and where
                MLflow's SQL store answers differently per database (archive_existing_versions on
                PostgreSQL, a rename onto a taken name on MySQL), the script does not assert a
                value: it reports what it observed, so a driver can compare two servers on the
                same backend.

Progress goes to stderr. Stops at the first mismatch with `MISMATCH: <what>` on stderr and exit
code 1. On success prints one JSON line on stdout: {"ok": true, "backend": ..., "observed": {...}}.
Names are unique per execution (uuid).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
import uuid
import warnings

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from client_checks import check, equal, error_code, run, step

# Stages are deprecated in MLflow 3; the scenario still checks them (the issue asks for them).
warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=DeprecationWarning)
warnings.filterwarnings("ignore", category=UserWarning)


def outcome(fn):
    """
    Runs fn; None when it succeeded, else [error code, message] (for the observed report). A
    message's Python set repr (`Valid keys are '{...}'`) has no stable order: it is cut off.
    """
    try:
        fn()
    except MlflowException as e:
        return [e.error_code, e.message.split(" Valid keys are ")[0]]
    return None


class AddK(mlflow.pyfunc.PythonModel):
    """A pyfunc model that needs nothing beyond MLflow: adds k to every number it is given."""

    def __init__(self, k: int):
        self.k = k

    def predict(self, context, model_input, params=None):
        return [x + self.k for x in model_input]


def log_model(k: int, registered_model_name: str | None = None):
    return mlflow.pyfunc.log_model(
        name="model",
        python_model=AddK(k),
        pip_requirements=[f"mlflow=={mlflow.__version__}"],  # no requirement inference (offline, fast)
        registered_model_name=registered_model_name,
    )


def names(models) -> list[str]:
    return [m.name for m in models]


def versions(mvs) -> list[tuple[str, str]]:
    return [(m.name, str(m.version)) for m in mvs]


def tick() -> None:
    # Timestamps are milliseconds: make "later" observable.
    time.sleep(0.02)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("tracking_uri")
    parser.add_argument("--backend", choices=["sql", "file"], required=True)
    args = parser.parse_args()
    sql = args.backend == "sql"
    observed: dict[str, object] = {}

    mlflow.set_tracking_uri(args.tracking_uri)
    mlflow.set_registry_uri(args.tracking_uri)
    client = MlflowClient()
    tag = uuid.uuid4().hex[:10]
    exp_id = mlflow.set_experiment(f"registry-scenario-{tag}").experiment_id
    name = f"reg-{tag}-adder"
    other = f"reg-{tag}-other"
    renamed = f"reg-{tag}-renamed"

    step("log two pyfunc models in two runs; register_model and log_model(registered_model_name=)")
    with mlflow.start_run(run_name="adder-1") as run1:
        info1 = log_model(1)
    with mlflow.start_run(run_name="adder-10") as run2:
        info2 = log_model(10, registered_model_name=name)
    run1_id, run2_id = run1.info.run_id, run2.info.run_id
    check(info1.model_uri.startswith("models:/m-"), "log_model returns a logged-model URI", info1.model_uri)

    v1 = client.get_model_version(name, "1")
    equal((v1.name, str(v1.version), v1.run_id, v1.current_stage, v1.status), (name, "1", run2_id, "None", "READY"), "version 1 (log_model registered_model_name=)")
    equal(v1.source, info2.model_uri, "version 1 source is the logged model's URI")
    tick()
    mv2 = mlflow.register_model(info1.model_uri, name, tags={"origin": "register_model"})
    equal((mv2.name, str(mv2.version), mv2.run_id, mv2.current_stage, mv2.source), (name, "2", run1_id, "None", info1.model_uri), "register_model returns version 2")
    equal(mv2.tags, {"origin": "register_model"}, "register_model tags")
    tick()
    mv3 = client.create_model_version(name, info1.model_uri, run_id=run1_id, tags={"origin": "client", "k": "1"}, description="third", model_id=info1.model_id)
    equal((str(mv3.version), mv3.description, mv3.tags, mv3.run_id), ("3", "third", {"origin": "client", "k": "1"}, run1_id), "create_model_version returns version 3")
    got = client.get_model_version(name, "3")
    equal((got.source, got.run_id, got.description, got.tags, got.current_stage, got.status), (info1.model_uri, run1_id, "third", {"origin": "client", "k": "1"}, "None", "READY"), "get_model_version 3")
    check(got.creation_timestamp >= mv2.creation_timestamp, "version 3 created after version 2", (got.creation_timestamp, mv2.creation_timestamp))
    equal(got.last_updated_timestamp, got.creation_timestamp, "a new version's last_updated_timestamp is its creation time")
    equal(got.creation_timestamp, mv3.creation_timestamp, "create_model_version answers the stored creation time")
    # SQL: the model's last update is the version's creation; File: each creation tag bumps it again.
    observed["rm_last_updated_is_last_version_creation"] = client.get_registered_model(name).last_updated_timestamp == mv3.creation_timestamp
    equal(error_code(lambda: client.get_model_version(name, "9")), "RESOURCE_DOES_NOT_EXIST", "get_model_version of an unknown version")
    equal(error_code(lambda: client.get_registered_model(f"reg-{tag}-missing")), "RESOURCE_DOES_NOT_EXIST", "get_registered_model of an unknown model")
    equal(error_code(lambda: client.create_registered_model(name)), "RESOURCE_ALREADY_EXISTS", "creating an existing model")
    equal(client.get_model_version_download_uri(name, "2"), client.get_logged_model(info1.model_id).artifact_location, "download URI of a version from a logged model")

    step("registered model: description and tags")
    rm = client.create_registered_model(other, tags={"team": "ml", "tier": "gold"}, description="the other one")
    equal((rm.name, rm.description, rm.tags), (other, "the other one", {"team": "ml", "tier": "gold"}), "create_registered_model")
    client.create_model_version(other, f"s3://bucket/{tag}/other/1", description="plain s3 source")
    rm = client.get_registered_model(name)
    created, before = rm.creation_timestamp, rm.last_updated_timestamp
    tick()
    client.set_registered_model_tag(name, "team", "ml")
    client.set_registered_model_tag(name, "stage-note", "to delete")
    rm = client.get_registered_model(name)
    equal(rm.tags, {"team": "ml", "stage-note": "to delete"}, "registered-model tags set")
    observed["rm_last_updated_bumped_by_tag"] = rm.last_updated_timestamp > before
    client.delete_registered_model_tag(name, "stage-note")
    equal(client.get_registered_model(name).tags, {"team": "ml"}, "registered-model tag deleted")
    tick()
    updated = client.update_registered_model(name, description="adds k")
    equal(updated.description, "adds k", "update_registered_model returns the description")
    rm = client.get_registered_model(name)
    equal((rm.description, rm.creation_timestamp), ("adds k", created), "registered-model description read back")
    check(rm.last_updated_timestamp > before, "update_registered_model bumps last_updated_timestamp", (before, rm.last_updated_timestamp))

    step("version tags and descriptions")
    client.set_model_version_tag(name, "1", "validated", "yes")
    client.set_model_version_tag(name, "1", "temp", "x")
    client.delete_model_version_tag(name, "1", "temp")
    equal(client.get_model_version(name, "1").tags, {"validated": "yes"}, "version tags after set/delete")
    before = client.get_model_version(name, "1").last_updated_timestamp
    tick()
    answered = client.update_model_version(name, "1", description="first")
    got = client.get_model_version(name, "1")
    equal((answered.description, got.description), ("first", "first"), "version description answered and read back")
    check(got.last_updated_timestamp > before, "update_model_version bumps the version's last_updated_timestamp", (before, got.last_updated_timestamp))
    equal(answered.last_updated_timestamp, got.last_updated_timestamp, "update_model_version answers the stored timestamp")
    equal(error_code(lambda: client.set_model_version_tag(name, "9", "a", "b")), "RESOURCE_DOES_NOT_EXIST", "tag on an unknown version")

    step("aliases: set, read back, move, delete")
    v2_updated = client.get_model_version(name, "2").last_updated_timestamp
    tick()
    client.set_registered_model_alias(name, "champion", 2)
    equal(client.get_model_version(name, "2").last_updated_timestamp, v2_updated, "setting an alias leaves the version's last_updated_timestamp")
    client.set_registered_model_alias(name, "challenger", "1")
    client.set_registered_model_alias(name, "old", 3)
    equal(client.get_registered_model(name).aliases, {"champion": "2", "challenger": "1", "old": "3"}, "registered-model aliases")
    by_alias = client.get_model_version_by_alias(name, "champion")
    equal((str(by_alias.version), by_alias.aliases), ("2", ["champion"]), "get_model_version_by_alias champion")
    equal(sorted(client.get_model_version(name, "1").aliases), ["challenger"], "version 1 aliases")
    client.set_registered_model_alias(name, "old", 2)  # moves the alias
    equal(sorted(client.get_model_version(name, "2").aliases), ["champion", "old"], "version 2 aliases after moving 'old'")
    equal(client.get_model_version(name, "3").aliases, [], "version 3 lost 'old'")
    client.delete_registered_model_alias(name, "old")
    equal(client.get_registered_model(name).aliases, {"champion": "2", "challenger": "1"}, "aliases after delete")
    observed["unknown_alias"] = error_code(lambda: client.get_model_version_by_alias(name, "old"))
    equal(observed["unknown_alias"], "INVALID_PARAMETER_VALUE", "get_model_version_by_alias of a deleted alias")
    equal(error_code(lambda: client.set_registered_model_alias(name, "x", 9)), "RESOURCE_DOES_NOT_EXIST", "alias to an unknown version")
    observed["delete_unknown_alias"] = error_code(lambda: client.delete_registered_model_alias(name, "never-set"))
    observed["reserved_alias"] = outcome(lambda: client.set_registered_model_alias(name, "latest", 1))
    check(observed["reserved_alias"] is not None, "the reserved alias 'latest' is refused")
    info = mlflow.models.get_model_info(f"models:/{name}@champion")
    equal(info.model_id, info1.model_id, "get_model_info(models:/name@champion).model_id")

    step("stages: transition, archive_existing_versions, get_latest_versions")
    rm_before = client.get_registered_model(name).last_updated_timestamp
    tick()
    t = client.transition_model_version_stage(name, "1", "staging")
    check(client.get_registered_model(name).last_updated_timestamp > rm_before, "a transition bumps the model's last_updated_timestamp")
    equal(client.get_model_version(name, "1").last_updated_timestamp, t.last_updated_timestamp, "transition answers the stored timestamp")
    equal((str(t.version), t.current_stage), ("1", "Staging"), "transition to staging (canonicalised)")
    client.transition_model_version_stage(name, "2", "Production")
    observed["archive_existing_versions"] = error_code(lambda: client.transition_model_version_stage(name, "3", "Production", archive_existing_versions=True))
    if observed["archive_existing_versions"] is not None:
        # MLflow on PostgreSQL refuses it (BAD_REQUEST: its query compares the integer version
        # column with the version string); the same end state by hand, version 3 updated last.
        check(sql, "only a SQL store refuses archive_existing_versions", observed["archive_existing_versions"])
        equal([client.get_model_version(name, v).current_stage for v in ("2", "3")], ["Production", "None"], "a refused archiving transition changed nothing")
        client.transition_model_version_stage(name, "2", "Archived")
        client.transition_model_version_stage(name, "3", "Production")
    equal(client.get_model_version(name, "3").current_stage, "Production", "version 3 in Production")
    equal([client.get_model_version(name, v).current_stage for v in ("1", "2", "3")], ["Staging", "Archived", "Production"], "stages after archiving")
    latest = sorted(client.get_latest_versions(name), key=lambda m: int(m.version))
    equal([(str(m.version), m.current_stage) for m in latest], [("1", "Staging"), ("2", "Archived"), ("3", "Production")], "get_latest_versions")
    equal(sorted(latest[1].aliases), ["champion"], "get_latest_versions carries aliases")
    equal(versions(client.get_latest_versions(name, stages=["Production"])), [(name, "3")], "get_latest_versions Production")
    equal(client.get_latest_versions(name, stages=["None"]), [], "get_latest_versions None (no version left there)")
    equal(error_code(lambda: client.transition_model_version_stage(name, "1", "Nope")), "INVALID_PARAMETER_VALUE", "invalid stage")
    rm = client.get_registered_model(name)
    equal(sorted((str(m.version), m.current_stage) for m in rm.latest_versions), [("1", "Staging"), ("2", "Archived"), ("3", "Production")], "latest_versions of the registered model")
    observed["latest_versions_aliases"] = {str(m.version): sorted(m.aliases) for m in rm.latest_versions}

    step("search_registered_models: filters, order_by, pages")
    prefix = f"reg-{tag}-%"
    equal(names(client.search_registered_models(f"name = '{name}'")), [name], "name =")
    equal(names(client.search_registered_models(f"name LIKE '{prefix}'")), sorted([name, other]), "name LIKE (default order name ASC)")
    equal(names(client.search_registered_models(f"name ILIKE '{prefix.upper()}'")), sorted([name, other]), "name ILIKE")
    equal(names(client.search_registered_models(f"name LIKE '{prefix}' AND tags.team = 'ml'")), sorted([name, other]), "tag filter")
    equal(names(client.search_registered_models(f"name LIKE '{prefix}' AND tags.tier = 'gold'")), [other], "tags.tier = 'gold'")
    equal(names(client.search_registered_models(f"name LIKE '{prefix}' AND tags.tier != 'gold'")), [], "tags.tier != 'gold' (no tag = no match)")
    equal(names(client.search_registered_models(f"name IN ('{name}', 'nope')")), [name], "name IN")
    equal(names(client.search_registered_models(f"name LIKE '{prefix}'", order_by=["name DESC"])), sorted([name, other], reverse=True), "order_by name DESC")
    page = client.search_registered_models(f"name LIKE '{prefix}'", max_results=1)
    equal((names(page), bool(page.token)), ([sorted([name, other])[0]], True), "first page of 1")
    page2 = client.search_registered_models(f"name LIKE '{prefix}'", max_results=1, page_token=page.token)
    equal((names(page2), page2.token or None), ([sorted([name, other])[1]], None), "second page of 1, no token after it")
    found = client.search_registered_models(f"name = '{name}'")[0]
    equal((found.description, found.tags, found.aliases), ("adds k", {"team": "ml"}, {"champion": "2", "challenger": "1"}), "search result carries description, tags and aliases")
    equal(sorted((str(m.version), m.current_stage) for m in found.latest_versions), [("1", "Staging"), ("2", "Archived"), ("3", "Production")], "search result carries latest_versions")
    observed["search_rm_latest_versions_aliases"] = {str(m.version): sorted(m.aliases) for m in found.latest_versions}
    for key in ("timestamp", "creation_timestamp", "last_updated_timestamp"):
        observed[f"rm_order_by_{key}"] = outcome(lambda: client.search_registered_models(f"name LIKE '{prefix}'", order_by=[f"{key} DESC"]))
    equal(error_code(lambda: client.search_registered_models("name = 'a' OR name = 'b'")), "INVALID_PARAMETER_VALUE", "OR in a filter")
    equal(error_code(lambda: client.search_registered_models("creation_timestamp > 1")), "INVALID_PARAMETER_VALUE", "unsearchable attribute")
    observed["rm_max_results_1001"] = outcome(lambda: client.search_registered_models(max_results=1001))
    check(observed["rm_max_results_1001"] is not None, "max_results=1001 is refused")
    equal(error_code(lambda: client.search_registered_models(page_token="not-a-token")), "INVALID_PARAMETER_VALUE", "a bad page token")

    step("search_model_versions: filters, order_by, pages")
    equal(versions(client.search_model_versions(f"name = '{name}'", order_by=["version_number ASC"])), [(name, "1"), (name, "2"), (name, "3")], "name =, version_number ASC")
    equal(versions(client.search_model_versions(f"name = '{name}'")), [(name, "3"), (name, "2"), (name, "1")], "default order: last_updated_timestamp DESC, then version DESC (3 and 2 share the archiving time)")
    equal(versions(client.search_model_versions(f"name = '{name}' AND version_number > 1", order_by=["version_number DESC"])), [(name, "3"), (name, "2")], "version_number > 1")
    equal(versions(client.search_model_versions(f"run_id = '{run1_id}'", order_by=["version_number ASC"])), [(name, "2"), (name, "3")], "run_id =")
    equal(versions(client.search_model_versions(f"name = '{name}' AND tags.origin = 'client'")), [(name, "3")], "tags.origin = 'client'")
    equal(versions(client.search_model_versions(f"name IN ('{name}', '{other}') AND tags.origin LIKE '%e%'", order_by=["version_number ASC"])), [(name, "2"), (name, "3")], "name IN and tag LIKE")
    equal(versions(client.search_model_versions(f"source_path = 's3://bucket/{tag}/other/1'")), [(other, "1")], "source_path =")
    equal(versions(client.search_model_versions(f"name LIKE '{prefix}'", order_by=["name DESC", "version_number ASC"])), [(other, "1"), (name, "1"), (name, "2"), (name, "3")], "order_by name DESC, version_number ASC")
    pages: list[list[tuple[str, str]]] = []
    token = None
    while True:
        page = client.search_model_versions(f"name = '{name}'", max_results=2, order_by=["version_number ASC"], page_token=token)
        pages.append(versions(page))
        token = page.token
        if not token:
            break
        check(len(pages) <= 4, "page tokens end")
    equal(pages, [[(name, "1"), (name, "2")], [(name, "3")]], "pages of 2")
    hit = client.search_model_versions(f"name = '{name}' AND version_number = 2")[0]
    equal((hit.tags, hit.current_stage, hit.source, hit.run_id), ({"origin": "register_model"}, "Archived", info1.model_uri, run1_id), "version search result fields")
    observed["search_mv_aliases"] = sorted(hit.aliases)
    for key in ("creation_timestamp", "last_updated_timestamp", "timestamp"):
        observed[f"mv_order_by_{key}"] = outcome(lambda: client.search_model_versions(f"name = '{name}'", order_by=[f"{key} ASC"]))
    equal(versions(client.search_model_versions(f"run_id IN ('{run1_id}', '{run2_id}') AND version_number <= '2'", order_by=["version_number ASC"])), [(name, "1"), (name, "2")], "run_id IN and a quoted version_number")
    equal(versions(client.search_model_versions(f"name = '{name}' AND tags.validated = 'yes' AND version_number != 3")), [(name, "1")], "tag AND version_number !=")
    equal(versions(client.search_model_versions(f"name ILIKE '{name.upper()}' AND source_path LIKE 'models:/m-%'", order_by=["creation_timestamp DESC"])), [(name, "3"), (name, "2"), (name, "1")], "ILIKE, source_path LIKE, creation_timestamp DESC")
    equal(error_code(lambda: client.search_model_versions("version_number LIKE '1'")), "INVALID_PARAMETER_VALUE", "LIKE on version_number")
    equal(error_code(lambda: client.search_model_versions("name = 'a'", max_results=0)), "INVALID_PARAMETER_VALUE", "max_results=0")

    step("pyfunc.load_model through models:/ URIs (artifacts via the proxy)")
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)  # nothing is downloaded next to the caller
        equal(list(mlflow.pyfunc.load_model(f"models:/{name}@champion").predict([1, 2])), [2, 3], "load_model models:/name@champion (k=1)")
        equal(list(mlflow.pyfunc.load_model(f"models:/{name}@challenger").predict([1, 2])), [11, 12], "load_model models:/name@challenger (k=10)")
        equal(list(mlflow.pyfunc.load_model(f"models:/{name}/Production").predict([5])), [6], "load_model models:/name/Production")
        equal(list(mlflow.pyfunc.load_model(f"models:/{name}/1").predict([5])), [15], "load_model models:/name/1")
        equal(list(mlflow.pyfunc.load_model(f"models:/{name}/latest").predict([0])), [1], "load_model models:/name/latest (version 3)")
        files = mlflow.artifacts.download_artifacts(f"models:/{name}@champion")
        check(os.path.isfile(os.path.join(files, "MLmodel")), "download_artifacts(models:/name@champion) has an MLmodel", sorted(os.listdir(files)))

    step("register_model(runs:/...), copy_model_version, the logged model's mlflow.modelVersions tag")
    cname = f"reg-{tag}-copy"
    r = mlflow.register_model(f"runs:/{run2_id}/model", cname)
    equal((str(r.version), r.source, r.run_id), ("1", f"models:/{info2.model_id}", run2_id), "register_model(runs:/<run>/model) registers the run's logged model")
    copied = client.copy_model_version(f"models:/{name}@champion", cname)
    equal((copied.name, str(copied.version), copied.source, copied.run_id, copied.tags), (cname, "2", f"models:/{name}/2", run1_id, {"origin": "register_model"}), "copy_model_version of models:/name@champion")
    equal(client.get_model_version_download_uri(cname, "2"), client.get_model_version_download_uri(name, "2"), "the copy downloads from the source version's location")
    with tempfile.TemporaryDirectory() as d:
        os.chdir(d)
        equal(list(mlflow.pyfunc.load_model(f"models:/{cname}/2").predict([3])), [4], "load_model of the copy")
        equal(list(mlflow.pyfunc.load_model(f"models:/{cname}/1").predict([3])), [13], "load_model of the runs:/ registration")
    linked = json.loads(client.get_logged_model(info1.model_id).tags.get("mlflow.modelVersions", "[]"))
    roles = {name: "adder", cname: "copy"}
    linked = sorted(({"name": roles.get(d["name"], d["name"]), "version": d["version"]} for d in linked), key=json.dumps)
    for want in ({"name": "adder", "version": 2}, {"name": "adder", "version": 3}):
        check(want in linked, f"the logged model lists {want} in mlflow.modelVersions", linked)
    # The client's register_model adds its own entry (version as a string); the file store keeps a
    # copy's model_id, so the server lists the copy too (SQL does not store model_id).
    observed["logged_model_versions"] = linked
    client.delete_registered_model(cname)

    step("prompt registry: register_prompt, load_prompt, aliases, search_prompts")
    pname = f"prompt-{tag}"
    p1 = mlflow.genai.register_prompt(name=pname, template="Hello {{name}}!", commit_message="first", tags={"lang": "en"})
    equal((p1.name, p1.version, p1.template), (pname, 1, "Hello {{name}}!"), "register_prompt version 1")
    p2 = mlflow.genai.register_prompt(name=pname, template="Hi {{name}}, welcome to {{place}}.", commit_message="second")
    equal(p2.version, 2, "register_prompt version 2")
    got = mlflow.genai.load_prompt(f"prompts:/{pname}/1")
    equal((got.template, got.commit_message, got.format(name="Ada")), ("Hello {{name}}!", "first", "Hello Ada!"), "load_prompt version 1")
    equal(mlflow.genai.load_prompt(pname, version=2).format(name="Ada", place="Paris"), "Hi Ada, welcome to Paris.", "load_prompt(name, version=2)")
    mlflow.genai.set_prompt_alias(pname, "production", 1)
    equal(mlflow.genai.load_prompt(f"prompts:/{pname}@production").version, 1, "load_prompt by alias")
    mlflow.genai.set_prompt_alias(pname, "production", 2)
    equal(mlflow.genai.load_prompt(f"prompts:/{pname}@production").version, 2, "load_prompt by a moved alias")
    equal(mlflow.genai.load_prompt(f"prompts:/{pname}@latest").version, 2, "load_prompt @latest")
    mlflow.genai.delete_prompt_alias(pname, "production")
    check(error_code(lambda: mlflow.genai.load_prompt(f"prompts:/{pname}@production")) is not None, "load_prompt by a deleted alias fails")
    equal([p.name for p in mlflow.genai.search_prompts(f"name = '{pname}'")], [pname], "search_prompts by name")
    equal([p.name for p in mlflow.genai.search_prompts(f"name LIKE 'reg-{tag}-%'")], [], "search_prompts does not list models")
    mlflow.genai.set_prompt_tag(pname, "owner", "ada")
    mlflow.genai.delete_prompt_tag(pname, "lang")
    equal(mlflow.genai.get_prompt_tags(pname), {"owner": "ada", "_mlflow_experiment_ids": f",{exp_id},"}, "prompt tags after set/delete (the client links the active experiment)")
    mlflow.genai.set_prompt_version_tag(pname, 1, "reviewed", "yes")
    equal(mlflow.genai.load_prompt(pname, version=1).tags, {"lang": "en", "reviewed": "yes"}, "prompt version tags (register_prompt tags the version too)")
    mlflow.genai.delete_prompt_version_tag(pname, 1, "reviewed")
    equal(mlflow.genai.load_prompt(pname, version=1).tags, {"lang": "en"}, "prompt version tag deleted")
    chat = [{"role": "system", "content": "You are {{style}}."}, {"role": "user", "content": "Say hi to {{name}} ✨"}]
    cname_p = f"chat-{tag}"
    p = mlflow.genai.register_prompt(name=cname_p, template=chat, commit_message="chat", response_format={"type": "object", "properties": {"hi": {"type": "string"}}}, model_config={"temperature": 0.5, "max_tokens": 20})
    got = mlflow.genai.load_prompt(f"prompts:/{cname_p}/{p.version}")
    equal((got.template, got.is_text_prompt), (chat, False), "chat prompt template read back")
    equal(got.format(style="terse", name="Ada"), [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Say hi to Ada ✨"}], "chat prompt format")
    equal(got.response_format, {"type": "object", "properties": {"hi": {"type": "string"}}}, "prompt response_format")
    equal((got.model_config or {}).get("temperature"), 0.5, "prompt model_config temperature")
    equal(sorted(p.name for p in mlflow.genai.search_prompts(f"name LIKE '%-{tag}'")), sorted([cname_p, pname]), "search_prompts LIKE")
    page = client.search_prompts(f"name LIKE '%-{tag}'", max_results=1, order_by=["name ASC"])
    rest = client.search_prompts(f"name LIKE '%-{tag}'", max_results=1, order_by=["name ASC"], page_token=page.token)
    equal([p.name for p in page] + [p.name for p in rest], sorted([cname_p, pname]), "MlflowClient.search_prompts pages of 1")
    equal(rest.token or None, None, "search_prompts: no token after the last page")
    equal(names(client.search_registered_models(f"name = '{pname}'")), [], "search_registered_models hides prompts")
    equal(names(client.search_registered_models(f"name LIKE '%-{tag}' AND tags.`mlflow.prompt.is_prompt` = 'true'")), sorted([cname_p, pname]), "search_registered_models of prompts on request")
    equal(client.search_model_versions(f"name = '{pname}'"), [], "search_model_versions hides prompt versions")

    step("rename (a model with registered-model tags and aliases, untagged versions)")
    client.set_registered_model_alias(other, "only", 1)
    tick()
    # MlflowClient.rename_registered_model returns None in 3.18; the registry client returns the entity.
    moved = client._get_registry_client().rename_registered_model(other, renamed)
    equal((moved.name, moved.description), (renamed, "the other one"), "rename_registered_model answers the renamed model")
    equal(error_code(lambda: client.get_registered_model(other)), "RESOURCE_DOES_NOT_EXIST", "the old name is gone")
    got = client.get_model_version(renamed, "1")
    equal((got.name, got.source, got.description), (renamed, f"s3://bucket/{tag}/other/1", "plain s3 source"), "version read back under the new name")
    equal(names(client.search_registered_models(f"name LIKE '{prefix}'")), sorted([name, renamed]), "search after rename")
    equal(versions(client.search_model_versions(f"name = '{renamed}'")), [(renamed, "1")], "version search after rename")
    rm = client.get_registered_model(renamed)
    equal(rm.description, "the other one", "description carried by rename")
    carried = {"tags": rm.tags, "aliases": rm.aliases}
    if sql:
        equal(carried, {"tags": {"team": "ml", "tier": "gold"}, "aliases": {"only": "1"}}, "rename carries tags and aliases (SQL)")
    # MLflow's FileStore drops them on rename; mlstore's file store keeps them (documented choice).
    observed["rename_carries"] = carried if sql else None
    # RESOURCE_ALREADY_EXISTS, but TEMPORARILY_UNAVAILABLE from MLflow on MySQL/MariaDB: the tag
    # 'team' both models have would be duplicated by the rename's ON UPDATE CASCADE (error 1761).
    observed["rename_onto_existing"] = error_code(lambda: client.rename_registered_model(renamed, name))
    check(observed["rename_onto_existing"] in ("RESOURCE_ALREADY_EXISTS", "TEMPORARILY_UNAVAILABLE"), "rename onto an existing model is refused", observed["rename_onto_existing"])
    equal(client.get_registered_model(renamed).description, "the other one", "a refused rename changed nothing")
    if sql:
        # MLflow's FileStore crashes renaming a model whose versions have tags (3.18); SQL carries everything.
        there = f"reg-{tag}-modèle ü"
        client.rename_registered_model(name, there)
        got = client.get_model_version(there, "1")
        equal((got.name, got.tags, got.aliases, got.current_stage), (there, {"validated": "yes"}, ["challenger"], "Staging"), "a tagged version renamed with its model")
        equal(client.get_model_version_by_alias(there, "champion").version, "2", "alias under the new (non-ASCII) name")
        with tempfile.TemporaryDirectory() as d:
            os.chdir(d)
            equal(list(mlflow.pyfunc.load_model(f"models:/{there}@champion").predict([1])), [2], "load_model through a non-ASCII name")
        client.rename_registered_model(there, name)
        equal(sorted(client.get_registered_model(name).aliases.items()), [("challenger", "1"), ("champion", "2")], "renamed back")

    step("delete a version, then the models")
    client.delete_model_version(name, "3")
    equal(error_code(lambda: client.get_model_version(name, "3")), "RESOURCE_DOES_NOT_EXIST", "a deleted version is gone")
    equal(versions(client.search_model_versions(f"name = '{name}'", order_by=["version_number ASC"])), [(name, "1"), (name, "2")], "search after deleting version 3")
    equal(sorted(str(m.version) for m in client.get_latest_versions(name)), ["1", "2"], "latest versions after deleting version 3")
    mv4 = client.create_model_version(name, info1.model_uri, run_id=run1_id, model_id=info1.model_id)
    equal(str(mv4.version), "4", "a deleted version's number is not reused")
    client.delete_model_version(name, "2")
    equal(client.get_registered_model(name).aliases, {"challenger": "1"}, "deleting version 2 deleted its alias")
    equal(error_code(lambda: client.get_model_version_by_alias(name, "champion")), "INVALID_PARAMETER_VALUE", "alias of a deleted version")
    equal(error_code(lambda: client.get_model_version_download_uri(name, "2")), "RESOURCE_DOES_NOT_EXIST", "download URI of a deleted version")
    equal(list(mlflow.pyfunc.load_model(f"models:/{name}/latest").predict([0])), [1], "models:/name/latest after deletes (version 4)")
    client.delete_registered_model(name)
    client.delete_registered_model(renamed)
    for n in (name, renamed):
        equal(error_code(lambda: client.get_registered_model(n)), "RESOURCE_DOES_NOT_EXIST", f"deleted model {n}")
        equal(error_code(lambda: client.get_model_version(n, "1")), "RESOURCE_DOES_NOT_EXIST", f"versions of the deleted model {n}")
    equal(names(client.search_registered_models(f"name LIKE '{prefix}'")), [], "search after deleting the models")
    equal(client.search_model_versions(f"name LIKE '{prefix}'"), [], "version search after deleting the models")
    equal(error_code(lambda: client.delete_registered_model(name)), "RESOURCE_DOES_NOT_EXIST", "deleting a deleted model")

    print(json.dumps({"ok": True, "backend": args.backend, "observed": observed}), flush=True)
    return 0


if __name__ == "__main__":
    run(main)
