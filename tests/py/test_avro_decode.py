"""Interop of our Avro decoder with fastavro as the independent encoder (and,
for schema resolution, as the independent reader): random records over a
schema with every supported type, raw and Confluent-framed (with a schema
registry served by a local http.server), object container blocks, and a
property test over random schemas, values and resolvable writer/reader
pairs. Our side runs through build/tools/avro_decode_tool, which writes
the decoded batch as Parquet; pyarrow reads it back and every value is
compared."""
import copy
import datetime
import http.server
import io
import json
import math
import os
import random
import struct
import subprocess
import sys
import threading

import pyarrow.parquet as pq
import pytest

try:
    import fastavro
except ImportError:  # the project installs it; a fresh machine may not have it yet
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "fastavro"], check=True)
    import fastavro

ROOT = os.environ.get("FEAST_REPO_ROOT", os.getcwd())
TOOL = os.environ.get("FEAST_AVRO_TOOL", os.path.join(ROOT, "build", "tools", "avro_decode_tool"))
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


@pytest.fixture(scope="module", autouse=True)
def tool():
    if "FEAST_AVRO_TOOL" not in os.environ:
        subprocess.run(["make", "-s", "--no-print-directory", "tools"], cwd=ROOT, check=True)
    assert os.access(TOOL, os.X_OK), TOOL


def datum(schema, value, reader=None):
    b = io.BytesIO()
    fastavro.schemaless_writer(b, fastavro.parse_schema(copy.deepcopy(schema)), value)
    return b.getvalue()


def frame(messages):
    return b"".join(struct.pack("<I", len(m)) + m for m in messages)


def run_tool(tmp_path, reader, cols, data, writer=None, mode="raw", registry=None, count=None, check=True):
    (tmp_path / "r.avsc").write_text(json.dumps(reader))
    args = [TOOL, "--reader", str(tmp_path / "r.avsc"), "--in", str(tmp_path / "in.bin"),
            "--out", str(tmp_path / "out.parquet"), "--mode", mode]
    if writer is not None:
        (tmp_path / "w.avsc").write_text(json.dumps(writer))
        args += ["--writer", str(tmp_path / "w.avsc")]
    if registry:
        args += ["--registry", registry]
    if count is not None:
        args += ["--count", str(count)]
    for path, typ in cols:
        args += ["--col", f"{path}:{typ}"]
    (tmp_path / "in.bin").write_bytes(data)
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.strip()]
    if check:
        assert p.returncode == 0, p.stderr + p.stdout
        table = pq.read_table(tmp_path / "out.parquet")
        return table, [x for x in lines if "index" in x], lines[-1], lines
    return p, lines


def column(table, name, typ):
    c = table.column(name)
    if typ.startswith("ts"):
        import pyarrow as pa
        c = c.cast(pa.int64())
    elif typ == "date32":
        import pyarrow as pa
        c = c.cast(pa.int32())
    return c.to_pylist()


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def same(got, want):
    if isinstance(want, float) and isinstance(got, float) and math.isnan(want):
        return math.isnan(got)
    return got == want


# ---- every type, raw framing ----

