"""Feast 0.9's FeatureTable messages (protos/feast/core/FeatureTable.proto), built by feast._proto_loader."""
from feast._proto_loader import load as _load

_load("feast/core/FeatureTable.proto", __name__, globals())
