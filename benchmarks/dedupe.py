"""Three ways to deduplicate the same Optimizely files on `uuid` into a DuckDB file.

1. courier's way: the engine's `Warehouse.load` (staging table + delete-insert on a plain table);
2. a PRIMARY KEY table fed batch by batch with `INSERT OR REPLACE` (DuckDB keeps the first of
   duplicate keys inside one statement, so each batch is deduplicated first with QUALIFY);
3. the naive way: read every file into one Arrow table, `CREATE TABLE AS SELECT DISTINCT ON`.

Each runs in its own process (benchmarks/isolated.py), so its peak RSS is its own.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

BATCH_ROWS = 65536  # the engine's batch size (core.warehouse.Warehouse.load)


def _key(root: str, path: str) -> str:
    return Path(path).relative_to(root).as_posix()


def _counts(con: Any, table: str) -> dict[str, int]:
    rows, distinct = con.execute(f"SELECT count(*), count(DISTINCT uuid) FROM {table}").fetchone()
    return {"rows": int(rows), "distinct_uuid": int(distinct)}


def staging_upsert(files: list[str], root: str, db: str, workspace: str, feed_id: str) -> dict[str, Any]:
    """courier's load path, exactly as a run calls it (minus landing)."""
    from core.catalog import Catalog
    from core.feeds import get_feed
    from core.schema_sample import hive_partition
    from core.warehouse import SourceFile, Warehouse, quote
    from core.workspace import open_workspace

    catalog = Catalog(open_workspace(Path(workspace)))
    feed = get_feed(catalog, feed_id)
    catalog.close()
    sources = [SourceFile(path=Path(f), key=_key(root, f), partition=hive_partition(_key(root, f)),
                          content_type="application/x-parquet", order=i)
               for i, f in enumerate(sorted(files))]
    started = time.monotonic()
    with Warehouse(Path(db)) as warehouse:
        warehouse.ensure_table(feed)
        stats = warehouse.load(feed, sources, truncate=False, run_id="bench-dedupe", batch_rows=BATCH_ROWS)
        wall = time.monotonic() - started
        counts = _counts(warehouse.con, quote(feed.table_name))
    return {"wall_s": round(wall, 3), "rows_read": stats.rows_read, **counts}


def insert_or_replace(files: list[str], root: str, db: str) -> dict[str, Any]:
    """A PRIMARY KEY table and `INSERT OR REPLACE`, one deduplicated batch at a time."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    from core.schema_sample import duckdb_types
    from core.upsert import quote, table_type

    started = time.monotonic()
    con = duckdb.connect(db)
    schema = pq.ParquetFile(sorted(files)[0]).schema_arrow
    columns = ", ".join(f"{quote(name)} {table_type(type_)}" for name, type_ in duckdb_types(schema))
    con.execute(f"CREATE TABLE decisions ({columns}, PRIMARY KEY (uuid))")
    rows_read = 0
    con.execute("BEGIN TRANSACTION")
    for path in sorted(files):
        for batch in pq.ParquetFile(path).iter_batches(batch_size=BATCH_ROWS):
            con.register("batch", pa.Table.from_batches([batch]))
            con.execute("INSERT OR REPLACE INTO decisions SELECT * FROM batch "
                        "QUALIFY row_number() OVER (PARTITION BY uuid ORDER BY process_timestamp DESC) = 1")
            con.unregister("batch")
            rows_read += batch.num_rows
    con.execute("COMMIT")
    wall = time.monotonic() - started
    counts = _counts(con, "decisions")
    con.close()
    return {"wall_s": round(wall, 3), "rows_read": rows_read, **counts}


def read_all_distinct_on(files: list[str], root: str, db: str) -> dict[str, Any]:
    """Everything in memory at once: pyarrow reads all files, DuckDB keeps one row per uuid."""
    import duckdb
    import pyarrow as pa
    import pyarrow.parquet as pq

    started = time.monotonic()
    con = duckdb.connect(db)
    everything = pa.concat_tables([pq.ParquetFile(path).read() for path in sorted(files)])
    con.register("everything", everything)
    con.execute("CREATE TABLE decisions AS SELECT DISTINCT ON (uuid) * FROM everything "
                "ORDER BY uuid, process_timestamp DESC")
    con.unregister("everything")
    wall = time.monotonic() - started
    counts = _counts(con, "decisions")
    con.close()
    return {"wall_s": round(wall, 3), "rows_read": everything.num_rows, **counts}
