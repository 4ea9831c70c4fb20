"""Feast 0.9's Redis messages (protos/feast/storage/Redis.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/storage/Redis.proto", __name__, globals())