COLOR = {"type": "enum", "name": "Color", "symbols": ["RED", "GREEN", "BLUE"]}
EVERY = {
    "type": "record", "name": "Row", "namespace": "test.avro",
    "fields": [
        {"name": "n", "type": "null"},
        {"name": "b", "type": "boolean"},
        {"name": "i", "type": "int"},
        {"name": "l", "type": "long"},
        {"name": "f", "type": "float"},
        {"name": "d", "type": "double"},
        {"name": "by", "type": "bytes"},
        {"name": "s", "type": "string"},
        {"name": "e", "type": COLOR},
        {"name": "fx", "type": {"type": "fixed", "name": "Md5", "size": 4}},
        {"name": "al", "type": {"type": "array", "items": "long"}},
        {"name": "as", "type": {"type": "array", "items": "string"}},
        {"name": "ad", "type": ["null", {"type": "array", "items": ["null", "double"]}]},
        {"name": "ob", "type": ["null", "boolean"]},
        {"name": "oi", "type": ["int", "null"]},
        {"name": "os", "type": ["null", "string"]},
        {"name": "oe", "type": ["null", "Color"]},
        {"name": "ofx", "type": ["null", "Md5"]},
        {"name": "tm", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "tu", "type": ["null", {"type": "long", "logicalType": "timestamp-micros"}]},
        {"name": "tn", "type": {"type": "long", "logicalType": "timestamp-nanos"}},
        {"name": "dt", "type": {"type": "int", "logicalType": "date"}},
        {"name": "dts", "type": {"type": "int", "logicalType": "date"}},
        {"name": "m", "type": {"type": "map", "values": ["null", "string", {"type": "array", "items": "int"}]}},
        {"name": "loc", "type": {"type": "record", "name": "Loc", "fields": [
            {"name": "city", "type": "string"},
            {"name": "geo", "type": ["null", {"type": "record", "name": "Geo", "fields": [
                {"name": "lat", "type": "double"}, {"name": "e", "type": "Color"}]}]}]}},
        {"name": "tail", "type": "long"},
    ],
}
EVERY_COLS = [("n", "int64"), ("b", "bool"), ("i", "int32"), ("l", "int64"), ("f", "float"), ("d", "double"),
              ("by", "binary"), ("s", "string"), ("e", "string"), ("fx", "fixed:4"), ("al", "list:int64"),
              ("as", "list:string"), ("ad", "list:double"), ("ob", "bool"), ("oi", "int64"), ("os", "string"),
              ("oe", "string"), ("ofx", "binary"), ("tm", "ts"), ("tu", "ts"), ("tn", "ts"), ("dt", "date32"),
              ("dts", "ts"), ("loc.city", "string"), ("loc.geo.lat", "double"), ("loc.geo.e", "string"),
              ("tail", "int64")]


def rand_str(rng):
    alphabet = "abcxyz é€😀\u00ff\u0000"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


def rand_float(rng):
    return rng.choice([0.0, -0.0, 1.5, float("inf"), float("-inf"), float("nan"), rng.uniform(-1e30, 1e30),
                       rng.uniform(-1, 1)])


def maybe(rng, v, p=0.3):
    return None if rng.random() < p else v


def every_value(rng):
    geo = maybe(rng, {"lat": rng.uniform(-90, 90), "e": rng.choice(COLOR["symbols"])})
    return {
        "n": None, "b": rng.random() < 0.5,
        "i": rng.choice([0, -1, 2**31 - 1, -2**31, rng.randint(-2**31, 2**31 - 1)]),
        "l": rng.choice([0, -1, 2**63 - 1, -2**63, rng.randint(-2**63, 2**63 - 1)]),
        "f": rand_float(rng), "d": rand_float(rng),
        "by": bytes(rng.randrange(256) for _ in range(rng.randint(0, 9))), "s": rand_str(rng),
        "e": rng.choice(COLOR["symbols"]), "fx": bytes(rng.randrange(256) for _ in range(4)),
        "al": [rng.randint(-2**63, 2**63 - 1) for _ in range(rng.randint(0, 5))],
        "as": [rand_str(rng) for _ in range(rng.randint(0, 3))],
        "ad": maybe(rng, [maybe(rng, rng.uniform(-5, 5)) for _ in range(rng.randint(0, 4))]),
        "ob": maybe(rng, rng.random() < 0.5), "oi": maybe(rng, rng.randint(-2**31, 2**31 - 1)),
        "os": maybe(rng, rand_str(rng)), "oe": maybe(rng, rng.choice(COLOR["symbols"])),
        "ofx": maybe(rng, bytes(rng.randrange(256) for _ in range(4))),
        "tm": rng.randint(-2**42, 2**42), "tu": maybe(rng, rng.randint(-2**50, 2**50)),
        "tn": rng.randint(-2**62, 2**62), "dt": rng.randint(-100000, 100000), "dts": rng.randint(-100000, 100000),
        "m": {rand_str(rng): rng.choice([None, "v", [1, 2]]) for _ in range(rng.randint(0, 3))},
        "loc": {"city": rand_str(rng), "geo": geo}, "tail": rng.randint(-2**63, 2**63 - 1),
    }


