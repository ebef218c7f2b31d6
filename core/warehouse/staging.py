"""Load = upsert on the primary key, through staging and delete-insert on a plain table.

One load is ONE DuckDB transaction: BEGIN, truncate (if asked, always first), stream every file's
batches (in load order) into one temp staging table, then merge once: resolve duplicates inside the
staging (greatest `_updated`, then the later file, then the later row), drop incoming rows older
than the stored ones, delete the stored rows they replace and insert the winners — one pass over
the domain table per load, not per file. COMMIT only after the merge; any error
(unreadable file, incompatible type, a failing callback, Ctrl-C) rolls back, so the table is
exactly as before — including after a truncate.

`_updated` orders versions of a key: the last-updated column as an integer (epoch microseconds for
datetimes), or, when generated, `(load epoch ms << 20) | file position` — the form Amperity's
`_updated / 1048576000` implies — forced above every stored value so a newer load always wins.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from courier.core import lazy
from courier.core.warehouse.conform import FileLoad
from courier.core.warehouse.lookback import stored_bound
from courier.core.warehouse.spec import (
    DUPLICATES,
    FILE,
    FILE_BITS,
    MIN_UPDATED,
    ROW,
    STAGE,
    LoadProgress,
    LoadStats,
    SourceFile,
    count_of,
    quote,
)
from courier.core.warehouse.table import TableSpec

if TYPE_CHECKING:
    import duckdb
else:  # stand-ins imported on first use (core/lazy.py), so landing never imports them
    duckdb = lazy.module("duckdb")


def load_staged(con: duckdb.DuckDBPyConnection, feed: TableSpec, ordered: Sequence[SourceFile], stats: LoadStats,
                base: int, run_id: str, on_progress: Callable[[LoadProgress], None] | None, batch_rows: int, *,
                database: Path | None = None) -> None:
    """Any format: stream every file into one staging table, then resolve duplicates and merge once."""
    con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT *, 0::BIGINT AS {FILE}, 0::BIGINT AS {ROW} "
                f"FROM {quote(feed.table_name)} LIMIT 0")
    partitions: list[dict[str, str | None]] = []
    carried: set[str] = set()
    for index, source in enumerate(ordered):
        load = FileLoad(con, feed, source, run_id, stats, database=database)
        load.run(index, len(ordered), (base << FILE_BITS) | min(index, 2**FILE_BITS - 1), on_progress, batch_rows)
        partitions.append(load.partition)
        carried |= load.carried
        stats.files += 1
    columns = {str(r[0]).lower(): (str(r[0]), str(r[1]))
               for r in con.execute(f"DESCRIBE {quote(feed.table_name)}").fetchall()}
    _merge(con, feed, stats, lambda qualifier: stored_bound(columns, partitions, carried, qualifier=qualifier))
    con.execute(f"DROP TABLE IF EXISTS {STAGE}")


def _merge(con: duckdb.DuckDBPyConnection, feed: TableSpec, stats: LoadStats,
           bound: Callable[[str], str | None]) -> None:
    """Winners of the staging replace older stored versions; ties go to this (newer) load.

    Within the load the greatest `_updated` wins, then the later file, then the later row. Only the
    stored rows `bound` keeps (core/warehouse/lookback.py) are compared with.
    """
    table = quote(feed.table_name)
    for source_file, count in con.execute(
            f"SELECT _source_file, count(*) FROM {STAGE} WHERE _pk IS NULL GROUP BY ALL ORDER BY 1").fetchall():
        stats.warnings.append(f"file {source_file}: {count} rows have no primary key value (skipped)")
    con.execute(f"DELETE FROM {STAGE} WHERE _pk IS NULL")
    staged = count_of(con.execute(f"SELECT count(*) FROM {STAGE}"))
    # only keys that repeat need ranking (Optimizely: well under 1%); rank them on the narrow
    # columns and drop the losers, so the staging becomes the winners without a full sort
    con.execute(f"CREATE TEMP TABLE {DUPLICATES} AS SELECT _pk FROM {STAGE} GROUP BY _pk HAVING count(*) > 1")
    if count_of(con.execute(f"SELECT count(*) FROM {DUPLICATES}")):
        con.execute(
            f"DELETE FROM {STAGE} USING (SELECT {FILE}, {ROW} FROM {STAGE} SEMI JOIN {DUPLICATES} USING (_pk) "
            f"QUALIFY row_number() OVER (PARTITION BY _pk ORDER BY _updated DESC NULLS LAST, {FILE} DESC, "
            f"{ROW} DESC) > 1) AS loser WHERE {STAGE}.{FILE} = loser.{FILE} AND {STAGE}.{ROW} = loser.{ROW}")
    con.execute(f"DROP TABLE {DUPLICATES}")
    stored = count_of(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)"))
    near = bound("stored.") if stored else None
    near = f" AND {near}" if near else ""
    if stored:
        con.execute(
            f"DELETE FROM {STAGE} USING {table} AS stored WHERE {STAGE}._pk = stored._pk "
            f"AND coalesce({STAGE}._updated, {MIN_UPDATED}) < coalesce(stored._updated, {MIN_UPDATED}){near}")
    winners = count_of(con.execute(f"SELECT count(*) FROM {STAGE}"))
    replaced = count_of(con.execute(
        f"DELETE FROM {table} AS stored USING {STAGE} WHERE stored._pk = {STAGE}._pk{near}")) if stored else 0
    con.execute(f"INSERT INTO {table} BY NAME SELECT * EXCLUDE ({FILE}, {ROW}) FROM {STAGE}")
    stats.updated += replaced
    stats.inserted += winners - replaced
    stats.skipped += staged - winners


