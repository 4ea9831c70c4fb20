"""Feast 0.9's Store messages (protos/feast/core/Store.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/core/Store.proto", __name__, globals())
