"""FeatureTable (Feast 0.9's feast.feature_table): features of some
entities, read from a batch source (and optionally a stream source)."""
from typing import Dict, List, MutableMapping, Optional, Union

from . import _pb
from .data_source import BigQuerySource, DataSource, FileSource, KafkaSource, KinesisSource
from .feature import Feature


class FeatureTable:
    def __init__(self, name: str, entities: List[str], features: List[Feature],
                 batch_source: Union[BigQuerySource, FileSource] = None,
                 stream_source: Optional[Union[KafkaSource, KinesisSource]] = None,
                 max_age=None, labels: Optional[MutableMapping[str, str]] = None):
        self._name = name
        self._entities = entities
        self._features = features
        self._batch_source = batch_source
        self._stream_source = stream_source
        self._labels = dict() if labels is None else labels
        self._max_age = max_age
        self._created_ns = None
        self._last_updated_ns = None
        self._revision = 0

    def __str__(self):
        import json
        return json.dumps(self._proto_dict(), indent=2)

    def __repr__(self):
        return f"FeatureTable <{self.name}>"

    # As Feast 0.9: entities and features compared as sorted lists (the
    # registry does not keep their order). max_age compares by length
    # whatever its type (Duration, timedelta, seconds).
    def __eq__(self, other):
        if not isinstance(other, FeatureTable):
            raise TypeError("Comparisons should only involve FeatureTable class objects.")
        if dict(self.labels) != dict(other.labels) or self.name != other.name:
            return False
        if (_pb.duration_ns(self.max_age) or None) != (_pb.duration_ns(other.max_age) or None):
            return False
        if sorted(self.entities) != sorted(other.entities):
            return False
        if sorted(self.features) != sorted(other.features):
            return False
        for a, b in ((self.batch_source, other.batch_source), (self.stream_source, other.stream_source)):
            if (a is None) != (b is None) or (a is not None and (type(a) is not type(b) or a != b)):
                return False
        return True

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    @property
    def name(self):
        return self._name

    @name.setter
    def name(self, name: str):
        self._name = name

    @property
    def entities(self):
        return self._entities

    @entities.setter
    def entities(self, entities: List[str]):
        self._entities = entities

    @property
    def features(self):
        return self._features

    @features.setter
    def features(self, features: List[Feature]):
        self._features = features

    @property
    def batch_source(self):
        return self._batch_source

    @batch_source.setter
    def batch_source(self, batch_source):
        self._batch_source = batch_source

    @property
    def stream_source(self):
        return self._stream_source

    @stream_source.setter
    def stream_source(self, stream_source):
        self._stream_source = stream_source

    @property
    def max_age(self):
        """As given; read from the registry, a google.protobuf Duration with
        protobuf installed (as Feast 0.9), else a timedelta; None = no limit."""
        return self._max_age

    @max_age.setter
    def max_age(self, max_age):
        self._max_age = max_age

    @property
    def labels(self):
        return self._labels

    @labels.setter
    def labels(self, labels: MutableMapping[str, str]):
        self._labels = labels

    @property
    def created_timestamp(self):
        return _pb.timestamp_value(self._created_ns)

    @property
    def last_updated_timestamp(self):
        return _pb.timestamp_value(self._last_updated_ns)

    @property
    def revision(self):
        """The registry's revision of this table (feast-c; 0 before apply)."""
        return self._revision

    def add_feature(self, feature: Feature):
        self.features.append(feature)

    def is_valid(self):
        if not self.name:
            raise ValueError("No name found in feature table.")
        if not self.entities:
            raise ValueError(f"No entities found in feature table {self.name}.")

    # ---- dict / YAML (protobuf-JSON, as MessageToDict writes it) ----

    def _spec_dict(self, spec_file=False):
        d = {}
        if self.name:
            d["name"] = self.name
        if self.entities:
            d["entities"] = list(self.entities)
        if self.features:
            d["features"] = [f._dict() for f in self.features]
        if self.labels:
            d["labels"] = dict(self.labels)
        ns = _pb.duration_ns(self.max_age)
        if ns is not None:
            d["maxAge"] = _pb.duration_json(ns)
        for key, src in (("batchSource", self.batch_source), ("streamSource", self.stream_source)):
            if src is not None:
                d[key] = src._spec_dict() if spec_file else src._dict()
        return d

    def _meta_dict(self):
        m = {}
        if self._created_ns is not None:
            m["createdTimestamp"] = _pb.timestamp_json(self._created_ns)
        if self._last_updated_ns is not None:
            m["lastUpdatedTimestamp"] = _pb.timestamp_json(self._last_updated_ns)
        if self._revision:
            m["revision"] = str(self._revision)
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
    def from_dict(cls, ft_dict):
        spec = ft_dict.get("spec") or {}
        meta = ft_dict.get("meta") or {}
        ns = _pb.duration_ns(_pb.get(spec, "max_age"))
        stream = _pb.get(spec, "stream_source")
        table = cls(name=spec.get("name", ""), entities=list(spec.get("entities") or []),
                    features=[Feature._from_dict(f) for f in spec.get("features") or []],
                    labels=dict(spec.get("labels") or {}),
                    max_age=None if not ns else _pb.duration_value(ns),
                    batch_source=DataSource._from_dict(_pb.get(spec, "batch_source") or {}),
                    stream_source=DataSource._from_dict(stream) if stream else None)
        table._created_ns = _pb.timestamp_ns(_pb.get(meta, "created_timestamp"))
        table._last_updated_ns = _pb.timestamp_ns(_pb.get(meta, "last_updated_timestamp"))
        table._revision = int(meta.get("revision") or 0)
        return table

    @classmethod
    def from_yaml(cls, yml: str):
        from ._yaml import load_single
        return cls.from_dict(load_single(yml))

    # ---- protobuf ----

    def to_spec_proto(self):
        m = _pb.module("core.FeatureTable")
        spec = m.FeatureTableSpec(name=self.name, entities=self.entities,
                                  features=[f.to_proto() if isinstance(f, Feature) else f for f in self.features],
                                  labels=self.labels)
        ns = _pb.duration_ns(self.max_age)
        if ns is not None:
            spec.max_age.seconds, spec.max_age.nanos = (ns // 10**9, ns % 10**9) if ns >= 0 else \
                (-((-ns) // 10**9), -((-ns) % 10**9))
        for field, src in (("batch_source", self.batch_source), ("stream_source", self.stream_source)):
            if isinstance(src, DataSource):
                getattr(spec, field).CopyFrom(src.to_proto())
            elif src is not None:
                getattr(spec, field).CopyFrom(src)
        return spec

    def to_proto(self):
        m = _pb.module("core.FeatureTable")
        meta = m.FeatureTableMeta()
        for field, ns in (("created_timestamp", self._created_ns), ("last_updated_timestamp", self._last_updated_ns)):
            if ns is not None:
                getattr(meta, field).seconds, getattr(meta, field).nanos = divmod(ns, 10**9)
        meta.revision = self._revision
        return m.FeatureTable(spec=self.to_spec_proto(), meta=meta)

    @classmethod
    def from_proto(cls, feature_table_proto):
        from google.protobuf.json_format import MessageToDict
        return cls.from_dict(MessageToDict(feature_table_proto))

    def _update_from_feature_table(self, t):
        self.name, self.entities, self.features, self.labels = t.name, t.entities, t.features, t.labels
        self.max_age, self.batch_source, self.stream_source = t.max_age, t.batch_source, t.stream_source
        self._created_ns, self._last_updated_ns, self._revision = t._created_ns, t._last_updated_ns, t._revision
