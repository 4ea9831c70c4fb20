"""feast-c's Python SDK: Feast 0.9's API (`feast.Client`, `Entity`,
`FeatureTable`, the sources and formats) on the C engine, in process or
over gRPC to `feast serve` or a Feast 0.9 Core/Serving. See docs/sdk.md."""
from .client import Client
from .data_format import AvroFormat, ParquetFormat, ProtoFormat
from .data_source import BigQuerySource, FileSource, KafkaSource, KinesisSource, SourceType
from .entity import Entity
from .errors import FeastError
from .feature import Feature, FeatureRef
from .feature_table import FeatureTable
from .online_response import OnlineResponse
from .value_type import ValueType

__version__ = "0.9.5+feast.c.0.2.0"

__all__ = ["Client", "FeastError", "OnlineResponse", "AvroFormat", "BigQuerySource", "Entity", "Feature", "FeatureRef", "FeatureTable", "FileSource",
           "KafkaSource", "KinesisSource", "ParquetFormat", "ProtoFormat", "SourceType", "ValueType"]
