"""Writes the damaged Parquet files of this corpus (run once; the files are committed)."""
import io
import struct

import pyarrow as pa
import pyarrow.parquet as pq

buf = io.BytesIO()
pq.write_table(pa.table({"k": pa.array(range(100), pa.int64()), "s": pa.array([f"v{i}" for i in range(100)])}), buf)
good = buf.getvalue()
flen = struct.unpack("<I", good[-8:-4])[0]


def put(name, data, expect):
    open(f"parquet/{name}", "wb").write(data)
    open(f"parquet/{name}.expect", "w").write(expect + "\n")


put("truncated.parquet", good[: len(good) // 2], "not a Parquet file")
put("bad_magic.parquet", good[:-4] + b"PAR2", "not a Parquet file")
put("footer_too_long.parquet", good[:-8] + struct.pack("<I", len(good) * 2) + b"PAR1", "footer length")
foot = bytearray(good)
for i in range(len(good) - 8 - flen, len(good) - 8, 7):
    foot[i] ^= 0x5A
put("garbled_footer.parquet", bytes(foot), "footer metadata does not parse")
data = bytearray(good)
for i in range(4, min(200, len(good) - 8 - flen), 3):
    data[i] ^= 0xFF
put("garbled_pages.parquet", bytes(data), "row group 0: column k")
buf = io.BytesIO()
pq.write_table(pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["a", "a"]), buf)
put("duplicate_columns.parquet", buf.getvalue(), "column 'a' appears twice in the schema")
put("empty.parquet", b"", "too small for a Parquet file")
