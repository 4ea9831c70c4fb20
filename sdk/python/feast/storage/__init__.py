"""Feast 0.9's protobuf messages (feast.storage.*_pb2)."""
