"""Copy the pristine upstream files (upstream/, never edited) to a work folder and apply the
minimal harness changes that point the server fixtures at mlstore when MLSTORE_SERVER=1.
Without MLSTORE_SERVER the suite behaves as upstream (except ports, see get_safe_port).
Usage: apply_patch.py DEST   (or env SUITE_SRC); DEST is replaced."""
import os, pathlib, shutil, sys

H = pathlib.Path(__file__).resolve().parent
SRC = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("SUITE_SRC", str(H / "src")))
if SRC.exists():
    shutil.rmtree(SRC)
shutil.copytree(H / "upstream", SRC)

def sub(path, old, new, count=1):
    p = SRC / path
    t = p.read_text()
    n = t.count(old)
    if n != count:
        sys.exit(f"{path}: expected {count} occurrence(s) of {old!r}, found {n}")
    p.write_text(t.replace(old, new))

# 1) ports: keep every server inside the allotted range (HARNESS_PORT_LO..HARNESS_PORT_HI)
sub("tests/helper_functions.py",
'''def get_safe_port():
    """Returns an ephemeral port that is very likely to be free to bind to."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((LOCALHOST, 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
''',
'''def get_safe_port():
    """Returns a free port in [HARNESS_PORT_LO, HARNESS_PORT_HI] (harness change: port range,
    split evenly between pytest-xdist workers so that two workers never pick the same port)."""
    lo = int(os.environ.get("HARNESS_PORT_LO", "15200"))
    hi = int(os.environ.get("HARNESS_PORT_HI", "15299"))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
    if workers > 1:
        size = (hi - lo + 1) // workers
        lo, hi = lo + worker * size, lo + (worker + 1) * size - 1
    ports = list(range(lo, hi + 1))
    random.shuffle(ports)
    for port in ports:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        # servers (uvicorn, node) listen with SO_REUSEADDR, so TIME_WAIT leftovers don't block them
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOCALHOST, port))
        except OSError:
            continue
        finally:
            sock.close()
        return port
    raise RuntimeError(f"no free port in {lo}-{hi}")
''')

# 2) integration_test_utils: an mlstore launcher; _init_server dispatches to it when MLSTORE_SERVER=1
sub("tests/tracking/integration_test_utils.py",
'''@contextlib.contextmanager
def _init_server(
''',
'''MLSTORE_CLI = os.environ.get("MLSTORE_CLI", "apps/demo/dist/cli.js")
MLSTORE_LOG_DIR = os.environ.get("MLSTORE_LOG_DIR")


def _use_mlstore() -> bool:
    return os.environ.get("MLSTORE_SERVER") == "1"


@contextlib.contextmanager
def _init_mlstore_server(
    backend_uri: str, root_artifact_uri: str, extra_env: dict[str, Any] | None = None
) -> Generator[str, None, None]:
    """Harness change: launch mlstore (TypeScript) instead of MLflow's Python server."""
    import tempfile

    port = get_safe_port()
    dest = tempfile.mkdtemp(prefix="mlstore-artifacts-")
    cmd = [
        "node", MLSTORE_CLI, "server",
        "--backend-store-uri", backend_uri,
        "--default-artifact-root", root_artifact_uri,
        "--artifacts-destination", dest,
        "--host", LOCALHOST,
        "--port", str(port),
    ]
    test = os.environ.get("PYTEST_CURRENT_TEST", "server").split(" ")[0]
    log_path = None
    if MLSTORE_LOG_DIR:
        os.makedirs(MLSTORE_LOG_DIR, exist_ok=True)
        safe = "".join(c if c.isalnum() or c in "-_.[]" else "_" for c in test)[-150:]
        log_path = os.path.join(MLSTORE_LOG_DIR, f"{safe}.{port}.log")
    log = open(log_path, "w") if log_path else subprocess.DEVNULL
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update({k: str(v) for k, v in (extra_env or {}).items()})
    proc = Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://{LOCALHOST}:{port}"
    try:
        deadline = time.time() + 30
        while True:
            if proc.poll() is not None:
                raise Exception(f"mlstore exited with {proc.returncode}: {cmd}")
            try:
                if requests.get(f"{url}/health", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if time.time() > deadline:
                raise Exception(f"mlstore not healthy on {url} within 30s")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if log_path:
            log.close()


@contextlib.contextmanager
def _init_server(
''')
sub("tests/tracking/integration_test_utils.py",
'''    mlflow.set_tracking_uri(None)
    server_port = get_safe_port()

    if server_type == "fastapi":''',
'''    if _use_mlstore():  # harness change
        mlflow.set_tracking_uri(None)  # as upstream _init_server does
        with _init_mlstore_server(backend_uri, root_artifact_uri, extra_env) as url:
            yield url
        return

    mlflow.set_tracking_uri(None)
    server_port = get_safe_port()

    if server_type == "fastapi":''')
sub("tests/tracking/integration_test_utils.py", "import socket\n", "import socket\nimport subprocess\n")

# 3) test_rest_tracking.py fixtures: start mlstore via _init_server instead of the in-process app
sub("tests/tracking/test_rest_tracking.py",
'''    # Force-reset backend stores before each test.
    handlers._tracking_store = None
    handlers._model_registry_store = None
    initialize_backend_stores(backend_uri, default_artifact_root=tmp_path.as_uri())

    with ServerThread(app, get_safe_port()) as url:
        yield MlflowClient(url)
''',
'''    if os.environ.get("MLSTORE_SERVER") == "1":  # harness change: mlstore instead of MLflow
        with _init_mlstore_server(backend_uri, root_artifact_uri=tmp_path.as_uri()) as url:
            yield MlflowClient(url)
        return

    # Force-reset backend stores before each test.
    handlers._tracking_store = None
    handlers._model_registry_store = None
    initialize_backend_stores(backend_uri, default_artifact_root=tmp_path.as_uri())

    with ServerThread(app, get_safe_port()) as url:
        yield MlflowClient(url)
''')
sub("tests/tracking/test_rest_tracking.py",
'''    # Force-reset backend stores before each test
    handlers._tracking_store = None
    handlers._model_registry_store = None
    initialize_backend_stores(backend_uri, default_artifact_root=artifact_uri)

    with ServerThread(app, get_safe_port()) as url:
        yield MlflowClient(url)
''',
'''    if os.environ.get("MLSTORE_SERVER") == "1":  # harness change: mlstore instead of MLflow
        with _init_mlstore_server(backend_uri, root_artifact_uri=artifact_uri) as url:
            yield MlflowClient(url)
        return

    # Force-reset backend stores before each test
    handlers._tracking_store = None
    handlers._model_registry_store = None
    initialize_backend_stores(backend_uri, default_artifact_root=artifact_uri)

    with ServerThread(app, get_safe_port()) as url:
        yield MlflowClient(url)
''')

sub("tests/tracking/test_rest_tracking.py",
"""from tests.tracking.integration_test_utils import (
    ServerThread,
""",
"""from tests.tracking.integration_test_utils import (
    _init_mlstore_server,  # harness change
    ServerThread,
""")

# pytest config equivalent to upstream [tool.pytest] (minus color/durations/showlocals noise)
(SRC / "pytest.ini").write_text("""[pytest]
addopts = -p no:legacypath --strict-markers --no-header -p no:cacheprovider
timeout = 600
filterwarnings =
    ignore:The filesystem (tracking|model registry) backend.*is deprecated:FutureWarning
""")
print("ok")