def every_expected(v):
    geo = v["loc"]["geo"]
    return {
        "n": None, "b": v["b"], "i": v["i"], "l": v["l"], "f": f32(v["f"]), "d": v["d"], "by": v["by"], "s": v["s"],
        "e": v["e"], "fx": v["fx"], "al": v["al"], "as": v["as"], "ad": v["ad"], "ob": v["ob"], "oi": v["oi"],
        "os": v["os"], "oe": v["oe"], "ofx": v["ofx"], "tm": v["tm"] * 1000, "tu": v["tu"], "tn": v["tn"] // 1000,
        "dt": v["dt"], "dts": v["dts"] * 86400 * 10**6, "loc.city": v["loc"]["city"],
        "loc.geo.lat": geo and geo["lat"], "loc.geo.e": geo and geo["e"], "tail": v["tail"],
    }


def compare(table, cols, expected):
    assert table.num_rows == len(expected)
    for name, typ in cols:
        got = column(table, name, typ)
        for r, want in enumerate(expected):
            w = want[name]
            g = got[r]
            if isinstance(w, list):
                assert g is not None and len(g) == len(w), (name, r, g, w)
                assert all(same(a, b) for a, b in zip(g, w)), (name, r, g, w)
            else:
                assert same(g, w), (name, r, g, w)


def test_every_type_raw(tmp_path):
    rng = random.Random(10)
    values = [every_value(rng) for _ in range(1500)]
    msgs = [datum(EVERY, v) for v in values]
    # fastavro reads its own bytes back the same: the values are what the schema says
    back = fastavro.schemaless_reader(io.BytesIO(msgs[0]), fastavro.parse_schema(copy.deepcopy(EVERY)), None)
    assert back["s"] == values[0]["s"]
    table, bad, summary, _ = run_tool(tmp_path, EVERY, EVERY_COLS, frame(msgs))
    assert bad == [] and summary["rows"] == 1500
    compare(table, EVERY_COLS, [every_expected(v) for v in values])


def test_bad_messages_leave_no_partial_rows(tmp_path):
    """Good and broken messages interleaved: every truncation of a good datum
    is reported as truncated (with a path and offset), invalid UTF-8 is
    refused, and the good rows come out whole and in order."""
    rng = random.Random(11)
    values = [every_value(rng) for _ in range(300)]
    msgs, expected, bad_idx = [], [], []
    for v in values:
        m = datum(EVERY, v)
        msgs.append(m)
        expected.append(every_expected(v))
        cut = rng.randrange(len(m))
        bad_idx.append(len(msgs))
        msgs.append(m[:cut])
    # a string whose bytes are not UTF-8, placed by hand in field s
    v = every_value(rng)
    v["s"] = "MARK"
    m = datum(EVERY, v)
    pos = m.index(b"MARK")
    bad_idx.append(len(msgs))
    msgs.append(m[:pos] + b"\xff" + m[pos + 1:])
    table, bad, summary, _ = run_tool(tmp_path, EVERY, EVERY_COLS, frame(msgs))
    assert [b["index"] for b in bad] == bad_idx
    for b in bad[:-1]:
        assert "truncated" in b["message"] and b["code"] == "corrupt input", b
        assert b["path"] and f"at byte {b['offset']}" in b["message"]
    assert bad[-1]["path"] == "s" and "invalid UTF-8 in a string" in bad[-1]["message"]
    assert bad[-1]["offset"] == pos - 1  # the length byte before the string
    compare(table, EVERY_COLS, expected)


