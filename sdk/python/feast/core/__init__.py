"""Feast 0.9's protobuf messages (feast.core.*_pb2)."""
