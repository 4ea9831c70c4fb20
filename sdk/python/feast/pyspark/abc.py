"""Feast 0.9's job classes under their 0.9 import path."""
from feast.job import (BatchIngestionJob, RetrievalJob, SparkJob, SparkJobFailure, SparkJobStatus,  # noqa: F401
                       SparkJobType, StreamIngestionJob)