# ---- Confluent framing and a schema registry ----

READER = {"type": "record", "name": "Trip", "namespace": "feast.test", "fields": [
    {"name": "driver_id", "type": "long"},
    {"name": "rating", "type": ["null", "double"], "default": None},
    {"name": "trips", "type": "long", "aliases": ["trip_count"]},
    {"name": "city", "type": "string", "default": "unknown"},
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["CAR", "BIKE", "OTHER"], "default": "OTHER"}},
    {"name": "event_ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
]}
# version 1: an older producer: int ids, float ratings, no city, an old field name
WRITER1 = {"type": "record", "name": "Trip", "namespace": "feast.test", "fields": [
    {"name": "event_ts", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    {"name": "driver_id", "type": "int"},
    {"name": "trip_count", "type": "int"},
    {"name": "rating", "type": ["null", "float"]},
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["BIKE", "CAR"]}},
]}
# version 2: a newer producer: an extra field, reordered, a new enum symbol
WRITER2 = {"type": "record", "name": "Trip", "namespace": "feast.test", "fields": [
    {"name": "kind", "type": {"type": "enum", "name": "Kind", "symbols": ["CAR", "TRUCK", "BIKE"]}},
    {"name": "extra", "type": {"type": "array", "items": {"type": "map", "values": "string"}}},
    {"name": "city", "type": "string"},
    {"name": "trips", "type": "long"},
    {"name": "driver_id", "type": "long"},
    {"name": "rating", "type": ["double", "null"]},
    {"name": "event_ts", "type": {"type": "long", "logicalType": "timestamp-micros"}},
]}
TRIP_COLS = [("driver_id", "int64"), ("rating", "double"), ("trips", "int64"), ("city", "string"),
             ("kind", "string"), ("event_ts", "ts")]


class Registry:
    """A schema registry on 127.0.0.1 at a free port: /schemas/ids/N."""

    def __init__(self, schemas):
        self.schemas = schemas
        self.hits = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                outer.hits.append(self.path)
                prefix = "/schemas/ids/"
                sid = self.path[len(prefix):] if self.path.startswith(prefix) else ""
                if sid.isdigit() and int(sid) in outer.schemas:
                    body = json.dumps({"schema": json.dumps(outer.schemas[int(sid)])}).encode()
                    self.send_response(200)
                else:
                    body = b'{"error_code":40403,"message":"Schema not found"}'
                    self.send_response(404)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def confluent(sid, schema, value):
    return b"\x00" + struct.pack(">I", sid) + datum(schema, value)


