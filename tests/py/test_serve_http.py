"""`feast serve`'s HTTP side, as a client sees it: the binary is started on
this suite's ports (46500-46999) in a temp repository with a real LMDB online
store (and a real Redis, started by the project's redis script helpers), and
talked to with http.client / raw sockets. Each answer is checked against what
the CLI's `get-online-features -o json` prints for the same rows."""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FEAST = os.environ.get("FEAST_BIN", os.path.join(ROOT, "build", "feast"))
# Under ASan freed memory sits in quarantine: RSS says nothing there.
SANITIZED = "build-san" in FEAST or "build-tsan" in FEAST
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
        # --grpc-port 0: the gRPC default (6566) is outside this suite's ports
        self.proc = subprocess.Popen([FEAST, "serve", "--grpc-port", "0", "--http-port", str(self.port), *args], cwd=repo,
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


# ---- limits and abuse ----

LIMITS = """serve:
  limits:
    max_request_bytes: 4096
    max_entity_rows: 10
    max_features: 5
    read_timeout_ms: 600
    idle_timeout_ms: 1500
    max_connections: 20
    max_pending_bytes: 65536
"""

GOF = {"features": ["driver_trips:conv_rate"], "entities": {"driver_id": [1001]}}


@pytest.fixture(scope="module")
def limited():
    d = make_repo(LIMITS)
    s = Server(d, "--threads", "2")
    yield s
    assert s.stop() == 0
    shutil.rmtree(d, ignore_errors=True)


def raw(server, data, read_timeout=5, shut=False):
    """Send bytes on a fresh socket; return everything the server sent until it closed."""
    s = socket.create_connection(("127.0.0.1", server.port), timeout=read_timeout)
    s.sendall(data)
    if shut:
        s.shutdown(socket.SHUT_WR)
    out = b""
    try:
        while True:
            b = s.recv(65536)
            if not b:
                break
            out += b
    except (socket.timeout, ConnectionResetError):
        pass
    s.close()
    return out


def healthy(server):
    status, _, _ = server.request("POST", "/get-online-features", GOF)
    return status == 200


def test_oversized_body_is_413_before_reading_it(limited):
    status, headers, body = limited.request("POST", "/get-online-features", "x" * 5000)
    assert status == 413 and "max_request_bytes" in json.loads(body)["error"]
    assert headers.get("Connection") == "close"
    # chunked, no length declared: refused once the body passes the limit
    chunk = b"1000\r\n" + b"x" * 4096 + b"\r\n"
    out = raw(limited, b"POST /get-online-features HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
              chunk * 3 + b"0\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 413 ")
    assert healthy(limited)


def test_rows_and_features_limits(limited):
    status, _, body = limited.request("POST", "/get-online-features",
                                      {"features": ["driver_trips:conv_rate"], "entities": {"driver_id": list(range(11))}})
    assert status == 400 and "max_entity_rows" in json.loads(body)["error"]
    status, _, body = limited.request("POST", "/get-online-features",
                                      {"features": ["driver_trips:conv_rate"] * 6, "entities": {"driver_id": [1]}})
    assert status == 400 and "max_features" in json.loads(body)["error"]


@pytest.mark.parametrize("body,code,needle", [
    ("{", 400, "request body"),
    ("[]", 400, "object"),
    ('{"features": "x", "entities": {"driver_id": [1]}}', 400, "features"),
    ('{"features": ["nocolon"], "entities": {"driver_id": [1]}}', 400, "table:feature"),
    ('{"features": ["driver_trips:conv_rate"], "entities": {"driver_id": [1, 2], "x": [1]}}', 400, "one per row"),
    ('{"features": ["driver_trips:conv_rate"], "entities": {"driver_id": [[1]]}}', 400, "number, a string"),
    ('{"features": ["driver_trips:conv_rate"], "entities": {"driver_id": ["abc"]}}', 400, ""),
    ('{"features": ["nope:conv_rate"], "entities": {"driver_id": [1]}}', 404, "nope"),
    ('{"features": ["driver_trips:nope"], "entities": {"driver_id": [1]}}', 404, "nope"),
    ('{"features": ["driver_trips:conv_rate"], "entities": {"driver_id": [1]}, "bogus": 1}', 400, "bogus"),
    ('\xff\xfe', 400, ""),
])
def test_bad_online_requests(limited, body, code, needle):
    status, _, data = limited.request("POST", "/get-online-features", body.encode("latin-1"))
    doc = json.loads(data)
    assert (status, doc["code"]) == (code, code), data
    assert needle in doc["error"]


def test_wrong_content_type_is_415(limited):
    status, _, _ = limited.request("POST", "/get-online-features", json.dumps(GOF),
                                   headers={"Content-Type": "text/csv"})
    assert status == 415


def test_garbage_and_truncated_requests(limited):
    out = raw(limited, b"\x16\x03\x01\x02\x00garbage\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ")
    out = raw(limited, b"GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 400 ")
    # truncated: the body never comes and the client goes away
    out = raw(limited, b"POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"fe", shut=True)
    assert out == b""
    # a header block past 64 KiB
    out = raw(limited, b"GET /health HTTP/1.1\r\n" + b"X-Pad: " + b"a" * 8000 + b"\r\n" * 1 +
              b"".join(b"X-%d: %s\r\n" % (i, b"b" * 4000) for i in range(20)) + b"\r\n")
    assert out.startswith(b"HTTP/1.1 431 ")
    assert healthy(limited)


def test_pipelined_requests_are_answered_in_order(limited):
    reqs = b"".join(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n" if i % 2 else
                    b"GET /nope%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(200))
    out = raw(limited, reqs + b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", out)
    assert statuses == [b"404" if i % 2 == 0 else b"200" for i in range(200)] + [b"200"]


def test_slow_client_gets_408_and_others_are_served(limited):
    s = socket.create_connection(("127.0.0.1", limited.port), timeout=5)
    s.sendall(b"POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-")
    t0 = time.time()
    for _ in range(5):
        assert healthy(limited)
    assert time.time() - t0 < 0.5, "others waited for the slow client"
    data = s.recv(4096)
    waited = time.time() - t0
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert 0.4 < waited < 3
    assert s.recv(4096) == b""
    s.close()


def test_idle_keep_alive_is_closed(limited):
    c = limited.conn()
    status, _, _ = limited.request("GET", "/health", conn=c)
    assert status == 200
    time.sleep(2.2)
    s = c.sock
    s.settimeout(2)
    assert s.recv(10) == b""  # closed by the server, nothing sent
    c.close()


def test_connection_flood_is_refused_fast_and_recovers(limited):
    socks = []
    try:
        for _ in range(18):
            socks.append(socket.create_connection(("127.0.0.1", limited.port), timeout=5))
        time.sleep(0.2)
        refused = 0
        t0 = time.time()
        extra = []
        for _ in range(10):
            x = socket.create_connection(("127.0.0.1", limited.port), timeout=5)
            extra.append(x)
        for x in extra:
            data = x.recv(4096)
            if data.startswith(b"HTTP/1.1 503 "):
                refused += 1
            x.close()
        assert refused >= 8, refused
        assert time.time() - t0 < 2
    finally:
        for s in socks:
            s.close()
    time.sleep(0.3)
    assert healthy(limited)
    _, _, body = limited.request("GET", "/metrics")
    line = [l for l in body.decode().splitlines() if l.startswith("feast_serve_connections_refused_total")]
    assert int(line[0].split()[-1]) >= 8


def test_a_client_that_never_reads_cannot_grow_memory(limited):
    def rss():
        for l in open(f"/proc/{limited.proc.pid}/status"):
            if l.startswith("VmRSS:"):
                return int(l.split()[1])
    before = rss()
    s = socket.create_connection(("127.0.0.1", limited.port), timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    req = (b"POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
           % len(json.dumps(GOF).encode())) + json.dumps(GOF).encode()
    s.setblocking(False)
    sent = 0
    t0 = time.time()
    dropped = False
    while time.time() - t0 < 1.5:
        try:
            sent += s.send(req * 50)
        except BlockingIOError:
            time.sleep(0.01)
        except (ConnectionResetError, BrokenPipeError):
            dropped = True  # output did not move for read_timeout_ms: the server let it go
            break
    assert healthy(limited)
    grown = rss() - before
    s.close()
    assert sent > 50_000, sent  # the client did push a lot
    assert dropped or time.time() - t0 >= 1.5
    assert SANITIZED or grown < 20_000, f"RSS grew {grown} kB for a client that never reads"
    time.sleep(0.2)
    assert healthy(limited)


# ---- /ready and /metrics ----

def test_ready_and_metrics(server):
    status, _, body = server.request("GET", "/ready")
    doc = json.loads(body)
    assert status == 200 and doc["status"] == "ready" and doc["online_store"] == "lmdb"
    assert doc["registry_revision"] > 0
    server.request("POST", "/get-online-features", {"features": ["driver_trips:conv_rate"],
                                                    "entities": {"driver_id": [1001, 1002]}})
    status, headers, body = server.request("GET", "/metrics")
    assert status == 200 and headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = body.decode()
    series = {}
    for l in text.splitlines():
        if l and not l.startswith("#"):
            k, v = l.rsplit(" ", 1)
            series[k] = float(v)
    assert series['feast_serve_requests_total{protocol="http",endpoint="/get-online-features",code="200"}'] >= 1
    assert series['feast_serve_rows_served_total{protocol="http",endpoint="/get-online-features"}'] >= 2
    assert series['feast_serve_request_duration_seconds_bucket{protocol="http",endpoint="/get-online-features",le="+Inf"}'] >= 1
    assert series["feast_serve_registry_revision"] == doc["registry_revision"]
    assert "feast_serve_online_store_errors_total" in text and "feast_serve_connections" in text


# ---- bearer tokens ----

READ_TOKEN = "read-token-0123456789"
WRITE_TOKEN = "write-token-0123456789"
OTHER_TOKEN = "other-project-token-0123"
FILE_TOKEN = "from-a-file-token-0123"

AUTH = f"""serve:
  auth:
    tokens:
      - {{token: "{READ_TOKEN}", name: reader, projects: [default], access: read}}
      - {{token: "{WRITE_TOKEN}", name: writer, access: write}}
      - {{token: "{OTHER_TOKEN}", projects: [other], access: write}}
    tokens_file: tokens.yaml
"""


def push_doc(driver_ids, value, ts=None):
    ts = ts or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    n = len(driver_ids)
    return {"feature_table": "driver_trips", "to": "online",
            "df": {"driver_id": driver_ids, "conv_rate": [float(value)] * n, "acc_rate": [float(value)] * n,
                   "avg_daily_trips": [int(value)] * n, "event_timestamp": [ts] * n, "created": [ts] * n}}


@pytest.fixture(scope="module")
def authed():
    d = make_repo(AUTH)
    with open(os.path.join(d, "tokens.yaml"), "w") as f:
        f.write(f'tokens:\n  - {{token: "{FILE_TOKEN}", name: filed, access: read}}\n')
    # the file was read by apply/ingest already; the daemon reads it again
    s = Server(d, "--threads", "2")
    yield s
    assert s.stop() == 0
    shutil.rmtree(d, ignore_errors=True)


def bearer(t):
    return {"Authorization": f"Bearer {t}"}


def test_no_token_is_401(authed):
    status, headers, body = authed.request("POST", "/get-online-features", GOF)
    assert status == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    status, _, body = authed.request("POST", "/get-online-features", GOF, headers={"Authorization": "Basic eDp5"})
    assert status == 401


def test_bad_token_is_401_and_not_echoed(authed):
    guess = READ_TOKEN[:-1] + "X"
    status, _, body = authed.request("POST", "/get-online-features", GOF, headers=bearer(guess))
    assert status == 401
    assert guess.encode() not in body and READ_TOKEN.encode() not in body
    assert guess not in authed.logs() and READ_TOKEN not in authed.logs()


def test_read_token_reads_but_cannot_push(authed):
    status, _, _ = authed.request("POST", "/get-online-features", GOF, headers=bearer(READ_TOKEN))
    assert status == 200
    status, _, body = authed.request("POST", "/push", push_doc([5], 5), headers=bearer(READ_TOKEN))
    assert status == 403 and "write" in json.loads(body)["error"]
    status, _, _ = authed.request("POST", "/push", push_doc([5], 5), headers=bearer(WRITE_TOKEN))
    assert status == 200


def test_token_of_another_project_cannot_read_this_one(authed):
    status, _, body = authed.request("POST", "/get-online-features", GOF, headers=bearer(OTHER_TOKEN))
    assert status == 403 and "default" in json.loads(body)["error"]
    status, _, _ = authed.request("POST", "/push", push_doc([5], 5), headers=bearer(OTHER_TOKEN))
    assert status == 403
    # a read token scoped to 'default' asking for 'other' is refused before 'other' is looked at
    doc = dict(GOF, project="other")
    status, _, _ = authed.request("POST", "/get-online-features", doc, headers=bearer(READ_TOKEN))
    assert status == 403


def test_token_from_the_tokens_file(authed):
    status, _, _ = authed.request("POST", "/get-online-features", GOF, headers=bearer(FILE_TOKEN))
    assert status == 200


def test_health_is_open_metrics_need_a_token(authed):
    assert authed.request("GET", "/health")[0] == 200
    assert authed.request("GET", "/ready")[0] == 200
    assert authed.request("GET", "/metrics")[0] == 401
    assert authed.request("GET", "/metrics", headers=bearer(READ_TOKEN))[0] == 200


def test_unauthenticated_only_on_loopback(tmp_path):
    d = make_repo("serve:\n  host: 0.0.0.0\n")
    try:
        p = subprocess.run([FEAST, "serve", "--grpc-port", "0", "--http-port", str(next_port())], cwd=d,
                           capture_output=True, text=True, timeout=20)
        assert p.returncode == 1 and "allow_unauthenticated" in p.stderr
        with open(os.path.join(d, "feature_store.yaml"), "a") as f:
            f.write("  auth: {allow_unauthenticated: true}\n")
        s = Server(d)
        assert healthy(s)
        assert s.stop() == 0
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_bad_serve_section_is_refused_with_its_line(tmp_path):
    d = make_repo()
    try:
        with open(os.path.join(d, "feature_store.yaml"), "a") as f:
            f.write("serve:\n  limits:\n    max_entity_rowz: 3\n")
        p = subprocess.run([FEAST, "serve", "--grpc-port", "0", "--http-port", str(next_port())], cwd=d,
                           capture_output=True, text=True, timeout=20)
        assert p.returncode == 1 and "max_entity_rowz" in p.stderr and ":" in p.stderr
        p = subprocess.run([FEAST, "serve", "--grpc-port", "46999"], cwd=d, capture_output=True, text=True, timeout=20)
        assert p.returncode != 0
    finally:
        shutil.rmtree(d, ignore_errors=True)


# ---- SIGHUP ----

def test_sighup_reloads_tokens_and_limits():
    new_token = "rotated-token-0123456789"
    d = make_repo(f'serve:\n  auth:\n    tokens:\n      - {{token: "{READ_TOKEN}", access: read}}\n')
    s = Server(d)
    try:
        assert s.request("POST", "/get-online-features", GOF, headers=bearer(READ_TOKEN))[0] == 200
        cfg = open(os.path.join(d, "feature_store.yaml")).read().replace(READ_TOKEN, new_token)
        cfg += "  limits: {max_entity_rows: 1}\n"
        open(os.path.join(d, "feature_store.yaml"), "w").write(cfg)
        keep = s.conn()  # an open keep-alive connection sees the new settings too
        assert s.request("GET", "/health", conn=keep)[0] == 200
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline and not any(e["event"] == "reloaded" for e in s.log_events()):
            time.sleep(0.05)
        assert s.request("POST", "/get-online-features", GOF, headers=bearer(READ_TOKEN), conn=keep)[0] == 401
        assert s.request("POST", "/get-online-features", GOF, headers=bearer(new_token), conn=keep)[0] == 200
        two = {"features": GOF["features"], "entities": {"driver_id": [1, 2]}}
        assert s.request("POST", "/get-online-features", two, headers=bearer(new_token))[0] == 400
        keep.close()
        # a broken file is refused and the running configuration kept
        open(os.path.join(d, "feature_store.yaml"), "w").write(cfg + "  bogus: 1\n")
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 5
        while time.time() < deadline and not any(e["event"] == "reload_failed" for e in s.log_events()):
            time.sleep(0.05)
        assert any(e["event"] == "reload_failed" and "bogus" in e["msg"] for e in s.log_events())
        assert s.request("POST", "/get-online-features", GOF, headers=bearer(new_token))[0] == 200
        assert new_token not in s.logs()
    finally:
        assert s.stop() == 0
        shutil.rmtree(d, ignore_errors=True)


# ---- SIGTERM: graceful drain ----

def test_sigterm_finishes_requests_in_flight_then_exits():
    d = make_repo()
    s = Server(d, "--threads", "2")
    try:
        idle = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        busy = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        body = json.dumps(GOF).encode()
        head = (b"POST /get-online-features HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Content-Length: %d\r\n\r\n" % len(body))
        busy.sendall(head + body[:10])  # a request in flight
        time.sleep(0.2)
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        assert s.proc.poll() is None, "exited with a request in flight"
        assert idle.recv(10) == b""  # idle keep-alive connections close at once
        with pytest.raises(ConnectionRefusedError):  # the listeners are closed
            socket.create_connection(("127.0.0.1", s.port), timeout=1)
        busy.sendall(body[10:])
        out = b""
        while True:
            b = busy.recv(65536)
            if not b:
                break
            out += b
        assert out.startswith(b"HTTP/1.1 200 ") and b"Connection: close" in out
        s.proc.wait(10)
        assert s.proc.returncode == 0
        assert any(e["event"] == "draining" for e in s.log_events())
    finally:
        s.stop()
        shutil.rmtree(d, ignore_errors=True)


def test_curl_large_body_with_expect_100_continue(server):
    rows = list(range(900))
    body = json.dumps({"features": ["driver_trips:conv_rate"], "entities": {"driver_id": rows}})
    assert len(body) > 1024
    t0 = time.time()
    p = subprocess.run(["curl", "-sS", "-XPOST", "-H", "Content-Type: application/json", "--data-binary", body,
                        f"http://127.0.0.1:{server.port}/get-online-features"], capture_output=True, text=True,
                       timeout=20)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout)["results"][0]["values"] == rows
    assert time.time() - t0 < 0.9, "curl waited for 100 Continue"


# ---- TLS ----

@pytest.fixture(scope="module")
def tls_server():
    d = make_repo()
    key, cert = os.path.join(d, "server.key"), os.path.join(d, "server.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    with open(os.path.join(d, "feature_store.yaml"), "a") as f:
        f.write("serve:\n  tls: {cert: server.pem, key: server.key}\n")
    s = Server(d, "--threads", "2")
    yield s, cert
    assert s.stop() == 0
    shutil.rmtree(d, ignore_errors=True)


def test_tls_serves_online_features(tls_server, repo):
    import ssl
    s, cert = tls_server
    ctx = ssl.create_default_context(cafile=cert)
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    c = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=10)
    for _ in range(3):  # keep-alive over TLS
        status, _, body = s.request("POST", "/get-online-features", GOF, conn=c)
        assert status == 200 and json.loads(body)["results"][0]["values"] == [1001]
    assert c.sock.selected_alpn_protocol() == "http/1.1"
    c.close()
    # a large answer over TLS (several records, partial writes)
    rows = list(range(1000))
    c = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=10)
    status, _, body = s.request("POST", "/get-online-features",
                                {"features": ["driver_trips:conv_rate", "driver_trips:acc_rate"],
                                 "entities": {"driver_id": rows}}, conn=c)
    assert status == 200 and json.loads(body)["results"][0]["values"] == rows
    c.close()
    p = subprocess.run(["curl", "-sS", "--cacert", cert, f"https://localhost:{s.port}/health"],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0 and json.loads(p.stdout) == {"status": "ok"}


def test_tls_port_refuses_plaintext_and_bad_handshakes(tls_server):
    s, cert = tls_server
    out = raw(s, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n", read_timeout=3)
    assert not out.startswith(b"HTTP/1.1 200")
    out = raw(s, b"\x16\x03\x01\x00\x05hello", read_timeout=3)
    import ssl
    ctx = ssl.create_default_context(cafile=cert)
    c = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=10)
    assert s.request("GET", "/health", conn=c)[0] == 200
    c.close()
    # an untrusting client fails its handshake; the server keeps serving
    bad = ssl.create_default_context()
    with pytest.raises(ssl.SSLError):
        http.client.HTTPSConnection("127.0.0.1", s.port, context=bad, timeout=5).request("GET", "/health")
    c = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=10)
    assert s.request("GET", "/health", conn=c)[0] == 200
    c.close()


# ---- Redis, spec changes, and a load test ----

@pytest.fixture(scope="module")
def redis_port():
    port = next_port()
    d = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"feast-redis-{port}")
    p = subprocess.run(["bash", "-c", f'. "{ROOT}/scripts/redis-common.sh" && start_node {port} "{d}"'],
                       capture_output=True, text=True, timeout=30)
    if p.returncode != 0:
        if os.environ.get("CI") == "true":
            raise AssertionError("redis-server did not start: " + p.stderr)
        pytest.skip("redis-server did not start: " + p.stderr)
    yield port
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "stop-redis.sh"), str(port)], timeout=30)


