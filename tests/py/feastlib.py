"""ctypes access to libfeast.so for integration tests (the real SDK lives in sdk/python)."""
import ctypes
import os


class Dtype(ctypes.Structure):
    _fields_ = [("id", ctypes.c_uint8), ("unit", ctypes.c_uint8), ("utc", ctypes.c_uint8),
                ("width", ctypes.c_int32), ("scale", ctypes.c_int32)]


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("retriable", ctypes.c_int), ("message", ctypes.c_char * 8192)]


DT = dict(null=0, bool=1, int8=2, int16=3, int32=4, int64=5, uint8=6, uint16=7, uint32=8, uint64=9,
          float16=10, float=11, double=12, string=13, binary=14, fixed_binary=15, date32=16, time32=17,
          time64=18, timestamp=19, decimal128=20, list=21)


def load():
    path = os.environ.get("FEAST_LIB") or os.path.join(os.environ.get("FEAST_REPO_ROOT", "."), "build/libfeast.so")
    lib = ctypes.CDLL(path)
    vp = ctypes.c_void_p
    lib.feast_array_new.restype = vp
    lib.feast_array_new.argtypes = [Dtype, Dtype]
    for name, arg in [("feast_array_append_int", ctypes.c_int64), ("feast_array_append_double", ctypes.c_double),
                      ("feast_array_append_bool", ctypes.c_bool)]:
        getattr(lib, name).argtypes = [vp, arg, ctypes.POINTER(Error)]
    lib.feast_array_append_bytes.argtypes = [vp, ctypes.c_char_p, ctypes.c_size_t, ctypes.POINTER(Error)]
    lib.feast_array_append_null.argtypes = [vp, ctypes.POINTER(Error)]
    lib.feast_array_append_list_end.argtypes = [vp, ctypes.POINTER(Error)]
    lib.feast_batch_new.restype = vp
    lib.feast_batch_new.argtypes = [ctypes.c_int]
    lib.feast_batch_set_column.argtypes = [vp, ctypes.c_int, ctypes.c_char_p, vp, ctypes.POINTER(Error)]
    lib.feast_batch_export.argtypes = [vp, vp, vp, ctypes.POINTER(Error)]
    lib.feast_batch_free.argtypes = [vp]
    return lib


def dtype(name, unit=0, utc=0, width=0, scale=0):
    return Dtype(DT[name], unit, utc, width, scale)
