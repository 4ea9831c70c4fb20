"""The bad-input corpus (issue 15): tests/data/bad/{specs,configs,parquet,csv}/ hold bad files, each with a
FILE.expect naming what its error must say. Every case must fail with exit status 1 and one clear report that
names the file (and the line, row, column or field the .expect gives), and leave the stores unchanged: a bad
spec applies nothing, a bad CSV writes no output. Add a case by adding a file and its .expect."""
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(os.environ.get("FEAST_REPO_ROOT", Path(__file__).resolve().parents[2]))
FEAST = os.environ.get("FEAST_BIN", str(ROOT / "build" / "feast"))
CORPUS = ROOT / "tests" / "data" / "bad"
CASES = sorted(p for p in CORPUS.glob("*/*") if p.suffix != ".expect" and p.parent.name != "bad")


def feast(*args, cwd):
    return subprocess.run([FEAST, *args], cwd=cwd, capture_output=True, text=True, timeout=60)


@pytest.fixture
def repo(tmp_path):
    (tmp_path / "feature_store.yaml").write_text("project: default\nregistry: registry.db\n"
                                                 "online_store: {type: lmdb, path: online}\n")
    (tmp_path / "good.yaml").write_text("spec:\n  name: good_entity\n  valueType: INT64\n")
    p = feast("apply", "-f", "good.yaml", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    return tmp_path


def test_the_corpus_is_there():
    kinds = {p.parent.name for p in CASES}
    assert kinds == {"specs", "configs", "parquet", "csv"} and len(CASES) >= 25, CASES


@pytest.mark.parametrize("case", CASES, ids=[f"{p.parent.name}/{p.name}" for p in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(case, repo):
    expect = (case.parent / (case.name + ".expect")).read_text().strip()
    kind = case.parent.name
    before = feast("entities", "list", "-o", "json", cwd=repo).stdout
    if kind == "specs":
        p = feast("apply", "-f", str(case), "--skip-source-check", cwd=repo)
    elif kind == "configs":
        # a copy in the repository: paths in a configuration resolve beside it, never in the corpus
        cfg = repo / "cfg" / case.name
        cfg.parent.mkdir()
        cfg.write_bytes(case.read_bytes())
        p = feast("--config", str(cfg), "entities", "list", cwd=repo)
        case = cfg
    elif kind == "parquet":
        p = feast("parquet", "cat", str(case), cwd=repo)
    else:
        p = feast("parquet-write", "--from-csv", str(case), "out.parquet", cwd=repo)
        assert not (repo / "out.parquet").exists(), "a refused CSV left an output file"
    assert p.returncode == 1, f"exit {p.returncode}: {p.stdout}{p.stderr}"
    assert p.stderr.startswith("feast: ") and len(p.stderr) < 4000, p.stderr
    assert str(case) in p.stderr or case.name in p.stderr, f"the message does not name the file: {p.stderr}"
    assert expect in p.stderr, f"expected {expect!r} in: {p.stderr}"
    assert feast("entities", "list", "-o", "json", cwd=repo).stdout == before, "a refused input changed the registry"
