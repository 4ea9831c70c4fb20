"""Feast 0.9's Field messages (protos/feast/types/Field.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/types/Field.proto", __name__, globals())
