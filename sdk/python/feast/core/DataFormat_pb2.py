"""Feast 0.9's DataFormat messages (protos/feast/core/DataFormat.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/core/DataFormat.proto", __name__, globals())
