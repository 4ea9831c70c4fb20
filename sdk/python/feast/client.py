"""feast.Client: Feast 0.9's client, in two modes with the same methods and
results.

    Client(repo_path="repo")            # in process, on the C engine (repo/feature_store.yaml or its defaults)
    Client()                            # in process: $FEAST_CONFIG, ./feature_store.yaml, else the defaults
    Client(core_url="localhost:6565", serving_url="localhost:6566", job_service_url="localhost:6568")
                                        # over gRPC to `feast serve` or a Feast 0.9 Core / Serving / job service

The remote mode needs grpcio and protobuf (pip install 'feast-c[grpc]').
"""
import datetime as _dt
import os
import tempfile
import uuid
from typing import Any, Dict, List, Optional, Union

from .data_source import BigQuerySource, FileSource
from .entity import Entity
from .feature import Feature, FeatureRef, _parse_refs
from .feature_table import FeatureTable
from .job import RetrievalJob, SparkJob

_OPTION_KEYS = ("project", "core_url", "serving_url", "job_service_url", "grpc_connection_timeout",
                "historical_feature_output_location", "historical_feature_output_format", "spark_staging_location",
                "core_enable_ssl", "serving_enable_ssl", "job_service_enable_ssl", "telemetry")


class Client:
    """Feast's client.

    repo_path: run in process on the repository's feature_store.yaml (or its
    defaults); core_url / serving_url / job_service_url: talk gRPC to those
    servers instead. project: the project used when a method is given none
    (default: the configuration's, else "default"). options / keyword
    arguments take Feast 0.9's option names (FEAST_<NAME> environment
    variables too): historical_feature_output_location,
    spark_staging_location, grpc_connection_timeout, ...
    """

    def __init__(self, options: Optional[Dict[str, str]] = None, repo_path=None, **kwargs):
        opts = {k[len("FEAST_"):].lower(): v for k, v in os.environ.items()
                if k.startswith("FEAST_") and k[len("FEAST_"):].lower() in _OPTION_KEYS}
        opts.update({k.lower(): v for k, v in (options or {}).items()})
        opts.update({k.lower(): v for k, v in kwargs.items() if v is not None})
        self._options = opts
        self._remote = None
        self._embedded = None
        if opts.get("core_url") or opts.get("serving_url") or opts.get("job_service_url"):
            from ._remote import Remote
            self._remote = Remote(opts)
            self._project = opts.get("project") or "default"
        else:
            from ._embedded import Embedded
            self._embedded = Embedded(repo_path, opts.get("project"))
            self._project = self._embedded.default_project

    @property
    def _backend(self):
        return self._remote or self._embedded

    # ---- lifecycle ----

    def close(self):
        """Release the engine (embedded) or the channels (remote)."""
        if self._embedded:
            self._embedded.close()
        if self._remote:
            self._remote.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # ---- configuration ----

    @property
    def core_url(self) -> Optional[str]:
        return self._options.get("core_url")

    @property
    def serving_url(self) -> Optional[str]:
        return self._options.get("serving_url")

    @property
    def job_service_url(self) -> Optional[str]:
        return self._options.get("job_service_url")

    @property
    def project(self) -> str:
        if not self._project:
            raise ValueError("No project has been configured.")
        return self._project

    def set_project(self, project: Optional[str] = None):
        self._project = project or "default"

    def version(self):
        from . import __version__
        out = {"sdk": {"version": __version__}, "serving": "not configured", "core": "not configured"}
        if self._remote:
            out.update(self._remote.versions())
        else:
            out["core"] = out["serving"] = {"url": "embedded", "version": __version__}
        return out

    # ---- projects ----

    def list_projects(self) -> List[str]:
        return self._backend.list_projects()

    def create_project(self, project: str):
        self._backend.create_project(project)

    def archive_project(self, project):
        self._backend.archive_project(project)
        if self._project == project:
            self._project = "default"

    # ---- registry ----

    def apply(self, objects: Union[List[Union[Entity, FeatureTable]], Entity, FeatureTable], project: str = None,
              check_sources: bool = False):
        """Register entities and feature tables (create or update). Each
        object is updated from the registry afterwards (timestamps, revision).

        Embedded, the objects are applied in one transaction: every problem
        is reported at once and nothing is stored when any is found.
        check_sources (feast-c, embedded only) also reads each source's
        schema (Parquet footers, Avro schema, descriptor set) and checks every
        column; by default, as Feast 0.9's Core, sources are not read."""
        project = project or self.project
        if not isinstance(objects, list):
            objects = [objects]
        for obj in objects:
            if isinstance(obj, Entity):
                obj.is_valid()
            elif isinstance(obj, FeatureTable):
                obj.is_valid()
            else:
                raise ValueError(f"Could not determine object type to apply {obj} with type {type(obj)}. "
                                 "Type must be Entity or FeatureTable.")
        if self._remote:
            if check_sources:
                raise ValueError("check_sources is not part of Feast 0.9's protocol: the server decides")
            self._remote.apply(project, objects)
        else:
            self._embedded.apply(project, objects, check_sources)

    def apply_entity(self, entities, project: str = None):
        self.apply(entities if isinstance(entities, list) else [entities], project)

    def apply_feature_table(self, feature_tables, project: str = None):
        self.apply(feature_tables if isinstance(feature_tables, list) else [feature_tables], project)

    def get_entity(self, name: str, project: str = None) -> Entity:
        return self._backend.get_entity(project or self.project, name.strip())

    def list_entities(self, project: str = None, labels: Dict[str, str] = None) -> List[Entity]:
        return self._backend.list_entities(project or self.project, labels or {})

    def get_feature_table(self, name: str, project: str = None) -> FeatureTable:
        return self._backend.get_feature_table(project or self.project, name.strip())

    def list_feature_tables(self, project: str = None, labels: Dict[str, str] = None) -> List[FeatureTable]:
        return self._backend.list_feature_tables(project or self.project, labels or {})

    def delete_feature_table(self, name: str, project: str = None) -> None:
        self._backend.delete_feature_table(project or self.project, name.strip())

    def list_features_by_ref(self, project: str = None, entities: List[str] = None,
                             labels: Dict[str, str] = None) -> Dict[FeatureRef, Feature]:
        """Features of the tables whose entity set equals `entities` (all
        tables when empty) and whose labels contain `labels`."""
        labels = labels or {}
        out = {}
        for t in self.list_feature_tables(project, {}):
            if entities and sorted(t.entities) != sorted(entities):
                continue
            for f in t.features:
                if all(f.labels.get(k) == v for k, v in labels.items()):
                    out[FeatureRef(f.name, t.name)] = f
        return out

    # ---- ingestion ----

    def ingest(self, feature_table: Union[str, FeatureTable], source, project: str = None, chunk_size: int = 10000,
               max_workers: int = 1, timeout: int = 120) -> None:
        """Write rows (a pandas DataFrame, a pyarrow Table, or a .csv / .json /
        Parquet path) into the table's batch source, as Feast 0.9 did: a new
        Parquet file in the source's folder (per event date in
        <date_partition_column>=YYYY-MM-DD/ folders when partitioned). Run
        start_offline_to_online_ingestion to serve them online. chunk_size,
        max_workers and timeout are accepted for Feast 0.9's signature."""
        from . import _arrow
        project = project or self.project
        name = feature_table.name if isinstance(feature_table, FeatureTable) else feature_table
        rows = _arrow.read_file(source) if isinstance(source, (str, os.PathLike)) else source
        if self._remote:
            table = self.get_feature_table(name, project)
            self._remote.ingest_files(table, rows)
            return None
        self.last_ingest = self._embedded.ingest(project, name, rows)
        return None

    def start_offline_to_online_ingestion(self, feature_table: Union[FeatureTable, str], start: _dt.datetime,
                                          end: _dt.datetime, project: str = None) -> SparkJob:
        """Rows of the batch source with start <= event time < end into the
        online store (the latest per entity key wins). Embedded, this runs
        before returning; the job is COMPLETED and .summary counts the rows."""
        name = feature_table.name if isinstance(feature_table, FeatureTable) else feature_table
        return self._backend.start_offline_to_online_ingestion(project or self.project, name, start, end)

    def start_stream_to_online_ingestion(self, feature_table: Union[FeatureTable, str],
                                         extra_jars: Optional[List[str]] = None, project: str = None,
                                         **stream_options) -> SparkJob:
        """Consume the table's stream source into the online store until
        cancel(). Embedded it runs on a thread of this process
        (stream_options: start_from, group_id, max_batch_rows,
        max_batch_delay_ms, dead_letter_path, until_caught_up, and
        progress=fn(counters) called after every flush; job.counters holds
        the latest counters)."""
        name = feature_table.name if isinstance(feature_table, FeatureTable) else feature_table
        if self._remote:
            return self._remote.start_stream_to_online_ingestion(project or self.project, name)
        return self._embedded.start_stream_to_online_ingestion(project or self.project, name, stream_options)

    def list_jobs(self, include_terminated: bool = True, table_name: Optional[str] = None) -> List[SparkJob]:
        return self._backend.list_jobs(include_terminated, table_name)

    def get_job_by_id(self, job_id: str) -> SparkJob:
        return self._backend.get_job(job_id)

    get_job = get_job_by_id

    # ---- retrieval ----

    def get_online_features(self, feature_refs: List[str], entity_rows: List[Dict[str, Any]],
                            project: Optional[str] = None, at=None):
        """The latest values of `feature_refs` ("table:feature") for each
        entity row ({"driver_id": 1001}; values are Python values or
        feast.types.Value). Returns an OnlineResponse: to_dict() gives
        {"driver_id": [...], "table:feature": [...]}. `at` (feast-c,
        embedded): the time ages are measured from (default now)."""
        _parse_refs(feature_refs)
        if not entity_rows:
            raise ValueError("Entity value must be provided")
        return self._backend.get_online_features(project or self.project, list(feature_refs), list(entity_rows),
                                                 at=at)

    def get_historical_features(self, feature_refs: List[str], entity_source,
                                output_location: Optional[str] = None, project: Optional[str] = None,
                                timestamp_column: Optional[str] = None, progress=None, memory_limit: int = 0,
                                threads: int = 0) -> RetrievalJob:
        """Point-in-time join of the entity rows (a pandas DataFrame, a
        pyarrow Table, a FileSource, or a file path; column event_timestamp)
        with `feature_refs`. Returns a retrieval job:
        get_output_file_uri() (Parquet written to output_location, or
        historical_feature_output_location/<uuid>), to_df(), to_arrow().
        Embedded, to_arrow() is the engine's result without a copy;
        progress(phase, done, total) is called during the join."""
        _parse_refs(feature_refs)
        project = project or self.project
        if self._remote:
            return self._remote.get_historical_features(project, list(feature_refs), entity_source, output_location,
                                                        self._output_location(), self._staging_location())
        return self._embedded.get_historical_features(project, list(feature_refs), entity_source, output_location,
                                                      timestamp_column, progress, memory_limit, threads,
                                                      self._write_training_set)

    def _output_location(self):
        base = self._options.get("historical_feature_output_location") or os.path.join(tempfile.gettempdir(),
                                                                                      "feast-historical")
        return os.path.join(base, str(uuid.uuid4()))

    def _staging_location(self):
        return self._options.get("spark_staging_location") or os.path.join(tempfile.gettempdir(), "feast-staging")

    def _write_training_set(self, table, location):
        """Parquet at `location` (a folder gets part-00000.parquet), as a Feast 0.9 job wrote its output."""
        import pyarrow.parquet as pq
        location = location or self._output_location()
        path = location[7:] if location.startswith("file://") else location
        if not path.endswith(".parquet"):
            os.makedirs(path, exist_ok=True)
            path = os.path.join(path, "part-00000.parquet")
        else:
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        pq.write_table(table, path)
        return location


__all__ = ["Client", "BigQuerySource", "FileSource"]
