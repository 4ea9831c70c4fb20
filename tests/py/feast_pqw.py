"""ctypes harness over libfeast's Parquet writer for the Python tests.

Batches are built with pyarrow, moved into libfeast through the Arrow C
Data Interface (feast_batch_import), and written with feast_parquet_writer_*,
so every type pyarrow can express reaches the writer exactly as a feast
reader or engine would hand it over.
"""
import ctypes
import os

import pyarrow as pa

CODECS = {"none": 0, "uncompressed": 0, "snappy": 1, "gzip": 2, "zstd": 6, "lz4": 7}


class KV(ctypes.Structure):
    _fields_ = [("key", ctypes.c_char_p), ("value", ctypes.c_char_p)]


class Options(ctypes.Structure):
    _fields_ = [
        ("codec", ctypes.c_int),
        ("compression_level", ctypes.c_int),
        ("no_dictionary", ctypes.c_bool),
        ("dictionary_page_limit", ctypes.c_int64),
        ("data_page_size", ctypes.c_int64),
        ("row_group_size", ctypes.c_int64),
        ("data_page_version", ctypes.c_int),
        ("no_statistics", ctypes.c_bool),
        ("metadata", ctypes.POINTER(KV)),
        ("num_metadata", ctypes.c_int),
    ]


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("retriable", ctypes.c_int), ("message", ctypes.c_char * 8192)]


class FeastError(Exception):
    def __init__(self, code, message):
        super().__init__(f"feast error {code}: {message}")
        self.code = code
        self.message = message


_lib = None


def lib():
    global _lib
    if _lib is None:
        path = os.environ.get("FEAST_LIB")
        if not path:
            root = os.environ.get("FEAST_REPO_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
            path = os.path.join(root, "build", "libfeast.so")
        _lib = ctypes.CDLL(path)
        vp = ctypes.c_void_p
        _lib.feast_batch_import.argtypes = [vp, vp, ctypes.POINTER(vp), ctypes.POINTER(Error)]
        _lib.feast_batch_free.argtypes = [vp]
        _lib.feast_parquet_writer_open.argtypes = [ctypes.c_char_p, vp, ctypes.POINTER(Options), ctypes.POINTER(vp),
                                                   ctypes.POINTER(Error)]
        _lib.feast_parquet_writer_write.argtypes = [vp, vp, ctypes.POINTER(Error)]
        _lib.feast_parquet_writer_close.argtypes = [vp, ctypes.POINTER(Error)]
        _lib.feast_parquet_writer_free.argtypes = [vp]
        _lib.feast_parquet_write_file.argtypes = [ctypes.c_char_p, vp, ctypes.POINTER(Options), ctypes.POINTER(Error)]
    return _lib


def _check(rc, err):
    if rc != 0:
        raise FeastError(rc, err.message.decode())


def to_feast(rb: pa.RecordBatch):
    """A feast_batch* (void pointer) holding a copy of the record batch."""
    schema = ctypes.create_string_buffer(72)
    array = ctypes.create_string_buffer(80)
    rb._export_to_c(ctypes.addressof(array), ctypes.addressof(schema))
    out = ctypes.c_void_p()
    err = Error()
    rc = lib().feast_batch_import(ctypes.addressof(schema), ctypes.addressof(array), ctypes.byref(out), ctypes.byref(err))
    pa.RecordBatch._import_from_c(ctypes.addressof(array), ctypes.addressof(schema))  # releases the export
    _check(rc, err)
    return out


def options(codec="snappy", level=0, dictionary=True, dict_limit=0, page_size=0, row_group_size=0, page_version=1,
            statistics=True, metadata=None):
    o = Options()
    o.codec = CODECS[codec]
    o.compression_level = level
    o.no_dictionary = not dictionary
    o.dictionary_page_limit = dict_limit
    o.data_page_size = page_size
    o.row_group_size = row_group_size
    o.data_page_version = page_version
    o.no_statistics = not statistics
    if metadata:
        arr = (KV * len(metadata))()
        for i, (k, v) in enumerate(metadata.items()):
            arr[i].key = k.encode()
            arr[i].value = v.encode()
        o.metadata = arr
        o.num_metadata = len(metadata)
        o._keep = arr
    return o


def write(path, batches, **kw):
    """Write record batches (a list; the first gives the schema) with one writer."""
    if isinstance(batches, pa.Table):
        batches = batches.to_batches() or [pa.RecordBatch.from_pylist([], schema=batches.schema)]
    if isinstance(batches, pa.RecordBatch):
        batches = [batches]
    L = lib()
    opts = options(**kw)
    err = Error()
    fb = [to_feast(b) for b in batches]
    w = ctypes.c_void_p()
    try:
        _check(L.feast_parquet_writer_open(str(path).encode(), fb[0], ctypes.byref(opts), ctypes.byref(w),
                                           ctypes.byref(err)), err)
        for b in fb:
            _check(L.feast_parquet_writer_write(w, b, ctypes.byref(err)), err)
        _check(L.feast_parquet_writer_close(w, ctypes.byref(err)), err)
    finally:
        L.feast_parquet_writer_free(w)
        for b in fb:
            L.feast_batch_free(b)
