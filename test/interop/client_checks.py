"""
The assertions shared by the client scenarios a test drives against a tracking server and compares
by their `observed` report (registry_client_scenario.py, trace_client_scenario.py; run by
test/interop/observed-scenario.ts): a scenario stops at the first mismatch, which `run` prints as
`MISMATCH: <what>` on stderr with exit code 1; progress lines go to stderr.

Importing this module imports mlflow: a scenario that sets MLflow's environment first imports it
after doing so.
"""

from __future__ import annotations

import sys
from typing import Callable

from mlflow.exceptions import MlflowException


class Mismatch(Exception):
    pass


def check(ok: bool, what: str, got=None) -> None:
    if not ok:
        raise Mismatch(f"{what}" + ("" if got is None else f" (got {got!r})"))


def equal(got, want, what: str) -> None:
    if got != want:
        raise Mismatch(f"{what}: expected {want!r}, got {got!r}")


def step(name: str) -> None:
    print(f"-- {name}", file=sys.stderr, flush=True)


def error_code(fn) -> str | None:
    """Runs fn; the MLflow error code it raised, or None when it succeeded."""
    try:
        fn()
    except MlflowException as e:
        return e.error_code
    return None


def run(main: Callable[[], int]) -> None:
    """Exits with main's code, or with 1 after `MISMATCH: <what>` on stderr at the first mismatch."""
    try:
        sys.exit(main())
    except Mismatch as e:
        print(f"MISMATCH: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
