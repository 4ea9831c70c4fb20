"""The gRPC backend of feast.Client: Feast 0.9's CoreService, ServingService
and JobService (protos/), as `feast serve` and Feast 0.9's own servers speak
them. Needs grpcio and protobuf (pip install 'feast-c[grpc]')."""
import os
import time
import uuid

from .entity import Entity
from .errors import FeastError, code_of
from .feature_table import FeatureTable

try:
    import grpc
except ImportError as e:  # pragma: no cover - depends on the install
    raise ImportError("the remote client needs grpcio and protobuf: pip install 'feast-c[grpc]'") from e

# gRPC status -> the engine's code names (so both modes raise alike).
_CODES = {"NOT_FOUND": "NOT_FOUND", "INVALID_ARGUMENT": "VALIDATION", "ALREADY_EXISTS": "EXISTS",
          "UNIMPLEMENTED": "UNSUPPORTED", "UNAVAILABLE": "CONNECT", "DEADLINE_EXCEEDED": "TIMEOUT",
          "FAILED_PRECONDITION": "INVALID", "RESOURCE_EXHAUSTED": "TOO_BIG", "ABORTED": "CONFLICT"}


class FeastRpcError(FeastError, grpc.RpcError):
    """A failed call: a FeastError (code from the gRPC status, the server's
    message) that is also a grpc.RpcError, as Feast 0.9 raised."""

    def __init__(self, rpc_error, method):
        self.status_code = rpc_error.code() if hasattr(rpc_error, "code") else None
        name = self.status_code.name if self.status_code is not None else "UNKNOWN"
        details = rpc_error.details() if hasattr(rpc_error, "details") else str(rpc_error)
        super().__init__(code_of(_CODES.get(name, "SERVER")), details or f"{method}: {name}",
                         retriable=name in ("UNAVAILABLE", "ABORTED"))

    def code(self):
        return self.status_code

    def details(self):
        return self.message


def _channel(url, secure, timeout):
    if secure:
        ch = grpc.secure_channel(url, grpc.ssl_channel_credentials())
    else:
        ch = grpc.insecure_channel(url)
    try:
        grpc.channel_ready_future(ch).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        ch.close()
        raise FeastError(code_of("CONNECT"), f"Connection timed out while attempting to connect to {url}",
                         retriable=True)
    return ch


def _truthy(v):
    return str(v).lower() in ("1", "true", "yes")


