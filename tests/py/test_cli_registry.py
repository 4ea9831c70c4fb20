"""The `feast` CLI for the registry, run as a binary: init, apply (idempotent,
all-or-nothing), projects, entities, feature tables, label filters, output
formats, describe round trips, config errors. Registry contents are also
checked independently by reading the SQLite file with Python's sqlite3."""
import json
import os
import sqlite3
import subprocess

import pytest

FEAST = os.environ.get("FEAST_BIN", os.path.join(os.getcwd(), "build", "feast"))

ENTITY = """spec:
  name: customer_id
  valueType: STRING
  description: Customer
  labels: {team: growth}
"""

TABLE = """spec:
  name: customer_stats
  entities: [customer_id]
  features:
    - {name: orders, valueType: INT64}
  labels: {team: growth}
  batchSource:
    type: BATCH_FILE
    eventTimestampColumn: ts
    fileOptions: {fileFormat: {parquetFormat: {}}, fileUrl: "file:///nonexistent/c.parquet"}
"""


def feast(*args, cwd, check=True, env=None):
    p = subprocess.run([FEAST, *args], cwd=cwd, capture_output=True, text=True, timeout=120,
                       env=dict(os.environ, **(env or {})))
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


@pytest.fixture
def repo(tmp_path):
    feast("init", "repo", cwd=tmp_path)
    return tmp_path / "repo"


def registry_rows(repo, table):
    db = sqlite3.connect(repo / "data" / "registry.db")
    try:
        return db.execute(f"select project, name, revision, last_updated from {table} order by project, name").fetchall()
    finally:
        db.close()


def test_init_creates_a_repository(repo):
    assert (repo / "feature_store.yaml").exists()
    assert (repo / "driver_id.yaml").exists()
    assert (repo / "driver_trips.yaml").exists()
    assert "driver_trips.parquet" in (repo / "driver_trips.yaml").read_text()
    p = feast("init", str(repo), cwd=repo.parent, check=False)
    assert p.returncode != 0 and p.stderr.startswith("feast: ")


def test_apply_is_idempotent(repo):
    out = json.loads(feast("apply", "--skip-source-check", "-o", "json", cwd=repo).stdout)
    assert sorted((o["kind"], o["name"], o["result"], o["revision"]) for o in out) == [
        ("entity", "driver_id", "created", 1), ("feature_table", "driver_trips", "created", 1)]
    before = registry_rows(repo, "feature_tables")
    out = json.loads(feast("apply", "--skip-source-check", "-o", "json", cwd=repo).stdout)
    assert {o["result"] for o in out} == {"unchanged"}
    assert registry_rows(repo, "feature_tables") == before
    spec = (repo / "driver_trips.yaml").read_text().replace("team: rides", "team: rides\n    tier: gold", 1)
    (repo / "driver_trips.yaml").write_text(spec)
    out = json.loads(feast("apply", "--skip-source-check", "-o", "json", cwd=repo).stdout)
    assert {(o["name"], o["result"], o["revision"]) for o in out} == {
        ("driver_id", "unchanged", 1), ("driver_trips", "updated", 2)}
    rows = registry_rows(repo, "feature_tables")
    assert rows[0][2] == 2 and rows[0][3] > before[0][3]


def test_apply_checks_the_parquet_source(repo):
    # feast init writes the example data before apply: the footer check passes
    feast("apply", cwd=repo)
    # a source whose file is missing is refused, with the way round it
    (repo / "extra").mkdir()
    (repo / "extra" / "e.yaml").write_text(ENTITY)
    (repo / "extra" / "t.yaml").write_text(TABLE)
    p = feast("apply", "-f", str(repo / "extra"), cwd=repo, check=False)
    assert p.returncode == 1
    assert "spec.batchSource.fileOptions.fileUrl: /nonexistent/c.parquet" in p.stderr
    assert "--skip-source-check" in p.stderr
    # a column the example file lacks, and one of the wrong type
    import pyarrow as pa
    import pyarrow.parquet as pq
    pq.write_table(pa.table({"customer_id": pa.array([1, 2], pa.int64()),
                             "ts": pa.array([1, 2], pa.timestamp("ms"))}), repo / "data" / "c.parquet")
    (repo / "extra" / "t.yaml").write_text(TABLE.replace("file:///nonexistent/c.parquet",
                                                         f"file://{repo / 'data' / 'c.parquet'}"))
    p = feast("apply", "-f", str(repo / "extra"), cwd=repo, check=False)
    assert p.returncode == 1
    assert "column 'customer_id' (entity customer_id): expected string for STRING, found int64" in p.stderr
    assert "column 'orders' (feature orders): not in the Parquet files" in p.stderr
    assert [r[1] for r in registry_rows(repo, "entities")] == ["driver_id"]

def test_apply_is_all_or_nothing(repo):
    feast("apply", "--skip-source-check", cwd=repo)
    bad = repo / "bad"
    bad.mkdir()
    (bad / "a.yaml").write_text(ENTITY)
    (bad / "b.yaml").write_text("spec:\n  name: driver_id\n  valueType: STRING\n")
    p = feast("apply", "--skip-source-check", "-f", str(bad), cwd=repo, check=False)
    assert p.returncode == 1
    assert p.stderr.startswith("feast: ") and "driver_id" in p.stderr
    assert [r[1] for r in registry_rows(repo, "entities")] == ["driver_id"]


