"""Feast 0.9's Feature messages (protos/feast/core/Feature.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/core/Feature.proto", __name__, globals())
