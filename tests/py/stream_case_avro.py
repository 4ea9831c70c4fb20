"""The Avro side of the stream test case (stream_case.py): the same rows
written by fastavro (an encoder independent of ours), as raw binary datums
(Feast 0.9's framing) or Confluent-framed (magic byte 0, a 4-byte schema
id) with a writer schema that differs from the reader's (fields reordered,
`trips` an int promoted to long, `note` missing and taken from the reader's
default), served by a small schema registry on loopback."""
import io
import json
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import fastavro

TS_MICROS = {"type": "long", "logicalType": "timestamp-micros"}
READER = {"type": "record", "name": "Trip", "namespace": "feast.streamtest", "fields": [
    {"name": "driver_id", "type": ["null", "long"]},
    {"name": "event_ts", "type": ["null", TS_MICROS]},
    {"name": "created_ts", "type": TS_MICROS},
    {"name": "rating", "type": ["null", "double"]},
    {"name": "trips", "type": "long"},
    {"name": "name", "type": "string"},
    {"name": "tags", "type": {"type": "array", "items": "long"}},
    {"name": "note", "type": "string", "default": "none"},
]}
WRITER = {"type": "record", "name": "Trip", "namespace": "feast.streamtest", "fields": [
    {"name": "name", "type": "string"},
    {"name": "tags", "type": {"type": "array", "items": "long"}},
    {"name": "trips", "type": "int"},
    {"name": "rating", "type": ["null", "double"]},
    {"name": "created_ts", "type": TS_MICROS},
    {"name": "extra", "type": "string"},
    {"name": "event_ts", "type": ["null", TS_MICROS]},
    {"name": "driver_id", "type": ["null", "long"]},
]}
WRITER_ID = 7
UNDECODABLE_RAW = [b"", b"\x02", b"\x05\x02", b"\x02\x02\x02\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01"]
UNDECODABLE_FRAMED = [b"\x01\x00\x00\x00\x07\x02", b"\x00\x00\x00\x03\xe7\x02\x02", b"\x00\x00"]


def schema_json():
    return json.dumps(READER)


def _datum(row):
    return dict(driver_id=None if row.get("no_key") else row["driver_id"],
                event_ts=None if row.get("no_event") else row["event_ts"], created_ts=row["created_ts"],
                rating=row["rating"], trips=row["trips"] % (2 ** 31), name=row["name"], tags=row["tags"],
                note="x", extra="e")


def encode(row, framed, rng_pick=None):
    if isinstance(row, tuple):
        return row[1]
    buf = io.BytesIO()
    if framed:
        buf.write(b"\x00" + struct.pack(">I", WRITER_ID))
        fastavro.schemaless_writer(buf, fastavro.parse_schema(WRITER), _datum(row))
    else:
        fastavro.schemaless_writer(buf, fastavro.parse_schema(READER), _datum(row))
    return buf.getvalue()


def fix_rows(rows, framed, rng):
    """Replace the protobuf garbage of make_rows with Avro garbage; trips
    kept within an int (the writer's type)."""
    out = []
    for r in rows:
        if isinstance(r, tuple):
            out.append(("undecodable", rng.choice(UNDECODABLE_FRAMED if framed else UNDECODABLE_RAW)))
        else:
            r = dict(r, trips=r["trips"] % (2 ** 31))
            out.append(r)
    return out


class Registry:
    """GET /schemas/ids/{id} on 127.0.0.1, counting requests."""

    def __init__(self, schemas):
        self.requests = 0
        reg = self

        class H(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                reg.requests += 1
                parts = self.path.strip("/").split("/")
                sid = int(parts[-1]) if len(parts) == 3 and parts[:2] == ["schemas", "ids"] else -1
                if sid in schemas:
                    body = json.dumps({"schema": json.dumps(schemas[sid])}).encode()
                    self.send_response(200)
                else:
                    body = b'{"error_code": 40403, "message": "Schema not found"}'
                    self.send_response(404)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
