"""The in-process backend of feast.Client: the C engine (libfeast.so) on a
repository's configuration. Registry objects cross as protobuf-JSON
documents (include/feast/sdk.h), rows as Arrow C streams; each project is a
feast_store handle sharing the first one's online store."""
import ctypes
import json
import os
import threading
import uuid

from . import _arrow
from . import _lib as L
from . import job as J
from .entity import Entity
from .errors import FeastError
from .feature_table import FeatureTable
from .online_response import _from_arrow

ENTITY, FEATURE_TABLE = 1, 2  # feast_doc_kind


def _check(rc, err):
    if rc:
        raise FeastError(rc, err.message.decode("utf-8", "replace"), err.retriable)


def _entity_text(v):
    """Entity values travel as text (bytes as binary); the engine parses them
    to each entity's declared type."""
    if hasattr(v, "WhichOneof"):  # a feast.types.Value, as Feast 0.9 accepts
        case = v.WhichOneof("val")
        v = None if case is None else getattr(v, case)
    if isinstance(v, bool):
        return str(v).lower()
    return None if v is None else v if isinstance(v, (bytes, bytearray)) else str(v)


class Embedded:
    def __init__(self, repo_path=None, project=None):
        self._lib = L.lib()
        self._lock = threading.RLock()
        self._path = os.fspath(repo_path).encode() if repo_path is not None else None
        if repo_path is not None and os.path.isdir(repo_path) and \
                not os.path.exists(os.path.join(repo_path, "feature_store.yaml")):
            # A folder with no configuration runs on the defaults, which keep
            # the registry and the online store in its data/ folder.
            os.makedirs(os.path.join(repo_path, "data"), exist_ok=True)
        self._stores = {}
        base = self._open(project)
        self.default_project = self._lib.feast_store_project(base).decode()
        self._stores[self.default_project] = base
        self._base = base
        self._jobs = {}

    # ---- handles ----

    def _open(self, project):
        err, ptr = L.Error(), ctypes.c_void_p()
        _check(self._lib.feast_store_open(self._path, project.encode() if project else None, ctypes.byref(ptr),
                                          ctypes.byref(err)), err)
        return ptr.value

    def store(self, project):
        """The handle of `project` (opened on first use, sharing the online store)."""
        with self._lock:
            if self._stores is None:
                raise FeastError(2, "the client is closed")
            s = self._stores.get(project)
            if s is None:
                s = self._open(project)
                self._lib.feast_store_share_online(s, self._base)
                self._stores[project] = s
            return s

    def close(self):
        with self._lock:
            for job in list(self._jobs.values()):
                if isinstance(job, J.LocalStreamIngestionJob):
                    job.cancel()
            if self._stores:
                for p, s in self._stores.items():
                    if s != self._base:
                        self._lib.feast_store_free(s)
                self._lib.feast_store_free(self._base)
            self._stores = None

    def _json(self, fn, *args):
        err, out = L.Error(), ctypes.c_void_p()
        with self._lock:
            rc = fn(*args, ctypes.byref(out), ctypes.byref(err))
        if rc:
            self._lib.feast_string_free(out.value)
        _check(rc, err)
        return json.loads(L.take_string(out.value))

    def _call(self, fn, *args):
        err = L.Error()
        with self._lock:
            rc = fn(*args, ctypes.byref(err))
        _check(rc, err)

    # ---- registry ----

    def apply(self, project, objects, check_sources):
        """All objects in one transaction (every problem reported at once)."""
        docs = [json.dumps({"spec": o._spec_dict(spec_file=True) if isinstance(o, FeatureTable) else o._spec_dict()})
                for o in objects]
        self._json(self._lib.feast_store_apply_json, self.store(project), L.str_array([]), 0,
                   "\n---\n".join(docs).encode(), b"<Client.apply>", not check_sources)
        for o in objects:
            if isinstance(o, Entity):
                o._update_from_entity(self.get_entity(project, o.name))
            else:
                fresh = self.get_feature_table(project, o.name)
                o._created_ns, o._last_updated_ns, o._revision = fresh._created_ns, fresh._last_updated_ns, \
                    fresh._revision

    def get_entity(self, project, name):
        return Entity.from_dict(self._json(self._lib.feast_store_describe_json, self.store(project), ENTITY,
                                           name.encode()))

    def get_feature_table(self, project, name):
        return FeatureTable.from_dict(self._json(self._lib.feast_store_describe_json, self.store(project),
                                                 FEATURE_TABLE, name.encode()))

    def _list(self, project, kind, labels):
        labels = labels or {}
        keys, vals = L.str_array(list(labels)), L.str_array([str(v) for v in labels.values()])
        return self._json(self._lib.feast_store_list_json, self.store(project), kind, keys, vals, len(labels))

    def list_entities(self, project, labels):
        return [Entity.from_dict(d) for d in self._list(project, ENTITY, labels)]

    def list_feature_tables(self, project, labels):
        return [FeatureTable.from_dict(d) for d in self._list(project, FEATURE_TABLE, labels)]

    def delete_feature_table(self, project, name):
        s = self.store(project)
        self._call(self._lib.feast_registry_delete_feature_table, self._lib.feast_store_registry(s), project.encode(),
                   name.encode())

    def list_projects(self):
        return [p["name"] for p in self._json(self._lib.feast_store_projects_json, self._base, False)]

    def create_project(self, name):
        self._call(self._lib.feast_registry_create_project, self._lib.feast_store_registry(self._base), name.encode())

    def archive_project(self, name):
        self._call(self._lib.feast_registry_archive_project, self._lib.feast_store_registry(self._base), name.encode())

    # ---- online ----

    def get_online_features(self, project, refs, entity_rows, at=None):
        import pyarrow as pa
        names = []
        for row in entity_rows:
            for k in row:
                if k not in names:
                    names.append(k)
        if not names:
            raise FeastError(2, "get_online_features needs at least one entity row")
        arrays = []
        for k in names:
            vals = [_entity_text(row.get(k)) for row in entity_rows]
            if any(isinstance(v, (bytes, bytearray)) for v in vals):
                arrays.append(pa.array([bytes(v) if v is not None else None for v in vals], pa.binary()))
            else:
                arrays.append(pa.array(vals, pa.string()))
        batch = pa.RecordBatch.from_arrays(arrays, names=names)
        c_schema, c_array = L.ArrowSchema(), L.ArrowArray()
        batch._export_to_c(ctypes.addressof(c_array), ctypes.addressof(c_schema))
        err, fb = L.Error(), ctypes.c_void_p()
        try:
            rc = self._lib.feast_batch_import(ctypes.addressof(c_schema), ctypes.addressof(c_array),
                                              ctypes.byref(fb), ctypes.byref(err))
        finally:
            L.release(c_array)
            L.release(c_schema)
        _check(rc, err)
        at_us = _arrow.to_us(at) if at is not None else self._lib.feast_now()
        ref_arr = L.str_array(refs)
        s = self.store(project)
        structs = [(L.ArrowSchema(), L.ArrowArray()) for _ in range(3)]
        try:
            with self._lock:
                rc = self._lib.feast_store_online_arrow(s, ref_arr, len(refs), fb.value, at_us,
                                                        *[ctypes.addressof(x) for pair in structs for x in pair],
                                                        ctypes.byref(err))
            _check(rc, err)
        finally:
            self._lib.feast_batch_free(fb.value)
        values, statuses, stamps = [pa.RecordBatch._import_from_c(ctypes.addressof(a), ctypes.addressof(sc))
                                    for sc, a in structs]
        # The engine names feature columns table__feature; the response keys them table:feature.
        order = [values.schema.get_field_index(r.replace(":", "__", 1)) for r in refs]
        values, statuses, stamps = [pa.RecordBatch.from_arrays([b.column(i) for i in order], names=list(refs))
                                    for b in (values, statuses, stamps)]
        columns = {k: [_entity_value(row.get(k)) if hasattr(row.get(k), "WhichOneof") else row.get(k)
                       for row in entity_rows] for k in names}
        return _from_arrow(names, columns, refs, values, statuses, stamps)

    # ---- historical ----

    def get_historical_features(self, project, refs, entity_source, output_location, timestamp_column,
                                progress, memory_limit, threads, write):
        from .data_source import BigQuerySource, FileSource
        opts = L.HistoricalOptions(timestamp_column.encode() if timestamp_column else None, memory_limit or 0,
                                   int(threads or 0), None)
        if progress is not None:
            opts.progress = L.PROGRESS_FN(lambda _ctx, phase, done, total: progress(phase.decode(), done, total))
        summary, err, out = L.RetrievalSummary(), L.Error(), L.ArrowArrayStream()
        stream = path = None
        if isinstance(entity_source, FileSource):
            url = entity_source.file_options.file_url
            path = (url[7:] if url.startswith("file://") else url).encode()
            if entity_source.event_timestamp_column and not timestamp_column:
                opts.entity_ts_column = entity_source.event_timestamp_column.encode()
        elif isinstance(entity_source, BigQuerySource):
            o = entity_source.bigquery_options
            path = (f"bq://{o.table_ref}" if o.table_ref else f"bq:{o.query}").encode()
            if entity_source.event_timestamp_column and not timestamp_column:
                opts.entity_ts_column = entity_source.event_timestamp_column.encode()
        elif isinstance(entity_source, (str, os.PathLike)):
            path = os.fspath(entity_source).encode()
        else:
            stream = _arrow.export_stream(entity_source)
        s = self.store(project)
        with self._lock:
            rc = self._lib.feast_store_historical_stream(
                s, L.str_array(refs), len(refs), ctypes.addressof(stream) if stream is not None else None, path,
                ctypes.byref(opts), ctypes.addressof(out), ctypes.byref(summary), ctypes.byref(err))
        if stream is not None:
            L.release(stream)  # normally taken over by the call already
        _check(rc, err)
        table = _arrow.import_stream(out).read_all()
        info = {k: getattr(summary, k) for k, _ in L.RetrievalSummary._fields_}
        job = J.LocalRetrievalJob(str(uuid.uuid4()), table, output_location, write, info)
        if output_location:
            job.get_output_file_uri()
        self._jobs[job.get_id()] = job
        return job

    # ---- ingestion ----

    def ingest(self, project, table_name, rows):
        """Rows into the table's batch source as new Parquet files, or a BigQuery source's table by a load
        job (Feast 0.9's ingest)."""
        stream = _arrow.export_stream(rows)
        try:
            return self._json(self._lib.feast_store_push_offline_arrow, self.store(project), table_name.encode(),
                              ctypes.addressof(stream))
        finally:
            L.release(stream)

    def start_offline_to_online_ingestion(self, project, table_name, start, end):
        opts = L.IngestOptions()
        if start is not None:
            opts.has_start, opts.start = True, _arrow.to_us(start)
        if end is not None:
            opts.has_end, opts.end = True, _arrow.to_us(end)
        summary, err = L.IngestSummary(), L.Error()
        s = self.store(project)
        with self._lock:
            rc = self._lib.feast_store_ingest(s, table_name.encode(), None, ctypes.byref(opts), ctypes.byref(summary),
                                              ctypes.byref(err))
        _check(rc, err)
        info = {k: getattr(summary, k) for k, _ in L.IngestSummary._fields_ if k != "first_reject"}
        info["first_reject"] = summary.first_reject.decode("utf-8", "replace")
        job = J.LocalBatchIngestionJob(str(uuid.uuid4()), table_name, info)
        self._jobs[job.get_id()] = job
        return job

    def start_stream_to_online_ingestion(self, project, table_name, options):
        s = self.store(project)
        lib = self._lib
        options = dict(options or {})

        def run(should_stop, counters):
            opts = L.StreamRunOptions()
            for key in ("start_from", "group_id", "dead_letter_path"):
                if options.get(key):
                    setattr(opts, key, str(options[key]).encode())
            opts.max_batch_rows = int(options.get("max_batch_rows", 0))
            opts.max_batch_delay_ms = int(options.get("max_batch_delay_ms", 0))
            opts.until_caught_up = bool(options.get("until_caught_up", False))
            stop_cb = L.STOP_FN(lambda _ctx: bool(should_stop()))
            opts.should_stop = stop_cb
            user_progress = options.get("progress")

            def on_flush(_ctx, _table, c, _lag, _n_lag):
                counters.update({k: getattr(c.contents, k) for k, _ in L.StreamCounters._fields_})
                if user_progress is not None:
                    user_progress(dict(counters))

            progress_cb = L.STREAM_PROGRESS_FN(on_flush)
            opts.progress = progress_cb
            live, err = L.StreamCounters(), L.Error()
            rc = lib.feast_store_stream_ingest(s, table_name.encode(), ctypes.byref(opts), ctypes.byref(live),
                                               ctypes.byref(err))
            counters.update({k: getattr(live, k) for k, _ in L.StreamCounters._fields_})
            _check(rc, err)

        job = J.LocalStreamIngestionJob(str(uuid.uuid4()), table_name, run)
        self._jobs[job.get_id()] = job
        return job

    def list_jobs(self, include_terminated, table_name):
        out = []
        for job in self._jobs.values():
            if not include_terminated and job.get_status() in (J.SparkJobStatus.COMPLETED, J.SparkJobStatus.FAILED):
                continue
            name = job.get_feature_table() if hasattr(job, "get_feature_table") else None
            if table_name and name != table_name:
                continue
            out.append(job)
        return out

    def get_job(self, job_id):
        if job_id not in self._jobs:
            raise FeastError(4, f"job {job_id} not found")
        return self._jobs[job_id]


def _entity_value(v):
    case = v.WhichOneof("val")
    return None if case is None else getattr(v, case)


def _ts_datetime(ns):
    import datetime as _dt
    return None if ns is None else _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(
        microseconds=ns // 1000)