class Remote:
    def __init__(self, opts):
        self._opts = opts
        self._timeout = int(opts.get("grpc_connection_timeout") or 10)
        self._channels = {}
        self._stubs = {}

    def close(self):
        for ch in self._channels.values():
            ch.close()
        self._channels.clear()
        self._stubs.clear()

    def _stub(self, which):
        if which not in self._stubs:
            from .core import CoreService_pb2_grpc, JobService_pb2_grpc
            from .serving import ServingService_pb2_grpc
            url = self._opts.get(f"{which}_url")
            if not url:
                raise FeastError(code_of("INVALID"), f"no {which}_url configured: Client({which}_url=...)")
            secure = _truthy(self._opts.get(f"{which}_enable_ssl", False))
            key = (url, secure)
            if key not in self._channels:
                self._channels[key] = _channel(url, secure, self._timeout)
            cls = {"core": CoreService_pb2_grpc.CoreServiceStub, "serving": ServingService_pb2_grpc.ServingServiceStub,
                   "job_service": JobService_pb2_grpc.JobServiceStub}[which]
            self._stubs[which] = cls(self._channels[key])
        return self._stubs[which]

    def _call(self, which, method, request, timeout=None):
        try:
            return getattr(self._stub(which), method)(request, timeout=timeout or self._timeout)
        except grpc.RpcError as e:
            raise FeastRpcError(e, method) from None

    def _params(self):
        return {"timeout": self._timeout}

    # ---- versions, projects ----

    def versions(self):
        from .core import CoreService_pb2 as C
        from .serving import ServingService_pb2 as S
        out = {}
        if self._opts.get("serving_url"):
            out["serving"] = {"url": self._opts["serving_url"],
                              "version": self._call("serving", "GetFeastServingInfo",
                                                    S.GetFeastServingInfoRequest()).version}
        if self._opts.get("core_url"):
            out["core"] = {"url": self._opts["core_url"],
                           "version": self._call("core", "GetFeastCoreVersion", C.GetFeastCoreVersionRequest()).version}
        return out

    def list_projects(self):
        from .core import CoreService_pb2 as C
        return list(self._call("core", "ListProjects", C.ListProjectsRequest()).projects)

    def create_project(self, name):
        from .core import CoreService_pb2 as C
        self._call("core", "CreateProject", C.CreateProjectRequest(name=name))

    def archive_project(self, name):
        from .core import CoreService_pb2 as C
        self._call("core", "ArchiveProject", C.ArchiveProjectRequest(name=name))

    # ---- registry ----

    def apply(self, project, objects):
        from .core import CoreService_pb2 as C
        apply_timeout = int(self._opts.get("grpc_connection_timeout_apply") or 600)
        for o in objects:
            if isinstance(o, Entity):
                r = self._call("core", "ApplyEntity", C.ApplyEntityRequest(project=project, spec=o.to_spec_proto()),
                               apply_timeout)
                o._update_from_entity(Entity.from_proto(r.entity))
            else:
                r = self._call("core", "ApplyFeatureTable",
                               C.ApplyFeatureTableRequest(project=project, table_spec=o.to_spec_proto()),
                               apply_timeout)
                fresh = FeatureTable.from_proto(r.table)
                o._created_ns, o._last_updated_ns, o._revision = fresh._created_ns, fresh._last_updated_ns, \
                    fresh._revision

    def get_entity(self, project, name):
        from .core import CoreService_pb2 as C
        return Entity.from_proto(self._call("core", "GetEntity", C.GetEntityRequest(project=project, name=name)).entity)

    def list_entities(self, project, labels):
        from .core import CoreService_pb2 as C
        r = self._call("core", "ListEntities",
                       C.ListEntitiesRequest(filter=C.ListEntitiesRequest.Filter(project=project, labels=labels)))
        return [Entity.from_proto(e) for e in r.entities]

    def get_feature_table(self, project, name):
        from .core import CoreService_pb2 as C
        return FeatureTable.from_proto(self._call("core", "GetFeatureTable",
                                                  C.GetFeatureTableRequest(project=project, name=name)).table)

    def list_feature_tables(self, project, labels):
        from .core import CoreService_pb2 as C
        r = self._call("core", "ListFeatureTables", C.ListFeatureTablesRequest(
            filter=C.ListFeatureTablesRequest.Filter(project=project, labels=labels)))
        return [FeatureTable.from_proto(t) for t in r.tables]

    def delete_feature_table(self, project, name):
        from .core import CoreService_pb2 as C
        self._call("core", "DeleteFeatureTable", C.DeleteFeatureTableRequest(project=project, name=name))

    # ---- online ----

    def get_online_features(self, project, refs, entity_rows, at=None):
        from .feature import FeatureRef
        from .online_response import _from_proto, _infer_type_name, _python_to_value
        from .serving import ServingService_pb2 as S
        if at is not None:
            raise ValueError("at= is feast-c's embedded extension; Feast 0.9's protocol measures ages from now")
        req = S.GetOnlineFeaturesRequestV2(project=project,
                                           features=[FeatureRef.from_str(r).to_proto() for r in refs])
        kinds = {}
        names = []
        for row in entity_rows:
            er = req.entity_rows.add()
            for k, v in row.items():
                if k not in names:
                    names.append(k)
                if hasattr(v, "WhichOneof"):
                    er.fields[k].CopyFrom(v)
                    continue
                t = _infer_type_name(v)
                if kinds.setdefault(k, t) != t:
                    raise TypeError(f"Input entity {k} has mixed types, {t} and {kinds[k]}. That is not allowed. ")
                er.fields[k].CopyFrom(_python_to_value(v, t))
        resp = self._call("serving", "GetOnlineFeaturesV2", req)
        return _from_proto(resp, names + list(refs))

    # ---- jobs ----

    def _job_stub_params(self):
        return self._stub("job_service"), self._params

    def get_historical_features(self, project, refs, entity_source, output_location, default_output, staging):
        from . import _arrow
        from .core import JobService_pb2 as J
        from .data_format import ParquetFormat
        from .data_source import FileSource
        from .job import RemoteRetrievalJob
        if not isinstance(entity_source, FileSource):
            # Staged as Parquet where the job service can read it (Feast 0.9: SPARK_STAGING_LOCATION).
            import pyarrow.parquet as pq
            rows = _arrow.read_file(entity_source) if isinstance(entity_source, (str, os.PathLike)) else entity_source
            os.makedirs(staging, exist_ok=True)
            path = os.path.join(os.path.abspath(staging), f"entities-{uuid.uuid4()}.parquet")
            pq.write_table(_arrow.to_table(rows), path)
            entity_source = FileSource(event_timestamp_column="event_timestamp", file_format=ParquetFormat(),
                                       file_url="file://" + path)
        out = output_location or default_output
        req = J.GetHistoricalFeaturesRequest(feature_refs=refs, entity_source=entity_source.to_proto(),
                                             project=project, output_location=out,
                                             output_format=self._opts.get("historical_feature_output_format")
                                             or "parquet")
        r = self._call("job_service", "GetHistoricalFeatures", req)
        stub, params = self._job_stub_params()
        return RemoteRetrievalJob(stub, params, r.id, r.output_file_uri, r.job_start_time.ToDatetime(), r.log_uri)

    def start_offline_to_online_ingestion(self, project, table_name, start, end):
        from . import _pb
        from .core import JobService_pb2 as J
        from .job import RemoteBatchIngestionJob
        req = J.StartOfflineToOnlineIngestionJobRequest(project=project, table_name=table_name)
        for field, value in (("start_date", start), ("end_date", end)):
            ns = _pb.timestamp_ns(value)
            getattr(req, field).seconds, getattr(req, field).nanos = divmod(ns, 10**9)
        r = self._call("job_service", "StartOfflineToOnlineIngestionJob", req)
        stub, params = self._job_stub_params()
        return RemoteBatchIngestionJob(stub, params, r.id, table_name, r.job_start_time.ToDatetime(), r.log_uri)

    def start_stream_to_online_ingestion(self, project, table_name):
        from .core import JobService_pb2 as J
        from .job import RemoteStreamIngestionJob
        r = self._call("job_service", "StartStreamToOnlineIngestionJob",
                       J.StartStreamToOnlineIngestionJobRequest(project=project, table_name=table_name))
        stub, params = self._job_stub_params()
        return RemoteStreamIngestionJob(stub, params, r.id, table_name, r.job_start_time.ToDatetime(), r.log_uri)

    def list_jobs(self, include_terminated, table_name):
        from .core import JobService_pb2 as J
        from .job import remote_job_from_proto
        r = self._call("job_service", "ListJobs", J.ListJobsRequest(include_terminated=include_terminated,
                                                                    table_name=table_name or ""))
        stub, params = self._job_stub_params()
        return [remote_job_from_proto(stub, params, j) for j in r.jobs]

    def get_job(self, job_id):
        from .core import JobService_pb2 as J
        from .job import remote_job_from_proto
        r = self._call("job_service", "GetJob", J.GetJobRequest(job_id=job_id))
        stub, params = self._job_stub_params()
        return remote_job_from_proto(stub, params, r.job)

    # ---- ingest into the batch source (client side, as Feast 0.9) ----

    def ingest_files(self, table, rows):
        """Feast 0.9's ingest over gRPC: GetFeatureTable, then Parquet written
        by this client into the FileSource's folder (local paths only)."""
        import pyarrow.parquet as pq
        from . import _arrow
        from .data_source import FileSource
        src = table.batch_source
        if not isinstance(src, FileSource):
            raise FeastError(code_of("UNSUPPORTED"), f"table '{table.name}': ingest writes to file batch sources only")
        t = _arrow.to_table(rows)
        for col in [src.event_timestamp_column] + list(src.field_mapping.values()):
            if col and col not in t.column_names:
                raise FeastError(code_of("SCHEMA"), f"cannot ingest into table '{table.name}': the rows have no "
                                                    f"column '{col}'")
        url = src.file_options.file_url.rstrip("*")
        if "://" in url and not url.startswith("file://"):
            raise FeastError(code_of("UNSUPPORTED"), f"ingest writes to local file sources only, not {url}")
        folder = (url[7:] if url.startswith("file://") else url).rstrip("/")
        name = f"{int(time.time())}-{uuid.uuid4().hex[:8]}.parquet"
        if src.date_partition_column:
            import pyarrow.compute as pc
            dates = pc.strftime(t.column(src.event_timestamp_column), format="%Y-%m-%d")
            if src.date_partition_column in t.column_names:
                t = t.drop([src.date_partition_column])
            for day in sorted(set(dates.to_pylist())):
                part = os.path.join(folder, f"{src.date_partition_column}={day}")
                os.makedirs(part, exist_ok=True)
                pq.write_table(t.filter(pc.equal(dates, day)), os.path.join(part, name))
        else:
            os.makedirs(folder, exist_ok=True)
            pq.write_table(t, os.path.join(folder, name))
