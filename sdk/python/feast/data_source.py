"""Sources of feature rows (Feast 0.9's feast.data_source): FileSource and
BigQuerySource for batch, KafkaSource and KinesisSource for streams, with
Feast 0.9's constructors, properties and equality."""
import enum
import warnings
from typing import Dict, Optional

from . import _pb
from .data_format import FileFormat, StreamFormat


class SourceType(enum.Enum):
    UNKNOWN = 0
    BATCH_FILE = 1
    BATCH_BIGQUERY = 2
    STREAM_KAFKA = 3
    STREAM_KINESIS = 4


class FileOptions:
    def __init__(self, file_format: FileFormat, file_url: str):
        self.file_format = file_format
        self.file_url = file_url

    def to_proto(self):
        m = _pb.module("core.DataSource").DataSource.FileOptions
        return m(file_format=self.file_format.to_proto() if self.file_format else None, file_url=self.file_url)

    @classmethod
    def from_proto(cls, proto):
        return cls(file_format=FileFormat.from_proto(proto.file_format), file_url=proto.file_url)


class BigQueryOptions:
    def __init__(self, table_ref: str, query: str = ""):
        self.table_ref = table_ref
        self.query = query

    def to_proto(self):
        m = _pb.module("core.DataSource").DataSource.BigQueryOptions
        return m(table_ref=self.table_ref, **({"query": self.query} if self.query else {}))

    @classmethod
    def from_proto(cls, proto):
        return cls(table_ref=proto.table_ref, query=getattr(proto, "query", ""))


class KafkaOptions:
    def __init__(self, bootstrap_servers: str, message_format: StreamFormat, topic: str):
        self.bootstrap_servers = bootstrap_servers
        self.message_format = message_format
        self.topic = topic

    def to_proto(self):
        m = _pb.module("core.DataSource").DataSource.KafkaOptions
        return m(bootstrap_servers=self.bootstrap_servers, topic=self.topic,
                 message_format=self.message_format.to_proto() if self.message_format else None)

    @classmethod
    def from_proto(cls, proto):
        return cls(bootstrap_servers=proto.bootstrap_servers, topic=proto.topic,
                   message_format=StreamFormat.from_proto(proto.message_format))


class KinesisOptions:
    def __init__(self, record_format: StreamFormat, region: str, stream_name: str):
        self.record_format = record_format
        self.region = region
        self.stream_name = stream_name

    def to_proto(self):
        m = _pb.module("core.DataSource").DataSource.KinesisOptions
        return m(region=self.region, stream_name=self.stream_name,
                 record_format=self.record_format.to_proto() if self.record_format else None)

    @classmethod
    def from_proto(cls, proto):
        return cls(record_format=StreamFormat.from_proto(proto.record_format), region=proto.region,
                   stream_name=proto.stream_name)


