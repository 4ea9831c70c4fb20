"""Jobs as Feast 0.9 returns them (feast.pyspark.abc, feast.remote_job):
historical retrieval, offline-to-online and stream-to-online ingestion, each
with an id, a status, a start time and cancel(). Embedded jobs run in this
process on the C engine; remote ones in `feast serve` (or Feast 0.9's job
service) and are polled over gRPC."""
import abc
import datetime as _dt
import enum
import threading
import time
from typing import Optional


class SparkJobFailure(Exception):
    pass


class SparkJobStatus(enum.Enum):
    STARTING = 0
    IN_PROGRESS = 1
    FAILED = 2
    COMPLETED = 3


class SparkJobType(enum.Enum):
    HISTORICAL_RETRIEVAL = 0
    BATCH_INGESTION = 1
    STREAM_INGESTION = 2

    def to_pascal_case(self):
        return self.name.title().replace("_", "")


class SparkJob(abc.ABC):
    @abc.abstractmethod
    def get_id(self) -> str: ...

    @abc.abstractmethod
    def get_status(self) -> SparkJobStatus: ...

    @abc.abstractmethod
    def cancel(self): ...

    @abc.abstractmethod
    def get_start_time(self) -> _dt.datetime: ...

    def get_log_uri(self) -> Optional[str]:
        return None

    def wait(self, timeout_seconds=600):
        """Block until the job is COMPLETED or FAILED (feast-c); returns the status."""
        deadline = time.time() + timeout_seconds
        while time.time() < deadline:
            status = self.get_status()
            if status in (SparkJobStatus.COMPLETED, SparkJobStatus.FAILED):
                return status
            time.sleep(0.05)
        raise TimeoutError("Timed out waiting for job status")


class RetrievalJob(SparkJob):
    @abc.abstractmethod
    def get_output_file_uri(self, timeout_sec=None, block=True): ...

    def to_arrow(self):
        """The training set as a pyarrow Table (feast-c)."""
        import pyarrow.parquet as pq
        uri = self.get_output_file_uri()
        return pq.read_table(uri[7:] if uri.startswith("file://") else uri)

    def to_df(self):
        """The training set as a pandas DataFrame (feast-c)."""
        return self.to_arrow().to_pandas()


class BatchIngestionJob(SparkJob):
    @abc.abstractmethod
    def get_feature_table(self) -> str: ...


class StreamIngestionJob(SparkJob):
    @abc.abstractmethod
    def get_feature_table(self) -> str: ...

    def get_hash(self) -> str:
        return ""


# ---- embedded jobs ----

class _LocalJob:
    """Bookkeeping shared by the embedded jobs."""

    def __init__(self, job_id, start_time=None):
        self._id = job_id
        self._start = start_time or _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
        self._status = SparkJobStatus.STARTING
        self._error = None

    def get_id(self):
        return self._id

    def get_status(self):
        return self._status

    def get_start_time(self):
        return self._start

    def get_error(self):
        """The engine's error (a FeastError) when the job FAILED, else None (feast-c)."""
        return self._error

    def cancel(self):
        pass


class LocalRetrievalJob(_LocalJob, RetrievalJob):
    """A retrieval done in process. The training set is kept as the engine
    produced it (Arrow, no copy); it is written as Parquet to the output
    location when one was given, or on the first get_output_file_uri()."""

    def __init__(self, job_id, table, output_location, write, summary):
        super().__init__(job_id)
        self._table = table
        self._output = output_location
        self._write = write
        self._written = False
        self.summary = summary
        self._status = SparkJobStatus.COMPLETED

    def get_output_file_uri(self, timeout_sec=None, block=True):
        if not self._written:
            self._output = self._write(self._table, self._output)
            self._written = True
        return self._output

    def to_arrow(self):
        return self._table


class LocalBatchIngestionJob(_LocalJob, BatchIngestionJob):
    def __init__(self, job_id, table_name, summary):
        super().__init__(job_id)
        self._table_name = table_name
        self.summary = summary
        self._status = SparkJobStatus.COMPLETED

    def get_feature_table(self):
        return self._table_name


