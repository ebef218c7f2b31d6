"""The DuckDB warehouse: one file per workspace holding each feed's domain table.

Domain tables are plain tables named `<Source>:<Name>` (always double-quoted: the colon is part of
the name). They carry the source columns with their types (nested stay nested), the Hive partition
columns of the object keys, and `_pk`, `_updated`, `_source_file`, `_run_id`. There is no PRIMARY
KEY index: the key index is what makes DuckDB upserts slow (design.md, "Deduplicate cheaply"), so
the engine enforces key uniqueness itself (core/warehouse/staging.py).

One writer: a read-write open holds DuckDB's file lock, so writers take the workspace lock
`warehouse` first and keep the file open only for the load; readers open read-only and get a
clear Busy error while a load is writing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
from courier.core.errors import Busy, ConfigError, NotFound, first_line
from courier.core.warehouse.conform import generated_base
from courier.core.warehouse.files import PARQUET, infer_content_type
from courier.core.warehouse.parquet import load_parquet
from courier.core.warehouse.spec import (
    LoadProgress,
    LoadStats,
    SourceFile,
    create_table_sql,
    quote,
)
from courier.core.warehouse.staging import load_staged
from courier.core.warehouse.table import TableSpec

WRITER_WAIT_SECONDS = 10.0


class Warehouse:
    """A connection to the warehouse file; use as a context manager so it is always closed."""

    parquet_fast_path = True  # False forces the staging path for Parquet too (tests run both)

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise NotFound(f"there is no warehouse yet at {self.path}",
                           hint="activate a feed (`courier feeds activate FEED`) or run a courier first")
        self.con = _connect(self.path, read_only)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self.read_only:
            make_private(self.path)  # the write-ahead log a load created, before it is checkpointed away
        self.con.close()

    # -- tables -------------------------------------------------------------------------------

    def has_table(self, table: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?",
            [table]).fetchall()[0]
        return bool(row and row[0])

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> DuckDB type, in table order."""
        return {row[0]: row[1] for row in self.con.execute(f"DESCRIBE {quote(table)}").fetchall()}

    def ensure_table(self, feed: TableSpec) -> None:
        """Create the feed's domain table if it does not exist yet (an existing one is kept)."""
        self._writable()
        if self.has_table(feed.table_name):
            return
        self.con.execute(create_table_sql(feed))

    def load(self, feed: TableSpec, files: Sequence[SourceFile], *, truncate: bool, run_id: str,
             on_progress: Callable[[LoadProgress], None] | None = None, batch_rows: int = 65536) -> LoadStats:
        """Upsert the files into the feed's table in one transaction (truncate first when asked)."""
        self._writable()
        return load_files(self.con, feed, files, truncate=truncate, run_id=run_id,
                          on_progress=on_progress, batch_rows=batch_rows, parquet_fast_path=self.parquet_fast_path)

    def truncate(self, feed: TableSpec) -> None:
        """Empty the domain table (it keeps its columns)."""
        self._writable()
        if self.has_table(feed.table_name):
            self.con.execute(f"DELETE FROM {quote(feed.table_name)}")

    def drop(self, feed: TableSpec) -> None:
        self._writable()
        self.con.execute(f"DROP TABLE IF EXISTS {quote(feed.table_name)}")

    def row_count(self, table: str) -> int:
        if not self.has_table(table):
            raise NotFound(f"domain table {table} does not exist", hint="activate its feed first")
        row = self.con.execute(f"SELECT count(*) FROM {quote(table)}").fetchall()[0]
        return int(row[0]) if row else 0

    def tables(self) -> list[tuple[str, int]]:
        """Every domain table with its row count, by name."""
        names = [row[0] for row in self.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
            "AND table_type = 'BASE TABLE' ORDER BY table_name").fetchall()]
        return [(name, self.row_count(name)) for name in names]

    def query(self, sql: str) -> pa.Table:
        """Ad-hoc SQL; only on read-only connections so a typo can never change a table."""
        if not self.read_only:
            raise ConfigError("ad-hoc SQL needs a read-only warehouse connection",
                              hint="open the warehouse with read_only=True")
        try:
            return self.con.sql(sql).to_arrow_table() if sql.strip() else pa.table({})
        except duckdb.Error as exc:
            raise ConfigError(f"query failed: {first_line(exc)}", hint=_query_hint(exc)) from None

    def _writable(self) -> None:
        if self.read_only:
            raise ConfigError("the warehouse is open read-only", hint="writes need Warehouse(path) under the warehouse lock")


