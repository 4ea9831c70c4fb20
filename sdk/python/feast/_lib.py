"""Loading libfeast.so and declaring the C functions the SDK calls (ctypes).
libfeast.so is found through $FEAST_LIB, next to this package (the wheel
bundles it there), or the repository's build/libfeast.so.

Only a handful of small structs are mirrored here (feast_error, the option and
summary structs, the Arrow C interface structs); registry objects cross as
JSON (include/feast/sdk.h) so their layouts never need mirroring.
"""
import ctypes
import os
import threading

c_void_p = ctypes.c_void_p
c_char_p = ctypes.c_char_p
c_size_t = ctypes.c_size_t
c_int = ctypes.c_int
c_int64 = ctypes.c_int64
c_bool = ctypes.c_bool

FEAST_ERROR_MAX = 8192

CODE_NAMES = [
    "OK", "NOMEM", "INVALID", "IO", "NOT_FOUND", "EXISTS", "TOO_BIG", "CORRUPT", "UNSUPPORTED",
    "SCHEMA", "VALIDATION", "CONNECT", "TIMEOUT", "CONFLICT", "SERVER", "INTERNAL",
]


class Error(ctypes.Structure):
    """include/feast/error.h: feast_error."""
    _fields_ = [("code", c_int), ("retriable", c_int), ("message", ctypes.c_char * FEAST_ERROR_MAX)]


PROGRESS_FN = ctypes.CFUNCTYPE(None, c_void_p, c_char_p, c_int64, c_int64)


class HistoricalOptions(ctypes.Structure):
    """include/feast/store.h: feast_historical_options."""
    _fields_ = [("entity_ts_column", c_char_p), ("memory_limit", c_size_t), ("threads", c_int),
                ("spill_dir", c_char_p), ("progress", PROGRESS_FN), ("progress_ctx", c_void_p)]


class RetrievalSummary(ctypes.Structure):
    """include/feast/retrieval.h: feast_retrieval_summary."""
    _fields_ = [("entity_rows", c_int64), ("source_rows", c_int64), ("matched", c_int64), ("n_tables", c_int),
                ("tables_spilled", c_int), ("partitions", c_int), ("seconds", ctypes.c_double)]


class IngestOptions(ctypes.Structure):
    """include/feast/ingest.h: feast_ingest_options (dead-letter callback unused)."""
    _fields_ = [("project", c_char_p), ("source", c_void_p), ("has_start", c_bool), ("start", c_int64),
                ("has_end", c_bool), ("end", c_int64), ("dead_letter", c_void_p), ("dead_letter_ctx", c_void_p),
                ("write_chunk", c_size_t), ("dedup_bytes", c_size_t), ("write_each_batch", c_bool),
                ("expected_rows", c_int64)]


class IngestSummary(ctypes.Structure):
    """include/feast/ingest.h: feast_ingest_summary."""
    _fields_ = [("read", c_int64), ("written", c_int64), ("skipped_older", c_int64), ("rejected", c_int64),
                ("out_of_window", c_int64), ("first_reject", ctypes.c_char * 256)]


class StreamCounters(ctypes.Structure):
    """include/feast/stream_ingest.h: feast_stream_counters."""
    _fields_ = [(n, c_int64) for n in ("messages", "rows", "written", "skipped_older", "rejected", "undecodable",
                                       "flushes", "commits", "retries")] + [("committed_seq", ctypes.c_uint64)]


STOP_FN = ctypes.CFUNCTYPE(c_bool, c_void_p)
STREAM_PROGRESS_FN = ctypes.CFUNCTYPE(None, c_void_p, c_char_p, ctypes.POINTER(StreamCounters), c_void_p, c_size_t)
NOTICE_FN = ctypes.CFUNCTYPE(None, c_void_p, c_char_p, c_char_p)
DEAD_LETTERS_FN = ctypes.CFUNCTYPE(None, c_void_p, c_char_p, c_char_p, c_int64)


class StreamRunOptions(ctypes.Structure):
    """include/feast/store.h: feast_stream_run_options."""
    _fields_ = [("start_from", c_char_p), ("group_id", c_char_p), ("max_batch_rows", c_int64),
                ("max_batch_delay_ms", c_int), ("dead_letter_path", c_char_p), ("until_caught_up", c_bool),
                ("should_stop", STOP_FN), ("stop_ctx", c_void_p), ("progress", STREAM_PROGRESS_FN),
                ("progress_ctx", c_void_p), ("notice", NOTICE_FN), ("dead_letters", DEAD_LETTERS_FN)]


