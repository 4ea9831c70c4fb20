"""Issue 15's defects, each as the hostile probe that found it, through the CLI on real files and a real
LMDB store: every case ends with a clear error (or a row-level rejection) and the store as it was."""
import datetime as dt
import json
import os
import pathlib
import random
import shutil
import stat
import subprocess
import tempfile

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

FEAST = os.environ.get("FEAST_BIN", os.path.join(os.getcwd(), "build", "feast"))
T = dt.datetime(2021, 4, 12, 10, 0, 0)


def feast(*args, cwd, check=True):
    p = subprocess.run([FEAST, *args], cwd=cwd, capture_output=True, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError(f"feast {' '.join(args)} exited {p.returncode}: {p.stderr}")
    return p


def repo(root, features, cols, entity_type="INT64", online="online_store: {type: lmdb, path: online}"):
    """A repository with one entity `k` and one table `t` over data/t.parquet, holding `cols`."""
    (root / "data").mkdir(exist_ok=True)
    pq.write_table(pa.table(cols), root / "data" / "t.parquet")
    (root / "feature_store.yaml").write_text(f"project: default\nregistry: registry.db\n{online}\n")
    feats = "\n".join(f"    - name: {n}\n      valueType: {vt}" for n, vt in features)
    (root / "specs.yaml").write_text(f"""spec:
  name: k
  valueType: {entity_type}
---
spec:
  name: t
  entities: [k]
  features:
{feats}
  batchSource:
    type: BATCH_FILE
    eventTimestampColumn: ts
    fileOptions:
      fileFormat: {{parquetFormat: {{}}}}
      fileUrl: "{root}/data/t.parquet"
""")
    feast("apply", cwd=root)


def online(root, refs, *keys):
    """{feature: (values, statuses)} of an online read, the entity column left out."""
    p = feast("get-online-features", "-f", refs, *sum((["-e", f"k={k}"] for k in keys), []), "-o", "json",
              cwd=root)
    doc = json.loads(p.stdout)
    names = doc["metadata"]["feature_names"][1:]
    return {n: (r["values"], r["statuses"]) for n, r in zip(names, doc["results"][1:])}


def test_full_lmdb_map_is_refused_before_writing_and_names_map_size(tmp_path):
    # 6: MDB_MAP_FULL was reported as MDB_BAD_TXN (a later call on the dead transaction), after part of the
    # run was committed. Now a write that cannot fit is refused before it starts, naming the setting.
    n = 200_000
    repo(tmp_path, [("v", "INT64")], {"k": pa.array(range(n), pa.int64()), "ts": pa.array([T] * n, pa.timestamp("us")),
                                      "v": pa.array(range(n), pa.int64())},
         online="online_store: {type: lmdb, path: online, map_size: 1048576}")
    p = feast("ingest", "t", cwd=tmp_path, check=False)
    assert p.returncode != 0
    assert "MDB_BAD_TXN" not in p.stderr
    assert "online_store.map_size" in p.stderr and "200000 rows of table t" in p.stderr, p.stderr
    assert "0 written" in p.stdout
    # the store holds nothing of the refused run
    assert online(tmp_path, "t:v", 1)["t__v"][1] == ["NOT_FOUND"]


def test_map_full_midway_keeps_the_first_error(tmp_path):
    # 6: a run that passes the up-front check (its lower bound fits) but fills the map on the way must
    # still say MDB_MAP_FULL, not MDB_BAD_TXN; the transaction is whole or absent.
    n = 60_000
    repo(tmp_path, [("v", "STRING")], {"k": pa.array(range(n), pa.int64()), "ts": pa.array([T] * n, pa.timestamp("us")),
                                       "v": pa.array(["x" * 20] * n)},
         online="online_store: {type: lmdb, path: online, map_size: 4194304}")
    p = feast("ingest", "t", cwd=tmp_path, check=False)
    assert p.returncode != 0
    assert "MDB_BAD_TXN" not in p.stderr
    assert "MDB_MAP_FULL" in p.stderr or "need at least" in p.stderr, p.stderr
    assert "online_store.map_size" in p.stderr
    assert online(tmp_path, "t:v", 0, n - 1)["t__v"][1] == ["NOT_FOUND"] * 2


@pytest.mark.parametrize("value", ["-5", "0", "12abc", " 5", "99999999999999999999999"])
def test_bad_map_size_is_named(tmp_path, value):
    # 10: `map_size: -5` said "Cannot allocate memory" (strtoull wrapped it to 2^64-5).
    repo(tmp_path, [("v", "INT64")], {"k": pa.array([1], pa.int64()), "ts": pa.array([T], pa.timestamp("us")),
                                      "v": pa.array([1], pa.int64())},
         online=f"online_store: {{type: lmdb, path: online, map_size: '{value}'}}")
    p = feast("ingest", "t", cwd=tmp_path, check=False)
    assert p.returncode != 0
    assert "map_size must be a positive number of bytes" in p.stderr and value.strip() in p.stderr, p.stderr


def test_more_than_1024_features_apply_ingest_and_read(tmp_path):
    # 7: a fixed array of 1024 columns once made tables of more than 1022 features unusable.
    n = 1100
    cols = {"k": pa.array([1, 2], pa.int64()), "ts": pa.array([T, T], pa.timestamp("us"))}
    for i in range(n):
        cols[f"f{i}"] = pa.array([i, i + 1], pa.int32())
    repo(tmp_path, [(f"f{i}", "INT32") for i in range(n)], cols)
    feast("ingest", "t", cwd=tmp_path)
    assert online(tmp_path, "t:f0,t:f1099", 2) == {"t__f0": ([1], ["PRESENT"]), "t__f1099": ([1100], ["PRESENT"])}
    (tmp_path / "e.csv").write_text("k,event_timestamp\n1,2021-04-13T00:00:00Z\n")
    refs = ",".join(f"t:f{i}" for i in range(n))
    feast("get-historical-features", "-f", refs, "-e", "e.csv", "-o", "h.parquet", cwd=tmp_path)
    h = pq.read_table(tmp_path / "h.parquet")
    assert h.num_columns == n + 2 and h.column("t__f1099").to_pylist() == [1099]


def test_oversized_string_key_is_a_rejected_row_not_a_failed_run(tmp_path):
    # 9: one string entity value longer than LMDB's key limit aborted the whole ingestion, naming no row.
    keys = ["a", "b" * 2000, "c"]
    repo(tmp_path, [("v", "INT64")], {"k": pa.array(keys), "ts": pa.array([T] * 3, pa.timestamp("us")),
                                      "v": pa.array([1, 2, 3], pa.int64())}, entity_type="STRING")
    p = feast("ingest", "t", "--dead-letter", "dl.parquet", cwd=tmp_path)
    assert "2 written" in p.stdout and "1 rejected" in p.stdout, p.stdout
    assert "row 2:" in p.stdout and "entity key is" in p.stdout, p.stdout
    dl = pq.read_table(tmp_path / "dl.parquet").to_pylist()
    assert len(dl) == 1 and dl[0]["k"] == "b" * 2000
    assert online(tmp_path, "t:v", "a", "c") == {"t__v": ([1, 3], ["PRESENT", "PRESENT"])}


def test_damaged_lmdb_file_never_crashes(tmp_path):
    # 1: a few flipped bits in data.mdb made reads and ingestion die with SIGBUS/SIGSEGV (a record's size
    # and pointer used unchecked; LMDB's own page walk trusting damaged offsets). Every run must now end
    # with exit status 0 or 1: the right values, or an error that says the store is damaged.
    n = 3000
    repo(tmp_path, [("v", "STRING"), ("w", "INT64")],
         {"k": pa.array(range(n), pa.int64()), "ts": pa.array([T] * n, pa.timestamp("us")),
          "v": pa.array([f"val{i}" * 3 for i in range(n)]), "w": pa.array(range(n), pa.int64())})
    feast("ingest", "t", cwd=tmp_path)
    data = tmp_path / "online" / "data.mdb"
    good = data.read_bytes()
    keys = list(range(0, n, 7))
    read = [FEAST, "get-online-features", "-f", "t:v,t:w", "-o", "json"] + sum((["-e", f"k={k}"] for k in keys), [])
    rng = random.Random(int(os.environ.get("FEAST_CORRUPT_SEED", "15")))
    runs = int(os.environ.get("FEAST_CORRUPT_RUNS", "150"))
    damaged = 0
    for i in range(runs):
        b = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            j = rng.randrange(len(b))
            b[j] ^= 1 << rng.randrange(8)
        data.write_bytes(bytes(b))
        for cmd in (read, [FEAST, "ingest", "t"]):
            p = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=60)
            assert p.returncode in (0, 1), f"run {i}: {cmd[1]} died with {p.returncode}: {p.stderr[-300:]}"
            if p.returncode == 1:
                damaged += 1
                assert "feast:" in p.stderr and len(p.stderr) < 2000, p.stderr
            elif cmd is read:
                doc = json.loads(p.stdout)
                w = doc["results"][2]
                # a value read as PRESENT is the value that was written (each record carries a CRC-32C)
                for k, val, st in zip(keys, w["values"], w["statuses"]):
                    assert st != "PRESENT" or val == k, (i, k, val)
    assert damaged > 0  # the corruption reached the data at least sometimes


