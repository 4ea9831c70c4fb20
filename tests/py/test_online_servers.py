"""Online stores against real servers: starts a Redis server and a 3-master
Redis Cluster with the project's scripts, runs the C test binary
(online_redis_test) against them, and stops them. A server that cannot
start is a failure, never a skip."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
SCRIPTS = ROOT / "scripts"


def _test_binary():
    bin_dir = Path(os.environ["FEAST_BIN"]).parent if os.environ.get("FEAST_BIN") else ROOT / "build"
    exe = bin_dir / "tests" / "online_redis_test"
    if not exe.exists():
        pytest.fail(f"{exe} is missing: build it with `make tests`")
    return exe


def _start(script):
    p = subprocess.run(["bash", str(SCRIPTS / script)], capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or not p.stdout.strip():
        pytest.fail(f"{script} could not start the server(s): {p.stderr.strip()}")
    return p.stdout.strip()


@pytest.fixture(scope="module")
def servers():
    port = _start("start-redis.sh")
    try:
        ports = _start("start-redis-cluster.sh")
    except BaseException:
        subprocess.run(["bash", str(SCRIPTS / "stop-redis.sh"), port])
        raise
    try:
        yield port, ports
    finally:
        subprocess.run(["bash", str(SCRIPTS / "stop-redis.sh"), port])
        subprocess.run(["bash", str(SCRIPTS / "stop-redis-cluster.sh"), ports])


def test_c_suite_against_redis_and_cluster(servers):
    port, ports = servers
    env = dict(os.environ)
    env["FEAST_TEST_REDIS"] = f"127.0.0.1:{port}"
    env["FEAST_TEST_REDIS_CLUSTER"] = ",".join(f"127.0.0.1:{p}" for p in ports.split(","))
    p = subprocess.run([str(_test_binary())], capture_output=True, text=True, env=env, timeout=600)
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert "standalone ran, cluster ran" in out, out
    assert " 0 failed" in out, out


def test_cluster_really_has_three_masters(servers):
    _, ports = servers
    first = ports.split(",")[0]
    out = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", first, "cluster", "nodes"],
                         capture_output=True, text=True, check=True).stdout
    masters = [l for l in out.splitlines() if "master" in l]
    assert len(masters) == 3, out
