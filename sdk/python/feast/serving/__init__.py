"""Feast 0.9's protobuf messages (feast.serving.*_pb2)."""
