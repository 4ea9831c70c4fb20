"""FeatureStore: the thin Python face of libfeast's feature-store API
(include/feast/store.h, include/feast/sdk.h). Every operation runs in C;
this module converts arguments, raises FeastError, and moves column data
across the Arrow C Data Interface without copying it on the way out.
"""
import base64
import ctypes
import datetime as _dt
import json
import math
import os
import re
import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import pyarrow as pa

from . import _lib as L

ENTITY, FEATURE_TABLE = 1, 2  # feast_doc_kind


class FeastError(Exception):
    """A libfeast failure: `code` (int, feast_code), `code_name` ("NOT_FOUND"),
    `retriable`, and `message` (the C message, naming file/row/column/field)."""

    def __init__(self, code, message, retriable=False):
        self.code = int(code)
        self.code_name = L.CODE_NAMES[self.code] if 0 <= self.code < len(L.CODE_NAMES) else str(self.code)
        self.retriable = bool(retriable)
        self.message = message
        super().__init__(code, message)

    def __str__(self):
        return f"[{self.code_name}] {self.message}"


def _check(rc, err):
    if rc:
        raise FeastError(rc, err.message.decode("utf-8", "replace"), err.retriable)


# ---- registry objects ----

def _parse_ts(s):
    if not s:
        return None
    return _dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def _parse_duration(s):
    if not s:
        return None
    m = re.fullmatch(r"(-?\d+(?:\.\d+)?)s", s)
    return _dt.timedelta(seconds=float(m.group(1))) if m else None


@dataclass
class Feature:
    name: str
    value_type: str
    labels: Dict[str, str] = field(default_factory=dict)


@dataclass
class Entity:
    name: str
    value_type: str
    description: str = ""
    labels: Dict[str, str] = field(default_factory=dict)
    created: Optional[_dt.datetime] = None
    last_updated: Optional[_dt.datetime] = None
    revision: int = 0
    spec: Dict[str, Any] = field(default_factory=dict, repr=False)  # the spec-file JSON form

    @classmethod
    def _from_json(cls, obj):
        spec, meta = obj["spec"], obj.get("meta", {})
        return cls(name=spec["name"], value_type=spec.get("valueType", "INVALID"),
                   description=spec.get("description", ""), labels=dict(spec.get("labels", {})),
                   created=_parse_ts(meta.get("createdTimestamp")),
                   last_updated=_parse_ts(meta.get("lastUpdatedTimestamp")),
                   revision=int(meta.get("revision", 0)), spec=spec)


@dataclass
class FeatureTable:
    name: str
    entities: List[str]
    features: List[Feature]
    labels: Dict[str, str] = field(default_factory=dict)
    max_age: Optional[_dt.timedelta] = None
    batch_source: Dict[str, Any] = field(default_factory=dict)
    stream_source: Optional[Dict[str, Any]] = None
    created: Optional[_dt.datetime] = None
    last_updated: Optional[_dt.datetime] = None
    revision: int = 0
    spec: Dict[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def _from_json(cls, obj):
        spec, meta = obj["spec"], obj.get("meta", {})
        feats = [Feature(f["name"], f.get("valueType", "INVALID"), dict(f.get("labels", {})))
                 for f in spec.get("features", [])]
        return cls(name=spec["name"], entities=list(spec.get("entities", [])), features=feats,
                   labels=dict(spec.get("labels", {})), max_age=_parse_duration(spec.get("maxAge")),
                   batch_source=spec.get("batchSource", {}), stream_source=spec.get("streamSource"),
                   created=_parse_ts(meta.get("createdTimestamp")),
                   last_updated=_parse_ts(meta.get("lastUpdatedTimestamp")),
                   revision=int(meta.get("revision", 0)), spec=spec)

    def feature_type(self, name):
        for f in self.features:
            if f.name == name:
                return f.value_type
        return None


# ---- online results ----

def _decode_value(v, vtype):
    """A Feast HTTP-JSON value back to Python by its declared type."""
    if v is None or vtype is None:
        return v
    if vtype.endswith("_LIST"):
        return [_decode_value(x, vtype[:-5]) for x in v]
    if vtype == "BYTES":
        return base64.b64decode(v)
    if vtype in ("FLOAT", "DOUBLE") and isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]
    return v