def test_entities_and_tables_commands(repo):
    feast("apply", "--skip-source-check", cwd=repo)
    (repo / "extra").mkdir()
    (repo / "extra" / "e.yaml").write_text(ENTITY)
    (repo / "extra" / "t.yaml").write_text(TABLE)
    feast("entities", "apply", "-f", str(repo / "extra" / "e.yaml"), cwd=repo)
    p = feast("entities", "apply", "-f", str(repo / "extra" / "t.yaml"), cwd=repo, check=False)
    assert p.returncode != 0 and "feature table" in p.stderr
    feast("feature-tables", "apply", "--skip-source-check", "-f", str(repo / "extra" / "t.yaml"), cwd=repo)

    listing = feast("entities", "list", cwd=repo).stdout.splitlines()
    assert listing[0].split()[:2] == ["NAME", "TYPE"]
    assert [l.split()[0] for l in listing[1:]] == ["customer_id", "driver_id"]
    growth = json.loads(feast("entities", "list", "-l", "team=growth", "-o", "json", cwd=repo).stdout)
    assert [e["name"] for e in growth] == ["customer_id"]
    assert growth[0]["valueType"] == "STRING" and growth[0]["meta"]["revision"] == 1
    tables = json.loads(feast("feature-tables", "list", "-l", "team=rides", "-o", "json", cwd=repo).stdout)
    assert [t["name"] for t in tables] == ["driver_trips"]
    assert [f["name"] for f in tables[0]["features"]] == ["avg_daily_trips", "conv_rate", "acc_rate"]
    yaml_out = feast("feature-tables", "list", "-o", "yaml", cwd=repo).stdout
    assert "- name: customer_stats" in yaml_out

    feast("feature-tables", "delete", "customer_stats", cwd=repo)
    p = feast("feature-tables", "describe", "customer_stats", cwd=repo, check=False)
    assert p.returncode == 1 and "customer_stats" in p.stderr and p.stderr.count("\n") == 1


@pytest.mark.parametrize("fmt,ext", [("yaml", "yaml"), ("json", "json")])
def test_describe_round_trips(repo, fmt, ext):
    feast("apply", "--skip-source-check", cwd=repo)
    out = repo / "out"
    out.mkdir()
    for kind, name in [("entities", "driver_id"), ("feature-tables", "driver_trips")]:
        text = feast(kind, "describe", name, "-o", fmt, cwd=repo).stdout
        (out / f"{name}.{ext}").write_text(text)
    res = json.loads(feast("apply", "--skip-source-check", "-f", str(out), "-o", "json", cwd=repo).stdout)
    assert {r["result"] for r in res} == {"unchanged"}


def test_projects(repo):
    feast("projects", "create", "fraud", cwd=repo)
    p = feast("projects", "create", "fraud", cwd=repo, check=False)
    assert p.returncode == 1 and "exists" in p.stderr
    assert feast("projects", "archive", "default", cwd=repo, check=False).returncode == 1
    feast("apply", "--skip-source-check", "-p", "fraud", cwd=repo)
    names = [e["name"] for e in json.loads(feast("entities", "list", "-p", "fraud", "-o", "json", cwd=repo).stdout)]
    assert names == ["driver_id"]
    assert json.loads(feast("entities", "list", "-o", "json", cwd=repo).stdout) == []
    feast("projects", "archive", "fraud", cwd=repo)
    p = feast("apply", "--skip-source-check", "-p", "fraud", cwd=repo, check=False)
    assert p.returncode == 1 and "archived" in p.stderr
    projects = json.loads(feast("projects", "list", "--all", "-o", "json", cwd=repo).stdout)
    assert projects == [{"name": "default", "archived": False}, {"name": "fraud", "archived": True}]
    table = feast("projects", "list", cwd=repo).stdout.split()
    assert "fraud" not in table and "default" in table


def test_config_selection_and_errors(repo, tmp_path):
    (repo / "feature_store.yaml").write_text(
        (repo / "feature_store.yaml").read_text() + "registri: x.db\n")
    p = feast("entities", "list", cwd=repo, check=False)
    assert p.returncode == 1 and "registri" in p.stderr and "feature_store.yaml:" in p.stderr
    other = tmp_path / "other.yaml"
    other.write_text("project: elsewhere\nregistry: reg/other.db\n")
    feast("--config", str(other), "projects", "list", cwd=repo)
    assert (tmp_path / "reg" / "other.db").exists()
    feast("projects", "list", cwd=repo, env={"FEAST_CONFIG": str(other)})


def test_help_and_usage(tmp_path):
    for cmd in (["apply"], ["projects"], ["entities"], ["feature-tables"], ["init"]):
        p = feast(*cmd, "--help", cwd=tmp_path)
        assert p.stdout.startswith("usage: feast")
    p = feast("entities", "frobnicate", cwd=tmp_path, check=False)
    assert p.returncode == 2