class LocalStreamIngestionJob(_LocalJob, StreamIngestionJob):
    """A stream consumer on a thread of this process (feast_store_stream_ingest)."""

    def __init__(self, job_id, table_name, run):
        super().__init__(job_id)
        self._table_name = table_name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, args=(run,), name=f"feast-stream-{table_name}",
                                        daemon=True)
        self._status = SparkJobStatus.IN_PROGRESS
        self.counters = {}
        self._thread.start()

    def _main(self, run):
        try:
            run(self._stop.is_set, self.counters)
            self._status = SparkJobStatus.COMPLETED
        except Exception as e:  # the job's status carries it
            self._error = e
            self._status = SparkJobStatus.FAILED

    def get_feature_table(self):
        return self._table_name

    def cancel(self):
        self._stop.set()
        self._thread.join()

    def join(self, timeout=None):
        self._thread.join(timeout)


# ---- remote jobs ----

class _RemoteJob:
    def __init__(self, service, params, job_id, start_time, log_uri):
        self._service, self._params = service, params
        self._id, self._start, self._log_uri = job_id, start_time, log_uri

    def _get(self):
        from .core import JobService_pb2 as J
        return self._service.GetJob(J.GetJobRequest(job_id=self._id), **self._params()).job

    def get_id(self):
        return self._id

    def get_status(self):
        from .core import JobService_pb2 as J
        s = self._get().status
        table = {J.JOB_STATUS_RUNNING: SparkJobStatus.IN_PROGRESS, J.JOB_STATUS_PENDING: SparkJobStatus.STARTING,
                 J.JOB_STATUS_DONE: SparkJobStatus.COMPLETED, J.JOB_STATUS_ERROR: SparkJobStatus.FAILED}
        if s not in table:
            raise Exception(f"Invalid remote job state {s}")
        return table[s]

    def get_start_time(self):
        return self._start

    def get_log_uri(self):
        return self._log_uri

    def cancel(self):
        from .core import JobService_pb2 as J
        self._service.CancelJob(J.CancelJobRequest(job_id=self._id), **self._params())


class RemoteRetrievalJob(_RemoteJob, RetrievalJob):
    def __init__(self, service, params, job_id, output_file_uri, start_time, log_uri):
        super().__init__(service, params, job_id, start_time, log_uri)
        self._output_file_uri = output_file_uri

    def get_output_file_uri(self, timeout_sec=None, block=True):
        if not block:
            return self._output_file_uri
        if self.wait(timeout_sec or 600) == SparkJobStatus.COMPLETED:
            return self._output_file_uri
        raise SparkJobFailure("Spark job failed")


class RemoteBatchIngestionJob(_RemoteJob, BatchIngestionJob):
    def __init__(self, service, params, job_id, feature_table, start_time, log_uri):
        super().__init__(service, params, job_id, start_time, log_uri)
        self._feature_table = feature_table

    def get_feature_table(self):
        return self._feature_table


class RemoteStreamIngestionJob(_RemoteJob, StreamIngestionJob):
    def __init__(self, service, params, job_id, feature_table, start_time, log_uri):
        super().__init__(service, params, job_id, start_time, log_uri)
        self._feature_table = feature_table

    def get_hash(self):
        return self._get().hash

    def get_feature_table(self):
        return self._feature_table


def remote_job_from_proto(service, params, job):
    from .core import JobService_pb2 as J
    start = job.start_time.ToDatetime()
    if job.type == J.RETRIEVAL_JOB:
        return RemoteRetrievalJob(service, params, job.id, job.retrieval.output_location, start, job.log_uri)
    if job.type == J.BATCH_INGESTION_JOB:
        return RemoteBatchIngestionJob(service, params, job.id, job.batch_ingestion.table_name, start, job.log_uri)
    if job.type == J.STREAM_INGESTION_JOB:
        return RemoteStreamIngestionJob(service, params, job.id, job.stream_ingestion.table_name, start, job.log_uri)
    raise ValueError(f"Invalid Job Type {job.type}, has to be one of "
                     f"{(J.RETRIEVAL_JOB, J.BATCH_INGESTION_JOB, J.STREAM_INGESTION_JOB)}")
