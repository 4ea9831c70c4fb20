"""Encodings of sources (Feast 0.9's feast.data_format): files are Parquet;
stream messages Avro (schema inline) or Protobuf (named by class path)."""
from . import _pb


class FileFormat:
    """Base of file formats."""

    def to_proto(self):
        m = _pb.module("core.DataFormat").FileFormat
        return m(parquet_format=m.ParquetFormat())

    def _dict(self):
        raise NotImplementedError

    def __eq__(self, other):
        if not isinstance(other, FileFormat):
            return NotImplemented
        return self._dict() == other._dict()

    @classmethod
    def from_proto(cls, proto):
        fmt = proto.WhichOneof("format")
        if fmt == "parquet_format":
            return ParquetFormat()
        raise NotImplementedError(f"FileFormat is unsupported: {fmt}")

    @classmethod
    def _from_dict(cls, d):
        if d is not None and _pb.get(d, "parquet_format") is not None:
            return ParquetFormat()
        raise NotImplementedError(f"FileFormat is unsupported: {d}")


class ParquetFormat(FileFormat):
    def _dict(self):
        return {"parquetFormat": {}}

    def __str__(self):
        return "parquet"

    def __repr__(self):
        return "ParquetFormat()"


class StreamFormat:
    """Base of stream formats."""

    def to_proto(self):
        m = _pb.module("core.DataFormat").StreamFormat
        if isinstance(self, AvroFormat):
            return m(avro_format=m.AvroFormat(schema_json=self.schema_json))
        return m(proto_format=m.ProtoFormat(class_path=self.class_path))

    def __eq__(self, other):
        if not isinstance(other, StreamFormat):
            return NotImplemented
        return self._dict() == other._dict() and getattr(self, "descriptor_set", None) == \
            getattr(other, "descriptor_set", None)

    @classmethod
    def from_proto(cls, proto):
        fmt = proto.WhichOneof("format")
        if fmt == "avro_format":
            return AvroFormat(schema_json=proto.avro_format.schema_json)
        if fmt == "proto_format":
            return ProtoFormat(class_path=proto.proto_format.class_path)
        raise NotImplementedError(f"StreamFormat is unsupported: {fmt}")

    @classmethod
    def _from_dict(cls, d, descriptor_set=None):
        d = d or {}
        avro, proto = _pb.get(d, "avro_format"), _pb.get(d, "proto_format")
        if avro is not None:
            return AvroFormat(schema_json=_pb.get(avro, "schema_json") or "")
        if proto is not None:
            return ProtoFormat(class_path=_pb.get(proto, "class_path") or "", descriptor_set=descriptor_set)
        raise NotImplementedError(f"StreamFormat is unsupported: {d}")


class AvroFormat(StreamFormat):
    """Raw Avro binary datums of `schema_json` (no Confluent header), as in
    Feast 0.9; feature_store.yaml's streams.schema_registry_url adds
    Confluent framing."""

    def __init__(self, schema_json: str):
        self.schema_json = schema_json

    def _dict(self):
        return {"avroFormat": {"schemaJson": self.schema_json} if self.schema_json else {}}

    def __repr__(self):
        return f"AvroFormat(schema_json={self.schema_json!r})"


class ProtoFormat(StreamFormat):
    """Protobuf messages of the type `class_path` names (Feast 0.9: a Java
    class name; feast-c also takes the message's full protobuf name).

    descriptor_set (feast-c's addition): the path of a FileDescriptorSet
    (`protoc --include_imports --descriptor_set_out=X.pb ...`) in which
    class_path is resolved, since the C engine cannot load a Java class.
    Default None: no descriptor set, as in Feast 0.9's protocol; the table
    still registers (the class path's form is checked), and the source check
    and stream ingestion report that the descriptor set is missing. The
    descriptor set is local configuration: it is not part of Feast 0.9's
    messages, so to_proto() leaves it out."""

    def __init__(self, class_path: str, descriptor_set=None):
        self.class_path = class_path
        self.descriptor_set = None if descriptor_set is None else str(descriptor_set)

    def _dict(self):
        return {"protoFormat": {"classPath": self.class_path} if self.class_path else {}}

    def __repr__(self):
        extra = f", descriptor_set={self.descriptor_set!r}" if self.descriptor_set else ""
        return f"ProtoFormat(class_path={self.class_path!r}{extra})"