def test_outputs_never_replace_special_files_or_inputs(tmp_path):
    # 2: outputs were a temp file renamed over the target: a device or FIFO became a regular file (as root,
    # `-o /dev/null` deleted /dev/null) and `-o` naming the table's source file replaced the data.
    repo(tmp_path, [("v", "INT64")], {"k": pa.array([1, 2], pa.int64()), "ts": pa.array([T, T], pa.timestamp("us")),
                                      "v": pa.array([1, 2], pa.int64())})
    (tmp_path / "e.csv").write_text("k,event_timestamp\n1,2021-04-13T00:00:00Z\n")
    src = tmp_path / "data" / "t.parquet"
    before = src.read_bytes()
    (tmp_path / "link.parquet").symlink_to(src)
    hist = ["get-historical-features", "-f", "t:v", "-e", "e.csv", "-o"]
    for out, why in [(str(src), "batch source of feature table t"), ("./data/../data/t.parquet", "batch source"),
                     ("link.parquet", "batch source"), (f"file://{src}", "batch source"),
                     ("e.csv", "also an input")]:
        p = feast(*hist, out, cwd=tmp_path, check=False)
        assert p.returncode == 1 and why in p.stderr, (out, p.stderr)
    p = feast("ingest", "t", "--dead-letter", str(src), cwd=tmp_path, check=False)
    assert p.returncode == 1 and "batch source" in p.stderr, p.stderr
    p = feast("parquet-write", "--from-csv", "e.csv", "e.csv", cwd=tmp_path, check=False)
    assert p.returncode == 1 and "also an input" in p.stderr, p.stderr
    assert src.read_bytes() == before

    # a character device (our own node for /dev/null's device) and a FIFO are written into, not replaced
    dev = tmp_path / "null"
    os.mknod(dev, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    feast(*hist, str(dev), cwd=tmp_path)
    assert stat.S_ISCHR(os.stat(dev).st_mode)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    feast(*hist, str(fifo), cwd=tmp_path)
    got = reader.communicate(timeout=30)[0]
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert pq.read_table(pa.BufferReader(got)).column("t__v").to_pylist() == [1]


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the commands as another user (setpriv)")
def test_read_only_registry_and_store_serve_reads():
    # 8: a read-only registry blocked even read-only commands (enabling WAL, then creating the schema, failed
    # first). Run as `nobody` over root's files: reads work, writes say why they cannot.
    tmp_path = pathlib.Path(tempfile.mkdtemp(prefix="feast-ro-", dir="/tmp"))
    repo(tmp_path, [("v", "INT64")], {"k": pa.array([1, 2], pa.int64()), "ts": pa.array([T, T], pa.timestamp("us")),
                                      "v": pa.array([10, 20], pa.int64())})
    feast("ingest", "t", cwd=tmp_path)
    for p in [tmp_path, *tmp_path.rglob("*")]:
        os.chmod(p, 0o555 if p.is_dir() else 0o444)
    as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", FEAST]
    try:
        def run(*args):
            return subprocess.run(as_nobody + list(args), cwd=tmp_path, capture_output=True, text=True, timeout=60)
        p = run("feature-tables", "list")
        assert p.returncode == 0 and "t" in p.stdout, p.stderr
        p = run("get-online-features", "-f", "t:v", "-e", "k=2", "-o", "json")
        assert p.returncode == 0 and json.loads(p.stdout)["results"][1]["values"] == [20], p.stderr
        p = run("apply")
        assert p.returncode == 1 and "cannot be written" in p.stderr, p.stderr
        p = run("ingest", "t")
        assert p.returncode == 1 and "can only be read here" in p.stderr, p.stderr
    finally:
        for p in [tmp_path, *tmp_path.rglob("*")]:
            os.chmod(p, 0o755 if p.is_dir() else 0o644)
        shutil.rmtree(tmp_path)


@pytest.mark.parametrize("folder", ["[1]", "a*b", "q?", "back\\slash"])
def test_pattern_characters_in_the_repository_path_mean_only_themselves(tmp_path, folder):
    # 3: `feast init` wrote the path unescaped and the reader took `*`, `?`, `[` as patterns: a folder
    # named [1] broke the example and a `*` read another repository's files.
    decoy = tmp_path / (folder.replace("*", "XX").replace("?", "Z").replace("[1]", "1"))
    if decoy.name != folder:  # a sibling the pattern would match: its data must not be read
        feast("init", str(decoy), cwd=tmp_path)
    feast("init", folder, cwd=tmp_path)
    root = tmp_path / folder
    assert "\\" in (root / "driver_trips.yaml").read_text().split("fileUrl:")[1].split("\n")[0] or \
        not any(c in folder for c in "*?[\\")
    feast("apply", cwd=root)
    p = feast("ingest", "driver_trips", cwd=root)
    assert "120 rows read" in p.stdout, p.stdout  # the example's rows, once: not the decoy's too


def test_symlink_loops_and_files_reached_twice_are_refused(tmp_path):
    # 4: a symlink loop in a dataset folder multiplied rows (each file read 41 times).
    ds = tmp_path / "ds" / "part=1"
    ds.mkdir(parents=True)
    pq.write_table(pa.table({"k": pa.array([1], pa.int64())}), ds / "a.parquet")
    (ds / "loop").symlink_to("..")
    p = feast("parquet", "cat", str(tmp_path / "ds"), cwd=tmp_path, check=False)
    assert p.returncode == 1 and "symlink loop" in p.stderr, p.stderr
    (ds / "loop").unlink()
    (tmp_path / "ds" / "part=2").symlink_to("part=1")
    p = feast("parquet", "cat", str(tmp_path / "ds"), cwd=tmp_path, check=False)
    assert p.returncode == 1 and "are the same file" in p.stderr, p.stderr
    (tmp_path / "ds" / "part=2").unlink()
    p = feast("parquet", "cat", str(tmp_path / "ds"), cwd=tmp_path)
    assert p.stdout.count("\n") == 1


def test_small_defects_of_the_hostile_run(tmp_path):
    # 10: a duplicate entity in one online row was accepted and printed twice; empty label keys and names
    # longer than any store can key were applied; the missing-entity hint named a command that does not
    # exist; row numbers started at 0 in one message and 1 in another.
    repo(tmp_path, [("v", "INT64")], {"k": pa.array([1], pa.int64()), "ts": pa.array([T], pa.timestamp("us")),
                                      "v": pa.array([None], pa.int64())})
    p = feast("get-online-features", "-f", "t:v", "-e", "k=1,k=2", cwd=tmp_path, check=False)
    assert p.returncode == 1 and "entity k is given twice" in p.stderr, p.stderr
    (tmp_path / "bad.yaml").write_text(f"""spec:
  name: e_{'x' * 200}
  valueType: INT64
  labels:
    "": v
---
spec:
  name: t3
  entities: [nope]
  features:
    - name: f
      valueType: INT64
      labels: {{"": x}}
  batchSource:
    type: BATCH_FILE
    eventTimestampColumn: ts
    fileOptions:
      fileFormat: {{parquetFormat: {{}}}}
      fileUrl: "{tmp_path}/data/t.parquet"
""")
    p = feast("apply", "-f", "bad.yaml", "--skip-source-check", cwd=tmp_path, check=False)
    assert p.returncode == 1
    assert "names are at most 128" in p.stderr
    assert p.stderr.count("a label key cannot be empty") == 2, p.stderr
    assert "`feast entities apply -f FILE`" in p.stderr
    p = feast("get-online-features", "-f", "t:v", "-e", "k=1", "-e", "k=x", cwd=tmp_path, check=False)
    assert p.returncode == 1 and "entity row 2" in p.stderr, p.stderr


def test_duplicate_parquet_column_names_are_refused(tmp_path):
    # 10: a file with two columns of one name silently read the first.
    t = pa.Table.from_arrays([pa.array([1]), pa.array([2]), pa.array([3])], names=["a", "b", "a"])
    pq.write_table(t, tmp_path / "dup.parquet")
    p = feast("parquet", "cat", str(tmp_path / "dup.parquet"), cwd=tmp_path, check=False)
    assert p.returncode == 1 and "column 'a' appears twice in the schema (columns 1 and 3)" in p.stderr, p.stderr


@pytest.fixture(scope="module")
def redis_port():
    scripts = pathlib.Path(__file__).resolve().parents[2] / "scripts"
    p = subprocess.run(["bash", str(scripts / "start-redis.sh")], capture_output=True, text=True, timeout=120)
    if p.returncode != 0 or not p.stdout.strip():
        pytest.fail(f"start-redis.sh could not start a server: {p.stderr.strip()}")
    port = p.stdout.strip()
    yield port
    subprocess.run(["bash", str(scripts / "stop-redis.sh"), port])


def test_undecodable_redis_value_is_an_error_not_present(tmp_path, redis_port):
    # 10: an undecodable value in Redis was shown as PRESENT.
    import redis
    repo(tmp_path, [("v", "INT64"), ("w", "INT64")],
         {"k": pa.array([1, 2], pa.int64()), "ts": pa.array([T, T], pa.timestamp("us")),
          "v": pa.array([10, 20], pa.int64()), "w": pa.array([1, None], pa.int64())},
         online=f"online_store: {{type: redis, connection_string: '127.0.0.1:{redis_port}'}}")
    feast("ingest", "t", cwd=tmp_path)
    assert online(tmp_path, "t:v,t:w", 1, 2) == {"t__v": ([10, 20], ["PRESENT", "PRESENT"]),
                                                   "t__w": ([1, None], ["PRESENT", "NULL_VALUE"])}
    r = redis.Redis(host="127.0.0.1", port=int(redis_port))
    keys = [k for k in r.keys() if r.type(k) == b"hash"]
    assert len(keys) == 2
    fields = [f for f in r.hkeys(keys[0]) if not f.startswith(b"_")]  # _ts:, _ex:, _created: are meta
    r.hset(keys[0], fields[0], b"\xff\xff\xff")  # not a feast.types.Value
    p = feast("get-online-features", "-f", "t:v,t:w", "-e", "k=1", "-e", "k=2", cwd=tmp_path, check=False)
    assert p.returncode == 1 and "not a feast.types.Value" in p.stderr, (p.stdout, p.stderr)


def test_damaged_registry_file_never_crashes(tmp_path):
    # Corruption (issue 15): the registry database with random bits flipped. SQLite has no checksums, so
    # a flip in a spec blob can decode to another valid spec; what must hold is that every command ends
    # with exit status 0 or 1 and says what it could not read (the blobs are checked as outside input).
    n = 50
    repo(tmp_path, [(f"f{i}", "INT64") for i in range(20)],
         {"k": pa.array(range(n), pa.int64()), "ts": pa.array([T] * n, pa.timestamp("us")),
          **{f"f{i}": pa.array(range(n), pa.int64()) for i in range(20)}})
    feast("ingest", "t", cwd=tmp_path)
    db = tmp_path / "registry.db"
    feast("entities", "list", cwd=tmp_path)  # checkpoint the WAL into the file
    import sqlite3
    con = sqlite3.connect(db)
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()
    good = db.read_bytes()
    rng = random.Random(int(os.environ.get("FEAST_CORRUPT_SEED", "16")))
    runs = int(os.environ.get("FEAST_CORRUPT_RUNS", "150"))
    cmds = [["feature-tables", "list", "-o", "json"], ["entities", "describe", "k"],
            ["get-online-features", "-f", "t:f3", "-e", "k=7"]]
    failed = 0
    for i in range(runs):
        b = bytearray(good)
        for _ in range(rng.randint(1, 8)):
            j = rng.randrange(len(b))
            b[j] ^= 1 << rng.randrange(8)
        for f in tmp_path.glob("registry.db-*"):
            f.unlink()
        db.write_bytes(bytes(b))
        for cmd in cmds:
            p = subprocess.run([FEAST, *cmd], cwd=tmp_path, capture_output=True, text=True, timeout=60)
            assert p.returncode in (0, 1), f"run {i}: {cmd[0]} died with {p.returncode}: {p.stderr[-300:]}"
            if p.returncode:
                failed += 1
                assert p.stderr.startswith("feast: ") and len(p.stderr) < 4000, p.stderr
    assert failed > 0
