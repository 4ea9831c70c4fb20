"""Moving rows between Python and the engine: pandas / pyarrow inputs to
Arrow C streams with the plain types the engine reads, and timestamps to
the engine's microseconds."""
import ctypes
import datetime as _dt
import os

import pyarrow as pa

from . import _lib as L

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def to_us(value):
    """datetime (naive = UTC), pandas Timestamp, date, ISO-8601 text or int
    microseconds -> microseconds since the epoch."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        from .errors import FeastError
        err, out = L.Error(), ctypes.c_int64()
        rc = L.lib().feast_ts_parse(value.encode(), ctypes.byref(out), ctypes.byref(err))
        if rc:
            raise FeastError(rc, err.message.decode("utf-8", "replace"))
        return out.value
    if hasattr(value, "to_pydatetime"):
        value = value.to_pydatetime()
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        d = value - _EPOCH
        return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds
    raise TypeError(f"not a timestamp: {value!r}")


def _plain_type(t):
    """Types the engine reads: large/view strings and dictionaries become plain."""
    if pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _: False)(t):
        return pa.string()
    if pa.types.is_large_binary(t) or getattr(pa.types, "is_binary_view", lambda _: False)(t):
        return pa.binary()
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_large_list(t) or pa.types.is_list(t):
        return pa.list_(_plain_type(t.value_type))
    return t


def to_table(rows):
    """A pyarrow Table from a pandas DataFrame / pyarrow Table / RecordBatch,
    with plain types and no metadata."""
    if isinstance(rows, pa.RecordBatch):
        table = pa.Table.from_batches([rows])
    elif isinstance(rows, pa.Table):
        table = rows
    elif hasattr(rows, "columns") and hasattr(rows, "dtypes"):  # pandas
        table = pa.Table.from_pandas(rows, preserve_index=False)
    else:
        raise TypeError("rows must be a pandas DataFrame, a pyarrow Table / RecordBatch / RecordBatchReader "
                        f"or a file path, not {type(rows).__name__}")
    schema = pa.schema([pa.field(f.name, _plain_type(f.type)) for f in table.schema])
    if schema != table.schema.remove_metadata():
        table = table.cast(schema)
    return table.replace_schema_metadata(None)


def read_file(path):
    """A pyarrow Table from a .csv, .json or Parquet file (as Feast 0.9's ingest reads its source argument)."""
    p = os.fspath(path)
    if p.endswith(".csv"):
        import pyarrow.csv as pcsv
        return pcsv.read_csv(p)
    if p.endswith(".json"):
        import pyarrow.json as pjson
        return pjson.read_json(p)
    import pyarrow.parquet as pq
    return pq.read_table(p)


def export_stream(rows):
    """An ArrowArrayStream (ctypes struct) holding `rows`; the callee takes it over."""
    reader = rows if isinstance(rows, pa.RecordBatchReader) else None
    if reader is None:
        table = to_table(rows)
        reader = table.to_reader() if hasattr(table, "to_reader") else \
            pa.RecordBatchReader.from_batches(table.schema, table.to_batches())
    stream = L.ArrowArrayStream()
    reader._export_to_c(ctypes.addressof(stream))
    return stream


def import_stream(stream):
    """A pyarrow RecordBatchReader over an ArrowArrayStream the engine filled (no copy)."""
    return pa.RecordBatchReader._import_from_c(ctypes.addressof(stream))
