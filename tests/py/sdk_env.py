"""What the SDK's tests share: the `feast` package from sdk/python (this
checkout's, whatever is installed), libfeast.so from the build, and the
remote server the remote-mode tests talk to."""
import os
import sys
from pathlib import Path

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(ROOT / "sdk" / "python"))
os.environ.setdefault("FEAST_LIB", str(ROOT / "build" / "libfeast.so"))
os.environ.setdefault("FEAST_TELEMETRY", "False")

# The server remote-mode tests run against. "test-server": tests/py/sdk_grpc_server.py
# (grpcio over the embedded engine). When `feast serve` lands, set this to
# "feast-serve" (or FEAST_SDK_REMOTE=feast-serve): remote_server() then starts
# build/feast serve on a free port (adjust _FeastServe to the daemon's flags)
# and the same tests run against it.
REMOTE_SERVER = os.environ.get("FEAST_SDK_REMOTE", "test-server")


class _FeastServe:
    """`feast serve --grpc-port PORT` on a repository (issue 13's daemon)."""

    def __init__(self, repo_path):
        import socket
        import subprocess
        import time
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        feast_bin = os.environ.get("FEAST_BIN", str(ROOT / "build" / "feast"))
        config = Path(repo_path) / "feature_store.yaml"
        if not config.exists():  # the repository's defaults keep their files in data/
            (Path(repo_path) / "data").mkdir(exist_ok=True)
            config = Path(repo_path)
        self.proc = subprocess.Popen([feast_bin, "serve", "--config", str(config),
                                      "--grpc-port", str(port), "--http-port", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.url = f"127.0.0.1:{port}"
        import grpc
        ch = grpc.insecure_channel(self.url)
        try:
            grpc.channel_ready_future(ch).result(timeout=20)
        finally:
            ch.close()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=20)


def remote_server(repo_path):
    """A started server for the repository; .url, .stop()."""
    if REMOTE_SERVER == "feast-serve":
        return _FeastServe(repo_path)
    from sdk_grpc_server import TestServer
    return TestServer(repo_path)