class DataSource:
    """What every source has: the event and created timestamp columns, the
    field mapping (Feast name -> source column) and the date partition
    column."""

    _type = "INVALID"

    def __init__(self, event_timestamp_column: str, created_timestamp_column: Optional[str] = "",
                 field_mapping: Optional[Dict[str, str]] = None, date_partition_column: Optional[str] = ""):
        self.event_timestamp_column = event_timestamp_column
        self.created_timestamp_column = created_timestamp_column
        self.field_mapping = field_mapping if field_mapping else {}
        self.date_partition_column = date_partition_column

    def __eq__(self, other):
        # Feast 0.9 raises on comparisons with other kinds of objects.
        if not isinstance(other, DataSource):
            raise TypeError("Comparisons should only involve DataSource class objects.")
        if type(self) is not type(other):
            raise TypeError(f"Comparisons should only involve {type(self).__name__} class objects.")
        return self._dict() == other._dict() and self._descriptor_set() == other._descriptor_set()

    def __ne__(self, other):
        return not self == other

    __hash__ = None

    def __repr__(self):
        return f"{type(self).__name__}({self._dict()})"

    def _descriptor_set(self):
        fmt = getattr(self, "_format", lambda: None)()
        return getattr(fmt, "descriptor_set", None)

    # The protobuf-JSON form (MessageToDict of to_proto()).
    def _options(self):
        raise NotImplementedError

    def _dict(self):
        d = {"type": self._type}
        if self.field_mapping:
            d["fieldMapping"] = dict(self.field_mapping)
        for key, value in (("eventTimestampColumn", self.event_timestamp_column),
                           ("datePartitionColumn", self.date_partition_column),
                           ("createdTimestampColumn", self.created_timestamp_column)):
            if value:
                d[key] = value
        d.update(self._options())
        return d

    def to_dict(self):
        return self._dict()

    def to_proto(self):
        m = _pb.module("core.DataSource").DataSource
        proto = m(type=m.SourceType.Value(self._type), field_mapping=self.field_mapping,
                  **{self._options_field: self._options_proto()})
        proto.event_timestamp_column = self.event_timestamp_column or ""
        proto.created_timestamp_column = self.created_timestamp_column or ""
        proto.date_partition_column = self.date_partition_column or ""
        return proto

    @staticmethod
    def from_proto(data_source):
        from google.protobuf.json_format import MessageToDict
        return DataSource._from_dict(MessageToDict(data_source))

    @staticmethod
    def _from_dict(d, descriptor_set=None):
        """The source a protobuf-JSON DataSource describes, chosen as Feast 0.9
        chooses it: by which options are filled in, not by `type`."""
        common = dict(field_mapping=dict(_pb.get(d, "field_mapping") or {}),
                      event_timestamp_column=_pb.get(d, "event_timestamp_column") or "",
                      created_timestamp_column=_pb.get(d, "created_timestamp_column") or "",
                      date_partition_column=_pb.get(d, "date_partition_column") or "")
        descriptor_set = descriptor_set or _pb.get(d, "descriptor_set")
        f = _pb.get(d, "file_options") or {}
        bq = _pb.get(d, "bigquery_options") or {}
        k = _pb.get(d, "kafka_options") or {}
        kn = _pb.get(d, "kinesis_options") or {}
        if _pb.get(f, "file_format") is not None and _pb.get(f, "file_url"):
            return FileSource(file_format=FileFormat._from_dict(_pb.get(f, "file_format")),
                              file_url=_pb.get(f, "file_url"), **common)
        if _pb.get(bq, "table_ref") or _pb.get(bq, "query"):
            return BigQuerySource(table_ref=_pb.get(bq, "table_ref") or "", query=_pb.get(bq, "query") or "",
                                  **common)
        if _pb.get(k, "bootstrap_servers") and _pb.get(k, "topic") and _pb.get(k, "message_format") is not None:
            return KafkaSource(bootstrap_servers=_pb.get(k, "bootstrap_servers"), topic=_pb.get(k, "topic"),
                               message_format=StreamFormat._from_dict(_pb.get(k, "message_format"), descriptor_set),
                               **common)
        if _pb.get(kn, "record_format") is not None and _pb.get(kn, "region") and _pb.get(kn, "stream_name"):
            return KinesisSource(record_format=StreamFormat._from_dict(_pb.get(kn, "record_format"), descriptor_set),
                                 region=_pb.get(kn, "region"), stream_name=_pb.get(kn, "stream_name"), **common)
        raise ValueError("Could not identify the source type being added")

    def _spec_dict(self):
        """The spec-file form the C engine reads: the protobuf-JSON form plus
        feast-c's descriptorSet."""
        d = self._dict()
        if self._descriptor_set():
            d["descriptorSet"] = self._descriptor_set()
        return d


class FileSource(DataSource):
    """Parquet files: a file, a folder, a glob or a hive-partitioned tree
    (file:// URLs or plain paths; s3:// where the build has S3)."""

    _type, _options_field = "BATCH_FILE", "file_options"

    def __init__(self, event_timestamp_column: str, file_format: FileFormat, file_url: str,
                 created_timestamp_column: Optional[str] = "", field_mapping: Optional[Dict[str, str]] = None,
                 date_partition_column: Optional[str] = ""):
        super().__init__(event_timestamp_column, created_timestamp_column, field_mapping, date_partition_column)
        self.file_options = FileOptions(file_format=file_format, file_url=file_url)

    def _options(self):
        o = {}
        if self.file_options.file_format is not None:
            o["fileFormat"] = self.file_options.file_format._dict()
        if self.file_options.file_url:
            o["fileUrl"] = self.file_options.file_url
        return {"fileOptions": o}

    def _options_proto(self):
        return self.file_options.to_proto()


