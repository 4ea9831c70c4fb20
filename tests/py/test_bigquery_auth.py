"""Google credentials (src/cloud/gcp/gcp_creds.c) against a local token endpoint that
checks what it gets with an independent library: a service-account key's JWT is
verified with the key's public half by `cryptography` (RS256, iss, aud, scope, a
one-hour lifetime), gcloud user credentials must present their refresh token, the
metadata server wants its Metadata-Flavor header. Tokens are cached and fetched
again only near expiry; a refused exchange is a clear error; and the BigQuery
client really signs its calls with them (one exchange for a whole ingestion)."""
import base64
import json
import os
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
BIN = Path(os.environ["FEAST_BIN"]).parent if os.environ.get("FEAST_BIN") else ROOT / "build"
TOOL = BIN / "tools" / "bq_tool"
FEAST = os.environ.get("FEAST_BIN", str(ROOT / "build" / "feast"))


def b64d(s):
    return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


class TokenServer:
    def __init__(self, public_key, lifetime=3600):
        self.public_key, self.lifetime = public_key, lifetime
        self.exchanges, self.problems, self.auth_seen = [], [], []
        outer = self

        class H(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def reply(self, code, doc):
                body = json.dumps(doc).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):
                if self.path.startswith("/computeMetadata/v1/instance/service-accounts/default/token"):
                    if self.headers.get("Metadata-Flavor") != "Google":
                        return self.reply(403, {"error": "missing Metadata-Flavor"})
                    outer.exchanges.append("metadata")
                    return self.reply(200, {"access_token": f"md-{len(outer.exchanges)}", "expires_in": outer.lifetime,
                                            "token_type": "Bearer"})
                self.reply(404, {"error": "not_found"})

            def do_POST(self):
                form = urllib.parse.parse_qs(self.rfile.read(int(self.headers["Content-Length"])).decode())
                grant = form.get("grant_type", [""])[0]
                if grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
                    why = outer.check_jwt(form.get("assertion", [""])[0], f"http://127.0.0.1:{outer.port}/token")
                    if why:
                        outer.problems.append(why)
                        return self.reply(400, {"error": "invalid_grant", "error_description": why})
                elif grant == "refresh_token":
                    if (form.get("refresh_token") != ["rt-1"] or form.get("client_id") != ["cid"]
                            or form.get("client_secret") != ["csecret"]):
                        return self.reply(400, {"error": "invalid_grant", "error_description": "Bad Request"})
                else:
                    return self.reply(400, {"error": "unsupported_grant_type"})
                outer.exchanges.append(grant)
                self.reply(200, {"access_token": f"tok-{len(outer.exchanges)}", "expires_in": outer.lifetime,
                                 "token_type": "Bearer"})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def check_jwt(self, jwt, aud):
        try:
            head, claims, sig = jwt.split(".")
            h, c = json.loads(b64d(head)), json.loads(b64d(claims))
            self.public_key.verify(b64d(sig), f"{head}.{claims}".encode(), padding.PKCS1v15(), hashes.SHA256())
        except Exception as e:  # noqa: BLE001 - any failure is a refusal
            return "Invalid JWT Signature."
        if h.get("alg") != "RS256" or h.get("kid") != "kid-1":
            return f"bad header {h}"
        if c.get("iss") != "sa@feasttest.iam.gserviceaccount.com" or c.get("aud") != aud:
            return f"bad iss/aud {c}"
        if "https://www.googleapis.com/auth/bigquery" not in c.get("scope", "").split():
            return f"no bigquery scope {c}"
        if c["exp"] - c["iat"] != 3600 or abs(c["iat"] - time.time()) > 60:
            return f"bad lifetime {c}"
        return None

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def pem(key):
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def sa_file(path, key, port):
    path.write_text(json.dumps({"type": "service_account", "project_id": "feasttest", "private_key_id": "kid-1",
                                "private_key": pem(key), "client_email": "sa@feasttest.iam.gserviceaccount.com",
                                "token_uri": f"http://127.0.0.1:{port}/token"}))
    return path


def tool(*args, env=None, check=True):
    if not TOOL.exists():
        pytest.fail(f"{TOOL} is missing: build it with `make tests`")
    p = subprocess.run([str(TOOL), *args], capture_output=True, text=True, timeout=120,
                       env={**os.environ, **(env or {})})
    if check and p.returncode != 0:
        raise AssertionError(f"bq_tool {args} exited {p.returncode}: {p.stderr}")
    return p


@pytest.fixture
def key():
    return new_key()


@pytest.fixture
def server(key):
    s = TokenServer(key.public_key())
    yield s
    s.stop()


def test_service_account_jwt_is_verified_and_the_token_cached(tmp_path, key, server):
    f = sa_file(tmp_path / "key.json", key, server.port)
    out = tool("token", str(f), "5").stdout
    assert server.problems == []
    assert "Authorization: Bearer tok-1" in out and "fetches 1" in out and "project feasttest" in out
    assert server.exchanges == ["urn:ietf:params:oauth:grant-type:jwt-bearer"]


