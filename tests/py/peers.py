"""peers.py - the real servers and clients of the integration suites, for
pytest: Apache Kafka, kinesalite, moto (plain and authenticating), goccy's
BigQuery emulator, Feast 0.9.5's SDK venv and the newest Feast's `feast
serve`. Each is installed by scripts/peers/install-peers.sh (through
`make deps`) and started and stopped by the scripts in scripts/peers/.

A test asks for a peer through a fixture; import the ones a module uses:

    from peers import kafka, moto_auth  # noqa: F401  (pytest fixtures)

    def test_x(kafka):
        kafka.create_topic("t", 4)
        ... kafka.bootstrap ...
        kafka.restart(kill=True)   # kill -9 the broker, same ports and data

Every peer starts at most once per test session, however many modules
import its fixture, and stops when the session ends. In CI (CI=true) a peer
that is not installed or cannot start fails the tests that need it, never
skips them; elsewhere a peer that is not installed skips them with the
command to run, and one that is installed but does not start fails them.
"""
import atexit
import os
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
PEERS = ROOT / "scripts" / "peers"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")
CACHE = Path(os.environ.get("FEAST_PEER_CACHE", Path.home() / ".cache" / "feast-c"))
START_TIMEOUT = 180

# Where this session's state files go: private, so an engineer's own
# servers (default state files) are never touched.
_RUN_DIR = None
_lock = threading.Lock()


def _run_dir():
    global _RUN_DIR
    if _RUN_DIR is None:
        _RUN_DIR = tempfile.mkdtemp(prefix="feast-peers-pytest-")
    return _RUN_DIR


def _script(name, *args, timeout=START_TIMEOUT, env=None):
    """Runs scripts/peers/NAME and returns its stdout; raises PeerError with
    its stderr when it fails."""
    try:
        p = subprocess.run(["bash", str(PEERS / name), *args], capture_output=True, text=True,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise PeerError(f"scripts/peers/{name} {' '.join(args)} did not finish in {timeout} s")
    if p.returncode != 0:
        raise PeerError(f"scripts/peers/{name} {' '.join(args)} failed (exit {p.returncode}):\n"
                        f"{p.stderr.strip()}")
    return p.stdout.strip()


class PeerError(Exception):
    pass


def _cached_version(marker_glob):
    return sorted(CACHE.glob(marker_glob))


def unavailable(what, install_hint):
    """A peer is not installed: a failure in CI, a skip elsewhere, naming
    the command that installs it."""
    msg = f"{what} is not installed; run `{install_hint}` (or `make deps`)"
    if IN_CI:
        pytest.fail(msg)
    pytest.skip(msg)


def _state(name):
    return os.path.join(_run_dir(), f"{name}.state")


def read_state(path):
    """The KEY=VALUE lines of a state file (values as the shell quoted them
    with %q; ours never need unquoting beyond that)."""
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.rstrip("\n").partition("=")
            out[k] = v
    return out


class Peer:
    """A started server: its state file and the stop script's name."""

    key = ""
    stop_script = ""
    stop_args = ()

    def __init__(self):
        self.state_file = _state(self.key)
        self.state = {}

    def _load_state(self):
        self.state = read_state(self.state_file)
        self.pid = int(self.state["PID"])

    def stop(self):
        if os.path.exists(self.state_file):
            _script(self.stop_script, *self.stop_args, "--state", self.state_file, timeout=60)


class Kafka(Peer):
    """One-node KRaft broker. bootstrap is "127.0.0.1:PORT"."""

    key, stop_script = "kafka", "stop-kafka.sh"

    def start(self):
        self.bootstrap = _script("start-kafka.sh", "--state", self.state_file)
        self._load_state()
        return self

    def restart(self, kill=True):
        """kill -9 (or SIGTERM with kill=False) and start again on the same
        ports and data dir; returns once every partition has a leader."""
        args = ["--kill"] if kill else []
        got = _script("restart-kafka.sh", *args, "--state", self.state_file)
        assert got == self.bootstrap, (got, self.bootstrap)
        self._load_state()

    def create_topic(self, topic, partitions):
        _script("kafka-create-topic.sh", "--state", self.state_file, topic, str(partitions), timeout=90)


class Kinesalite(Peer):
    """kinesalite; endpoint is "http://127.0.0.1:PORT"."""

    key, stop_script = "kinesalite", "stop-kinesalite.sh"

    def start(self):
        self.endpoint = _script("start-kinesalite.sh", "--state", self.state_file)
        self._load_state()
        return self

    def client(self, service="kinesis"):
        return _boto_client(service, self.endpoint, "feast-test", "feast-test")

    def env(self):
        return {"AWS_ENDPOINT_URL_KINESIS": self.endpoint, "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": "feast-test", "AWS_SECRET_ACCESS_KEY": "feast-test"}


class Moto(Peer):
    """moto's server; with auth=True it verifies signatures and
    access_key_id / secret_access_key are the only valid credentials."""

    stop_script = "stop-moto.sh"

    def __init__(self, auth=False):
        self.auth = auth
        self.key = "moto-auth" if auth else "moto"
        super().__init__()

    def start(self):
        out = _script("start-moto.sh", *(["--auth"] if self.auth else []), "--state", self.state_file)
        parts = out.split()
        self.endpoint = parts[0]
        if self.auth:
            self.access_key_id, self.secret_access_key = parts[1], parts[2]
        else:
            self.access_key_id = self.secret_access_key = "feast-test"
        self._load_state()
        return self

    def client(self, service, secret=None):
        return _boto_client(service, self.endpoint, self.access_key_id,
                            secret if secret is not None else self.secret_access_key)

    def env(self):
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_REGION": "us-east-1",
                "AWS_ACCESS_KEY_ID": self.access_key_id, "AWS_SECRET_ACCESS_KEY": self.secret_access_key}