class ArrowSchema(ctypes.Structure):
    _fields_ = [("format", c_char_p), ("name", c_char_p), ("metadata", c_char_p), ("flags", c_int64),
                ("n_children", c_int64), ("children", c_void_p), ("dictionary", c_void_p),
                ("release", c_void_p), ("private_data", c_void_p)]


class ArrowArray(ctypes.Structure):
    _fields_ = [("length", c_int64), ("null_count", c_int64), ("offset", c_int64), ("n_buffers", c_int64),
                ("n_children", c_int64), ("buffers", c_void_p), ("children", c_void_p), ("dictionary", c_void_p),
                ("release", c_void_p), ("private_data", c_void_p)]


class ArrowArrayStream(ctypes.Structure):
    _fields_ = [("get_schema", c_void_p), ("get_next", c_void_p), ("get_last_error", c_void_p),
                ("release", c_void_p), ("private_data", c_void_p)]


class BatchSource(ctypes.Structure):
    """include/feast/arrow.h: feast_batch_source (two function pointers)."""
    _fields_ = [("next", c_void_p), ("close", c_void_p)]


_RELEASE = ctypes.CFUNCTYPE(None, c_void_p)


def release(struct):
    """Call an Arrow struct's release callback if it still owns data."""
    if struct.release:
        _RELEASE(struct.release)(ctypes.addressof(struct))


def close_source(ptr):
    """Close a feast_batch_source* (its close frees it)."""
    if ptr:
        src = ctypes.cast(ptr, ctypes.POINTER(BatchSource)).contents
        _RELEASE(src.close)(ptr)


_SIGNATURES = {
    "feast_strerror": (c_char_p, [c_int]),
    "feast_now": (c_int64, []),
    "feast_ts_parse": (c_int, [c_char_p, ctypes.POINTER(c_int64), ctypes.POINTER(Error)]),
    "feast_store_open": (c_int, [c_char_p, c_char_p, ctypes.POINTER(c_void_p), ctypes.POINTER(Error)]),
    "feast_store_free": (None, [c_void_p]),
    "feast_store_project": (c_char_p, [c_void_p]),
    "feast_string_free": (None, [c_void_p]),
    "feast_store_apply_json": (c_int, [c_void_p, ctypes.POINTER(c_char_p), c_size_t, c_char_p, c_char_p, c_bool,
                                       ctypes.POINTER(c_void_p), ctypes.POINTER(Error)]),
    "feast_store_describe_json": (c_int, [c_void_p, c_int, c_char_p, ctypes.POINTER(c_void_p), ctypes.POINTER(Error)]),
    "feast_store_list_json": (c_int, [c_void_p, c_int, ctypes.POINTER(c_char_p), ctypes.POINTER(c_char_p), c_size_t,
                                      ctypes.POINTER(c_void_p), ctypes.POINTER(Error)]),
    "feast_store_historical_stream": (c_int, [c_void_p, ctypes.POINTER(c_char_p), c_size_t, c_void_p, c_char_p,
                                              ctypes.POINTER(HistoricalOptions), c_void_p,
                                              ctypes.POINTER(RetrievalSummary), ctypes.POINTER(Error)]),
    "feast_batch_import": (c_int, [c_void_p, c_void_p, ctypes.POINTER(c_void_p), ctypes.POINTER(Error)]),
    "feast_batch_free": (None, [c_void_p]),
    "feast_arrow_stream_import": (c_int, [c_void_p, ctypes.POINTER(c_void_p), ctypes.POINTER(Error)]),
    "feast_store_get_online_features": (c_int, [c_void_p, ctypes.POINTER(c_char_p), c_size_t, c_void_p, c_int64,
                                                ctypes.POINTER(c_void_p), ctypes.POINTER(Error)]),
    "feast_online_result_to_json": (c_int, [c_void_p, ctypes.POINTER(c_void_p), ctypes.POINTER(c_size_t),
                                            ctypes.POINTER(Error)]),
    "feast_online_result_free": (None, [c_void_p]),
    "feast_online_result_num_names": (c_size_t, [c_void_p]),
    "feast_store_online_arrow": (c_int, [c_void_p, ctypes.POINTER(c_char_p), c_size_t, c_void_p, c_int64, c_void_p,
                                         c_void_p, c_void_p, c_void_p, c_void_p, c_void_p, ctypes.POINTER(Error)]),
    "feast_online_result_export_arrow": (c_int, [c_void_p, ctypes.POINTER(c_int), c_void_p, c_void_p, c_void_p,
                                                 c_void_p, c_void_p, c_void_p, ctypes.POINTER(Error)]),
    "feast_store_share_online": (None, [c_void_p, c_void_p]),
    "feast_store_registry": (c_void_p, [c_void_p]),
    "feast_store_projects_json": (c_int, [c_void_p, c_bool, ctypes.POINTER(c_void_p), ctypes.POINTER(Error)]),
    "feast_registry_create_project": (c_int, [c_void_p, c_char_p, ctypes.POINTER(Error)]),
    "feast_registry_archive_project": (c_int, [c_void_p, c_char_p, ctypes.POINTER(Error)]),
    "feast_registry_delete_feature_table": (c_int, [c_void_p, c_char_p, c_char_p, ctypes.POINTER(Error)]),
    "feast_store_push_offline_arrow": (c_int, [c_void_p, c_char_p, c_void_p, ctypes.POINTER(c_void_p),
                                               ctypes.POINTER(Error)]),
    "feast_store_stream_ingest": (c_int, [c_void_p, c_char_p, ctypes.POINTER(StreamRunOptions),
                                          ctypes.POINTER(StreamCounters), ctypes.POINTER(Error)]),
    "feast_stream_counters_load": (None, [ctypes.POINTER(StreamCounters), ctypes.POINTER(StreamCounters)]),
    "feast_store_ingest": (c_int, [c_void_p, c_char_p, c_void_p, ctypes.POINTER(IngestOptions),
                                   ctypes.POINTER(IngestSummary), ctypes.POINTER(Error)]),
}

