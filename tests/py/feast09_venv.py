"""Feast 0.9.5's own Python SDK, in its own virtualenv, for compatibility
tests: run() executes code there (telemetry off) and returns its stdout.

The venv lives where scripts/peers/install-feast09.sh puts it
(~/.cache/feast-c/feast-0.9.5, or $FEAST_PEER_CACHE). When that script is in
the tree and the venv is missing, it is run once. In CI (CI=true) a venv that
cannot be had fails the tests; elsewhere it skips them with the command to
run. When tests/py/peers.py lands on main its `feast09` fixture is the same
thing; this module can then become an alias of it.
"""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
CACHE = Path(os.environ.get("FEAST_PEER_CACHE", Path.home() / ".cache" / "feast-c"))
VENV = CACHE / "feast-0.9.5"
INSTALL = ROOT / "scripts" / "peers" / "install-feast09.sh"
IN_CI = os.environ.get("CI", "").lower() in ("true", "1", "yes")


class Feast09:
    def __init__(self, python):
        self.python = python

    def run(self, code, stdin=None, timeout=180):
        env = dict(os.environ, FEAST_TELEMETRY="False")
        env.pop("PYTHONPATH", None)
        p = subprocess.run([self.python, "-c", code], input=stdin, capture_output=True, text=True,
                           timeout=timeout, env=env)
        if p.returncode != 0:
            raise AssertionError(f"code in Feast 0.9.5's venv failed:\n{p.stderr}")
        return p.stdout


def _complete():
    return (VENV / "bin" / "python").exists() and \
        any((VENV / "lib").glob("python*/site-packages/feast/client.py"))


def feast09_or_skip():
    if not _complete() and INSTALL.exists():
        subprocess.run(["bash", str(INSTALL)], check=False, timeout=600)
    if not _complete():
        msg = ("Feast 0.9.5's SDK venv is not installed at %s; install it with "
               "scripts/peers/install-feast09.sh (recipe: shared/reference/test-peers.md)" % VENV)
        if IN_CI:
            pytest.fail(msg)
        pytest.skip(msg)
    return Feast09(str(VENV / "bin" / "python"))


@pytest.fixture(scope="session")
def feast09():
    return feast09_or_skip()