def test_confluent_with_registry(tmp_path):
    rng = random.Random(12)
    reg = Registry({1: WRITER1, 2: WRITER2})
    try:
        msgs, expected, bad_idx = [], [], {}
        for k in range(600):
            which = rng.choice([1, 2, 2, "unknown", "magic", "short"])
            if which == 1:
                v = {"event_ts": rng.randint(-2**40, 2**40), "driver_id": rng.randint(-2**31, 2**31 - 1),
                     "trip_count": rng.randint(0, 1000), "rating": maybe(rng, rng.uniform(0, 5)),
                     "kind": rng.choice(["BIKE", "CAR"])}
                msgs.append(confluent(1, WRITER1, v))
                expected.append({"driver_id": v["driver_id"], "rating": None if v["rating"] is None else f32(v["rating"]),
                                 "trips": v["trip_count"], "city": "unknown", "kind": v["kind"],
                                 "event_ts": v["event_ts"] * 1000})
            elif which == 2:
                v = {"kind": rng.choice(["CAR", "TRUCK", "BIKE"]), "extra": [{"a": "b"}] * rng.randint(0, 2),
                     "city": rand_str(rng), "trips": rng.randint(-2**63, 2**63 - 1),
                     "driver_id": rng.randint(-2**63, 2**63 - 1), "rating": maybe(rng, rng.uniform(0, 5)),
                     "event_ts": rng.randint(-2**50, 2**50)}
                msgs.append(confluent(2, WRITER2, v))
                expected.append({"driver_id": v["driver_id"], "rating": v["rating"], "trips": v["trips"],
                                 "city": v["city"], "kind": "OTHER" if v["kind"] == "TRUCK" else v["kind"],
                                 "event_ts": v["event_ts"]})
            elif which == "unknown":
                bad_idx[len(msgs)] = "schema id 99"
                msgs.append(b"\x00\x00\x00\x00\x63" + b"\x02")
            elif which == "magic":
                bad_idx[len(msgs)] = "magic byte 0x01"
                msgs.append(b"\x01" + confluent(1, WRITER1, {"event_ts": 0, "driver_id": 0, "trip_count": 0,
                                                            "rating": None, "kind": "CAR"})[1:])
            else:
                bad_idx[len(msgs)] = "shorter than the 5-byte Confluent header"
                msgs.append(b"\x00\x00\x01")
        table, bad, summary, _ = run_tool(tmp_path, READER, TRIP_COLS, frame(msgs), mode="confluent", registry=reg.url)
        assert {b["index"]: b["message"] for b in bad}.keys() == bad_idx.keys()
        for b in bad:
            assert bad_idx[b["index"]] in b["message"], b
            if "99" in bad_idx[b["index"]]:
                assert f"GET {reg.url}/schemas/ids/99: HTTP 404" in b["message"] and b["code"] == "not found"
        compare(table, TRIP_COLS, expected)
        # each id once, however many messages carried it
        assert sorted(reg.hits) == ["/schemas/ids/1", "/schemas/ids/2", "/schemas/ids/99"]
        assert summary["registry_requests"] == 3
        # fastavro, reading with the same writer/reader pairs, agrees on a sample
        for m, want in list(zip([m for i, m in enumerate(msgs) if i not in bad_idx], expected))[:50]:
            sid = struct.unpack(">I", m[1:5])[0]
            got = fastavro.schemaless_reader(io.BytesIO(m[5:]), fastavro.parse_schema(copy.deepcopy({1: WRITER1, 2: WRITER2}[sid])),
                                             fastavro.parse_schema(copy.deepcopy(READER)))
            assert got["driver_id"] == want["driver_id"] and got["trips"] == want["trips"] and got["kind"] == want["kind"]
    finally:
        reg.close()


def test_registry_down_fails_the_call(tmp_path):
    reg = Registry({})
    url = reg.url
    reg.close()  # nothing listens there any more
    msgs = [confluent(7, WRITER1, {"event_ts": 0, "driver_id": 0, "trip_count": 0, "rating": None, "kind": "CAR"})]
    p, lines = run_tool(tmp_path, READER, TRIP_COLS, frame(msgs), mode="confluent", registry=url, check=False)
    assert p.returncode == 1
    assert f"schema id 7: schema id 7: GET {url}/schemas/ids/7" in p.stderr or f"GET {url}/schemas/ids/7" in p.stderr
    assert "Could not connect" in p.stderr or "Couldn't connect" in p.stderr or "connect" in p.stderr.lower()


# ---- object container blocks (BigQuery Storage Read API's AVRO rows are such blocks) ----

def read_long(b, i):
    shift = result = 0
    while True:
        c = b[i]
        i += 1
        result |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return (result >> 1) ^ -(result & 1), i


def container_blocks(data):
    """(count, bytes) of each block of an uncompressed object container file."""
    assert data[:4] == b"Obj\x01"
    i = 4
    while True:  # the metadata map
        n, i = read_long(data, i)
        if n == 0:
            break
        if n < 0:
            n = -n
            _, i = read_long(data, i)
        for _ in range(n):
            for _ in range(2):
                ln, i = read_long(data, i)
                i += ln
    sync = data[i:i + 16]
    i += 16
    while i < len(data):
        count, i = read_long(data, i)
        size, i = read_long(data, i)
        yield count, data[i:i + size]
        i += size
        assert data[i:i + 16] == sync
        i += 16