def test_tokens_are_refreshed_before_they_expire(tmp_path, key, server):
    server.lifetime = 2  # refreshed after half its life when it is this short
    f = sa_file(tmp_path / "key.json", key, server.port)
    out = tool("token", str(f), "4", env={"BQ_TOOL_SLEEP_MS": "700"}).stdout
    assert "fetches 2" in out or "fetches 3" in out, out
    assert len(server.exchanges) >= 2 and server.problems == []


def test_a_key_the_endpoint_does_not_know_is_refused_clearly(tmp_path, server):
    f = sa_file(tmp_path / "other.json", new_key(), server.port)  # signed by another key
    p = tool("token", str(f), check=False)
    assert p.returncode == 1
    assert "refused the token request" in p.stderr and "invalid_grant: Invalid JWT Signature." in p.stderr
    assert "sa@feasttest.iam.gserviceaccount.com" in p.stderr
    assert server.problems == ["Invalid JWT Signature."]


def test_gcloud_user_credentials_use_their_refresh_token(tmp_path, server):
    f = tmp_path / "adc.json"
    doc = {"type": "authorized_user", "client_id": "cid", "client_secret": "csecret", "refresh_token": "rt-1",
           "quota_project_id": "feasttest", "token_uri": f"http://127.0.0.1:{server.port}/token"}
    f.write_text(json.dumps(doc))
    out = tool("token", str(f), "3").stdout
    assert "Bearer tok-1" in out and "fetches 1" in out and server.exchanges == ["refresh_token"]
    # found where gcloud writes it, through CLOUDSDK_CONFIG, when nothing else is set
    cfg = tmp_path / "gcloud"
    cfg.mkdir()
    (cfg / "application_default_credentials.json").write_text(json.dumps(doc))
    env = {"CLOUDSDK_CONFIG": str(cfg), "GOOGLE_APPLICATION_CREDENTIALS": ""}
    out = tool("token", "", env=env).stdout
    assert "gcloud user credentials" in out
    doc["refresh_token"] = "revoked"
    f.write_text(json.dumps(doc))
    p = tool("token", str(f), check=False)
    assert p.returncode == 1 and "invalid_grant: Bad Request" in p.stderr


def test_metadata_server_and_the_chain(tmp_path, server, key):
    env = {"GOOGLE_APPLICATION_CREDENTIALS": "", "CLOUDSDK_CONFIG": str(tmp_path / "none"),
           "GCE_METADATA_HOST": f"127.0.0.1:{server.port}"}
    out = tool("token", "", env=env).stdout
    assert "Bearer md-1" in out and "metadata server" in out
    # GOOGLE_APPLICATION_CREDENTIALS comes before the metadata server
    env["GOOGLE_APPLICATION_CREDENTIALS"] = str(sa_file(tmp_path / "key.json", key, server.port))
    out = tool("token", "", env=env).stdout
    assert "service account" in out
    # a file that is not credentials names itself and what is wrong
    (tmp_path / "bad.json").write_text('{"type": "service_account", "client_email": "x"}')
    p = tool("token", str(tmp_path / "bad.json"), check=False)
    assert p.returncode == 1 and "bad.json" in p.stderr and '"private_key"' in p.stderr


def test_bigquery_calls_are_signed_once_per_token(tmp_path, key, server):
    """An ingestion against the emulator with bigquery.credentials set: the calls carry a token (one
    exchange, cached for every call), and with a key the endpoint refuses, apply fails clearly."""
    from bqemu import Emulator
    emu = Emulator()
    try:
        emu.query("CREATE OR REPLACE TABLE feast.t (driver_id INT64, ts TIMESTAMP, v FLOAT64)")
        emu.query("INSERT INTO feast.t VALUES (1, TIMESTAMP '2021-04-12 10:00:00+00', 0.5), "
                  "(2, TIMESTAMP '2021-04-12 10:00:00+00', 1.5)")
        good = sa_file(tmp_path / "key.json", key, server.port)
        bad = sa_file(tmp_path / "bad.json", new_key(), server.port)
        for name, cred in [("good", good), ("bad", bad)]:
            d = tmp_path / name
            d.mkdir()
            (d / "feature_store.yaml").write_text(
                f"project: auth\nregistry: r.db\nonline_store: {{type: lmdb, path: online}}\nbigquery:\n  project: feasttest\n  endpoint: http://{emu.rest}\n"
                f"  storage_endpoint: {emu.grpc}\n  credentials: {cred}\n")
            (d / "specs.yaml").write_text(
                "spec: {name: driver_id, valueType: INT64}\n---\nspec:\n  name: t\n  entities: [driver_id]\n"
                "  features: [{name: v, valueType: DOUBLE}]\n  batchSource:\n    eventTimestampColumn: ts\n"
                "    bigqueryOptions: {tableRef: 'feasttest:feast.t'}\n")
        run = lambda d, *a: subprocess.run([FEAST, *a], cwd=d, capture_output=True, text=True, timeout=120)
        p = run(tmp_path / "good", "apply")
        assert p.returncode == 0, p.stderr
        p = run(tmp_path / "good", "ingest", "t")
        assert p.returncode == 0 and "2 written" in p.stdout, p.stderr
        assert server.exchanges == ["urn:ietf:params:oauth:grant-type:jwt-bearer"] * 2  # one per process
        p = run(tmp_path / "bad", "apply")
        assert p.returncode != 0 and "Invalid JWT Signature." in p.stderr, p.stderr
    finally:
        emu.stop()
