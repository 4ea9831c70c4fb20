"""OnlineResponse (Feast 0.9's feast.online_response): the latest feature
values of each entity row, by field ("driver_id", "driver_trips:rating").

Feast 0.9 wraps a GetOnlineFeaturesResponse protobuf; this one keeps the
values column by column (a pyarrow Table, see to_arrow()) with a status per
value, and builds the protobuf on demand (.proto, .field_values; needs the
protobuf package)."""
from typing import Any, Dict, List

STATUS_NAMES = ["INVALID", "PRESENT", "NULL_VALUE", "NOT_FOUND", "OUTSIDE_MAX_AGE"]


class _Lazy(dict):
    """A dict whose missing entries are made on first use by make(key)."""

    def __init__(self, base, make):
        super().__init__(base)
        self._make = make

    def __missing__(self, key):
        value = self[key] = self._make(key)
        return value


class OnlineResponse:
    """columns / statuses / event_timestamps map each field to a list; the
    embedded client passes Arrow columns and lets them become lists only
    when asked (see _from_arrow)."""

    def __init__(self, names: List[str], columns: Dict[str, list], statuses: Dict[str, List[str]],
                 event_timestamps: Dict[str, list] = None, value_types: Dict[str, str] = None, proto=None,
                 arrow=None):
        self._names = list(names)
        self._columns = columns
        self._statuses = statuses
        self._event_timestamps = event_timestamps if event_timestamps is not None else {}
        self._value_types = value_types or {}
        self._proto = proto
        self._arrow = arrow
        self._stamp_names = [k for k in self._names if k in self._event_timestamps]

    @property
    def field_names(self) -> List[str]:
        """Entity fields in request order, then "table:feature" in request order."""
        return list(self._names)

    def to_dict(self, include_statuses: bool = False) -> Dict[str, Any]:
        """{field: [value per entity row]}, as Feast 0.9 (None where no value).
        include_statuses (feast-c) adds "<field>__status": ["PRESENT", ...]."""
        out = {k: list(self._columns[k]) for k in self._names}
        if include_statuses:
            out.update({f"{k}__status": list(self._statuses[k]) for k in self._names})
        return out

    @property
    def statuses(self) -> Dict[str, List[str]]:
        """{field: [status per row]}: PRESENT, NULL_VALUE, NOT_FOUND or OUTSIDE_MAX_AGE (feast-c)."""
        return {k: list(self._statuses[k]) for k in self._names}

    @property
    def event_timestamps(self) -> Dict[str, list]:
        """{feature field: [event time of the stored value, or None]} (feast-c; embedded mode)."""
        return {k: list(self._event_timestamps[k]) for k in self._stamp_names}

    def to_arrow(self):
        """The values as a pyarrow Table (one column per field; embedded, the
        feature columns are the engine's buffers, not copies)."""
        if callable(self._arrow):
            self._arrow = self._arrow()
        if self._arrow is not None:
            return self._arrow
        import pyarrow as pa
        return pa.table({k: self._columns[k] for k in self._names})

    def to_pandas(self):
        return self.to_arrow().to_pandas()

    @property
    def proto(self):
        """The GetOnlineFeaturesResponse protobuf (built on first use)."""
        if self._proto is None:
            self._proto = _build_proto(self)
        return self._proto

    @property
    def field_values(self):
        return self.proto.field_values

    def __repr__(self):
        return f"OnlineResponse({self.to_dict()})"


def _python_to_value(value, value_type):
    """A feast.types.Value of a Python value of declared type `value_type`
    (a ValueType name); None is the empty Value."""
    from . import _pb
    Value = _pb.module("types.Value").Value
    if value is None:
        return Value()
    vt = value_type or _infer_type_name(value)
    if vt.endswith("_LIST"):
        field = vt[:-5].lower() + "_list_val"
        v = Value()
        getattr(v, field).val.extend(value)
        return v
    return Value(**{vt.lower() + "_val": value})