def test_container_block(tmp_path):
    rng = random.Random(13)
    values = [every_value(rng) for _ in range(700)]
    out = io.BytesIO()
    fastavro.writer(out, fastavro.parse_schema(copy.deepcopy(EVERY)), values, codec="null", sync_interval=100000)
    blocks = list(container_blocks(out.getvalue()))
    assert len(blocks) >= 1
    count, block = blocks[0]
    table, bad, summary, _ = run_tool(tmp_path, EVERY, EVERY_COLS, block, mode="block", count=count)
    assert summary["rows"] == count
    compare(table, EVERY_COLS, [every_expected(v) for v in values[:count]])
    # a broken datum in the middle: the datums before it are kept, the call says which one
    cut = len(block) // 2
    broken = block[:cut] + b"\xff" * 11 + block[cut + 11:]
    p, lines = run_tool(tmp_path, EVERY, EVERY_COLS, broken, mode="block", count=count, check=False)
    assert p.returncode == 0
    err = [x for x in lines if "block_error" in x][0]
    assert "Avro block: datum" in err["block_error"] and err["rows"] < count


# ---- property test: random schemas, values and resolvable writer/reader pairs ----

PRIMS = ["boolean", "int", "long", "float", "double", "string", "bytes"]


class Gen:
    def __init__(self, rng):
        self.rng = rng
        self.n = 0

    def name(self, p):
        self.n += 1
        return f"{p}{self.n}"

    def leaf(self, depth):
        """A reader type for a column, with its column type."""
        r = self.rng
        k = r.choice(PRIMS + ["enum", "fixed", "array", "ts", "date", "record"] if depth < 2 else PRIMS + ["enum", "array"])
        if k == "record":
            return {"type": "record", "name": self.name("R"), "fields": [self.field(depth + 1) for _ in range(r.randint(1, 3))]}, None
        if k == "enum":
            syms = [f"S{i}" for i in range(r.randint(1, 5))]
            t = {"type": "enum", "name": self.name("E"), "symbols": syms}
            if r.random() < 0.5:
                t["default"] = syms[0]
            return t, "string"
        if k == "fixed":
            n = r.randint(0, 6)
            # Parquet has no 0-byte FIXED_LEN_BYTE_ARRAY: fixed(0) goes to binary
            return {"type": "fixed", "name": self.name("F"), "size": n}, r.choice([f"fixed:{n}" if n else "binary", "binary"])
        if k == "array":
            it = r.choice(PRIMS)
            return {"type": "array", "items": it}, "list:" + self.col_of(it)
        if k == "ts":
            lt = r.choice(["timestamp-millis", "timestamp-micros", "timestamp-nanos"])
            return {"type": "long", "logicalType": lt}, "ts"
        if k == "date":
            return {"type": "int", "logicalType": "date"}, r.choice(["date32", "ts"])
        return k, self.col_of(k)

    def col_of(self, prim):
        r = self.rng
        return {"boolean": "bool", "int": r.choice(["int32", "int64"]), "long": "int64",
                "float": r.choice(["float", "double"]), "double": "double", "string": "string",
                "bytes": "binary"}[prim]

    def field(self, depth):
        t, col = self.leaf(depth)
        f = {"name": self.name("f"), "type": t}
        if self.rng.random() < 0.3:
            f["type"] = ["null", t] if self.rng.random() < 0.7 else [t, "null"]
        if self.rng.random() < 0.4:
            d = self.default_for(f["type"])
            if d is not ...:
                f["default"] = d
        f["_col"] = col
        return f

    def default_for(self, t):
        r = self.rng
        if isinstance(t, list):
            return None if t[0] == "null" else self.default_for(t[0])
        if isinstance(t, dict):
            k = t["type"]
            if k == "enum":
                return r.choice(t["symbols"])
            if k == "fixed":
                return "\u00ab" * t["size"]
            if k == "array":
                return [self.default_for(t["items"]) for _ in range(r.randint(0, 2))]
            if k == "record":
                d = {}
                for f in t["fields"]:
                    v = self.default_for(f["type"])
                    if v is ...:
                        return ...
                    d[f["name"]] = v
                return d
            t = t["type"]
        return {"boolean": True, "int": -3, "long": 2**40, "float": 0.5, "double": -1.25, "string": "dflt",
                "bytes": "\u00ff\u0001"}[t]

    def value(self, t):
        r = self.rng
        if isinstance(t, list):
            b = r.choice(t)
            return None if b == "null" else self.value(b)
        if isinstance(t, dict):
            k = t["type"]
            if k == "record":
                return {f["name"]: self.value(f["type"]) for f in t["fields"]}
            if k == "enum":
                return r.choice(t["symbols"])
            if k == "fixed":
                return bytes(r.randrange(256) for _ in range(t["size"]))
            if k == "array":
                return [self.value(t["items"]) for _ in range(r.randint(0, 4))]
            if k == "map":
                return {rand_str(r): self.value(t["values"]) for _ in range(r.randint(0, 2))}
            if t.get("_utf8"):
                return rand_str(r).encode()
            if t.get("logicalType", "").startswith("timestamp"):
                return r.randint(-2**42, 2**42)
            if t.get("logicalType") == "date":
                return r.randint(-700000, 700000)
        else:
            k = t
        if k == "boolean":
            return r.random() < 0.5
        if k == "int":
            return r.randint(-2**31, 2**31 - 1)
        if k == "long":
            return r.randint(-2**53, 2**53)  # exact as doubles, so promotions round once
        if k in ("float", "double"):
            return r.choice([r.uniform(-1e6, 1e6), 0.0, float("inf")])
        if k == "string":
            return rand_str(r)
        if k == "bytes":
            return bytes(r.randrange(256) for _ in range(r.randint(0, 6)))
        if k == "null":
            return None
        raise AssertionError(k)


