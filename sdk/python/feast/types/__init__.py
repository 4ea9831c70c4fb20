"""Feast 0.9's protobuf messages (feast.types.*_pb2)."""
