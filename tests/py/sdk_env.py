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

# The SDK's remote mode (Client(core_url=..., serving_url=..., job_service_url=...))
# is tested against the real daemon: build/feast serve (issue 13).
_PORTS = range(46100, 46200)  # the serve tests' range


def _free_port():
    import socket
    for port in _PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {_PORTS.start}-{_PORTS.stop - 1}")


class _FeastServe:
    """`feast serve --grpc-port PORT` on a repository (issue 13's daemon)."""

    def __init__(self, repo_path):
        import subprocess
        port = _free_port()
        feast_bin = os.environ.get("FEAST_BIN", str(ROOT / "build" / "feast"))
        config = Path(repo_path) / "feature_store.yaml"
        if not config.exists():  # the repository's defaults keep their files in data/
            (Path(repo_path) / "data").mkdir(exist_ok=True)
            config = Path(repo_path)
        env = dict(os.environ, FEAST_SERVE_JOBS_DIR=str(Path(repo_path) / "serve-jobs"))
        self.proc = subprocess.Popen([feast_bin, "serve", "--config", str(config),
                                      "--grpc-port", str(port), "--http-port", "0"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        self.url = f"127.0.0.1:{port}"
        import grpc
        ch = grpc.insecure_channel(self.url)
        try:
            grpc.channel_ready_future(ch).result(timeout=20)
        except grpc.FutureTimeoutError:
            self.proc.kill()
            raise RuntimeError(f"feast serve did not start: {self.proc.stderr.read().decode()}")
        finally:
            ch.close()

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(timeout=20)
        assert rc == 0, f"feast serve exited {rc}: {self.proc.stderr.read().decode()}"


def remote_server(repo_path):
    """A started `feast serve` for the repository; .url, .stop()."""
    return _FeastServe(repo_path)
