"""Batches built in C reach pyarrow through the Arrow C Data Interface with
the same types and values (the path the Python SDK uses for training sets)."""
import ctypes
import datetime as dt

import pyarrow as pa

import feastlib

lib = feastlib.load()
err = feastlib.Error()


def ok(rc):
    assert rc == 0, err.message.decode()


def test_export_reaches_pyarrow():
    n = 50
    ids = lib.feast_array_new(feastlib.dtype("int64"), feastlib.dtype("null"))
    names = lib.feast_array_new(feastlib.dtype("string"), feastlib.dtype("null"))
    ts = lib.feast_array_new(feastlib.dtype("timestamp", unit=2, utc=1), feastlib.dtype("null"))
    flags = lib.feast_array_new(feastlib.dtype("bool"), feastlib.dtype("null"))
    dec = lib.feast_array_new(feastlib.dtype("double"), feastlib.dtype("null"))
    for i in range(n):
        ok(lib.feast_array_append_null(ids, err) if i % 7 == 3 else lib.feast_array_append_int(ids, i * 10, err))
        s = f"name-{i}é".encode()
        ok(lib.feast_array_append_null(names, err) if i % 5 == 0 else lib.feast_array_append_bytes(names, s, len(s), err))
        ok(lib.feast_array_append_int(ts, 1600000000_000000 + i, err))
        ok(lib.feast_array_append_bool(flags, i % 3 == 0, err))
        ok(lib.feast_array_append_double(dec, i / 3.0, err))
    batch = lib.feast_batch_new(5)
    ctypes.cast(batch, ctypes.POINTER(ctypes.c_int64))[0] = n
    for i, (name, col) in enumerate([("id", ids), ("name", names), ("ts", ts), ("flag", flags), ("x", dec)]):
        ok(lib.feast_batch_set_column(batch, i, name.encode(), col, err))
    from pyarrow.cffi import ffi
    c_schema = ffi.new("struct ArrowSchema*")
    c_array = ffi.new("struct ArrowArray*")
    ok(lib.feast_batch_export(batch, int(ffi.cast("uintptr_t", c_schema)), int(ffi.cast("uintptr_t", c_array)), err))
    rb = pa.RecordBatch._import_from_c(int(ffi.cast("uintptr_t", c_array)), int(ffi.cast("uintptr_t", c_schema)))
    assert rb.schema.names == ["id", "name", "ts", "flag", "x"]
    assert rb.schema.field("id").type == pa.int64()
    assert rb.schema.field("name").type == pa.string()
    assert rb.schema.field("ts").type == pa.timestamp("us", tz="UTC")
    assert rb.schema.field("flag").type == pa.bool_()
    rb.validate(full=True)
    rows = rb.to_pylist()
    for i, row in enumerate(rows):
        assert row["id"] == (None if i % 7 == 3 else i * 10)
        assert row["name"] == (None if i % 5 == 0 else f"name-{i}é")
        assert row["ts"] == dt.datetime(2020, 9, 13, 12, 26, 40, i, tzinfo=dt.timezone.utc)
        assert row["flag"] == (i % 3 == 0)
        assert row["x"] == i / 3.0