def _query_hint(exc: duckdb.Error) -> str:
    """What to do about a failed ad-hoc query, by the kind of failure."""
    text = str(exc).lower()
    if "read-only" in text or "read only" in text:
        return "courier query is read-only; change tables through feeds and runs (e.g. `courier feeds truncate`)"
    if "does not exist" in text or "not found" in text:
        return 'quote domain table names, e.g. SELECT * FROM "Optimizely:Decisions"; `courier feeds list` shows them'
    if "syntax" in text or "parser" in text:
        return "check the SQL syntax (DuckDB dialect)"
    return "check the SQL; domain tables are DuckDB tables named like \"Optimizely:Decisions\""


def writer_config(path: Path) -> dict[str, str | bool]:
    """Bound a load's memory: DuckDB spills to the workspace's tmp/ beyond `COURIER_MEMORY_LIMIT`."""
    temp = path.parent / "tmp"
    temp.mkdir(mode=0o700, exist_ok=True)
    return {"memory_limit": os.environ.get("COURIER_MEMORY_LIMIT", "384MB"), "temp_directory": str(temp),
            "preserve_insertion_order": False}


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the file; a writer waits briefly for readers to let go, a reader never waits."""
    deadline = time.monotonic() + (0 if read_only else WRITER_WAIT_SECONDS)
    while True:
        try:
            if read_only:
                return duckdb.connect(str(path), read_only=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path), config=writer_config(path))
            make_private(path)
            return con
        except (duckdb.InvalidInputException, duckdb.ParserException) as exc:
            raise ConfigError(f"the warehouse settings are invalid: {first_line(exc)}",
                              hint="COURIER_MEMORY_LIMIT takes sizes such as 512MB or 2GB") from None
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            text = str(exc)
            locked = "lock" in text.lower() or "different configuration" in text
            if not locked:
                raise ConfigError(f"cannot open the warehouse {path}: {first_line(exc)}",
                                  hint="check the file is a DuckDB database and is readable") from None
            if time.monotonic() >= deadline:
                if read_only:
                    raise Busy(f"a load is writing to the warehouse {path}",
                               hint="try again when it finishes; `courier runs` shows what is running") from None
                raise Busy(f"the warehouse {path} is open in another process",
                           hint="close the explorer or `courier query` sessions and try again") from None
            time.sleep(0.25)



def load_files(con: duckdb.DuckDBPyConnection, feed: TableSpec, files: Sequence[SourceFile], *, truncate: bool,
               run_id: str, on_progress: Callable[[LoadProgress], None] | None = None,
               batch_rows: int = 65536, parquet_fast_path: bool = True) -> LoadStats:
    """Stage every file of the load, then resolve duplicates and merge ONCE (one pass over the table).

    All-Parquet loads take core/warehouse/parquet.py's path instead (same semantics, rows written once).
    """

    stats = LoadStats()
    ordered = sorted(files, key=lambda f: (f.order, f.key))
    table = quote(feed.table_name)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(create_table_sql(feed))
        if truncate:
            con.execute(f"DELETE FROM {table}")
        base = generated_base(con, feed) if feed.generate_updated else 0
        if parquet_fast_path and ordered and all((f.content_type or infer_content_type(f.path)) == PARQUET for f in ordered):
            load_parquet(con, feed, ordered, stats, base, run_id, on_progress)
            stats.files = len(ordered)
            con.execute("COMMIT")
            return stats
        load_staged(con, feed, ordered, stats, base, run_id, on_progress, batch_rows)
        con.execute("COMMIT")
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        raise
    return stats


def make_private(path: Path) -> None:
    """The warehouse and its write-ahead log are 0600 like the catalog, whatever the umask."""
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            os.chmod(file, 0o600)
        except FileNotFoundError:
            pass

