"""The HTTP client's retries, backoff, timeouts and caps (src/net/http.c), and AWS throttling answers
through the signed-call layer, against scripted stand-in servers on 127.0.0.1."""
import json
import socket
import time

from awspeers import StandIn, base_env, free_port, json_answer, kv, run_tool

OK = (200, {}, "fine")
UNAVAILABLE = (503, {}, "try later")


def http(url, *opts, method="GET"):
    return run_tool(list(opts) + ["http", method, url], base_env(), check=False)


def test_503_then_200_is_retried_with_bounded_jittered_backoff():
    s = StandIn([UNAVAILABLE, UNAVAILABLE, UNAVAILABLE, OK])
    try:
        p = http(s.url + "/x", "--base-ms", "40", "--max-ms", "100")
        assert p.returncode == 0, p.stderr
        r = kv(p.stdout)
        assert r["status"] == "200" and r["attempts"] == "4" and r["body"] == "fine"
        waits = [int(x) for x in r["backoff_ms"].split(",")]
        # full jitter: retry i waits a random time in [0, min(max, base * 2^(i-1))]
        assert len(waits) == 3 and all(0 <= w <= c for w, c in zip(waits, [40, 80, 100])), waits
        gaps = [(b - a) * 1000 for a, b in zip(s.times, s.times[1:])]
        assert all(g >= w - 5 for g, w in zip(gaps, waits)), (gaps, waits)
    finally:
        s.close()
    # jittered: many runs do not all wait the same
    seen = set()
    for _ in range(6):
        s = StandIn([UNAVAILABLE, OK])
        try:
            r = kv(http(s.url, "--base-ms", "1000", "--max-ms", "1000").stdout)
            seen.add(int(r["backoff_ms"]))
            assert int(r["backoff_ms"]) <= 1000
        finally:
            s.close()
    assert len(seen) > 1, seen


def test_retries_run_out_and_say_so():
    s = StandIn([UNAVAILABLE])
    try:
        p = http(s.url + "/path?X-Amz-Signature=secret", "--attempts", "3", "--base-ms", "1", "--max-ms", "5")
        assert p.returncode == 1
        assert len(s.requests) == 3
        assert "error server error retriable=1:" in p.stderr and "HTTP 503 after 3 attempts" in p.stderr
        assert f"GET 127.0.0.1:{s.port}/path:" in p.stderr and "secret" not in p.stderr  # no query string
    finally:
        s.close()


def test_client_errors_are_final():
    s = StandIn([(404, {}, "no"), OK])
    try:
        p = http(s.url)
        assert p.returncode == 1 and len(s.requests) == 1 and "retriable=0" in p.stderr
    finally:
        s.close()


def test_timeout_on_a_server_that_never_answers():
    s = StandIn([OK], hang=True)
    try:
        t0 = time.monotonic()
        p = http(s.url, "--timeout-ms", "400", "--attempts", "2", "--base-ms", "1", "--max-ms", "1")
        elapsed = time.monotonic() - t0
        assert p.returncode == 1
        assert "error timed out retriable=1" in p.stderr and "no answer in time" in p.stderr
        assert len(s.requests) == 2
        assert elapsed < 5, elapsed
    finally:
        s.close()


def test_connection_refused():
    port = free_port()
    p = http(f"http://127.0.0.1:{port}/", "--attempts", "2", "--base-ms", "1", "--max-ms", "1")
    assert p.returncode == 1 and "error cannot connect retriable=1" in p.stderr
    # a listener that accepts and closes at once: a lost connection, also retriable
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    import threading

    def closer():
        for _ in range(2):
            c, _ = ls.accept()
            c.close()
    t = threading.Thread(target=closer, daemon=True)
    t.start()
    p = http(f"http://127.0.0.1:{ls.getsockname()[1]}/", "--attempts", "2", "--base-ms", "1", "--max-ms", "1")
    ls.close()
    assert p.returncode == 1 and "retriable=1" in p.stderr


