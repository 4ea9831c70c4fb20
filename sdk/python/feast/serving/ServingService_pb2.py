"""Feast 0.9's ServingService messages (protos/feast/serving/ServingService.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/serving/ServingService.proto", __name__, globals())
