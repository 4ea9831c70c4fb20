"""The protobuf classes, imported only when asked for: to_proto(),
from_proto() and the remote client need the `protobuf` package (the
`feast-c[proto]` or `feast-c[grpc]` extra); everything else works without it.
Also the conversions between google.protobuf Timestamp / Duration and
nanoseconds that the objects keep."""
import datetime as _dt
import importlib

_EPOCH = _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)


def module(name):
    """feast.<name>_pb2, e.g. module("core.FeatureTable")."""
    try:
        return importlib.import_module(f"feast.{name}_pb2")
    except ImportError as e:
        if "google" in str(e) or "protobuf" in str(e):
            raise ImportError("this needs the protobuf package: pip install 'feast-c[proto]' "
                              "(or 'feast-c[grpc]' for the remote client)") from e
        raise


def have_protobuf():
    try:
        import google.protobuf  # noqa: F401
        return True
    except ImportError:
        return False


# ---- durations (max_age) ----

def duration_ns(value):
    """Nanoseconds of a google.protobuf Duration, a timedelta, a number of
    seconds or a protobuf-JSON string ("3600s", "1.5s"); None stays None."""
    if value is None:
        return None
    if isinstance(value, _dt.timedelta):
        return (value.days * 86400 + value.seconds) * 10**9 + value.microseconds * 1000
    if isinstance(value, bool):
        raise TypeError(f"max_age must be a Duration, a timedelta or seconds, not {value!r}")
    if isinstance(value, (int, float)):
        return int(round(value * 10**9))
    if isinstance(value, str):
        if not value.endswith("s"):
            raise ValueError(f"a duration looks like '3600s', not {value!r}")
        sec, _, frac = value[:-1].partition(".")
        neg = sec.startswith("-")
        ns = abs(int(sec)) * 10**9 + (int((frac + "000000000")[:9]) if frac else 0)
        return -ns if neg else ns
    if hasattr(value, "seconds") and hasattr(value, "nanos"):
        return int(value.seconds) * 10**9 + int(value.nanos)
    raise TypeError(f"max_age must be a Duration, a timedelta or seconds, not {type(value).__name__}")


def duration_json(ns):
    """protobuf-JSON text of a duration, as MessageToDict writes it."""
    sign = "-" if ns < 0 else ""
    sec, frac = divmod(abs(ns), 10**9)
    if not frac:
        return f"{sign}{sec}s"
    for digits in (3, 6, 9):
        if frac % 10**(9 - digits) == 0:
            return f"{sign}{sec}.{frac // 10**(9 - digits):0{digits}d}s"


def duration_value(ns):
    """What a max_age read from the registry is: a google.protobuf Duration
    when protobuf is installed (as in Feast 0.9), else a timedelta."""
    if ns is None:
        return None
    if have_protobuf():
        from google.protobuf.duration_pb2 import Duration
        return Duration(seconds=ns // 10**9, nanos=ns % 10**9) if ns >= 0 else \
            Duration(seconds=-((-ns) // 10**9), nanos=-((-ns) % 10**9))
    return _dt.timedelta(microseconds=ns // 1000)


# ---- timestamps (meta) ----

def timestamp_ns(value):
    """Nanoseconds since the epoch of a Timestamp, a datetime (naive = UTC)
    or RFC 3339 text; None and empty Timestamps are None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.replace("Z", "+00:00")
        main, dot, rest = text.partition(".")
        frac = 0
        if dot:
            n = 0
            while n < len(rest) and rest[n].isdigit():
                n += 1
            digits, tz = rest[:n], rest[n:]
            frac = int((digits + "000000000")[:9])
            text = main + tz
        d = _dt.datetime.fromisoformat(text)
        if d.tzinfo is None:
            d = d.replace(tzinfo=_dt.timezone.utc)
        delta = d - _EPOCH
        return (delta.days * 86400 + delta.seconds) * 10**9 + frac
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _EPOCH
        return (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    if hasattr(value, "seconds") and hasattr(value, "nanos"):
        if not value.seconds and not value.nanos:
            return None
        return int(value.seconds) * 10**9 + int(value.nanos)
    raise TypeError(f"not a timestamp: {value!r}")


def timestamp_json(ns):
    """RFC 3339 in UTC with 0, 3, 6 or 9 fractional digits, as protobuf-JSON writes it."""
    sec, frac = divmod(ns, 10**9)
    base = (_EPOCH + _dt.timedelta(seconds=sec)).strftime("%Y-%m-%dT%H:%M:%S")
    if not frac:
        return base + "Z"
    for digits in (3, 6, 9):
        if frac % 10**(9 - digits) == 0:
            return f"{base}.{frac // 10**(9 - digits):0{digits}d}Z"


def timestamp_value(ns):
    """A meta timestamp as Feast 0.9 returns it: a google.protobuf Timestamp
    when protobuf is installed (an empty one when unset), else a datetime or None."""
    if have_protobuf():
        from google.protobuf.timestamp_pb2 import Timestamp
        return Timestamp() if ns is None else Timestamp(seconds=ns // 10**9, nanos=ns % 10**9)
    return None if ns is None else _EPOCH + _dt.timedelta(microseconds=ns // 1000)


def get(d, snake):
    """d[snake] or d[camelCase of snake] (protobuf-JSON accepts both)."""
    if snake in d:
        return d[snake]
    head, *rest = snake.split("_")
    return d.get(head + "".join(p.title() for p in rest))
