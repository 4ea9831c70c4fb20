"""ValueType: the types of entities and features (Feast 0.9's
feast.value_type, numbered as feast.types.ValueType.Enum; 0 is UNKNOWN here
and INVALID in the protobuf enum)."""
import enum


class ValueType(enum.Enum):
    UNKNOWN = 0
    BYTES = 1
    STRING = 2
    INT32 = 3
    INT64 = 4
    DOUBLE = 5
    FLOAT = 6
    BOOL = 7
    BYTES_LIST = 11
    STRING_LIST = 12
    INT32_LIST = 13
    INT64_LIST = 14
    DOUBLE_LIST = 15
    FLOAT_LIST = 16
    BOOL_LIST = 17


def _value_type(value):
    """A ValueType from a ValueType, its number or its name ("INT64";
    "INVALID" is UNKNOWN); ValueError otherwise."""
    if isinstance(value, ValueType):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a value type: {value!r}")
    if isinstance(value, int):
        return ValueType(value)
    if isinstance(value, str):
        if value == "INVALID":
            return ValueType.UNKNOWN
        try:
            return ValueType[value]
        except KeyError:
            raise ValueError(f"not a value type: {value!r}") from None
    raise ValueError(f"not a value type: {value!r}")


def _value_type_name(value):
    """The protobuf enum name of a value type ("INVALID" for UNKNOWN)."""
    vt = _value_type(value)
    return "INVALID" if vt is ValueType.UNKNOWN else vt.name
