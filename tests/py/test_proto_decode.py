"""The protobuf stream decoder against the Python protobuf library.

Messages are written by Python protobuf (upb) from protoc-generated code
(`protoc --python_out`), decoded by ours through tests/tools/proto_decode_tool
(built by the Makefile like the unit tests), written as Parquet by our writer,
read back with pyarrow and compared value by value with what Python put in.
What "what Python put in" means for a column (defaults, nulls, enum names,
timestamps to the microsecond) is worked out here from the descriptors by
reflection, independently of the C code; docs/protobuf.md states the rules.

- test_every_type: tests/data/proto_decode_all.proto / proto_decode_p2.proto
  (every supported type, proto2 presence, groups, a map that is skipped),
  random values, plus messages of a newer schema (unknown fields), merged
  concatenations, and truncated messages (rejected exactly when Python's
  parser rejects them).
- test_random_schemas: random .proto files (nesting, repeated packed and not,
  wrappers, enums, optional, oneofs) compiled with protoc at test time.
"""
import importlib.util
import math
import os
import random
import struct
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

try:
    from google.protobuf import message as pb_message
except ImportError as e:  # a missing peer is a failure, never a skip
    raise ImportError("the Python protobuf library is needed: python3 -m pip install protobuf "
                      "(scripts/install-deps.sh lists it)") from e

ROOT = os.environ.get("FEAST_REPO_ROOT", os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..")))
DATA = os.path.join(ROOT, "tests", "data")
TS_MIN, TS_MAX = -62135596800, 253402300799
WRAPPERS = {"google.protobuf.%s" % n for n in ("DoubleValue", "FloatValue", "Int64Value", "UInt64Value", "Int32Value",
                                               "UInt32Value", "BoolValue", "StringValue", "BytesValue")}
FD = pb_message.Message  # for isinstance checks below


@pytest.fixture(scope="module")
def tool():
    path = os.path.join(os.environ.get("FEAST_TOOLS_DIR", os.path.join(ROOT, "build", "tools")), "proto_decode_tool")
    if not os.path.exists(path):
        subprocess.run(["make", "-s", "-C", ROOT, "build/tools/proto_decode_tool"], check=True)
    return path


def compile_protos(tmp, proto_dir, files, tag):
    """protoc --python_out and --descriptor_set_out; returns (descriptor path, modules)."""
    out = os.path.join(tmp, "py_" + tag)
    os.makedirs(out, exist_ok=True)
    desc = os.path.join(tmp, tag + ".pb")
    subprocess.run(["protoc", "-I" + proto_dir, "-I/usr/include", "--python_out=" + out, "--include_imports",
                    "--descriptor_set_out=" + desc] + [os.path.join(proto_dir, f) for f in files], check=True)
    mods = []
    for f in files:
        name = f[:-len(".proto")] + "_pb2"
        spec = importlib.util.spec_from_file_location(name, os.path.join(out, name + ".py"))
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod  # generated code of one file imports the other by this name
        spec.loader.exec_module(mod)
        mods.append(mod)
    return desc, mods


# ---- random values, by reflection ----

def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def rand_int(rnd, bits, signed):
    lo, hi = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    r = rnd.random()
    if r < 0.15:
        return rnd.choice([lo, hi, 0, 1, -1 if signed else 2])
    if r < 0.6:
        return max(lo, min(hi, rnd.randint(-300, 300) if signed else rnd.randint(0, 300)))
    return rnd.randint(lo, hi)


def rand_text(rnd):
    pool = "abcxyz 09_-" + "éøß" + "日本語" + "\U0001F600" + "\u0000"
    return "".join(rnd.choice(pool) for _ in range(rnd.randint(0, 12)))


def rand_scalar(rnd, fd):
    t = fd.type
    if t in (fd.TYPE_INT32, fd.TYPE_SINT32, fd.TYPE_SFIXED32):
        return rand_int(rnd, 32, True)
    if t in (fd.TYPE_INT64, fd.TYPE_SINT64, fd.TYPE_SFIXED64):
        return rand_int(rnd, 64, True)
    if t in (fd.TYPE_UINT32, fd.TYPE_FIXED32):
        return rand_int(rnd, 32, False)
    if t in (fd.TYPE_UINT64, fd.TYPE_FIXED64):
        return rand_int(rnd, 64, False)
    if t == fd.TYPE_FLOAT:
        return f32(rnd.choice([0.0, -0.0, 1.5, -2.25, rnd.uniform(-1e6, 1e6), rnd.uniform(-1e-3, 1e-3), 3.4e38]))
    if t == fd.TYPE_DOUBLE:
        return rnd.choice([0.0, -0.0, 1e308, -5e-324, rnd.uniform(-1e12, 1e12), rnd.random()])
    if t == fd.TYPE_BOOL:
        return rnd.random() < 0.5
    if t == fd.TYPE_STRING:
        return rand_text(rnd)
    if t == fd.TYPE_BYTES:
        return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 10)))
    if t == fd.TYPE_ENUM:
        numbers = [v.number for v in fd.enum_type.values]
        open_enum = not fd.enum_type.is_closed if hasattr(fd.enum_type, "is_closed") else fd.file.syntax == "proto3"
        if open_enum and rnd.random() < 0.1:
            return rnd.choice([77, -5, 1000])
        return rnd.choice(numbers)
    raise AssertionError("no random value for type %d" % t)


