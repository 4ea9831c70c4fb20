"""Feast 0.9's JobService messages (protos/feast/core/JobService.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/core/JobService.proto", __name__, globals())
