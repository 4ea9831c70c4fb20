"""Feast 0.9's remote job classes under their 0.9 import path."""
from feast.job import (RemoteBatchIngestionJob, RemoteRetrievalJob, RemoteStreamIngestionJob,  # noqa: F401
                       remote_job_from_proto as get_remote_job_from_proto)
