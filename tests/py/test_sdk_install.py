"""The SDK installs into a fresh virtualenv and runs its quickstart there:
the wheel (as `make wheel` builds it, libfeast.so inside) with nothing but
pyarrow (installed by pip, from its cache when it has one), and
`pip install ./sdk/python` as the README says. No protobuf, pandas, PyYAML
or grpcio in the venv: the quickstart must not need them."""
import os
import subprocess
import sys
import textwrap

import pytest

import sdk_env

QUICKSTART = textwrap.dedent('''
    import datetime as dt, os, sys
    import pyarrow as pa, pyarrow.parquet as pq
    for optional in ("google.protobuf", "pandas", "yaml", "grpc"):
        try:
            __import__(optional)
            sys.exit(f"{optional} is in the fresh venv: the test would prove nothing")
        except ImportError:
            pass
    from feast import Client, Entity, Feature, FeatureTable, FileSource, ValueType
    from feast.data_format import ParquetFormat

    repo = sys.argv[1]
    t0 = dt.datetime(2021, 4, 12, tzinfo=dt.timezone.utc)
    os.makedirs(f"{repo}/data/driver_trips")
    pq.write_table(pa.table({
        "driver_id": pa.array([1001, 1002, 1001], pa.int64()),
        "datetime": pa.array([t0, t0, t0 + dt.timedelta(hours=1)], pa.timestamp("us", tz="UTC")),
        "created": pa.array([t0, t0, t0], pa.timestamp("us", tz="UTC")),
        "rating": pa.array([4.5, 3.0, 4.75], pa.float64())}), f"{repo}/data/driver_trips/part-0.parquet")

    client = Client(repo_path=repo)
    driver = Entity(name="driver_id", description="Driver identifier", value_type=ValueType.INT64)
    trips = FeatureTable(name="driver_trips", entities=["driver_id"], features=[Feature("rating", ValueType.DOUBLE)],
                         max_age=dt.timedelta(hours=2),
                         batch_source=FileSource(event_timestamp_column="datetime", created_timestamp_column="created",
                                                 file_format=ParquetFormat(), file_url=f"file://{repo}/data/driver_trips"))
    client.apply([driver, trips])
    client.ingest(trips, pa.table({"driver_id": pa.array([1003], pa.int64()),
                                   "datetime": pa.array([t0], pa.timestamp("us", tz="UTC")),
                                   "created": pa.array([t0], pa.timestamp("us", tz="UTC")),
                                   "rating": pa.array([2.5])}))
    client.start_offline_to_online_ingestion(trips, dt.datetime(2021, 4, 1), dt.datetime(2021, 5, 1))
    online = client.get_online_features(["driver_trips:rating"], [{"driver_id": 1001}, {"driver_id": 1003}],
                                        at=t0 + dt.timedelta(hours=1))
    assert online.to_dict() == {"driver_id": [1001, 1003], "driver_trips:rating": [4.75, 2.5]}, online.to_dict()
    job = client.get_historical_features(["driver_trips:rating"], pa.table({
        "driver_id": pa.array([1001, 1002], pa.int64()),
        "event_timestamp": pa.array([t0 + dt.timedelta(minutes=30), t0], pa.timestamp("us", tz="UTC"))}))
    assert job.to_arrow().column("driver_trips__rating").to_pylist() == [4.5, 3.0]
    got = client.get_feature_table("driver_trips")
    assert got == trips and got.max_age == dt.timedelta(hours=2) and isinstance(got.created_timestamp, dt.datetime)
    print("quickstart ok", client.list_projects())
''')


def fresh_venv(tmp_path, name):
    venv = tmp_path / name
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(pip + ["pyarrow"], check=True, timeout=300)
    return venv, pip


def run_quickstart(venv, tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("FEAST_LIB", "PYTHONPATH", "FEAST_CONFIG")}
    repo = tmp_path / "repo"
    p = subprocess.run([str(venv / "bin" / "python"), "-c", QUICKSTART, str(repo)], capture_output=True, text=True,
                       env=env, cwd=str(tmp_path), timeout=120)
    assert p.returncode == 0, p.stderr
    assert "quickstart ok ['default']" in p.stdout


def test_wheel_in_a_fresh_venv(tmp_path):
    lib = sdk_env.ROOT / "build" / "libfeast.so"
    if not lib.exists():
        subprocess.run(["make", "-s", "-C", str(sdk_env.ROOT), "lib"], check=True)
    wheels = tmp_path / "wheels"
    # what `make wheel` runs
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(wheels), str(sdk_env.ROOT / "sdk" / "python")], check=True, env=dict(os.environ,
                   FEAST_LIB=str(lib)), timeout=300)
    whl = list(wheels.glob("feast_c-*-py3-none-*.whl"))
    assert len(whl) == 1, list(wheels.iterdir())
    import zipfile
    assert "feast/libfeast.so" in zipfile.ZipFile(whl[0]).namelist()
    venv, pip = fresh_venv(tmp_path, "venv")
    subprocess.run(pip + ["--no-deps", str(whl[0])], check=True, timeout=120)
    run_quickstart(venv, tmp_path)


def test_pip_install_of_the_source_folder(tmp_path):
    venv, pip = fresh_venv(tmp_path, "venv_src")
    env = dict(os.environ, FEAST_LIB=str(sdk_env.ROOT / "build" / "libfeast.so"))
    p = subprocess.run(pip + [str(sdk_env.ROOT / "sdk" / "python")], capture_output=True, text=True, env=env,
                       timeout=300)
    assert p.returncode == 0, p.stderr
    run_quickstart(venv, tmp_path)