def strip(t):
    """The schema without our _col annotations."""
    if isinstance(t, list):
        return [strip(x) for x in t]
    if isinstance(t, dict):
        t = {k: strip(v) for k, v in t.items() if not k.startswith("_")}
        if "fields" in t:
            t["fields"] = [strip(f) for f in t["fields"]]
    return t


PROMOTE = {"long": ["int"], "float": ["int", "long"], "double": ["int", "long", "float"], "bytes": ["string"],
           "string": ["bytes"]}


def writer_of(g, reader):
    """A writer schema the reader resolves: promotions, removed fields (with
    defaults), extra fields, reordering, enum symbols dropped or added."""
    r = g.rng
    w = copy.deepcopy(reader)
    fields = []
    for f in w["fields"]:
        if "default" in f and r.random() < 0.25:
            continue  # removed: the reader fills the default
        fields.append(f)
        f.pop("default", None)
        t = f["type"]
        branch = t[0] if isinstance(t, list) and t[0] != "null" else (t[1] if isinstance(t, list) else t)
        new = branch
        if isinstance(branch, str) and branch in PROMOTE and r.random() < 0.5:
            new = r.choice(PROMOTE[branch])
            if branch == "string" and new == "bytes":
                new = {"type": "bytes", "_utf8": True}  # its values must be UTF-8 for the reader
        elif isinstance(branch, dict) and branch["type"] == "enum" and "default" in branch and r.random() < 0.5:
            new = dict(branch, symbols=branch["symbols"][::-1] + ["EXTRA"])
            new.pop("default")
        elif isinstance(branch, dict) and branch["type"] == "record":
            new = writer_of(g, branch)
        if isinstance(t, list):
            if r.random() < 0.3:
                f["type"] = new  # writer not a union, reader [null, T]
            else:
                f["type"] = [x if x == "null" else new for x in t][::r.choice([1, -1])]
        else:
            f["type"] = new
    for _ in range(r.randint(0, 2)):
        extra, _ = g.leaf(1)
        fields.append({"name": g.name("x"), "type": r.choice([extra, {"type": "map", "values": "long"},
                                                              ["null", "string", {"type": "array", "items": "double"}]])})
    r.shuffle(fields)
    w["fields"] = fields
    return w