class BigQuerySource(DataSource):
    """A BigQuery table, "project:dataset.table". `query` (a SQL query in
    place of the table) is Feast 0.10's addition (BigQueryOptions field 2)."""

    _type, _options_field = "BATCH_BIGQUERY", "bigquery_options"

    def __init__(self, event_timestamp_column: str, table_ref: str = "", created_timestamp_column: Optional[str] = "",
                 field_mapping: Optional[Dict[str, str]] = None, date_partition_column: Optional[str] = "",
                 query: str = ""):
        super().__init__(event_timestamp_column, created_timestamp_column, field_mapping, date_partition_column)
        self.bigquery_options = BigQueryOptions(table_ref=table_ref, query=query)

    def _options(self):
        o = {}
        if self.bigquery_options.table_ref:
            o["tableRef"] = self.bigquery_options.table_ref
        if self.bigquery_options.query:
            o["query"] = self.bigquery_options.query
        return {"bigqueryOptions": o}

    def _options_proto(self):
        return self.bigquery_options.to_proto()


class KafkaSource(DataSource):
    """A Kafka topic of Avro or Protobuf messages."""

    _type, _options_field = "STREAM_KAFKA", "kafka_options"

    def __init__(self, event_timestamp_column: str, bootstrap_servers: str, message_format: StreamFormat, topic: str,
                 created_timestamp_column: Optional[str] = "", field_mapping: Optional[Dict[str, str]] = None,
                 date_partition_column: Optional[str] = ""):
        super().__init__(event_timestamp_column, created_timestamp_column, field_mapping, date_partition_column)
        self.kafka_options = KafkaOptions(bootstrap_servers=bootstrap_servers, message_format=message_format,
                                          topic=topic)

    def _format(self):
        return self.kafka_options.message_format

    def _options(self):
        o = {}
        if self.kafka_options.bootstrap_servers:
            o["bootstrapServers"] = self.kafka_options.bootstrap_servers
        if self.kafka_options.topic:
            o["topic"] = self.kafka_options.topic
        if self.kafka_options.message_format is not None:
            o["messageFormat"] = self.kafka_options.message_format._dict()
        return {"kafkaOptions": o}

    def _options_proto(self):
        return self.kafka_options.to_proto()


class KinesisSource(DataSource):
    """A Kinesis stream of Avro or Protobuf records.

    Feast 0.9 raises TypeError for bootstrap_servers=..., which the Feast
    0.9 documentation's own example passes; this class accepts it, warns
    that it means nothing for Kinesis, and builds the source."""

    _type, _options_field = "STREAM_KINESIS", "kinesis_options"

    def __init__(self, event_timestamp_column: str, created_timestamp_column: str, record_format: StreamFormat,
                 region: str, stream_name: str, field_mapping: Optional[Dict[str, str]] = None,
                 date_partition_column: Optional[str] = "", bootstrap_servers: Optional[str] = None):
        if bootstrap_servers is not None:
            warnings.warn("KinesisSource: bootstrap_servers means nothing for a Kinesis stream (it names Kafka "
                          f"brokers); ignoring bootstrap_servers={bootstrap_servers!r}", UserWarning, stacklevel=2)
        super().__init__(event_timestamp_column, created_timestamp_column, field_mapping, date_partition_column)
        self.kinesis_options = KinesisOptions(record_format=record_format, region=region, stream_name=stream_name)

    def _format(self):
        return self.kinesis_options.record_format

    def _options(self):
        o = {}
        if self.kinesis_options.region:
            o["region"] = self.kinesis_options.region
        if self.kinesis_options.stream_name:
            o["streamName"] = self.kinesis_options.stream_name
        if self.kinesis_options.record_format is not None:
            o["recordFormat"] = self.kinesis_options.record_format._dict()
        return {"kinesisOptions": o}

    def _options_proto(self):
        return self.kinesis_options.to_proto()
