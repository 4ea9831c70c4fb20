"""`feast serve`'s HTTP side, as a client sees it: the binary is started on
this suite's ports (46500-46999) in a temp repository with a real LMDB online
store (and a real Redis, started by the project's redis script helpers), and
talked to with http.client / raw sockets. Each answer is checked against what
the CLI's `get-online-features -o json` prints for the same rows."""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FEAST = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
PORT_BASE = 46500
_next_port = [PORT_BASE + 10]


def next_port():
    """A port of this suite's range that is free now."""
    while True:
        _next_port[0] += 1
        p = _next_port[0]
        assert p < 46990, "out of ports of the suite's range"
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()


def feast(*args, cwd, check=True):
    p = subprocess.run([FEAST, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def make_repo(serve_yaml="", online=None):
    d = tempfile.mkdtemp(prefix="feast-serve-")
    feast("init", d, cwd=d)
    cfg = open(os.path.join(d, "feature_store.yaml")).read()
    if online:
        lines = [l for l in cfg.splitlines()]
        out, skip = [], False
        for l in lines:
            if l.startswith("online_store:"):
                skip = True
                continue
            if skip and (l.startswith(" ") or not l.strip()):
                continue
            skip = False
            out.append(l)
        cfg = "\n".join(out) + "\n" + online + "\n"
    cfg += serve_yaml
    with open(os.path.join(d, "feature_store.yaml"), "w") as f:
        f.write(cfg)
    feast("apply", cwd=d)
    feast("ingest", "driver_trips", cwd=d)
    return d


class Server:
    def __init__(self, repo, *args, http_port=None, env=None):
        self.repo = repo
        self.port = http_port or next_port()
        self.log_path = os.path.join(repo, f"serve-{self.port}.log")
        self.log = open(self.log_path, "wb")
        e = dict(os.environ)
        e.update(env or {})
        self.proc = subprocess.Popen([FEAST, "serve", "--http-port", str(self.port), *args], cwd=repo,
                                     stdout=self.log, stderr=self.log, env=e)
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"feast serve exited {self.proc.returncode}: {self.logs()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("feast serve did not listen: " + self.logs())

    def logs(self):
        self.log.flush()
        return open(self.log_path, errors="replace").read()

    def log_events(self):
        return [json.loads(l) for l in self.logs().splitlines() if l.startswith("{")]

    def conn(self, timeout=10):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, conn=None):
        c = conn or self.conn()
        h = {"Content-Type": "application/json"} if body is not None else {}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read()
        if conn is None:
            c.close()
        return r.status, dict(r.getheaders()), data

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("feast serve did not stop on SIGTERM: " + self.logs())
        self.log.close()
        return self.proc.returncode


@pytest.fixture(scope="module")
def repo():
    d = make_repo()
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def server(repo):
    s = Server(repo, "--threads", "2")
    yield s
    assert s.stop() == 0


def cli_json(repo, refs, rows):
    args = ["get-online-features", "-o", "json"]
    for r in refs:
        args += ["-f", r]
    for row in rows:
        args += ["-e", row]
    return json.loads(feast(*args, cwd=repo).stdout)


def test_health(server):
    status, headers, body = server.request("GET", "/health")
    assert status == 200
    assert json.loads(body) == {"status": "ok"}
    assert headers["Content-Type"] == "application/json"


def test_unknown_path_and_method(server):
    status, _, body = server.request("GET", "/nope")
    assert status == 404 and json.loads(body)["code"] == 404
    status, headers, _ = server.request("GET", "/get-online-features")
    assert status == 405 and headers["Allow"] == "POST"


def test_get_online_features_matches_cli(server, repo):
    refs = ["driver_trips:conv_rate", "driver_trips:avg_daily_trips"]
    status, _, body = server.request("POST", "/get-online-features",
                                     {"features": refs, "entities": {"driver_id": [1001, 1002, 424242]}})
    assert status == 200, body
    got = json.loads(body)
    want = cli_json(repo, refs, ["driver_id=1001", "driver_id=1002", "driver_id=424242"])
    assert got == want
    assert got["results"][0]["values"] == [1001, 1002, 424242]
    assert got["results"][1]["statuses"][2] == "NOT_FOUND"


def test_keep_alive_many_requests_one_connection(server):
    c = server.conn()
    for i in range(50):
        status, _, body = server.request("POST", "/get-online-features",
                                         {"features": ["driver_trips:conv_rate"], "entities": {"driver_id": [1001]}},
                                         conn=c)
        assert status == 200
    status, _, _ = server.request("GET", "/health", conn=c)
    assert status == 200
    c.close()


def test_access_log_lines_are_json(server):
    server.request("GET", "/health")
    events = server.log_events()
    access = [e for e in events if e["event"] == "access"]
    assert access and access[-1]["what"] == "GET /health" and access[-1]["code"] == 200
    assert any(e["event"] == "serving" for e in events)
