"""Feast 0.9's Entity messages (protos/feast/core/Entity.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/core/Entity.proto", __name__, globals())
