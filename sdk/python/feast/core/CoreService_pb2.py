"""Feast 0.9's CoreService messages (protos/feast/core/CoreService.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/core/CoreService.proto", __name__, globals())
