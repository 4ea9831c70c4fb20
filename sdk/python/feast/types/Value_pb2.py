"""Feast 0.9's Value messages (protos/feast/types/Value.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/types/Value.proto", __name__, globals())