def wait_for(pred, timeout=5.0, step=0.02):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return False


def test_redis_online_store_matches_cli(redis_port):
    d = make_repo(online=f'online_store:\n  type: redis\n  connection_string: "127.0.0.1:{redis_port}"')
    s = Server(d, "--threads", "2")
    try:
        status, _, body = s.request("POST", "/push", push_doc([1001, 77], 3))
        assert status == 200, body
        refs = ["driver_trips:conv_rate", "driver_trips:avg_daily_trips", "driver_trips:acc_rate"]
        status, _, body = s.request("POST", "/get-online-features",
                                    {"features": refs, "entities": {"driver_id": [1001, 77, 5]}})
        assert status == 200
        got = json.loads(body)
        assert got == cli_json(d, refs, ["driver_id=1001", "driver_id=77", "driver_id=5"])
        assert got["results"][1]["values"] == [3.0, 3.0, None]
        status, _, body = s.request("GET", "/ready")
        assert status == 200 and json.loads(body)["online_store"] == "redis"
        # a daemon whose Redis is not there: not ready (and says why), still alive
        dead = next_port()
        with open(os.path.join(d, "feature_store.yaml")) as f:
            cfg = f.read()
        open(os.path.join(d, "feature_store.yaml"), "w").write(cfg.replace(str(redis_port), str(dead)))
        s2 = Server(d)
        try:
            status, _, body = s2.request("GET", "/ready")
            assert status == 503 and "not reachable" in json.loads(body)["error"]
            assert s2.request("GET", "/health")[0] == 200
        finally:
            assert s2.stop() == 0
    finally:
        assert s.stop() == 0
        shutil.rmtree(d, ignore_errors=True)