class BigQueryEmulator(Peer):
    """goccy's bigquery-emulator: rest and grpc are "127.0.0.1:PORT"."""

    key, stop_script = "bigquery-emulator", "stop-bigquery-emulator.sh"

    def start(self):
        self.rest, self.grpc = _script("start-bigquery-emulator.sh", "--state", self.state_file).split()
        self._load_state()
        self.project, self.dataset = self.state["PROJECT"], self.state["DATASET"]
        return self

    def env(self):
        return {"BIGQUERY_EMULATOR_HOST": self.rest, "BIGQUERY_STORAGE_EMULATOR_HOST": self.grpc}


class FeastServe(Peer):
    """The newest Feast's Python feature server on its demo repository
    (driver_stats: conv_rate = id / 1000, trips = 10 * id for ids 1..rows)."""

    key, stop_script = "feast-serve", "stop-feast-serve.sh"

    def __init__(self, rows=100):
        super().__init__()
        self.rows = rows

    def start(self):
        self.url = _script("start-feast-serve.sh", "--rows", str(self.rows), "--state", self.state_file)
        self._load_state()
        return self


class Feast09:
    """Feast 0.9.5's SDK in its venv: python is the interpreter; run()
    executes code there (telemetry off) and returns its stdout."""

    def __init__(self, python):
        self.python = python

    def run(self, code, timeout=120):
        env = dict(os.environ, FEAST_TELEMETRY="False")
        p = subprocess.run([self.python, "-c", code], capture_output=True, text=True, timeout=timeout, env=env)
        if p.returncode != 0:
            raise AssertionError(f"Feast 0.9.5 code failed:\n{p.stderr}")
        return p.stdout


def _boto_client(service, endpoint, key_id, secret):
    import boto3
    from botocore.config import Config
    return boto3.client(service, endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=key_id,
                        aws_secret_access_key=secret,
                        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=30))


# --- once per session ------------------------------------------------------

_started = {}   # name -> Peer
_failed = {}    # name -> message: a peer that could not start is not retried


def require_installed(name):
    """Fails (CI) or skips (elsewhere) when peer NAME is not installed."""
    checks = {
        "kafka": (lambda: _cached_version("kafka-*/.complete"), "bash scripts/peers/install-kafka.sh"),
        "kinesalite": (lambda: _cached_version("kinesalite-*/.complete"),
                       "bash scripts/peers/install-kinesalite.sh"),
        "bigquery-emulator": (lambda: _cached_version("bigquery-emulator-*/bigquery-emulator"),
                              "bash scripts/peers/build-bigquery-emulator.sh"),
        "feast-serve": (lambda: _cached_version("feast-0.[1-9][0-9]*/.complete"),
                        "bash scripts/peers/install-feast-new.sh"),
        "moto": (lambda: shutil.which("moto_server") or _py_has("moto.server"), "bash scripts/install-deps.sh"),
    }
    check, hint = checks.get(name.replace("-auth", ""), (lambda: True, ""))
    if not check():
        unavailable(name, hint)


def _py_has(module):
    import importlib.util
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def peer(name, make):
    """The session's running instance of a peer, started on first use."""
    with _lock:
        if name in _started:
            return _started[name]
        if name in _failed:
            pytest.fail(_failed[name])
        require_installed(name)
        p = make()
        try:
            _started[name] = p.start()
        except PeerError as e:
            _failed[name] = f"{name} could not start: {e}"
            try:
                p.stop()
            except PeerError:
                pass
            pytest.fail(_failed[name])
        return p


def stop_all():
    """Stops every peer this session started (idempotent)."""
    with _lock:
        errors = []
        for name, p in list(_started.items()):
            try:
                p.stop()
            except PeerError as e:
                errors.append(str(e))
            _started.pop(name, None)
        if _RUN_DIR and os.path.isdir(_RUN_DIR) and not os.listdir(_RUN_DIR):
            os.rmdir(_RUN_DIR)
    if errors:
        raise PeerError("; ".join(errors))


atexit.register(stop_all)  # a session killed before teardown, and the run dir


def _fixture(name, make):
    @pytest.fixture(scope="session", name=name.replace("-", "_"))
    def fx():
        yield peer(name, make)
        # Session teardown: every module's copy of this fixture lands here;
        # stopping is idempotent.
        p = _started.pop(name, None)
        if p is not None:
            p.stop()
    return fx


kafka = _fixture("kafka", Kafka)
kinesalite = _fixture("kinesalite", Kinesalite)
moto = _fixture("moto", lambda: Moto(auth=False))
moto_auth = _fixture("moto-auth", lambda: Moto(auth=True))
bigquery_emulator = _fixture("bigquery-emulator", BigQueryEmulator)
feast_serve = _fixture("feast-serve", FeastServe)


@pytest.fixture(scope="session")
def feast09():
    """Feast 0.9.5's SDK venv (installed, nothing to start)."""
    venv = CACHE / "feast-0.9.5"
    if not (venv / ".complete").exists():
        unavailable("Feast 0.9.5's SDK venv", "bash scripts/peers/install-feast09.sh")
    return Feast09(str(venv / "bin" / "python"))


@pytest.fixture(scope="session")
def feast_new_python():
    """The newest Feast's venv interpreter (for benchmark drivers)."""
    found = _cached_version("feast-0.[1-9][0-9]*/.complete")
    if not found:
        unavailable("the newest Feast's venv", "bash scripts/peers/install-feast-new.sh")
    return str(found[-1].parent / "bin" / "python")
