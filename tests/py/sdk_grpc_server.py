"""A test-only gRPC server speaking Feast 0.9's CoreService, ServingService
and JobService (our protos/) over the embedded engine, for the SDK's remote
mode until `feast serve` (issue 13) lands. Every call is answered by a
feast.Client(repo_path=...) in this process: the point is to exercise the
remote client and the protocol, not to be a server.

When `feast serve` lands, tests use it instead: see REMOTE_SERVER in
test_sdk_scenario.py.
"""
import threading
from concurrent import futures

import grpc

import feast
from feast.core import CoreService_pb2 as C
from feast.core import Entity_pb2, FeatureTable_pb2
from feast.core import CoreService_pb2_grpc as CG
from feast.core import JobService_pb2 as J
from feast.core import JobService_pb2_grpc as JG
from feast.errors import FeastError
from feast.job import LocalBatchIngestionJob, LocalRetrievalJob, LocalStreamIngestionJob, SparkJobStatus
from feast.serving import ServingService_pb2 as S
from feast.serving import ServingService_pb2_grpc as SG

_STATUS = {"NOT_FOUND": grpc.StatusCode.NOT_FOUND, "VALIDATION": grpc.StatusCode.INVALID_ARGUMENT,
           "INVALID": grpc.StatusCode.INVALID_ARGUMENT, "EXISTS": grpc.StatusCode.ALREADY_EXISTS,
           "UNSUPPORTED": grpc.StatusCode.UNIMPLEMENTED, "SCHEMA": grpc.StatusCode.FAILED_PRECONDITION}


def _answer(fn):
    """Engine errors become gRPC errors with the engine's message."""
    def wrapped(self, request, context):
        try:
            with self.lock:
                return fn(self, request, context)
        except FeastError as e:
            context.abort(_STATUS.get(e.code_name, grpc.StatusCode.INTERNAL), e.message)
        except (ValueError, TypeError) as e:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, str(e))
    wrapped.__name__ = fn.__name__
    return wrapped


def _value(v):
    case = v.WhichOneof("val")
    return None if case is None else getattr(v, case)


