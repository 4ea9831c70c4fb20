"""Feast 0.9's DataSource messages (protos/feast/core/DataSource.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/core/DataSource.proto", __name__, globals())
