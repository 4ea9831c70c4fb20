"""Entity (Feast 0.9's feast.entity): one typed key column; its name is the
join column."""
from typing import Dict, MutableMapping, Optional

from . import _pb
from .value_type import ValueType, _value_type, _value_type_name


class Entity:
    def __init__(self, name: str, description: str, value_type: ValueType,
                 labels: Optional[MutableMapping[str, str]] = None):
        self._name = name
        self._description = description
        self._value_type = value_type
        self._labels = dict() if labels is None else labels
        self._created_ns = None
        self._last_updated_ns = None

    # Feast 0.9 compares name, description, type and labels. The type may be
    # a ValueType, its number or its name on either side: all compare alike
    # (0.9 itself mixes them up: a ValueType against a name is unequal there).
    def __eq__(self, other):
        if not isinstance(other, Entity):
            raise TypeError("Comparisons should only involve Entity class objects.")
        return (dict(self.labels) == dict(other.labels) and self.name == other.name
                and self.description == other.description
                and _value_type(self.value_type) == _value_type(other.value_type))

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __str__(self):
        import json
        return json.dumps(self._proto_dict(), indent=2)

    def __repr__(self):
        return f"Entity(name={self.name!r}, value_type={_value_type_name(self.value_type)})"

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, name):
        self._name = name

    @property
    def description(self):
        return self._description

    @description.setter
    def description(self, description):
        self._description = description

    @property
    def value_type(self):
        """As given to the constructor; the type name ("INT64") when read from
        the registry, as Feast 0.9 returns it."""
        return self._value_type

    @value_type.setter
    def value_type(self, value_type):
        self._value_type = value_type

    @property
    def labels(self):
        return self._labels

    @labels.setter
    def labels(self, labels):
        self._labels = labels

    @property
    def created_timestamp(self):
        """A google.protobuf Timestamp (empty when unset) with protobuf
        installed, as in Feast 0.9; else a datetime or None."""
        return _pb.timestamp_value(self._created_ns)

    @property
    def last_updated_timestamp(self):
        return _pb.timestamp_value(self._last_updated_ns)

    def is_valid(self):
        if not self.name:
            raise ValueError("No name found in entity.")
        if not self.value_type or _value_type(self.value_type) is ValueType.UNKNOWN:
            raise ValueError(f"No type found in entity {self.value_type}")

    # ---- dict / YAML (protobuf-JSON, as MessageToDict writes it) ----

    def _spec_dict(self):
        d = {}
        if self.name:
            d["name"] = self.name
        vt = _value_type(self.value_type) if self.value_type not in (None, "") else ValueType.UNKNOWN
        if vt is not ValueType.UNKNOWN:
            d["valueType"] = vt.name
        if self.description:
            d["description"] = self.description
        if self.labels:
            d["labels"] = dict(self.labels)
        return d

    def _meta_dict(self):
        m = {}
        if self._created_ns is not None:
            m["createdTimestamp"] = _pb.timestamp_json(self._created_ns)
        if self._last_updated_ns is not None:
            m["lastUpdatedTimestamp"] = _pb.timestamp_json(self._last_updated_ns)
        return m

    def _proto_dict(self):
        return {"spec": self._spec_dict(), "meta": self._meta_dict()}

    def to_dict(self) -> Dict:
        d = self._proto_dict()
        if d["meta"] == {}:
            del d["meta"]
        return d

    def to_yaml(self):
        import yaml
        return yaml.dump(self.to_dict(), allow_unicode=True, sort_keys=False)

    @classmethod
    def from_dict(cls, entity_dict):
        spec = entity_dict.get("spec") or {}
        meta = entity_dict.get("meta") or {}
        vt = _pb.get(spec, "value_type")
        entity = cls(name=spec.get("name", ""), description=spec.get("description", ""),
                     value_type=_value_type(vt).name if vt is not None else ValueType.UNKNOWN.name,
                     labels=dict(spec.get("labels") or {}))
        entity._created_ns = _pb.timestamp_ns(_pb.get(meta, "created_timestamp"))
        entity._last_updated_ns = _pb.timestamp_ns(_pb.get(meta, "last_updated_timestamp"))
        return entity

    @classmethod
    def from_yaml(cls, yml: str):
        from ._yaml import load_single
        return cls.from_dict(load_single(yml))

    # ---- protobuf ----

    def to_spec_proto(self):
        m = _pb.module("core.Entity")
        vt = _value_type(self.value_type) if self.value_type not in (None, "") else ValueType.UNKNOWN
        return m.EntitySpecV2(name=self.name, description=self.description,
                              value_type=_pb.module("types.Value").ValueType.Enum.Value(_value_type_name(vt)),
                              labels=self.labels)

    def to_proto(self):
        m = _pb.module("core.Entity")
        meta = m.EntityMeta()
        meta.SetInParent()
        for field, ns in (("created_timestamp", self._created_ns), ("last_updated_timestamp", self._last_updated_ns)):
            if ns is not None:
                getattr(meta, field).seconds, getattr(meta, field).nanos = divmod(ns, 10**9)
        return m.Entity(spec=self.to_spec_proto(), meta=meta)

    @classmethod
    def from_proto(cls, entity_proto):
        from google.protobuf.json_format import MessageToDict
        return cls.from_dict(MessageToDict(entity_proto))

    def _update_from_entity(self, entity):
        self.name, self.description = entity.name, entity.description
        self.value_type, self.labels = entity.value_type, entity.labels
        self._created_ns, self._last_updated_ns = entity._created_ns, entity._last_updated_ns