_lib = None
_lock = threading.Lock()


def library_path():
    """FEAST_LIB, else libfeast.so next to this package, else the repo's build/libfeast.so."""
    env = os.environ.get("FEAST_LIB")
    if env:
        return env
    here = os.path.dirname(os.path.abspath(__file__))
    for cand in (os.path.join(here, "libfeast.so"),
                 os.path.join(here, "..", "..", "..", "build", "libfeast.so")):
        if os.path.exists(cand):
            return os.path.normpath(cand)
    raise OSError("libfeast.so not found: set FEAST_LIB, put libfeast.so next to the feast package, "
                  "or run `make lib` in the repository")


_MIRRORED = {"feast_error": Error, "feast_ingest_options": IngestOptions, "feast_ingest_summary": IngestSummary,
             "feast_historical_options": HistoricalOptions, "feast_retrieval_summary": RetrievalSummary,
             "feast_stream_run_options": StreamRunOptions, "feast_stream_counters": StreamCounters}


def _check_layouts(handle):
    """The structs mirrored above must match the library's, or calls would corrupt memory."""
    handle.feast_abi_sizeof.restype = c_size_t
    handle.feast_abi_sizeof.argtypes = [c_char_p]
    for name, cls in _MIRRORED.items():
        size = handle.feast_abi_sizeof(name.encode())
        if size != ctypes.sizeof(cls):
            raise ImportError(f"the feast package does not match {library_path()}: {name} is {size} bytes there, "
                              f"{ctypes.sizeof(cls)} here (rebuild the library or update the SDK)")


def lib():
    """The loaded library with every signature declared (loaded once)."""
    global _lib
    with _lock:
        if _lib is None:
            handle = ctypes.CDLL(library_path())
            for name, (restype, argtypes) in _SIGNATURES.items():
                fn = getattr(handle, name)
                fn.restype = restype
                fn.argtypes = argtypes
            _check_layouts(handle)
            _lib = handle
        return _lib


def take_string(ptr):
    """Decode a char* the library allocated and free it."""
    if not ptr:
        return None
    try:
        return ctypes.string_at(ptr).decode("utf-8")
    finally:
        lib().feast_string_free(ptr)


def str_array(items):
    """A char*[] for a list of str (the caller keeps the result alive during the call)."""
    arr = (c_char_p * max(len(items), 1))()
    for i, s in enumerate(items):
        arr[i] = s.encode("utf-8")
    return arr