def is_map(fd):
    return fd.message_type is not None and fd.message_type.GetOptions().map_entry


def fill(rnd, m, depth=0, p_set=0.7):
    """Random values in m: some fields unset, oneofs with one member (or none)."""
    desc = m.DESCRIPTOR
    chosen = {}
    for oo in desc.oneofs:
        if len(oo.fields) > 1:
            chosen[oo.name] = rnd.choice(list(oo.fields) + [None])
    for fd in desc.fields:
        oo = fd.containing_oneof
        if oo is not None and len(oo.fields) > 1:
            if chosen[oo.name] is not fd:
                continue
        elif rnd.random() > p_set:
            continue
        if is_map(fd):
            mp = getattr(m, fd.name)
            for _ in range(rnd.randint(0, 3)):
                mp[rand_text(rnd)] = rand_int(rnd, 32, True)
            continue
        if fd.is_repeated:
            seq = getattr(m, fd.name)
            for _ in range(rnd.randint(0, 4)):
                if fd.message_type is not None:
                    fill_message_value(rnd, seq.add(), depth)
                else:
                    seq.append(rand_scalar(rnd, fd))
        elif fd.message_type is not None:
            sub = getattr(m, fd.name)
            sub.SetInParent()
            fill_message_value(rnd, sub, depth)
        else:
            setattr(m, fd.name, rand_scalar(rnd, fd))


def fill_message_value(rnd, sub, depth):
    name = sub.DESCRIPTOR.full_name
    if name == "google.protobuf.Timestamp":
        if rnd.random() < 0.8:
            sub.seconds = rnd.choice([TS_MIN, TS_MAX, 0, -1, rnd.randint(TS_MIN, TS_MAX)])
            sub.nanos = rnd.choice([0, 999999999, 1000, 999, rnd.randint(0, 999999999)])
    elif name in WRAPPERS:
        if rnd.random() < 0.8:
            sub.value = rand_scalar(rnd, sub.DESCRIPTOR.fields_by_name["value"])
    elif depth < 4:
        fill(rnd, sub, depth + 1)


# ---- what a column must hold, from the descriptors ----

def value_of(fd, v, want):
    """One value as our column holds it."""
    if fd.message_type is not None:
        name = fd.message_type.full_name
        if name == "google.protobuf.Timestamp":
            return v.seconds * 1000000 + v.nanos // 1000
        assert name in WRAPPERS
        v = v.value
        fd = fd.message_type.fields_by_name["value"]
    if fd.type == fd.TYPE_ENUM:
        ev = fd.enum_type.values_by_number.get(v)
        return ev.name if ev is not None else str(v)
    if want == "UNIX_TIMESTAMP":  # an int64 of seconds
        return v * 1000000
    return v