class OnlineResponse(dict):
    """Feature values by column, like Feast's OnlineResponse.to_dict():
    {"driver_id": [...], "driver_trips__conv_rate": [...]}. Also:
    .statuses (column -> ["PRESENT" | "NULL_VALUE" | "NOT_FOUND" |
    "OUTSIDE_MAX_AGE", ...]), .event_timestamps (column -> [datetime | None]),
    .field_names (column order)."""

    def __init__(self, values, statuses, event_timestamps, field_names):
        super().__init__(values)
        self.statuses = statuses
        self.event_timestamps = event_timestamps
        self.field_names = field_names

    def to_dict(self, include_statuses=False, include_event_timestamps=False):
        out = {k: list(v) for k, v in self.items()}
        if include_statuses:
            out.update({f"{k}__status": list(v) for k, v in self.statuses.items()})
        if include_event_timestamps:
            out.update({f"{k}__event_timestamp": list(v) for k, v in self.event_timestamps.items()})
        return out

    def to_arrow(self):
        return pa.table({k: self[k] for k in self.field_names})

    def to_pandas(self):
        return self.to_arrow().to_pandas()


# ---- argument conversion ----

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)[bB]?\s*")


def _to_ts(value):
    """datetime (naive = UTC), ISO-8601 text, or int microseconds -> feast_ts."""
    if value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        err, out = L.Error(), ctypes.c_int64()
        _check(L.lib().feast_ts_parse(value.encode(), ctypes.byref(out), ctypes.byref(err)), err)
        return out.value
    if hasattr(value, "to_pydatetime"):  # pandas.Timestamp
        value = value.to_pydatetime()
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        d = value - _EPOCH
        return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds
    raise TypeError(f"not a timestamp: {value!r}")


def _to_size(value):
    if value is None:
        return 0
    if isinstance(value, int):
        return value
    m = _SIZE.fullmatch(str(value))
    if not m:
        raise ValueError(f"memory_limit takes bytes or a size such as '4G', not {value!r}")
    mul = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}[m.group(2).lower()]
    return int(float(m.group(1)) * mul)


def _plain_type(t):
    """Types libfeast reads: large/view strings and dictionaries become plain."""
    if pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", lambda _: False)(t):
        return pa.string()
    if pa.types.is_large_binary(t) or getattr(pa.types, "is_binary_view", lambda _: False)(t):
        return pa.binary()
    if pa.types.is_dictionary(t):
        return _plain_type(t.value_type)
    if pa.types.is_large_list(t):
        return pa.list_(_plain_type(t.value_type))
    return t


def _entity_table(entity_df):
    """A pyarrow Table from a DataFrame / Table / RecordBatch, with plain types."""
    if isinstance(entity_df, pa.RecordBatch):
        table = pa.Table.from_batches([entity_df])
    elif isinstance(entity_df, pa.Table):
        table = entity_df
    elif hasattr(entity_df, "to_records") and hasattr(entity_df, "columns"):  # pandas
        table = pa.Table.from_pandas(entity_df, preserve_index=False)
    else:
        raise TypeError("entity rows must be a pandas DataFrame, a pyarrow Table/RecordBatch/RecordBatchReader "
                        f"or a file path, not {type(entity_df).__name__}")
    schema = pa.schema([pa.field(f.name, _plain_type(f.type)) for f in table.schema])
    if schema != table.schema.remove_metadata():
        table = table.cast(schema)
    return table.replace_schema_metadata(None)


def _reader_of(table):
    if hasattr(table, "to_reader"):
        return table.to_reader()
    return pa.RecordBatchReader.from_batches(table.schema, table.to_batches())


# ---- the store ----