class _Servicer(CG.CoreServiceServicer, SG.ServingServiceServicer, JG.JobServiceServicer):
    def __init__(self, client):
        self.client = client
        self.lock = threading.RLock()

    # ---- core ----
    @_answer
    def GetFeastCoreVersion(self, request, context):
        return C.GetFeastCoreVersionResponse(version=feast.__version__)

    @_answer
    def ApplyEntity(self, request, context):
        e = feast.Entity.from_proto(Entity_pb2.Entity(spec=request.spec))
        self.client.apply(e, project=request.project or "default")
        return C.ApplyEntityResponse(entity=e.to_proto())

    @_answer
    def GetEntity(self, request, context):
        return C.GetEntityResponse(entity=self.client.get_entity(request.name, request.project or "default").to_proto())

    @_answer
    def ListEntities(self, request, context):
        es = self.client.list_entities(request.filter.project or "default", dict(request.filter.labels))
        return C.ListEntitiesResponse(entities=[e.to_proto() for e in es])

    @_answer
    def ApplyFeatureTable(self, request, context):
        spec = FeatureTable_pb2.FeatureTable(spec=request.table_spec)
        t = feast.FeatureTable.from_proto(spec)
        self.client.apply(t, project=request.project or "default")
        return C.ApplyFeatureTableResponse(table=t.to_proto())

    @_answer
    def GetFeatureTable(self, request, context):
        t = self.client.get_feature_table(request.name, request.project or "default")
        return C.GetFeatureTableResponse(table=t.to_proto())

    @_answer
    def ListFeatureTables(self, request, context):
        ts = self.client.list_feature_tables(request.filter.project or "default", dict(request.filter.labels))
        return C.ListFeatureTablesResponse(tables=[t.to_proto() for t in ts])

    @_answer
    def DeleteFeatureTable(self, request, context):
        self.client.delete_feature_table(request.name, request.project or "default")
        return C.DeleteFeatureTableResponse()

    @_answer
    def CreateProject(self, request, context):
        self.client.create_project(request.name)
        return C.CreateProjectResponse()

    @_answer
    def ArchiveProject(self, request, context):
        self.client.archive_project(request.name)
        return C.ArchiveProjectResponse()

    @_answer
    def ListProjects(self, request, context):
        return C.ListProjectsResponse(projects=self.client.list_projects())

    # ---- serving ----
    @_answer
    def GetFeastServingInfo(self, request, context):
        return S.GetFeastServingInfoResponse(version=feast.__version__, type=S.FEAST_SERVING_TYPE_ONLINE)

    @_answer
    def GetOnlineFeaturesV2(self, request, context):
        refs = [f"{f.feature_table}:{f.name}" for f in request.features]
        rows = [{k: _value(v) for k, v in row.fields.items()} for row in request.entity_rows]
        r = self.client.get_online_features(refs, rows, project=request.project or "default")
        return r.proto

    # ---- jobs ----
    def _job_proto(self, job):
        p = J.Job(id=job.get_id(), status={SparkJobStatus.STARTING: J.JOB_STATUS_PENDING,
                                           SparkJobStatus.IN_PROGRESS: J.JOB_STATUS_RUNNING,
                                           SparkJobStatus.COMPLETED: J.JOB_STATUS_DONE,
                                           SparkJobStatus.FAILED: J.JOB_STATUS_ERROR}[job.get_status()])
        p.start_time.FromDatetime(job.get_start_time())
        if isinstance(job, LocalRetrievalJob):
            p.type = J.RETRIEVAL_JOB
            p.retrieval.output_location = job.get_output_file_uri()
        elif isinstance(job, LocalBatchIngestionJob):
            p.type = J.BATCH_INGESTION_JOB
            p.batch_ingestion.table_name = job.get_feature_table()
        elif isinstance(job, LocalStreamIngestionJob):
            p.type = J.STREAM_INGESTION_JOB
            p.stream_ingestion.table_name = job.get_feature_table()
        return p

    @_answer
    def GetHistoricalFeatures(self, request, context):
        source = feast.FileSource.from_proto(request.entity_source)
        job = self.client.get_historical_features(list(request.feature_refs), source,
                                                  output_location=request.output_location,
                                                  project=request.project or "default")
        r = J.GetHistoricalFeaturesResponse(id=job.get_id(), output_file_uri=job.get_output_file_uri())
        r.job_start_time.FromDatetime(job.get_start_time())
        return r

    @_answer
    def StartOfflineToOnlineIngestionJob(self, request, context):
        job = self.client.start_offline_to_online_ingestion(request.table_name, request.start_date.ToDatetime(),
                                                            request.end_date.ToDatetime(),
                                                            project=request.project or "default")
        r = J.StartOfflineToOnlineIngestionJobResponse(id=job.get_id(), table_name=request.table_name)
        r.job_start_time.FromDatetime(job.get_start_time())
        return r

    @_answer
    def StartStreamToOnlineIngestionJob(self, request, context):
        job = self.client.start_stream_to_online_ingestion(request.table_name, project=request.project or "default")
        r = J.StartStreamToOnlineIngestionJobResponse(id=job.get_id(), table_name=request.table_name)
        r.job_start_time.FromDatetime(job.get_start_time())
        return r

    @_answer
    def ListJobs(self, request, context):
        jobs = self.client.list_jobs(request.include_terminated, request.table_name or None)
        return J.ListJobsResponse(jobs=[self._job_proto(j) for j in jobs])

    @_answer
    def GetJob(self, request, context):
        return J.GetJobResponse(job=self._job_proto(self.client.get_job(request.job_id)))

    @_answer
    def CancelJob(self, request, context):
        self.client.get_job(request.job_id).cancel()
        return J.CancelJobResponse()


class TestServer:
    """All three services on one port of 127.0.0.1 (as `feast serve` serves them)."""

    def __init__(self, repo_path):
        self.client = feast.Client(repo_path=str(repo_path))
        self.server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        servicer = _Servicer(self.client)
        CG.add_CoreServiceServicer_to_server(servicer, self.server)
        SG.add_ServingServiceServicer_to_server(servicer, self.server)
        JG.add_JobServiceServicer_to_server(servicer, self.server)
        # grpcio sets SO_REUSEPORT: a port of 0 is always a fresh one.
        self.port = self.server.add_insecure_port("127.0.0.1:0")
        self.url = f"127.0.0.1:{self.port}"
        self.server.start()

    def stop(self):
        self.server.stop(grace=None)
        self.client.close()
