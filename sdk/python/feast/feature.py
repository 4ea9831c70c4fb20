"""Feature and FeatureRef (Feast 0.9's feast.feature)."""
from typing import List, MutableMapping, Optional

from . import _pb
from .value_type import ValueType, _value_type, _value_type_name


class Feature:
    """One feature column: a name, a ValueType and labels."""

    def __init__(self, name: str, dtype: ValueType, labels: Optional[MutableMapping[str, str]] = None):
        self._name = name
        if not isinstance(dtype, ValueType):
            raise ValueError("dtype is not a valid ValueType")
        self._dtype = dtype
        self._labels = dict() if labels is None else labels

    def __eq__(self, other):
        if not isinstance(other, Feature):
            return NotImplemented
        return self.name == other.name and self.dtype == other.dtype and dict(self.labels) == dict(other.labels)

    __hash__ = None

    def __lt__(self, other):
        return self.name < other.name

    def __repr__(self):
        return f"Feature(name={self.name!r}, dtype=ValueType.{self.dtype.name})"

    @property
    def name(self):
        return self._name

    @property
    def dtype(self) -> ValueType:
        return self._dtype

    @property
    def labels(self) -> MutableMapping[str, str]:
        return self._labels

    def _dict(self):
        d = {"name": self.name} if self.name else {}
        if self.dtype is not ValueType.UNKNOWN:
            d["valueType"] = self.dtype.name
        if self.labels:
            d["labels"] = dict(self.labels)
        return d

    @classmethod
    def _from_dict(cls, d):
        return cls(name=d.get("name", ""), dtype=_value_type(_pb.get(d, "value_type") or 0),
                   labels=dict(d.get("labels") or {}))

    def to_proto(self):
        return _pb.module("core.Feature").FeatureSpecV2(
            name=self.name, value_type=_pb.module("types.Value").ValueType.Enum.Value(_value_type_name(self.dtype)),
            labels=self.labels)

    @classmethod
    def from_proto(cls, feature_proto):
        return cls(name=feature_proto.name, dtype=ValueType(feature_proto.value_type),
                   labels=dict(feature_proto.labels))


class FeatureRef:
    """A reference "feature_table:feature"."""

    def __init__(self, name: str, feature_table: str = None):
        self.name = name
        self.feature_table = feature_table or ""

    @property
    def proto(self):
        return self.to_proto()

    @classmethod
    def from_proto(cls, proto):
        return cls(name=proto.name, feature_table=proto.feature_table)

    @classmethod
    def from_str(cls, feature_ref_str: str):
        if ":" not in feature_ref_str:
            raise ValueError(f"Unsupported feature reference: {feature_ref_str} - Feature reference string should be "
                             "in the form [featuretable_name:featurename]")
        table, name = feature_ref_str.split(":")
        return cls(name=name, feature_table=table)

    def to_proto(self):
        return _pb.module("serving.ServingService").FeatureReferenceV2(name=self.name,
                                                                      feature_table=self.feature_table)

    def __repr__(self):
        return self.feature_table + ":" + self.name

    def __str__(self):
        return f"FeatureRef<{self.__repr__()}>"

    def __eq__(self, other):
        return isinstance(other, FeatureRef) and repr(self) == repr(other)

    def __hash__(self):
        return hash(repr(self))


def _parse_refs(feature_refs: List[str]) -> List[FeatureRef]:
    return [FeatureRef.from_str(r) for r in feature_refs]