def columns_of(reader, prefix=""):
    out = []
    for f in reader["fields"]:
        t = f["type"]
        inner = [x for x in t if x != "null"][0] if isinstance(t, list) else t
        if isinstance(inner, dict) and inner["type"] == "record":
            out += columns_of(inner, prefix + f["name"] + ".")
        elif f.get("_col"):
            out.append((prefix + f["name"], f["_col"], inner))
    return out


def expect(value, typ, rtype):
    """fastavro's reader-view value -> what our column holds."""
    if value is None:
        return None
    if isinstance(value, list):
        et = typ[5:]
        return [expect(x, et, rtype["items"] if isinstance(rtype, dict) else None) for x in value]
    if isinstance(value, datetime.datetime):
        us = (value - EPOCH) // datetime.timedelta(microseconds=1)
        return us
    if isinstance(value, datetime.date):
        days = (value - datetime.date(1970, 1, 1)).days
        return days if typ == "date32" else days * 86400 * 10**6
    # fastavro hands out a default as written, without its logical type; the
    # specification (and we) read it in the logical type's unit
    if isinstance(rtype, dict) and rtype.get("logicalType") == "timestamp-millis":
        return value * 1000
    if isinstance(rtype, dict) and rtype.get("logicalType") == "timestamp-nanos":
        return value // 1000
    if isinstance(rtype, dict) and rtype.get("logicalType") == "date" and typ == "ts":
        return value * 86400 * 10**6
    if typ == "float":
        return f32(value)
    if typ == "double" and isinstance(rtype, str) and rtype == "float":
        return f32(value)
    if typ == "double" and isinstance(value, int):
        return float(value)
    if isinstance(value, str) and (typ == "binary" or typ.startswith("fixed")):
        return value.encode("latin-1")  # a bytes/fixed default: one code point per byte
    if isinstance(value, bytes) and typ == "string":
        return value.decode()
    return value


def lookup(rec, path):
    for part in path.split("."):
        if rec is None:
            return None
        rec = rec[part]
    return rec


@pytest.mark.parametrize("seed", range(120))
def test_property_random_schemas(tmp_path, seed):
    rng = random.Random(1000 + seed)
    g = Gen(rng)
    reader = {"type": "record", "name": "Top", "fields": [g.field(0) for _ in range(rng.randint(1, 7))]}
    cols = columns_of(reader)
    if not cols:
        return
    same_schema = rng.random() < 0.3
    writer = reader if same_schema else writer_of(g, reader)
    rs, ws = strip(reader), strip(writer)
    values = [g.value(writer) for _ in range(60)]
    msgs = [datum(ws, v) for v in values]
    table, bad, summary, _ = run_tool(tmp_path, rs, [(p, t) for p, t, _ in cols], frame(msgs),
                                      writer=None if same_schema else ws)
    wp, rp = fastavro.parse_schema(copy.deepcopy(ws)), fastavro.parse_schema(copy.deepcopy(rs))
    views = [fastavro.schemaless_reader(io.BytesIO(m), wp, rp) for m in msgs]
    assert bad == [], (bad[:3], json.dumps(ws), json.dumps(rs))
    assert table.num_rows == len(values)
    for path, typ, rtype in cols:
        got = column(table, path, typ)
        for r, view in enumerate(views):
            want = expect(lookup(view, path), typ, rtype)
            g_ = got[r]
            ok = (len(g_) == len(want) and all(same(a, b) for a, b in zip(g_, want))) if isinstance(want, list) else same(g_, want)
            assert ok, (path, typ, r, g_, want, json.dumps(ws), json.dumps(rs))