def _infer_type_name(value):
    """Feast 0.9's inference for Python values: int -> INT64, float ->
    DOUBLE, str -> STRING, bytes -> BYTES, bool -> BOOL, numpy scalars by
    their dtype; lists by their first element."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "BOOL"
    name = type(value).__name__
    table = {"int": "INT64", "str": "STRING", "float": "DOUBLE", "bytes": "BYTES", "float64": "DOUBLE",
             "float32": "FLOAT", "int64": "INT64", "uint64": "INT64", "int32": "INT32", "uint32": "INT32",
             "uint8": "INT32", "int8": "INT32", "str_": "STRING", "bytes_": "BYTES"}
    if name in table:
        return table[name]
    if isinstance(value, (list, tuple)) or name == "ndarray":
        items = [x for x in value if x is not None]
        if not items:
            raise ValueError("cannot infer the type of an empty list")
        return _infer_type_name(items[0]) + "_LIST"
    raise TypeError(f"no Feast type for a Python {name}: {value!r}")


def _value_to_python(v):
    """Feast 0.9's conversion of a feast.types.Value to Python (None when empty)."""
    case = v.WhichOneof("val")
    if case is None:
        return None
    x = getattr(v, case)
    if case.endswith("_list_val"):
        return list(x.val)
    return x


def _build_proto(r):
    from . import _pb
    m = _pb.module("serving.ServingService").GetOnlineFeaturesResponse
    out = m()
    n = len(r._columns[r._names[0]]) if r._names else 0
    for i in range(n):
        fv = out.field_values.add()
        for k in r._names:
            fv.fields[k].CopyFrom(_python_to_value(r._columns[k][i], r._value_types.get(k)))
            fv.statuses[k] = m.FieldStatus.Value(r._statuses[k][i])
    return out


def _from_proto(proto, names, value_types=None):
    """An OnlineResponse from a GetOnlineFeaturesResponse; `names` (entity
    fields then references) gives the column order, as the request asked."""
    m_status = type(proto).FieldStatus
    seen = list(names)
    for row in proto.field_values:
        for k in row.fields:
            if k not in seen:
                seen.append(k)
    columns = {k: [] for k in seen}
    statuses = {k: [] for k in seen}
    for row in proto.field_values:
        for k in seen:
            columns[k].append(_value_to_python(row.fields[k]) if k in row.fields else None)
            st = row.statuses[k] if k in row.statuses else (1 if k in row.fields else 3)
            statuses[k].append(m_status.Name(st))
    return OnlineResponse(seen, columns, statuses, None, value_types, proto)


def _arrow_value_type(t):
    """The ValueType name of a column the engine exported."""
    import pyarrow as pa
    if pa.types.is_list(t):
        return _arrow_value_type(t.value_type) + "_LIST"
    for name, test in (("BOOL", pa.types.is_boolean), ("INT32", pa.types.is_int32), ("INT64", pa.types.is_int64),
                       ("FLOAT", pa.types.is_float32), ("DOUBLE", pa.types.is_float64),
                       ("STRING", pa.types.is_string), ("BYTES", pa.types.is_binary)):
        if test(t):
            return name
    raise TypeError(f"no Feast type for {t}")


def _from_arrow(entity_names, entity_columns, refs, values, statuses, stamps):
    """An OnlineResponse over the engine's Arrow columns (refs[i] is column i
    of each batch): lists are made only for the fields asked for."""
    import pyarrow as pa
    index = {r: i for i, r in enumerate(refs)}
    n = len(next(iter(entity_columns.values()))) if entity_columns else values.num_rows
    columns = _Lazy(entity_columns, lambda k: values.column(index[k]).to_pylist())
    status = _Lazy({k: ["PRESENT"] * n for k in entity_names},
                   lambda k: [STATUS_NAMES[c] for c in statuses.column(index[k]).to_pylist()])
    stamp_of = _Lazy({}, lambda k: stamps.column(index[k]).to_pylist())
    def arrow():
        return pa.table({**{k: pa.array(entity_columns[k]) for k in entity_names},
                         **{r: values.column(i) for i, r in enumerate(refs)}})
    value_types = {f.name: _arrow_value_type(f.type) for f in values.schema}
    out = OnlineResponse(list(entity_names) + list(refs), columns, status, stamp_of, value_types, arrow=arrow)
    out._stamp_names = list(refs)
    return out