def expected(m, path, want=None):
    """(value, present) for a dotted path: None under an absent message or
    for an unset field with presence; the default for an unset proto3 field."""
    parts = path.split(".")
    for p in parts[:-1]:
        if not m.HasField(p):
            return None, False
        m = getattr(m, p)
    fd = m.DESCRIPTOR.fields_by_name[parts[-1]]
    set_fields = [f for f, _ in m.ListFields()]
    present = fd in set_fields
    elem = want[:-len("_LIST")] if want and want.endswith("_LIST") else want
    if fd.is_repeated:
        return [value_of(fd, v, elem) for v in getattr(m, fd.name)], present
    if fd.has_presence and not m.HasField(fd.name):
        return None, False
    return value_of(fd, getattr(m, fd.name), elem), present


def leaf_paths(desc, prefix="", depth=0):
    """Every column path a plan can take, with no Feast type."""
    out = []
    for fd in desc.fields:
        if is_map(fd) or fd.type == fd.TYPE_GROUP:
            continue
        mt = fd.message_type
        if mt is not None and mt.full_name != "google.protobuf.Timestamp" and mt.full_name not in WRAPPERS:
            if not fd.is_repeated and depth < 4:
                out += leaf_paths(mt, prefix + fd.name + ".", depth + 1)
            continue
        out.append(prefix + fd.name)
    return out


# ---- running ours ----

def write_messages(path, blobs):
    with open(path, "wb") as f:
        for b in blobs:
            f.write(struct.pack("<I", len(b)))
            f.write(b)


def run_tool(tool, tmp, desc, class_path, cols, blobs, tag, per_call=None):
    msgs = os.path.join(tmp, tag + ".bin")
    out = os.path.join(tmp, tag + ".parquet")
    rej = os.path.join(tmp, tag + ".rejects.jsonl")
    write_messages(msgs, blobs)
    spec = ",".join("%s:%s" % (p, t or "-") for p, t in cols)
    args = [tool, desc, class_path, spec, msgs, out, rej]
    if per_call:
        args += ["--per-call", str(per_call)]
    r = subprocess.run(args, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    import json
    rejects = [json.loads(line) for line in open(rej)]
    return pq.read_table(out), rejects


def column_values(table, name):
    import pyarrow as pa
    col = table.column(name)
    t = col.type
    if pa.types.is_timestamp(t):
        col = col.cast(pa.int64())
    elif pa.types.is_list(t) and pa.types.is_timestamp(t.value_type):
        col = col.cast(pa.list_(pa.int64()))
    return col.to_pylist()


def same(a, b):
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, int) and isinstance(b, int) and not isinstance(a, bool):
        return a % (1 << 64) == b % (1 << 64)  # uint64 columns come back through Parquet INT64
    return a == b


def compare(table, msgs, cols, context):
    assert table.num_rows == len(msgs), context
    checked = 0
    for path, want in cols:
        got = column_values(table, path)
        got_present = table.column("__present__." + path).to_pylist()
        for i, m in enumerate(msgs):
            exp, present = expected(m, path, want)
            assert same(got[i], exp), "%s: row %d column %s: ours %r, Python %r" % (context, i, path, got[i], exp)
            assert got_present[i] == present, "%s: row %d column %s: present %r, Python %r" % (
                context, i, path, got_present[i], present)
            checked += 1
    return checked


# ---- the tests ----

