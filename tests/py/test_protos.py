"""protos/feast/ against Feast 0.9.5's own generated classes.

Our .proto files (protos/feast/) are compiled with grpcio-tools; Feast
0.9.5's classes are the ones its SDK imports (feast.core.*_pb2 ... in its own
venv, run as a subprocess). One side script runs on both sides:

- test_descriptors_match: every file's package, options, imports, messages
  (fields by number: name, type, label, type name, oneof, options), nested
  types, enums, reserved ranges and services compare equal, after dropping
  the one import we leave out on purpose (tensorflow_metadata's
  statistics.proto, imported but unused by 0.9's CoreService and
  ServingService) and the one field we add (BigQueryOptions.query = 2,
  Feast 0.10's).
- test_bytes_match_both_ways: a set of messages covering every message type
  of every file (checked), built from the same field values on both sides,
  serialize to the same bytes (deterministic serialization: map entries
  sorted by key; the two protobuf runtimes differ only in where they sort an
  empty key, which the cases avoid since maps are unordered on the wire);
  each side parses the other's bytes, writes
  them back unchanged, and reads the same field values out of them.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from feast09_venv import feast09  # noqa: F401  (pytest fixture)

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
PROTOS = ROOT / "protos"
FILES = ["feast/types/Value.proto", "feast/types/Field.proto", "feast/storage/Redis.proto",
         "feast/core/DataFormat.proto", "feast/core/DataSource.proto", "feast/core/Entity.proto",
         "feast/core/Feature.proto", "feast/core/FeatureTable.proto", "feast/core/Store.proto",
         "feast/core/CoreService.proto", "feast/core/JobService.proto", "feast/serving/ServingService.proto"]
LEFT_OUT_IMPORTS = {"tensorflow_metadata/proto/v0/statistics.proto"}
# Fields ours declare beyond Feast 0.9's (from Feast 0.10, same numbers): message -> field numbers.
ADDED_FIELDS = {("feast/core/DataSource.proto", "DataSource", "BigQueryOptions"): {"2"}}

# Runs in either interpreter: reads a JSON command on stdin, prints JSON.
SIDE = r'''
import importlib, json, sys
from google.protobuf import json_format

req = json.load(sys.stdin)
FILES = req["files"]

def module_of(proto_file):
    return importlib.import_module(proto_file[:-len(".proto")].replace("/", ".") + "_pb2")

def cls(proto_file, path):
    obj = module_of(proto_file)
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj

def opts(o):
    return json_format.MessageToDict(o, preserving_proto_field_name=True) if o.ByteSize() else {}

def enum_desc(e):
    return {"values": {str(v.number): [v.name, opts(v.options)] for v in e.value},
            "reserved": sorted([r.start, r.end] for r in e.reserved_range),
            "reserved_names": sorted(e.reserved_name), "options": opts(e.options)}

def msg_desc(m):
    oneofs = [o.name for o in m.oneof_decl]
    fields = {}
    for f in m.field:
        fields[str(f.number)] = {"name": f.name, "type": f.type, "label": f.label, "type_name": f.type_name,
                                 "oneof": oneofs[f.oneof_index] if f.HasField("oneof_index") else None,
                                 "proto3_optional": f.proto3_optional, "options": opts(f.options)}
    return {"fields": fields, "oneofs": sorted(oneofs),
            "nested": {n.name: msg_desc(n) for n in m.nested_type},
            "enums": {e.name: enum_desc(e) for e in m.enum_type},
            "reserved": sorted([r.start, r.end] for r in m.reserved_range),
            "reserved_names": sorted(m.reserved_name), "options": opts(m.options)}

def file_desc(name):
    from google.protobuf import descriptor_pb2
    fd = descriptor_pb2.FileDescriptorProto()
    module_of(name).DESCRIPTOR.CopyToProto(fd)
    return {"name": fd.name, "package": fd.package, "syntax": fd.syntax or "proto2",
            "dependencies": sorted(fd.dependency), "options": opts(fd.options),
            "messages": {m.name: msg_desc(m) for m in fd.message_type},
            "enums": {e.name: enum_desc(e) for e in fd.enum_type},
            "services": {s.name: {"options": opts(s.options), "methods": {
                x.name: [x.input_type, x.output_type, x.client_streaming, x.server_streaming, opts(x.options)]
                for x in s.method}} for s in fd.service}}

def as_dict(msg):
    return json_format.MessageToDict(msg, preserving_proto_field_name=True)

out = {}
if req["what"] == "descriptors":
    out = {f: file_desc(f) for f in FILES}
elif req["what"] == "build":
    for name, proto_file, path, fields in req["cases"]:
        msg = json_format.ParseDict(fields, cls(proto_file, path)())
        out[name] = {"bytes": msg.SerializeToString(deterministic=True).hex(), "dict": as_dict(msg)}
elif req["what"] == "parse":
    for name, proto_file, path, _ in req["cases"]:
        msg = cls(proto_file, path)()
        msg.ParseFromString(bytes.fromhex(req["peer"][name]))
        out[name] = {"bytes": msg.SerializeToString(deterministic=True).hex(), "dict": as_dict(msg)}
print(json.dumps(out))
'''

TS = "2021-04-12T10:59:42Z"
TS_NS = "2021-04-12T10:59:42.123456789Z"
KAFKA = {"type": "STREAM_KAFKA", "event_timestamp_column": "event_timestamp",
         "created_timestamp_column": "created_timestamp",
         "kafka_options": {"bootstrap_servers": "localhost:9094", "topic": "driver_trips",
                           "message_format": {"proto_format": {"class_path": "class.path"}}}}
KINESIS = {"type": "STREAM_KINESIS", "event_timestamp_column": "event_timestamp",
           "kinesis_options": {"region": "us-east-1", "stream_name": "driver_trips",
                               "record_format": {"avro_format": {"schema_json": '{"type":"record","name":"r",'
                                                                                '"fields":[]}'}}}}
FILE = {"type": "BATCH_FILE", "event_timestamp_column": "datetime", "created_timestamp_column": "created",
        "date_partition_column": "date", "field_mapping": {"rating": "driver_rating", "b": "a", "a": "b"},
        "file_options": {"file_format": {"parquet_format": {}}, "file_url": "file:///feast/customer.parquet"}}
BQ = {"type": "BATCH_BIGQUERY", "event_timestamp_column": "event_timestamp",
      "bigquery_options": {"table_ref": "gcp_project:bq_dataset.bq_table"}}
ENTITY_SPEC = {"name": "driver_id", "value_type": "INT64", "description": "Driver identifier",
               "labels": {"team": "matchmaking", "z": "", "a": "first"}}
TABLE_SPEC = {"name": "driver_trips", "entities": ["driver_id", "customer_id"],
              "features": [{"name": "average_daily_rides", "value_type": "FLOAT"},
                           {"name": "rating", "value_type": "DOUBLE_LIST", "labels": {"pii": "false"}}],
              "labels": {"team": "driver_matching"}, "max_age": "3600.500s",
              "batch_source": FILE, "stream_source": KAFKA}
META = {"created_timestamp": TS, "last_updated_timestamp": TS_NS, "revision": "7", "hash": "9ecb008a"}
VALUE = {"int64_val": "1001"}
JOB_RESP = {"id": "job-1", "job_start_time": TS, "table_name": "driver_trips", "log_uri": "file:///logs/1"}

V, F, R = FILES[0], FILES[1], FILES[2]
DFMT, DSRC, ENT, FEAT, FT, STORE, CORE, JOB, SERV = FILES[3:]
CASES = [
    # every case of Value, zero values included (a oneof member is serialized even when zero)
    ("value_bytes", V, "Value", {"bytes_val": "AAEC/w=="}),
    ("value_string", V, "Value", {"string_val": "h\u00e9llo \u20ac"}),
    ("value_int32_zero", V, "Value", {"int32_val": 0}),
    ("value_int32_neg", V, "Value", {"int32_val": -5}),
    ("value_int64_min", V, "Value", {"int64_val": "-9223372036854775808"}),
    ("value_int64", V, "Value", VALUE),
    ("value_double_zero", V, "Value", {"double_val": 0.0}),
    ("value_double", V, "Value", {"double_val": 1.5e300}),
    ("value_double_nan", V, "Value", {"double_val": "NaN"}),
    ("value_float", V, "Value", {"float_val": 4.5}),
    ("value_bool_false", V, "Value", {"bool_val": False}),
    ("value_bool", V, "Value", {"bool_val": True}),
    ("value_bytes_list", V, "Value", {"bytes_list_val": {"val": ["", "AQ=="]}}),
    ("value_string_list", V, "Value", {"string_list_val": {"val": ["a", "", "b"]}}),
    ("value_int32_list", V, "Value", {"int32_list_val": {"val": [1, -1, 0, 2147483647]}}),
    ("value_int64_list", V, "Value", {"int64_list_val": {"val": ["1", "-2", "9223372036854775807"]}}),
    ("value_double_list", V, "Value", {"double_list_val": {"val": [0.5, -1e-300, "Infinity"]}}),
    ("value_float_list", V, "Value", {"float_list_val": {"val": [1.25, -2.5]}}),
    ("value_bool_list", V, "Value", {"bool_list_val": {"val": [True, False, True]}}),
    ("value_empty_list", V, "Value", {"int64_list_val": {}}),
    ("value_null", V, "Value", {}),
    ("value_type", V, "ValueType", {}),
    ("bytes_list", V, "BytesList", {"val": ["AA=="]}),
    ("string_list", V, "StringList", {"val": ["x"]}),
    ("int32_list", V, "Int32List", {"val": [3]}),
    ("int64_list", V, "Int64List", {"val": ["4"]}),
    ("double_list", V, "DoubleList", {"val": [5.0]}),
    ("float_list", V, "FloatList", {"val": [6.0]}),
    ("bool_list", V, "BoolList", {"val": [True]}),
    ("field", F, "Field", {"name": "driver_id", "value": VALUE}),
    ("redis_key", R, "RedisKeyV2", {"project": "default", "entity_names": ["driver_id"],
                                    "entity_values": [VALUE]}),
    ("redis_key_two", R, "RedisKeyV2", {"project": "p", "entity_names": ["a", "b"],
                                        "entity_values": [{"string_val": "x"}, {"int32_val": 0}]}),
    ("file_format", DFMT, "FileFormat", {"parquet_format": {}}),
    ("parquet_format", DFMT, "FileFormat.ParquetFormat", {}),
    ("stream_format_proto", DFMT, "StreamFormat", {"proto_format": {"class_path": "com.example.Trip"}}),
    ("stream_format_avro", DFMT, "StreamFormat", {"avro_format": {"schema_json": "{}"}}),
    ("proto_format", DFMT, "StreamFormat.ProtoFormat", {"class_path": "a.b"}),
    ("avro_format", DFMT, "StreamFormat.AvroFormat", {"schema_json": "\"int\""}),
    ("source_file", DSRC, "DataSource", FILE),
    ("source_bigquery", DSRC, "DataSource", BQ),
    ("source_kafka", DSRC, "DataSource", KAFKA),
    ("source_kinesis", DSRC, "DataSource", KINESIS),
    ("source_invalid", DSRC, "DataSource", {"type": "INVALID", "field_mapping": {"x": "y"}}),
    ("file_options", DSRC, "DataSource.FileOptions", FILE["file_options"]),
    ("bigquery_options", DSRC, "DataSource.BigQueryOptions", BQ["bigquery_options"]),
    ("kafka_options", DSRC, "DataSource.KafkaOptions", KAFKA["kafka_options"]),
    ("kinesis_options", DSRC, "DataSource.KinesisOptions", KINESIS["kinesis_options"]),
    ("entity_spec", ENT, "EntitySpecV2", ENTITY_SPEC),
    ("entity", ENT, "Entity", {"spec": ENTITY_SPEC, "meta": {"created_timestamp": TS}}),
    ("entity_meta", ENT, "EntityMeta", {"created_timestamp": TS, "last_updated_timestamp": TS_NS}),
    ("feature_spec", FEAT, "FeatureSpecV2", {"name": "rating", "value_type": "BOOL_LIST", "labels": {"k": "v"}}),
    ("table_spec", FT, "FeatureTableSpec", TABLE_SPEC),
    ("table_spec_bq_kinesis", FT, "FeatureTableSpec", dict(TABLE_SPEC, batch_source=BQ, stream_source=KINESIS,
                                                           max_age="0s")),
    ("table", FT, "FeatureTable", {"spec": TABLE_SPEC, "meta": META}),
    ("table_meta", FT, "FeatureTableMeta", META),
    ("store_redis", STORE, "Store", {"name": "online", "type": "REDIS",
                                     "subscriptions": [{"project": "*", "name": "*", "exclude": True}],
                                     "redis_config": {"host": "127.0.0.1", "port": 6379, "initial_backoff_ms": 5,
                                                      "max_retries": 3, "flush_frequency_seconds": 1,
                                                      "ssl": True}}),
    ("store_cluster", STORE, "Store", {"name": "c", "type": "REDIS_CLUSTER", "redis_cluster_config": {
        "connection_string": "h1:1,h2:2", "initial_backoff_ms": 1, "max_retries": 2,
        "flush_frequency_seconds": 3, "key_prefix": "pre", "enable_fallback": True, "fallback_prefix": "fb",
        "read_from": "REPLICA_PREFERRED", "timeout": "1.5s"}}),
    ("store_redis_config", STORE, "Store.RedisConfig", {"host": "h", "port": 1}),
    ("store_cluster_config", STORE, "Store.RedisClusterConfig", {"read_from": "MASTER_PREFERRED"}),
    ("store_subscription", STORE, "Store.Subscription", {"project": "p", "name": "n"}),
    ("core_version_req", CORE, "GetFeastCoreVersionRequest", {}),
    ("core_version_resp", CORE, "GetFeastCoreVersionResponse", {"version": "0.9.5"}),
    ("apply_entity_req", CORE, "ApplyEntityRequest", {"spec": ENTITY_SPEC, "project": "p1"}),
    ("apply_entity_resp", CORE, "ApplyEntityResponse", {"entity": {"spec": ENTITY_SPEC}}),
    ("get_entity_req", CORE, "GetEntityRequest", {"name": "driver_id", "project": "p1"}),
    ("get_entity_resp", CORE, "GetEntityResponse", {"entity": {"spec": ENTITY_SPEC}}),
    ("list_entities_req", CORE, "ListEntitiesRequest", {"filter": {"project": "p1", "labels": {"a": "b"}}}),
    ("list_entities_filter", CORE, "ListEntitiesRequest.Filter", {"project": "p2"}),
    ("list_entities_resp", CORE, "ListEntitiesResponse", {"entities": [{"spec": ENTITY_SPEC}, {}]}),
    ("list_features_req", CORE, "ListFeaturesRequest", {"filter": {"labels": {"a": "b"}, "entities": ["e1", "e2"],
                                                                   "project": "p"}}),
    ("list_features_filter", CORE, "ListFeaturesRequest.Filter", {"project": "p"}),
    ("list_features_resp", CORE, "ListFeaturesResponse", {"features": {
        "t:f": {"name": "f", "value_type": "INT32"}, "t:g": {"name": "g"}}}),
    ("list_stores_req", CORE, "ListStoresRequest", {"filter": {"name": "online"}}),
    ("list_stores_filter", CORE, "ListStoresRequest.Filter", {"name": "x"}),
    ("list_stores_resp", CORE, "ListStoresResponse", {"store": [{"name": "online", "type": "REDIS"}]}),
    ("update_store_req", CORE, "UpdateStoreRequest", {"store": {"name": "online"}}),
    ("update_store_resp", CORE, "UpdateStoreResponse", {"store": {"name": "online"}, "status": "UPDATED"}),
    ("create_project_req", CORE, "CreateProjectRequest", {"name": "p1"}),
    ("create_project_resp", CORE, "CreateProjectResponse", {}),
    ("archive_project_req", CORE, "ArchiveProjectRequest", {"name": "p1"}),
    ("archive_project_resp", CORE, "ArchiveProjectResponse", {}),
    ("list_projects_req", CORE, "ListProjectsRequest", {}),
    ("list_projects_resp", CORE, "ListProjectsResponse", {"projects": ["default", "p1"]}),
    ("feature_set_status_resp", CORE, "UpdateFeatureSetStatusResponse", {}),
    ("apply_table_req", CORE, "ApplyFeatureTableRequest", {"project": "p1", "table_spec": TABLE_SPEC}),
    ("apply_table_resp", CORE, "ApplyFeatureTableResponse", {"table": {"spec": TABLE_SPEC, "meta": META}}),
    ("get_table_req", CORE, "GetFeatureTableRequest", {"project": "p1", "name": "driver_trips"}),
    ("get_table_resp", CORE, "GetFeatureTableResponse", {"table": {"spec": TABLE_SPEC}}),
    ("list_tables_req", CORE, "ListFeatureTablesRequest", {"filter": {"project": "p1", "labels": {"x": "y"}}}),
    ("list_tables_filter", CORE, "ListFeatureTablesRequest.Filter", {"project": "p1"}),
    ("list_tables_resp", CORE, "ListFeatureTablesResponse", {"tables": [{"spec": TABLE_SPEC, "meta": META}]}),
    ("delete_table_req", CORE, "DeleteFeatureTableRequest", {"project": "p1", "name": "driver_trips"}),
    ("delete_table_resp", CORE, "DeleteFeatureTableResponse", {}),
    ("job_retrieval", JOB, "Job", {"id": "j1", "type": "RETRIEVAL_JOB", "status": "JOB_STATUS_DONE", "hash": "h",
                                   "start_time": TS, "retrieval": {"output_location": "file:///out"},
                                   "log_uri": "file:///log"}),
    ("job_batch", JOB, "Job", {"id": "j2", "type": "BATCH_INGESTION_JOB", "status": "JOB_STATUS_RUNNING",
                               "batch_ingestion": {"table_name": "t"}}),
    ("job_stream", JOB, "Job", {"id": "j3", "type": "STREAM_INGESTION_JOB", "status": "JOB_STATUS_ERROR",
                                "stream_ingestion": {"table_name": "t"}}),
    ("job_pending", JOB, "Job", {"status": "JOB_STATUS_PENDING", "type": "INVALID_JOB"}),
    ("job_retrieval_meta", JOB, "Job.RetrievalJobMeta", {"output_location": "o"}),
    ("job_batch_meta", JOB, "Job.OfflineToOnlineMeta", {"table_name": "t"}),
    ("job_stream_meta", JOB, "Job.StreamToOnlineMeta", {"table_name": "t"}),
    ("offline_to_online_req", JOB, "StartOfflineToOnlineIngestionJobRequest", {
        "project": "p", "table_name": "t", "start_date": TS, "end_date": TS_NS}),
    ("offline_to_online_resp", JOB, "StartOfflineToOnlineIngestionJobResponse", JOB_RESP),
    ("historical_req", JOB, "GetHistoricalFeaturesRequest", {
        "feature_refs": ["driver_trips:rating", "t:f"], "entity_source": FILE, "project": "p",
        "output_location": "file:///out", "output_format": "parquet"}),
    ("historical_resp", JOB, "GetHistoricalFeaturesResponse", {
        "id": "j", "output_file_uri": "file:///out/part-0.parquet", "job_start_time": TS, "log_uri": "l"}),
    ("stream_to_online_req", JOB, "StartStreamToOnlineIngestionJobRequest", {"project": "p", "table_name": "t"}),
    ("stream_to_online_resp", JOB, "StartStreamToOnlineIngestionJobResponse", JOB_RESP),
    ("list_jobs_req", JOB, "ListJobsRequest", {"include_terminated": True, "table_name": "t"}),
    ("list_jobs_resp", JOB, "ListJobsResponse", {"jobs": [{"id": "a"}, {"id": "b", "status": "JOB_STATUS_DONE"}]}),
    ("get_job_req", JOB, "GetJobRequest", {"job_id": "j"}),
    ("get_job_resp", JOB, "GetJobResponse", {"job": {"id": "j", "type": "RETRIEVAL_JOB"}}),
    ("cancel_job_req", JOB, "CancelJobRequest", {"job_id": "j"}),
    ("cancel_job_resp", JOB, "CancelJobResponse", {}),
    ("serving_info_req", SERV, "GetFeastServingInfoRequest", {}),
    ("serving_info_resp", SERV, "GetFeastServingInfoResponse", {"version": "0.9.5", "type": "FEAST_SERVING_TYPE_ONLINE",
                                                                "job_staging_location": "gs://x"}),
    ("feature_ref", SERV, "FeatureReferenceV2", {"feature_table": "driver_trips", "name": "rating"}),
    ("online_req", SERV, "GetOnlineFeaturesRequestV2", {
        "features": [{"feature_table": "driver_trips", "name": "rating"}, {"feature_table": "t", "name": "f"}],
        "entity_rows": [{"timestamp": TS, "fields": {"driver_id": VALUE, "customer_id": {"string_val": "c"}}},
                        {"fields": {"driver_id": {"int64_val": "1002"}}}],
        "project": "p"}),
    ("online_entity_row", SERV, "GetOnlineFeaturesRequestV2.EntityRow", {"fields": {"k": {}}}),
    ("online_resp", SERV, "GetOnlineFeaturesResponse", {"field_values": [
        {"fields": {"driver_id": VALUE, "driver_trips:rating": {"float_val": 4.5}, "t:f": {}},
         "statuses": {"driver_id": "PRESENT", "driver_trips:rating": "PRESENT", "t:f": "NOT_FOUND"}},
        {"fields": {"driver_id": {"int64_val": "1002"}, "t:f": {}},
         "statuses": {"driver_id": "PRESENT", "t:f": "OUTSIDE_MAX_AGE", "x": "NULL_VALUE", "y": "INVALID"}}]}),
    ("online_field_values", SERV, "GetOnlineFeaturesResponse.FieldValues", {"statuses": {"a": "NULL_VALUE"}}),
]

# From shared/reference/feast-0.9.md section 5.3: bytes Feast 0.9 writes to Redis.
REDIS_KEY_HEX = "0a0764656661756c7412096472697665725f69641a0320e907"


@pytest.fixture(scope="module")
def ours(tmp_path_factory):
    """Our protos compiled by grpcio-tools into a fresh folder, as regular
    packages so no installed `feast` can shadow them."""
    out = tmp_path_factory.mktemp("protos_py")
    try:
        import grpc_tools  # noqa: F401
    except ImportError as e:
        raise ImportError("grpcio-tools is needed: python3 -m pip install grpcio-tools") from e
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I" + str(PROTOS), "--python_out=" + str(out),
                    "--grpc_python_out=" + str(out)] + [str(PROTOS / f) for f in FILES],
                   check=True, capture_output=True)
    for d in ["feast", "feast/core", "feast/types", "feast/storage", "feast/serving"]:
        (out / d / "__init__.py").touch()
    return out


def run_ours(gen, request):
    env = dict(os.environ, PYTHONPATH=str(gen))
    p = subprocess.run([sys.executable, "-s", "-c", SIDE], input=json.dumps(request), capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 0, p.stderr
    return json.loads(p.stdout)


def run_theirs(feast09, request):
    return json.loads(feast09.run(SIDE, stdin=json.dumps(request)))


def test_descriptors_match(ours, feast09):
    req = {"what": "descriptors", "files": FILES}
    mine, theirs = run_ours(ours, req), run_theirs(feast09, req)
    for f in FILES:
        theirs[f]["dependencies"] = [d for d in theirs[f]["dependencies"] if d not in LEFT_OUT_IMPORTS]
        for part in ("name", "package", "syntax", "dependencies", "options", "enums", "services"):
            assert mine[f][part] == theirs[f][part], f"{f}: {part} differs"
        assert sorted(mine[f]["messages"]) == sorted(theirs[f]["messages"]), f"{f}: message names differ"
        for path, numbers in ADDED_FIELDS.items():
            if path[0] == f:
                msg = mine[f]["messages"][path[1]]
                for nested in path[2:]:
                    msg = msg["nested"][nested]
                for n in numbers:
                    del msg["fields"][n]
        for m in mine[f]["messages"]:
            assert mine[f]["messages"][m] == theirs[f]["messages"][m], f"{f}: message {m} differs"


def test_every_message_has_a_case(ours):
    """The byte test below covers every message type of every file."""
    code = ("import importlib, json\n"
            "out = []\n"
            "def walk(d):\n"
            "    if d.GetOptions().map_entry: return\n"
            "    out.append(d.file.name + ':' + d.full_name)\n"
            "    for n in d.nested_types: walk(n)\n"
            "for f in %r:\n"
            "    m = importlib.import_module(f[:-6].replace('/', '.') + '_pb2')\n"
            "    for d in m.DESCRIPTOR.message_types_by_name.values(): walk(d)\n"
            "print(json.dumps(out))\n" % FILES)
    env = dict(os.environ, PYTHONPATH=str(ours))
    p = subprocess.run([sys.executable, "-s", "-c", code], capture_output=True, text=True, env=env, check=True)
    every = set(json.loads(p.stdout))
    pkg = {f: ("feast." + f.split("/")[1]) for f in FILES}
    covered = {f + ":" + pkg[f] + "." + path for _, f, path, _ in CASES}
    assert every - covered == set(), "messages without a case in CASES"
    assert len(every) > 60


def test_bytes_match_both_ways(ours, feast09):
    cases = [list(c) for c in CASES]
    built = {"what": "build", "files": FILES, "cases": cases}
    mine, theirs = run_ours(ours, built), run_theirs(feast09, built)
    for name, *_ in CASES:
        assert mine[name]["bytes"] == theirs[name]["bytes"], f"{name}: serialized bytes differ"
        assert mine[name]["dict"] == theirs[name]["dict"], f"{name}: field values differ"
    assert mine["redis_key"]["bytes"] == REDIS_KEY_HEX
    assert mine["value_int32_zero"]["bytes"] == "1800"   # set-but-zero oneof member is on the wire

    # each side parses the other's bytes: same bytes back, same field values out
    mine_parsed = run_ours(ours, {"what": "parse", "files": FILES, "cases": cases,
                                  "peer": {n: v["bytes"] for n, v in theirs.items()}})
    theirs_parsed = run_theirs(feast09, {"what": "parse", "files": FILES, "cases": cases,
                                         "peer": {n: v["bytes"] for n, v in mine.items()}})
    for name, *_ in CASES:
        assert mine_parsed[name]["bytes"] == theirs[name]["bytes"], f"{name}: ours rewrote 0.9.5's bytes"
        assert theirs_parsed[name]["bytes"] == mine[name]["bytes"], f"{name}: 0.9.5 rewrote our bytes"
        assert mine_parsed[name]["dict"] == theirs[name]["dict"], f"{name}: ours read other values"
        assert theirs_parsed[name]["dict"] == mine[name]["dict"], f"{name}: 0.9.5 read other values"
