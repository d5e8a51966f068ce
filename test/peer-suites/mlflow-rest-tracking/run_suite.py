"""Run MLflow's upstream tests/tracking/test_rest_tracking.py against mlstore or the real MLflow.

Usage (with the MLflow 3.18.0 venv's python, which has pytest: test/services/lib/mlflow-venv.sh):
  run_suite.py mlstore --cli apps/demo/dist/cli.js --out DIR [--workers N]
      the tests listed in baseline.json (minus `deselected` in expected-failures.json), each against
      its own `node CLI server`; used by test/mlflow-rest-suite.test.ts.
  run_suite.py mlflow --out DIR --record [--workers N]
      the whole file against MLflow's own in-process server; --record rewrites baseline.json with
      the tests that pass (record it again when MLflow, the upstream snapshot or this harness changes).

Writes DIR/src (the patched copy, see apply_patch.py), DIR/junit.xml, DIR/pytest.txt, DIR/server-logs/
(mlstore) and DIR/results.json ({"tests": {name: {"outcome", "message"}}, "seconds": wall time}).
Exits 0 whatever the tests did; non-zero only when the harness itself could not run.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

H = pathlib.Path(__file__).resolve().parent
TEST_FILE = "tests/tracking/test_rest_tracking.py"
UPSTREAM = "a fork of mlflow/mlflow at a89bed67689f916c79a8e1c1ad6cfb5cd7649c77 (3.11.2.dev0)"
# Both targets get the same client settings: without retries a test that hits a route the server
# lacks fails at once (the async trace exporter otherwise retries a stopped server for minutes).
CLIENT_ENV = {"MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0", "MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}


def outcomes(junit: pathlib.Path) -> dict:
    """name -> {outcome, message}: passed | failed | error | skipped; a teardown error after a
    pass or a failure is kept as `<outcome>+teardown-error` (it is not a pass)."""
    res: dict = {}
    for tc in ET.parse(junit).getroot().iter("testcase"):
        name, outcome, message = tc.get("name"), "passed", ""
        for child in tc:
            if child.tag in ("failure", "error", "skipped"):
                outcome, message = child.tag if child.tag != "failure" else "failed", child.get("message") or ""
                break
        prev = res.get(name, {}).get("outcome")
        if outcome == "error" and prev in ("passed", "failed"):
            outcome = f"{prev}+teardown-error"
        res[name] = {"outcome": outcome, "message": message.splitlines()[0][:400] if message else ""}
    return res


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("target", choices=["mlstore", "mlflow"])
    ap.add_argument("--out", required=True)
    ap.add_argument("--cli", help="apps/demo/dist/cli.js (mlstore target)")
    ap.add_argument("--workers", type=int, default=2, help="pytest-xdist workers (0: none)")
    ap.add_argument("--ports", default=None, help="LO-HI port range for the servers")
    ap.add_argument("--record", action="store_true", help="rewrite baseline.json (mlflow target)")
    args = ap.parse_args()

    out = pathlib.Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)
    src = out / "src"
    subprocess.run([sys.executable, str(H / "apply_patch.py"), str(src)], check=True, stdout=subprocess.DEVNULL)

    # Upstream's conftest changes behaviour on CI machines: with CI=true its autouse `serve_wheel`
    # fixture builds a wheel of the repository it runs in (ours is not MLflow's), so every test
    # errors at setup; with GITHUB_ACTIONS it fetches PR labels. Neither concerns the server under test.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GITHUB_")) and k not in ("CI", "COPILOT_AGENT_ACTION")}
    env |= CLIENT_ENV
    selected = [TEST_FILE]
    if args.target == "mlstore":
        if not args.cli:
            ap.error("--cli is required for the mlstore target")
        baseline = json.loads((H / "baseline.json").read_text())["passed"]
        deselected = json.loads((H / "expected-failures.json").read_text())["deselected"]["tests"]
        selected = [f"{TEST_FILE}::{t}" for t in baseline if t not in deselected]
        lo, hi = (args.ports or "15250-15299").split("-")
        env |= {"MLSTORE_SERVER": "1", "MLSTORE_CLI": str(pathlib.Path(args.cli).resolve()),
                "MLSTORE_LOG_DIR": str(out / "server-logs")}
    else:
        lo, hi = (args.ports or "15200-15249").split("-")
    env |= {"HARNESS_PORT_LO": lo, "HARNESS_PORT_HI": hi}
    if not sys.stdout.isatty():
        env["PYTEST_ADDOPTS"] = "--color=no"

    junit = out / "junit.xml"
    cmd = [sys.executable, "-m", "pytest", *selected, "-rA", "-p", "no:randomly", f"--junitxml={junit}"]
    if args.workers > 0:
        cmd += ["-n", str(args.workers)]
    started = time.monotonic()
    with open(out / "pytest.txt", "w") as log:
        code = subprocess.run(cmd, cwd=src, env=env, stdout=log, stderr=subprocess.STDOUT).returncode
    seconds = round(time.monotonic() - started, 1)
    if code not in (0, 1) or not junit.exists():  # 1 = some tests failed; anything else is the harness
        print(f"pytest exited with {code}; see {out / 'pytest.txt'}", file=sys.stderr)
        return 2
    tests = outcomes(junit)
    (out / "results.json").write_text(json.dumps({"seconds": seconds, "tests": tests}, indent=1) + "\n")
    passed = sorted(t for t, r in tests.items() if r["outcome"] == "passed")
    print(f"{args.target}: {len(passed)} of {len(tests)} passed in {seconds} s")

    if args.record:
        if args.target != "mlflow":
            ap.error("--record needs the mlflow target")
        import mlflow

        (H / "baseline.json").write_text(json.dumps({
            "about": "Tests of upstream/tests/tracking/test_rest_tracking.py that pass against the real "
                     "MLflow server; recorded by: <mlflow venv>/bin/python run_suite.py mlflow --out DIR --record",
            "mlflow": mlflow.__version__,
            "upstream": UPSTREAM,
            "backend": "sqlite",
            "passed": passed,
            "not_passed": {t: r["outcome"] for t, r in sorted(tests.items()) if r["outcome"] not in ("passed", "skipped")},
        }, indent=1) + "\n")
        print(f"recorded {len(passed)} passing tests in {H / 'baseline.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