class FeatureStore:
    """One project of a feature repository.

    FeatureStore(repo_path="repo")           # repo/feature_store.yaml (defaults if absent)
    FeatureStore(config="path/feature_store.yaml", project="fraud")
    FeatureStore()                           # $FEAST_CONFIG, ./feature_store.yaml, else defaults

    Use it as a context manager or call close(); not to be shared between
    threads without care (calls are serialized by a lock)."""


    def __init__(self, repo_path=None, config=None, project=None):
        self._lib = L.lib()
        self._lock = threading.RLock()
        self._ptr = None
        err, ptr = L.Error(), ctypes.c_void_p()
        proj = project.encode() if project else None
        # The library takes a feature_store.yaml or a repository folder.
        target = config if config is not None else repo_path
        path = os.fspath(target).encode() if target is not None else None
        rc = self._lib.feast_store_open(path, proj, ctypes.byref(ptr), ctypes.byref(err))
        _check(rc, err)
        self._ptr = ptr.value
        self.project = self._lib.feast_store_project(self._ptr).decode()

    # lifecycle
    def close(self):
        with self._lock:
            if self._ptr:
                self._lib.feast_store_free(self._ptr)
                self._ptr = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _handle(self):
        if not self._ptr:
            raise FeastError(2, "the feature store is closed")
        return self._ptr

    def _json_call(self, fn, *args):
        err, out = L.Error(), ctypes.c_void_p()
        with self._lock:
            rc = fn(self._handle(), *args, ctypes.byref(out), ctypes.byref(err))
        if rc:
            L.lib().feast_string_free(out.value)
        _check(rc, err)
        return json.loads(L.take_string(out.value))

    # registry
    def apply(self, specs, skip_source_check=False):
        """Register spec files (paths; a folder means its *.yaml/*.yml/*.json but
        feature_store.yaml) and/or spec text (YAML or JSON documents),
        all in one transaction. Returns one dict per document:
        {"kind": "entity"|"feature_table", "name", "action": "created"|"updated"|"unchanged", "revision"}."""
        if isinstance(specs, (str, os.PathLike)):
            specs = [specs]
        paths, texts = [], []
        for s in specs:
            is_path = isinstance(s, os.PathLike) or (
                isinstance(s, str) and "\n" not in s and (os.path.exists(s) or ": " not in s))
            if is_path and os.path.isdir(s):
                # a folder: its spec files, as `feast apply` reads a repository
                paths.extend(sorted(os.path.join(s, n) for n in os.listdir(s)
                                    if n.endswith((".yaml", ".yml", ".json")) and n != "feature_store.yaml"))
            elif is_path:
                paths.append(os.fspath(s))
            elif isinstance(s, str):
                texts.append(s.strip("\n"))
            else:
                raise TypeError(f"a spec is a path or spec text, not {type(s).__name__}")
        text = "\n---\n".join(texts) if texts else None
        arr = L.str_array(paths)
        return self._json_call(self._lib.feast_store_apply_json, arr, len(paths),
                               text.encode() if text is not None else None, b"<text>", bool(skip_source_check))

    def _list(self, kind, labels):
        labels = labels or {}
        keys, vals = L.str_array(list(labels.keys())), L.str_array([str(v) for v in labels.values()])
        return self._json_call(self._lib.feast_store_list_json, kind, keys, vals, len(labels))

    def list_entities(self, labels=None) -> List[Entity]:
        return [Entity._from_json(o) for o in self._list(ENTITY, labels)]

    def list_feature_tables(self, labels=None) -> List[FeatureTable]:
        return [FeatureTable._from_json(o) for o in self._list(FEATURE_TABLE, labels)]

    def get_entity(self, name) -> Entity:
        return Entity._from_json(self._json_call(self._lib.feast_store_describe_json, ENTITY, name.encode()))

    def get_feature_table(self, name) -> FeatureTable:
        return FeatureTable._from_json(
            self._json_call(self._lib.feast_store_describe_json, FEATURE_TABLE, name.encode()))

    # historical
    def get_historical_features_reader(self, entity_df, features, timestamp_column="event_timestamp",
                                       memory_limit=None, threads=0, spill_dir=None, progress=None):
        """Like get_historical_features, returning a pyarrow.RecordBatchReader
        (batches in entity-row order) and the summary dict."""
        refs = [features] if isinstance(features, str) else list(features)
        ref_arr = L.str_array(refs)
        opts = L.HistoricalOptions(timestamp_column.encode() if timestamp_column else None, _to_size(memory_limit),
                                   int(threads), os.fspath(spill_dir).encode() if spill_dir else None)
        if progress is not None:
            opts.progress = L.PROGRESS_FN(lambda _ctx, phase, done, total: progress(phase.decode(), done, total))
        summary, err = L.RetrievalSummary(), L.Error()
        out = L.ArrowArrayStream()
        entities = path = None
        if isinstance(entity_df, (str, os.PathLike)):
            path = os.fspath(entity_df).encode()
        else:
            entities = L.ArrowArrayStream()
            reader = entity_df if isinstance(entity_df, pa.RecordBatchReader) else _reader_of(_entity_table(entity_df))
            reader._export_to_c(ctypes.addressof(entities))
        with self._lock:
            rc = self._lib.feast_store_historical_stream(
                self._handle(), ref_arr, len(refs), ctypes.addressof(entities) if entities is not None else None,
                path, ctypes.byref(opts), ctypes.addressof(out), ctypes.byref(summary), ctypes.byref(err))
        if entities is not None:
            L.release(entities)  # normally moved by the call already
        _check(rc, err)
        result = pa.RecordBatchReader._import_from_c(ctypes.addressof(out))
        info = {k: getattr(summary, k) for k, _ in L.RetrievalSummary._fields_}
        return result, info

    def get_historical_features(self, entity_df, features, timestamp_column="event_timestamp", memory_limit=None,
                                threads=0, spill_dir=None, progress=None) -> pa.Table:
        """Point-in-time join of entity rows with the referenced features.

        entity_df: pandas DataFrame, pyarrow Table / RecordBatch / RecordBatchReader,
        or a path (Parquet file/folder/glob, or .csv). features: ["table:feature", ...].
        Returns a pyarrow.Table (entity columns, then table__feature columns)
        whose buffers are libfeast's (no copy); .to_pandas() for pandas.
        The last call's summary is in .last_summary."""
        reader, info = self.get_historical_features_reader(entity_df, features, timestamp_column, memory_limit,
                                                           threads, spill_dir, progress)
        self.last_summary = info
        return reader.read_all()

    # online
    def get_online_features(self, features, entity_rows, at=None) -> OnlineResponse:
        """Latest feature values for entity rows ([{"driver_id": 1001}, ...] or
        {"driver_id": [1001, ...]}), ages measured from `at` (default: now).
        Returns an OnlineResponse (a dict by column, with .statuses)."""
        refs = [features] if isinstance(features, str) else list(features)
        if isinstance(entity_rows, dict):
            names = list(entity_rows.keys())
            columns = {k: list(v) for k, v in entity_rows.items()}
            n = len(next(iter(columns.values()))) if columns else 0
        else:
            entity_rows = list(entity_rows)
            names = list(entity_rows[0].keys()) if entity_rows else []
            columns = {k: [] for k in names}
            for i, row in enumerate(entity_rows):
                if set(row.keys()) != set(names):
                    raise ValueError(f"entity row {i} names {sorted(row)}, the first row names {sorted(names)}")
                for k in names:
                    columns[k].append(row[k])
            n = len(entity_rows)
        if not names or not n:
            raise ValueError("get_online_features needs at least one entity row")
        # Entity values travel as text (bytes as binary); libfeast parses them to
        # each entity's declared type, as for the CLI's -e name=value.
        arrays = []
        for k in names:
            vals = columns[k]
            if any(isinstance(v, (bytes, bytearray)) for v in vals):
                arrays.append(pa.array([bytes(v) if v is not None else None for v in vals], pa.binary()))
            else:
                arrays.append(pa.array([None if v is None else (str(v).lower() if isinstance(v, bool) else str(v))
                                        for v in vals], pa.string()))
        batch = pa.RecordBatch.from_arrays(arrays, names=names)
        c_schema, c_array = L.ArrowSchema(), L.ArrowArray()
        batch._export_to_c(ctypes.addressof(c_array), ctypes.addressof(c_schema))
        err, fb = L.Error(), ctypes.c_void_p()
        try:
            rc = self._lib.feast_batch_import(ctypes.addressof(c_schema), ctypes.addressof(c_array), ctypes.byref(fb),
                                              ctypes.byref(err))
        finally:
            L.release(c_array)
            L.release(c_schema)
        _check(rc, err)
        at_ts = _to_ts(at) if at is not None else self._lib.feast_now()
        ref_arr = L.str_array(refs)
        res, out = ctypes.c_void_p(), ctypes.c_void_p()
        try:
            with self._lock:
                rc = self._lib.feast_store_get_online_features(self._handle(), ref_arr, len(refs), fb.value, at_ts,
                                                               ctypes.byref(res), ctypes.byref(err))
            _check(rc, err)
            rc = self._lib.feast_online_result_to_json(res.value, ctypes.byref(out), None, ctypes.byref(err))
            _check(rc, err)
            doc = json.loads(L.take_string(out.value))
        finally:
            self._lib.feast_online_result_free(res.value)
            self._lib.feast_batch_free(fb.value)
        # Decode feature values by their declared types.
        types, tables = {}, {}
        for ref in refs:
            tname = ref.split(":", 1)[0]
            if tname not in tables:
                tables[tname] = self.get_feature_table(tname)
            for f in tables[tname].features:
                types[f"{tname}__{f.name}"] = f.value_type
        names_out = doc["metadata"]["feature_names"]
        values, statuses, stamps = {}, {}, {}
        for name, res_col in zip(names_out, doc["results"]):
            if name in columns:
                values[name] = list(columns[name])
            else:
                values[name] = [_decode_value(v, types.get(name)) for v in res_col["values"]]
            statuses[name] = res_col["statuses"]
            stamps[name] = [None if (st == "NOT_FOUND" or name in columns) else _parse_ts(ts)
                            for ts, st in zip(res_col["event_timestamps"], res_col["statuses"])]
        return OnlineResponse(values, statuses, stamps, names_out)

    # ingestion
    def ingest(self, table, start=None, end=None, source=None, write_chunk=0) -> Dict[str, Any]:
        """Load rows into the online store: the table's batch source (read with
        projection and window pruning), or `source` (DataFrame / pyarrow Table /
        RecordBatchReader / file path). Window: start <= event_ts < end.
        Returns {"read", "written", "skipped_older", "rejected", "out_of_window", "first_reject"}."""
        opts = L.IngestOptions()
        s, e = _to_ts(start), _to_ts(end)
        if s is not None:
            opts.has_start, opts.start = True, s
        if e is not None:
            opts.has_end, opts.end = True, e
        opts.write_chunk = int(write_chunk)
        summary, err = L.IngestSummary(), L.Error()
        rows = ctypes.c_void_p()
        if source is not None:
            stream = L.ArrowArrayStream()
            if isinstance(source, (str, os.PathLike)):
                import pyarrow.csv as pcsv
                import pyarrow.parquet as pq
                p = os.fspath(source)
                source = pcsv.read_csv(p) if p.endswith(".csv") else pq.read_table(p)
            reader = source if isinstance(source, pa.RecordBatchReader) else _reader_of(_entity_table(source))
            reader._export_to_c(ctypes.addressof(stream))
            rc = self._lib.feast_arrow_stream_import(ctypes.addressof(stream), ctypes.byref(rows), ctypes.byref(err))
            if rc:
                L.release(stream)
            _check(rc, err)
        try:
            with self._lock:
                rc = self._lib.feast_store_ingest(self._handle(), table.encode(), rows.value, ctypes.byref(opts),
                                                  ctypes.byref(summary), ctypes.byref(err))
        finally:
            L.close_source(rows.value)
        _check(rc, err)
        out = {k: getattr(summary, k) for k, _ in L.IngestSummary._fields_ if k != "first_reject"}
        out["first_reject"] = summary.first_reject.decode("utf-8", "replace")
        return out
