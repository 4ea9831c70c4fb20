"""Avro-encoded Kafka messages end to end on the real broker: 200k messages
written by fastavro over 4 partitions, as raw datums (Feast 0.9) and
Confluent-framed through a schema registry with a resolved writer schema,
consumed by `feast stream-ingest --until-caught-up` into LMDB; every key's
online values and statuses must equal DuckDB's latest row per key, and the
dead letters must be exactly the bad messages."""
import json
import os

import pytest

import stream_case as sc
import stream_case_avro as sca
from peers import kafka  # noqa: F401
from test_stream_kafka import FEAST, N, N_KEYS, PARTS, dead_letters, feast


@pytest.mark.parametrize("framed", [False, True], ids=["raw", "confluent"])
def test_avro_end_to_end(kafka, tmp_path, framed):  # noqa: F811
    rng = sc.seeded(20 + framed)
    rows = sca.fix_rows(sc.make_rows(rng, N, N_KEYS), framed, rng)
    payloads = [sca.encode(r, framed) for r in rows]
    topic = f"avro-{'confluent' if framed else 'raw'}"
    kafka.create_topic(topic, PARTS)
    where = sc.produce(kafka.bootstrap, topic, payloads, PARTS, rng)
    good = sc.write_good_parquet(rows, str(tmp_path / "good.parquet"))
    ref = sc.reference(good)
    bad = {where[i]: r for i, r in enumerate(rows) if not sc.is_good(r)}
    registry = sca.Registry({sca.WRITER_ID: sca.WRITER}) if framed else None
    try:
        repo = str(tmp_path / "repo")
        streams = f"streams:\n  dead_letter: {{type: parquet, path: {repo}/dead}}\n"
        if registry:
            streams += f"  schema_registry_url: {registry.url}\n"
        fmt = "{avroFormat: {schemaJson: '" + sca.schema_json() + "'}}"
        sc.write_repo(repo, topic, kafka.bootstrap, None, "  type: lmdb\n  path: data/online", good, streams,
                      message_format=fmt)
        feast(repo, "apply", "-f", os.path.join(repo, "specs.yaml"))
        p = feast(repo, "stream-ingest", "trips", "--until-caught-up", "--from", "earliest", "--group-id", "avro",
                  "-o", "json")
        s = json.loads(p.stdout)["tables"][0]
        assert s["status"] == "ok" and s["messages"] == N, s
        keys = list(range(1, N_KEYS + 3))
        got = sc.online_state(repo, keys)
        want = sc.expected_state(ref, keys)
        diffs = [(k, got[k], want[k]) for k in keys if got[k] != want[k]]
        assert not diffs, f"{len(diffs)} keys differ, e.g. {diffs[:3]}"
        dl = dead_letters(repo)
        assert set(dl) == set(bad)
        assert all(dl[k][1] == payloads[where.index(k)] for k in list(bad)[:200])
        assert sum(s["dead_letters"].values()) == len(bad)
        if registry:
            assert registry.requests == 2, "each schema id (the writer's, an unknown one) is fetched once"
    finally:
        if registry:
            registry.close()
    assert FEAST
