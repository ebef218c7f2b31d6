"""The peers' side of the comparisons, run by the PEERS venv's python (never ours): DuckDB by hand,
unkeyed and keyed, and dlt at its best. Standalone on purpose: it imports neither core nor
benchmarks, so the peers' dependencies never meet ours.

`python peer_jobs.py JOB ARGS_JSON` prints one JSON line last: the job's own timing of the work
(after imports) and row counts. The caller times the whole process and reads its peak RSS.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

RESULT_PREFIX = "PEER-RESULT "
DEDUPE = "QUALIFY row_number() OVER (PARTITION BY uuid ORDER BY process_timestamp DESC) = 1"


def _scan(files: list[str]) -> str:
    listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"read_parquet([{listed}], union_by_name = true)"


def _counts(con: Any, tables: list[str]) -> dict[str, dict[str, int]]:
    out = {}
    for table in tables:
        rows, distinct = con.execute(f"SELECT count(*), count(DISTINCT uuid) FROM {table}").fetchone()
        out[table] = {"rows": int(rows), "distinct_uuid": int(distinct)}
    return out


def duckdb_floor(files: dict[str, list[str]], db: str) -> dict[str, Any]:
    """No deduplication at all: `CREATE TABLE AS SELECT *` over the landed files (the floor)."""
    import duckdb

    con = duckdb.connect(db)
    started = time.monotonic()
    for table, paths in files.items():
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM {_scan(paths)}")
    wall = time.monotonic() - started
    return {"work_s": round(wall, 3), "tables": _counts(con, list(files))}


def duckdb_keyed(files: dict[str, list[str]], db: str) -> dict[str, Any]:
    """A PRIMARY KEY (uuid) table and one `INSERT OR REPLACE ... QUALIFY` per table: DuckDB's
    upsert, by hand (QUALIFY because one statement may not carry a key twice)."""
    import duckdb

    con = duckdb.connect(db)
    started = time.monotonic()
    for table, paths in files.items():
        columns = con.execute(f"DESCRIBE SELECT * FROM {_scan(paths)}").fetchall()
        typed = ", ".join(f'"{name}" {type_}' for name, type_, *_ in columns)
        con.execute(f"CREATE TABLE {table} ({typed}, PRIMARY KEY (uuid))")
        con.execute(f"INSERT OR REPLACE INTO {table} SELECT * FROM {_scan(paths)} {DEDUPE}")
    wall = time.monotonic() - started
    return {"work_s": round(wall, 3), "tables": _counts(con, list(files))}


def dlt_merge(endpoint_url: str, bucket: str, prefixes: dict[str, str], db: str, pipelines_dir: str,
              chunksize: int = 65_536) -> dict[str, Any]:
    """dlt at its best for Parquet on S3: the filesystem source, `read_parquet(use_pyarrow=True)`
    (Arrow batches, no Python rows) with a large chunk, the `parquet` loader file format, merge on uuid."""
    import dlt
    from dlt.common.configuration.specs import AwsCredentials
    from dlt.sources.filesystem import filesystem, read_parquet

    started = time.monotonic()
    credentials = AwsCredentials(aws_access_key_id="test", aws_secret_access_key="test",  # noqa: S106 (moto)
                                 region_name="us-east-1", endpoint_url=endpoint_url)
    resources = []
    for table, prefix in prefixes.items():
        files = filesystem(bucket_url=f"s3://{bucket}/{prefix}", credentials=credentials, file_glob="**/*.parquet")
        resource = (files | read_parquet(use_pyarrow=True, chunksize=chunksize)).with_name(table)
        resource.apply_hints(write_disposition="merge", primary_key="uuid")
        resources.append(resource)
    pipeline = dlt.pipeline(pipeline_name="bench", destination=dlt.destinations.duckdb(db),
                            dataset_name="bench", pipelines_dir=pipelines_dir)
    pipeline.run(resources, loader_file_format="parquet")
    wall = time.monotonic() - started
    import duckdb

    con = duckdb.connect(db, read_only=True)
    return {"work_s": round(wall, 3), "tables": _counts(con, [f"bench.{t}" for t in prefixes])}


def main(argv: list[str]) -> int:
    jobs = {"duckdb_floor": duckdb_floor, "duckdb_keyed": duckdb_keyed, "dlt_merge": dlt_merge}
    args = json.loads(argv[1]) if len(argv) > 1 else {}
    result = jobs[argv[0]](**args)
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p).resolve() != Path(__file__).resolve().parent.parent]
    raise SystemExit(main(sys.argv[1:]))
