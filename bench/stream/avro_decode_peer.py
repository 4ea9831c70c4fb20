"""fastavro's schemaless_reader on the datums avro_decode_bench wrote
(4-byte little-endian length + datum): ns per datum, best of REPEATS.
   python3 avro_decode_peer.py DATUMS SCHEMA_JSON_FILE [N] [REPEATS]"""
import io
import json
import struct
import sys
import time

import fastavro

path, schema_path = sys.argv[1], sys.argv[2]
limit = int(sys.argv[3]) if len(sys.argv) > 3 else 200000
repeats = int(sys.argv[4]) if len(sys.argv) > 4 else 3
data = open(path, "rb").read()
msgs, i = [], 0
while i < len(data) and len(msgs) < limit:
    (n,) = struct.unpack_from("<I", data, i)
    msgs.append(data[i + 4:i + 4 + n])
    i += 4 + n
schema = fastavro.parse_schema(json.load(open(schema_path)))
best = 1e9
for _ in range(repeats):
    t0 = time.perf_counter()
    for m in msgs:
        fastavro.schemaless_reader(io.BytesIO(m), schema, None)
    best = min(best, time.perf_counter() - t0)
print(f"fastavro {fastavro.__version__} schemaless_reader: {best * 1e9 / len(msgs):.1f} ns/datum ({len(msgs)} datums)")
