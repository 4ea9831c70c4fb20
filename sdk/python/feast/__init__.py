"""feast_c - the thin Python SDK of libfeast (Feast as a C library).

    from feast_c import FeatureStore
    fs = FeatureStore(repo_path=".")
    fs.apply(["specs.yaml"])
    training = fs.get_historical_features(entity_df, ["driver_trips:conv_rate"])
    fs.ingest("driver_trips")
    fs.get_online_features(["driver_trips:conv_rate"], [{"driver_id": 1001}])

Everything runs in libfeast.so (loaded with ctypes from $FEAST_LIB, next to
this package, or the repository's build/); see docs/sdk.md.
"""
from ._lib import library_path
from .store import Entity, FeastError, Feature, FeatureStore, FeatureTable, OnlineResponse

__all__ = ["FeatureStore", "FeastError", "Entity", "Feature", "FeatureTable", "OnlineResponse", "library_path"]
__version__ = "0.1.0"
