"""Real AWS-API servers (moto, kinesalite) and small stand-in HTTP servers for the AWS tests.

Everything binds 127.0.0.1 on a random free port and is stopped by its PID. moto_server and
kinesalite are installed on first use when missing (PyPI moto[server], npm kinesalite) so that a
fresh CI machine runs these tests; when scripts/peers/ gains start scripts for them, use those.
In CI (CI=true) a server that cannot be had is a failure, never a skip.
"""
import http.server
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

ROOT = os.environ.get("FEAST_REPO_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "../..")))
PEERS_DIR = os.environ.get("FEAST_AWS_PEERS_DIR", os.path.join(ROOT, "build", "aws-peers"))


def tool():
    base = os.path.dirname(os.environ["FEAST_BIN"]) if os.environ.get("FEAST_BIN") else os.path.join(ROOT, "build")
    path = os.path.join(base, "tools", "aws_tool")
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run `make tests` first")
    return path


def free_port():
    for _ in range(200):
        p = random.randint(20000, 50000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


def unavailable(why):
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


def base_env(**extra):
    """An environment with no AWS settings from the caller's machine and IMDS off."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["AWS_CONFIG_FILE"] = "/nonexistent/aws-config"
    env["AWS_SHARED_CREDENTIALS_FILE"] = "/nonexistent/aws-credentials"
    env.update({k: str(v) for k, v in extra.items() if v is not None})
    for k in [k for k, v in extra.items() if v is None]:
        env.pop(k, None)
    return env


def run_tool(args, env, timeout=60, check=True):
    p = subprocess.run([tool()] + list(args), env=env, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"aws_tool {' '.join(args)} exited {p.returncode}: {p.stderr.strip()}")
    return p


def kv(stdout):
    out = {}
    for line in stdout.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out.setdefault(k, v)
    return out


def wait_port(port, proc, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def stop(proc):
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def moto_binary():
    exe = shutil.which("moto_server")
    if exe:
        return exe
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "moto[server]", "boto3"], capture_output=True)
    exe = shutil.which("moto_server")
    if r.returncode != 0 or not exe:
        unavailable("moto_server is not installed and `pip install moto[server]` failed")
    return exe


def start_moto(extra_env=None):
    port = free_port()
    env = dict(os.environ)
    env.update(extra_env or {})
    log = open(os.path.join(PEERS_DIR, f"moto-{port}.log"), "w")
    proc = subprocess.Popen([moto_binary(), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log, env=env,
                            start_new_session=True)
    if not wait_port(port, proc):
        stop(proc)
        unavailable(f"moto_server did not start on port {port}")
    return proc, f"http://127.0.0.1:{port}"


def kinesalite_dir():
    d = os.path.join(PEERS_DIR, "kinesalite")
    if not os.path.exists(os.path.join(d, "node_modules", "kinesalite")):
        if not shutil.which("npm"):
            unavailable("npm is missing: kinesalite cannot be installed")
        os.makedirs(d, exist_ok=True)
        r = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent", "kinesalite"], cwd=d,
                           capture_output=True, text=True)
        if r.returncode != 0:
            unavailable(f"npm install kinesalite failed: {r.stderr[-500:]}")
    return d


def start_kinesalite():
    d = kinesalite_dir()
    port = free_port()
    script = ("require('kinesalite')({createStreamMs:0,deleteStreamMs:0,updateStreamMs:0})"
              f".listen({port},'127.0.0.1')")
    log = open(os.path.join(PEERS_DIR, f"kinesalite-{port}.log"), "w")
    proc = subprocess.Popen(["node", "-e", script], cwd=d, stdout=log, stderr=log, start_new_session=True)
    if not wait_port(port, proc):
        stop(proc)
        unavailable(f"kinesalite did not start on port {port}")
    return proc, f"http://127.0.0.1:{port}"


os.makedirs(PEERS_DIR, exist_ok=True)


def _ensure_python_clients():
    """boto3/botocore (the independent signer and S3 client) and requests, from PyPI when missing."""
    try:
        import boto3  # noqa: F401
        import botocore  # noqa: F401
        import requests  # noqa: F401
    except ImportError:
        r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "moto[server]", "boto3", "requests"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            why = f"pip install moto[server] boto3 requests failed: {r.stderr[-500:]}"
            if os.environ.get("CI") == "true":
                raise RuntimeError(why)
            pytest.skip(why, allow_module_level=True)


_ensure_python_clients()


class StandIn:
    """A scripted HTTP server on 127.0.0.1: each request pops the next answer of a list
    (status, headers, body); when the list is empty the last answer repeats. Records requests."""

    def __init__(self, answers, hang=False):
        self.answers = list(answers)
        self.requests = []
        self.times = []
        self.hang = hang
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def handle_any(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                outer.requests.append((self.command, self.path, dict(self.headers), body))
                outer.times.append(time.monotonic())
                if outer.hang:
                    time.sleep(30)
                    return
                ans = outer.answers.pop(0) if len(outer.answers) > 1 else outer.answers[0]
                if callable(ans):
                    ans = ans(self.command, self.path, dict(self.headers), body)
                status, headers, payload = ans
                if isinstance(payload, str):
                    payload = payload.encode()
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = handle_any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def json_answer(obj, status=200):
    return (status, {"Content-Type": "application/json"}, json.dumps(obj))