def test_response_cap():
    s = StandIn([(200, {}, "x" * 5000)])
    try:
        p = http(s.url, "--max-body", "1000")
        assert p.returncode == 1 and "error limit exceeded" in p.stderr and "limit of 1000 bytes" in p.stderr
    finally:
        s.close()


def aws_env(url, **extra):
    return base_env(AWS_ACCESS_KEY_ID="AKIDTEST", AWS_SECRET_ACCESS_KEY="very-secret-key", AWS_REGION="us-east-1",
                    AWS_ENDPOINT_URL=url, **extra)


def test_kinesis_throttling_400_is_retried_and_resigned():
    throttled = (400, {"Content-Type": "application/x-amz-json-1.1"},
                 json.dumps({"__type": "ThrottlingException", "message": "Rate exceeded for stream s"}))
    s = StandIn([throttled, json_answer({"Shards": [{"ShardId": "shardId-000000000000"}]})])
    try:
        p = run_tool(["--base-ms", "10", "--max-ms", "20", "kinesis", "ListShards", '{"StreamName":"s"}'],
                     aws_env(s.url), check=False)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["Shards"][0]["ShardId"] == "shardId-000000000000"
        assert len(s.requests) == 2
        for method, path, headers, body in s.requests:
            assert method == "POST" and path == "/" and body == b'{"StreamName":"s"}'
            assert headers["X-Amz-Target"] == "Kinesis_20131202.ListShards"
            assert headers["Content-Type"] == "application/x-amz-json-1.1"
            assert headers["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
            assert "/us-east-1/kinesis/aws4_request" in headers["Authorization"]
    finally:
        s.close()
    # throttled every time: retriable in the end, in AWS's words
    s = StandIn([throttled])
    try:
        p = run_tool(["--attempts", "3", "--base-ms", "1", "--max-ms", "2", "kinesis", "GetRecords", "{}",
                      "stream s"], aws_env(s.url), check=False)
        assert p.returncode == 1 and len(s.requests) == 3
        assert ("error server error retriable=1: AWS kinesis GetRecords stream s: ThrottlingException: Rate exceeded "
                "for stream s (after 3 attempts)") in p.stderr
    finally:
        s.close()


def test_validation_error_is_final_and_keeps_secrets_out():
    bad = (400, {}, json.dumps({"__type": "ValidationException", "message": "1 validation error"}))
    s = StandIn([bad, json_answer({})])
    try:
        p = run_tool(["kinesis", "ListShards", "{}"], aws_env(s.url), check=False)
        assert p.returncode == 1 and len(s.requests) == 1
        assert "retriable=0: AWS kinesis ListShards: ValidationException: 1 validation error" in p.stderr
        assert "very-secret-key" not in p.stderr and "Signature=" not in p.stderr
    finally:
        s.close()


def test_s3_slowdown_then_ok():
    slow = (503, {"Content-Type": "application/xml"},
            "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>")
    s = StandIn([slow, (200, {}, "object bytes")])
    try:
        p = run_tool(["--base-ms", "5", "--max-ms", "10", "s3", "get", "s3://bkt/a/b.parquet", "/dev/null"],
                     aws_env(s.url), check=False)
        assert p.returncode == 0, p.stderr
        assert kv(p.stdout)["bytes"] == str(len("object bytes"))
        assert [r[1] for r in s.requests] == ["/bkt/a/b.parquet"] * 2  # path-style on an override
        assert all(r[2]["x-amz-content-sha256"] for r in s.requests)
    finally:
        s.close()


def test_multipart_upload_aborts_when_a_part_fails(tmp_path):
    def answer(method, path, headers, body):
        if method == "POST" and path.endswith("?uploads="):
            return (200, {}, "<InitiateMultipartUploadResult><UploadId>UP-1</UploadId></InitiateMultipartUploadResult>")
        if method == "PUT" and "partNumber=2" in path:
            return (400, {}, "<Error><Code>InvalidPart</Code><Message>part 2 refused</Message></Error>")
        if method == "PUT":
            return (200, {"ETag": '"e"'}, "")
        if method == "DELETE":
            return (204, {}, "")
        return (500, {}, "unexpected")
    s = StandIn([answer])
    src = tmp_path / "big.bin"
    src.write_bytes(b"z" * (11 << 20))
    try:
        p = run_tool(["s3", "put-multipart", "s3://bkt/big.bin", str(src), str(5 << 20), "2"], aws_env(s.url),
                     check=False)
        assert p.returncode == 1
        assert "AWS s3 UploadPart s3://bkt/big.bin: InvalidPart: part 2 refused" in p.stderr
        methods = [(m, path) for m, path, _, _ in s.requests]
        assert methods[0] == ("POST", "/bkt/big.bin?uploads=")
        assert methods[-1] == ("DELETE", "/bkt/big.bin?uploadId=UP-1")  # aborted, nothing completed
        assert not any(m == "POST" and "uploadId" in path for m, path in methods)
        assert sum(1 for m, _ in methods if m == "PUT") == 3
    finally:
        s.close()


def test_ranges_are_fetched_several_at_a_time():
    import threading
    data = bytes(range(256)) * 64
    lock = threading.Lock()
    state = {"now": 0, "max": 0}

    def answer(method, path, headers, body):
        if method == "HEAD":
            return (200, {}, data)
        first, last = (int(x) for x in headers["Range"].split("=", 1)[1].split("-"))
        with lock:
            state["now"] += 1
            state["max"] = max(state["max"], state["now"])
        time.sleep(0.25)
        with lock:
            state["now"] -= 1
        return (206, {"Content-Range": f"bytes {first}-{last}/{len(data)}"}, data[first:last + 1])
    s = StandIn([answer])
    try:
        spec = ",".join(f"{i * 1000}:{500}" for i in range(8))
        p = run_tool(["s3", "read-many", "s3://bkt/f.parquet", "/dev/null", spec, "4"], aws_env(s.url), check=False)
        assert p.returncode == 0, p.stderr
        assert kv(p.stdout)["gets"] == "8"
        assert state["max"] == 4, state  # four in flight, never more
    finally:
        s.close()


def checksum(data):
    c = 0
    for b in data:
        c = (c * 31 + b) & (2**64 - 1)
    return c


def test_streamed_body_reaches_the_callback_and_errors_still_retry():
    data = bytes(random_bytes(300_000))
    s = StandIn([UNAVAILABLE, (200, {}, data)])
    try:
        p = http(s.url, "--stream", "1", "--base-ms", "1", "--max-ms", "2")
        assert p.returncode == 0, p.stderr
        r = kv(p.stdout)
        # the 503's body was kept aside (not streamed), so the retry was allowed
        assert r["attempts"] == "2" and r["streamed"] == str(len(data)) and r["body"] == ""
        assert int(r["stream_checksum"]) == checksum(data)
    finally:
        s.close()


def random_bytes(n):
    import random as _r
    rng = _r.Random(3)
    return [rng.randrange(256) for _ in range(n)]


def test_request_cap_and_body(tmp_path):
    f = tmp_path / "body"
    f.write_bytes(b"b" * 4000)
    s = StandIn([OK])
    try:
        p = run_tool(["--max-request", "1000", "http", "PUT", s.url + "/up", str(f)], base_env(), check=False)
        assert p.returncode == 1 and "error limit exceeded" in p.stderr and "request body of 4000 bytes" in p.stderr
        assert s.requests == []  # refused before sending
        p = run_tool(["http", "PUT", s.url + "/up", str(f)], base_env(), check=False)
        assert p.returncode == 0, p.stderr
        method, path, headers, body = s.requests[0]
        assert (method, path, body) == ("PUT", "/up", b"b" * 4000)
        assert "Expect" not in headers and "Content-Type" not in headers  # nothing curl adds on its own
    finally:
        s.close()
