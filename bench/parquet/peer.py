"""One peer run of the Parquet decode benchmark, timed inside the process
(interpreter start and imports excluded); prints {"rows", "seconds"}.

  python3 bench/parquet/peer.py pyarrow PATH THREADS
  python3 bench/parquet/peer.py duckdb-hash PATH THREADS
  python3 bench/parquet/peer.py duckdb-max PATH THREADS

pyarrow: pq.read_table(PATH, use_threads=THREADS > 1) with the CPU and IO
pools capped at THREADS: decodes every column into one in-memory Arrow table.

DuckDB streams (no table is built), so it must be made to touch every value:
duckdb-hash aggregates sum(hash(col)) for every column, duckdb-max
max(col) for scalars and max(len(col)) for the string and the list. Both
decode every column of every row group; the aggregates add a little work
DuckDB would not do for a bare scan."""
import json
import sys
import time


def cols(path):
    import pyarrow.parquet as pq
    return [(f.name, str(f.type)) for f in pq.read_schema(path)]


def main():
    kind, path, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if kind == "pyarrow":
        import pyarrow as pa
        import pyarrow.parquet as pq
        pa.set_cpu_count(threads)
        pa.set_io_thread_count(threads)
        t0 = time.perf_counter()
        t = pq.read_table(path, use_threads=threads > 1)
        secs = time.perf_counter() - t0
        rows = t.num_rows
    else:
        import duckdb
        schema = cols(path)
        if kind == "duckdb-hash":
            exprs = [f'sum(hash("{n}"))' for n, _ in schema]
        else:
            exprs = [f'max(len("{n}"))' if t == "string" or t.startswith("list") else f'max("{n}")::VARCHAR'
                     for n, t in schema]
        con = duckdb.connect()
        con.execute(f"SET threads={threads}")
        q = f"SELECT count(*), {', '.join(exprs)} FROM read_parquet('{path}')"
        t0 = time.perf_counter()
        rows = con.execute(q).fetchone()[0]
        secs = time.perf_counter() - t0
    print(json.dumps({"rows": rows, "seconds": round(secs, 4)}))


if __name__ == "__main__":
    main()