def test_every_type(tool, tmp_path):
    tmp = str(tmp_path)
    desc, (all_pb, p2_pb) = compile_protos(tmp, DATA, ["proto_decode_all.proto", "proto_decode_p2.proto"], "all")
    rnd = random.Random(int(os.environ.get("PROTO_TEST_SEED", "10")))
    msgs = []
    for i in range(400):
        m = all_pb.All()
        fill(rnd, m)
        msgs.append(m)
    msgs.append(all_pb.All())  # every field unset
    blobs = [m.SerializeToString() for m in msgs]
    cols = [(p, None) for p in leaf_paths(all_pb.All.DESCRIPTOR)]
    assert len(cols) > 50
    table, rejects = run_tool(tool, tmp, desc, "feast.dec.All", cols, blobs, "natural", per_call=37)
    assert rejects == []
    assert compare(table, msgs, cols, "All, own types") > 20000

    # Feast types: widenings and enums as STRING, timestamps to the microsecond
    typed = [("u32", "INT64"), ("f32", "INT64"), ("color", "STRING"), ("rcolor", "STRING_LIST"),
             ("ts", "UNIX_TIMESTAMP"), ("rts", "UNIX_TIMESTAMP_LIST"), ("i64", "INT64"), ("w_i32", "INT32"),
             ("rdb", "DOUBLE_LIST"), ("rw_s", "STRING_LIST"), ("inner.deep.level", "INT32")]
    for m in msgs:
        m.created_s = rnd.randint(TS_MIN, TS_MAX)
    typed.append(("created_s", "UNIX_TIMESTAMP"))
    blobs = [m.SerializeToString() for m in msgs]
    table, rejects = run_tool(tool, tmp, desc, "feast.dec.All", typed, blobs, "typed")
    assert rejects == []
    assert str(table.schema.field("ts").type) == "timestamp[us, tz=UTC]"
    compare(table, msgs, typed, "All, Feast types")

    # a newer writer's fields are unknown to All and skipped
    v2 = []
    for i in range(50):
        m = all_pb.AllV2()
        fill(rnd, m, p_set=0.9)
        v2.append(m)
    as_all = [all_pb.All.FromString(m.SerializeToString()) for m in v2]
    table, rejects = run_tool(tool, tmp, desc, "feast.dec.All", [("i64", None), ("s", None)],
                              [m.SerializeToString() for m in v2], "v2")
    assert rejects == []
    compare(table, as_all, [("i64", None), ("s", None)], "AllV2 read as All")

    # concatenated messages merge as protobuf defines (last scalar wins,
    # messages merge, lists append), checked against Python's MergeFromString
    merged, cat = [], []
    for i in range(100):
        a, b = rnd.choice(msgs), rnd.choice(msgs)
        blob = a.SerializeToString() + b.SerializeToString()
        m = all_pb.All()
        m.MergeFromString(blob)
        merged.append(m)
        cat.append(blob)
    table, rejects = run_tool(tool, tmp, desc, "feast.dec.All", cols, cat, "merged")
    assert rejects == []
    compare(table, merged, cols, "merged concatenations")

    # truncated messages: rejected exactly when Python's parser rejects them;
    # the good ones still decode, in order
    cut, kept, bad_expected = [], [], []
    for i, m in enumerate(msgs[:200]):
        blob = m.SerializeToString()
        if len(blob) > 2:
            blob = blob[:rnd.randrange(1, len(blob))]
        try:
            kept.append(all_pb.All.FromString(blob))
        except pb_message.DecodeError:
            bad_expected.append(i)
        cut.append(blob)
    table, rejects = run_tool(tool, tmp, desc, "feast.dec.All", cols, cut, "cut")
    assert [r["index"] for r in rejects] == bad_expected
    assert len(bad_expected) > 50
    for r in rejects:
        assert " at byte %d: " % r["offset"] in r["reason"], r
        assert r["code"] in ("corrupt input", "invalid argument"), r
    compare(table, kept, cols, "truncated messages that still parse")

    # proto2: explicit presence everywhere, groups skipped, closed enums
    p2 = []
    for i in range(200):
        m = p2_pb.P2()
        fill(rnd, m, p_set=0.5)
        p2.append(m)
    p2_cols = [(p, None) for p in ("a", "s", "r", "e", "ri", "rp", "after")]
    table, rejects = run_tool(tool, tmp, desc, "feast.dec2.P2", p2_cols, [m.SerializePartialToString() for m in p2], "p2")
    assert rejects == []
    compare(table, p2, p2_cols, "proto2")


def test_plan_refuses_maps(tool, tmp_path):
    tmp = str(tmp_path)
    desc, _ = compile_protos(tmp, DATA, ["proto_decode_all.proto"], "maps")
    msgs = os.path.join(tmp, "none.bin")
    write_messages(msgs, [])
    r = subprocess.run([tool, desc, "feast.dec.All", "counts:-", msgs, os.path.join(tmp, "o.parquet"),
                        os.path.join(tmp, "r.jsonl")], capture_output=True, text=True)
    assert r.returncode == 3
    assert "field 'counts' of feast.dec.All is a map; map fields are not supported" in r.stdout


# ---- random schemas ----

SCALARS = ["int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "sfixed32", "sfixed64",
           "float", "double", "bool", "string", "bytes"]
NUMERIC = set(SCALARS) - {"string", "bytes"}
WRAPPER_TYPES = ["google.protobuf.%s" % n for n in ("DoubleValue", "FloatValue", "Int64Value", "UInt64Value",
                                                    "Int32Value", "UInt32Value", "BoolValue", "StringValue",
                                                    "BytesValue")]