def metric(server, name):
    for l in server.request("GET", "/metrics")[2].decode().splitlines():
        if l.startswith(name + " "):
            return float(l.split()[-1])


def test_spec_applied_elsewhere_is_served_within_a_second(server, repo):
    path = os.path.join(repo, "late_table.yaml")
    with open(path, "w") as f:
        f.write(open(os.path.join(repo, "driver_trips.yaml")).read().replace("name: driver_trips", "name: late_table"))
    try:
        req = {"features": ["late_table:conv_rate"], "entities": {"driver_id": [1001]}}
        assert server.request("POST", "/get-online-features", req)[0] == 404
        before = metric(server, "feast_serve_registry_revision")
        feast("apply", cwd=repo)
        t0 = time.time()
        assert wait_for(lambda: server.request("POST", "/get-online-features", req)[0] == 200, timeout=3)
        assert time.time() - t0 < 1.5
        assert metric(server, "feast_serve_registry_revision") > before
    finally:
        os.remove(path)


def _ts_now():
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%06dZ" % int((t % 1) * 1e6)


@pytest.mark.parametrize("store", ["lmdb", "redis"])
def test_load_no_torn_reads_bounded_memory(store, redis_port):
    import threading
    online = (f'online_store:\n  type: redis\n  connection_string: "127.0.0.1:{redis_port}"'
              if store == "redis" else None)
    d = make_repo(online=online)
    s = Server(d, "--threads", "2")
    keys = list(range(2000, 2020))
    refs = ["driver_trips:conv_rate", "driver_trips:acc_rate", "driver_trips:avg_daily_trips"]
    errors, stop = [], threading.Event()
    counts = {"reads": 0, "writes": 0, "applies": 0}

    def rss(field):
        for l in open(f"/proc/{s.proc.pid}/status"):
            if l.startswith(field):
                return int(l.split()[1])

    def writer():
        c = s.conn()
        k = 1
        while not stop.is_set():
            ts = _ts_now()
            doc = push_doc(keys, k, ts)
            st, _, body = s.request("POST", "/push", doc, conn=c)
            if st != 200:
                errors.append(f"push {st} {body[:200]}")
                return
            counts["writes"] += 1
            k += 1
        c.close()

    def reader():
        c = s.conn()
        last = {}
        while not stop.is_set():
            st, _, body = s.request("POST", "/get-online-features", {"features": refs, "entities": {"driver_id": keys}},
                                    conn=c)
            if st != 200:
                errors.append(f"read {st} {body[:200]}")
                return
            doc = json.loads(body)
            vals = [r["values"] for r in doc["results"][1:]]
            for i, key in enumerate(keys):
                row = (vals[0][i], vals[1][i], vals[2][i])
                if row[0] != row[1] or row[0] != row[2]:
                    errors.append(f"torn read of {key}: {row}")
                    return
                if row[2] < last.get(key, 0):
                    errors.append(f"{key} went back from {last[key]} to {row[2]}")
                    return
                last[key] = row[2]
            counts["reads"] += 1
        c.close()

    def applier():
        n = 0
        while not stop.is_set():
            with open(os.path.join(d, "churn.yaml"), "w") as f:
                f.write(open(os.path.join(d, "driver_trips.yaml")).read()
                        .replace("name: driver_trips", f"name: churn_{n % 3}").replace("team: rides", f"team: t{n}"))
            p = subprocess.run([FEAST, "apply"], cwd=d, capture_output=True, text=True, timeout=60)
            if p.returncode != 0:
                errors.append("apply: " + p.stderr)
                return
            p = subprocess.run([FEAST, "ingest", "driver_trips"], cwd=d, capture_output=True, text=True, timeout=60)
            if p.returncode != 0:
                errors.append("ingest: " + p.stderr)
                return
            counts["applies"] += 1
            n += 1

    try:
        assert s.request("POST", "/push", push_doc(keys, 0, _ts_now()))[0] == 200
        threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(5)] + \
                  [threading.Thread(target=applier)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        warm = rss("VmRSS:")
        time.sleep(4)
        stop.set()
        for t in threads:
            t.join(30)
        peak = rss("VmHWM:")
        print(store, counts, "rss warm", warm, "peak", peak)
        assert not errors, errors[:5]
        assert counts["reads"] > 50 and counts["writes"] > 20 and counts["applies"] >= 1, counts
        assert SANITIZED or peak - warm < 40_000, f"RSS went from {warm} kB to a peak of {peak} kB"
        assert SANITIZED or peak < 150_000, peak
    finally:
        stop.set()
        assert s.stop() == 0
        shutil.rmtree(d, ignore_errors=True)


def test_push_offline_and_both_into_a_folder_source(server, repo):
    import pyarrow.parquet as pq
    folder = os.path.join(repo, "data", "pushed")
    os.makedirs(folder, exist_ok=True)
    spec = open(os.path.join(repo, "driver_trips.yaml")).read().replace("name: driver_trips", "name: pushed")
    spec = spec.replace(f"file://{repo}/data/driver_trips.parquet", f"file://{folder}/")
    assert f"file://{folder}/" in spec
    with open(os.path.join(repo, "pushed.yaml"), "w") as f:
        f.write(spec)
    try:
        feast("apply", "--skip-source-check", cwd=repo)
        doc = push_doc([31, 32], 9, "2026-01-02T03:04:05Z")
        doc["feature_table"] = "pushed"
        doc["to"] = "online_and_offline"
        assert wait_for(lambda: server.request("POST", "/push", doc)[0] != 404, timeout=3)
        status, _, body = server.request("POST", "/push", dict(doc, to="offline"))
        assert status == 200, body
        out = json.loads(body)
        assert out["rows"] == 2 and len(out["offline"]["files"]) == 1 and "online" not in out
        t = pq.read_table(out["offline"]["files"][0])
        assert sorted(t.column("driver_id").to_pylist()) == [31, 32]
        assert t.column("conv_rate").to_pylist() == [9.0, 9.0]
        # both: online too, then readable
        doc2 = push_doc([33], 4, "2026-01-02T03:04:06Z")
        doc2.update(feature_table="pushed", to="online_and_offline")
        status, _, body = server.request("POST", "/push", doc2)
        assert status == 200 and json.loads(body)["online"]["written"] == 1, body
        n_files = sum(1 for _ in os.scandir(folder) if _.name.endswith(".parquet"))
        assert n_files >= 2
        # a bad value: nothing written anywhere
        bad = push_doc([34], 1)
        bad.update(feature_table="pushed", to="online_and_offline")
        bad["df"]["conv_rate"] = ["not a number"]
        status, _, body = server.request("POST", "/push", bad)
        assert status == 400 and "conv_rate[0]" in json.loads(body)["error"]
        assert sum(1 for _ in os.scandir(folder) if _.name.endswith(".parquet")) == n_files
        bad = push_doc([34], 1)
        bad.update(feature_table="pushed", to="offline")
        bad["df"]["surprise"] = [1]
        status, _, body = server.request("POST", "/push", bad)
        assert status == 400 and "surprise" in json.loads(body)["error"]
        status, _, body = server.request("POST", "/push", dict(bad, feature_table="nope"))
        assert status == 404
    finally:
        os.remove(os.path.join(repo, "pushed.yaml"))


def test_a_second_daemon_on_a_busy_port_is_refused(server, repo):
    p = subprocess.run([FEAST, "serve", "--grpc-port", "0", "--http-port", str(server.port)], cwd=repo,
                       capture_output=True, text=True, timeout=20)
    assert p.returncode == 1 and "Address already in use" in p.stderr
    assert healthy(server)