def random_proto(rnd, pkg):
    """A random proto3 file: messages M0 (the top) .. Mk, each field of a
    random kind; Mi refers only to Mj with j > i, so nesting is finite."""
    n_msgs = rnd.randint(1, 4)
    n_enums = rnd.randint(0, 2)
    lines = ['syntax = "proto3";', "package %s;" % pkg, 'import "google/protobuf/timestamp.proto";',
             'import "google/protobuf/wrappers.proto";']
    for e in range(n_enums):
        vals = ["E%d_ZERO = 0;" % e] + ["E%d_V%d = %d;" % (e, k, n) for k, n in
                                        enumerate(rnd.sample([1, 2, 3, 7, 100, -1, -40, 5000], rnd.randint(1, 4)))]
        lines.append("enum E%d { %s }" % (e, " ".join(vals)))
    for i in range(n_msgs):
        numbers = rnd.sample(list(range(1, 40)) + list(range(2040, 2060)) + [5000, 100000, 536870911],
                             rnd.randint(2, 12))
        body, oneof = [], []
        for k, num in enumerate(numbers):
            kinds = ["scalar"] * 6 + ["wrapper", "timestamp"] + (["enum"] if n_enums else []) + \
                    (["message"] * 2 if i + 1 < n_msgs else [])
            kind = rnd.choice(kinds)
            if kind == "scalar":
                t = rnd.choice(SCALARS)
            elif kind == "wrapper":
                t = rnd.choice(WRAPPER_TYPES)
            elif kind == "timestamp":
                t = "google.protobuf.Timestamp"
            elif kind == "enum":
                t = "E%d" % rnd.randrange(n_enums)
            else:
                t = "M%d" % rnd.randint(i + 1, n_msgs - 1)
            name = "f%d" % k
            r = rnd.random()
            if r < 0.3:
                opt = " [packed = false]" if t in NUMERIC and rnd.random() < 0.5 else ""
                body.append("repeated %s %s = %d%s;" % (t, name, num, opt))
            elif r < 0.45 and kind in ("scalar", "enum"):
                body.append("optional %s %s = %d;" % (t, name, num))
            elif r < 0.6:
                oneof.append("%s %s = %d;" % (t, name, num))
            else:
                body.append("%s %s = %d;" % (t, name, num))
        if oneof:
            body.append("oneof choice { %s }" % " ".join(oneof))
        lines.append("message M%d { %s }" % (i, " ".join(body)))
    return "\n".join(lines) + "\n"


def test_random_schemas(tool, tmp_path):
    seed = int(os.environ.get("PROTO_TEST_SEED", "10"))
    rnd = random.Random(seed)
    total = 0
    for s in range(int(os.environ.get("PROTO_TEST_SCHEMAS", "14"))):
        tmp = str(tmp_path / ("s%d" % s))
        os.makedirs(tmp)
        pkg = "rnd%d_%d" % (seed, s)
        src = random_proto(rnd, pkg)
        fname = pkg + ".proto"
        with open(os.path.join(tmp, fname), "w") as f:
            f.write(src)
        desc, (mod,) = compile_protos(tmp, tmp, [fname], pkg)
        top = mod.M0
        paths = leaf_paths(top.DESCRIPTOR)
        if not paths:
            continue
        cols = [(p, None) for p in rnd.sample(paths, rnd.randint(1, len(paths)))]
        msgs = []
        for i in range(60):
            m = top()
            fill(rnd, m, p_set=rnd.choice([0.3, 0.7, 1.0]))
            msgs.append(m)
        blobs = [m.SerializeToString() for m in msgs]
        for i in range(20):  # and merges
            a, b = rnd.choice(blobs[:60]), rnd.choice(blobs[:60])
            m = top()
            m.MergeFromString(a + b)
            msgs.append(m)
            blobs.append(a + b)
        table, rejects = run_tool(tool, tmp, desc, pkg + ".M0", cols, blobs, "r", per_call=rnd.choice([None, 7]))
        assert rejects == [], (src, rejects[:3])
        total += compare(table, msgs, cols, "schema %d:\n%s" % (s, src))
    assert total > 1000
