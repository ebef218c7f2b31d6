"""The DuckDB warehouse: one file per workspace holding each feed's domain table.

Domain tables are plain tables named `<Source>:<Feed>` (always double-quoted: the colon is part of
the name). They carry the source columns with their types (nested stay nested), the Hive partition
columns of the object keys, and `_pk`, `_updated`, `_source_file`, `_run_id`. There is no PRIMARY
KEY index: the key index is what makes DuckDB upserts slow (design.md, "Deduplicate cheaply"), so
the engine enforces key uniqueness itself (core/upsert.py).

One writer: a read-write open holds DuckDB's file lock, so writers take the workspace lock
`warehouse` first and keep the file open only for the load; readers open read-only and get a
clear Busy error while a load is writing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa

from core.errors import Busy, ConfigError, NotFound, disk_full
from core.upsert import (
    SYSTEM_COLUMNS,
    LoadProgress,
    LoadStats,
    SourceFile,
    load_files,
    memory_limit,
    quote,
    table_type,
)

if TYPE_CHECKING:
    from core.feeds import Feed

__all__ = ["Warehouse", "SourceFile", "LoadStats", "LoadProgress", "quote", "SYSTEM_COLUMNS"]

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

    def ensure_table(self, feed: Feed) -> None:
        """Create the feed's domain table if it does not exist yet (an existing one is kept)."""
        self._writable()
        if self.has_table(feed.table_name):
            return
        self._write(create_table_sql(feed))

    def load(self, feed: Feed, files: Sequence[SourceFile], *, truncate: bool, run_id: str,
             on_progress: Callable[[LoadProgress], None] | None = None, batch_rows: int = 65536) -> LoadStats:
        """Upsert the files into the feed's table in one transaction (truncate first when asked)."""
        self._writable()
        return load_files(self.con, feed, files, truncate=truncate, run_id=run_id, on_progress=on_progress,
                          batch_rows=batch_rows, parquet_fast_path=self.parquet_fast_path, database=self.path)

    def truncate(self, feed: Feed) -> None:
        """Empty the domain table (it keeps its columns)."""
        self._writable()
        if self.has_table(feed.table_name):
            self._write(f"DELETE FROM {quote(feed.table_name)}")

    def drop(self, feed: Feed) -> None:
        self._writable()
        self._write(f"DROP TABLE IF EXISTS {quote(feed.table_name)}")

    def _write(self, sql: str) -> None:
        """One writing statement; a full disk is DiskFull, not a DuckDB error."""
        try:
            self.con.execute(sql)
        except duckdb.Error as exc:
            full = disk_full(exc, self.path)
            if full is None:
                raise
            raise full from None

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
            raise ConfigError(f"query failed: {_first_line(exc)}", hint=_query_hint(exc)) from None

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


def create_table_sql(feed: Feed) -> str:
    """DDL of a feed's domain table: source columns, partition columns, system columns."""
    if not feed.primary_key:
        raise ConfigError(f"feed {feed.id} ({feed.table_name}) has no primary key",
                          hint=f"set one: `courier feeds update {feed.id} --primary-key COL` or "
                               f"`courier feeds suggest {feed.id} --apply`")
    parts = [f"{quote(c.name)} {table_type(c.type)}" for c in feed.columns]
    taken = {c.name.lower() for c in feed.columns}
    parts += [f"{quote(name)} VARCHAR" for name in feed.partition_columns if name.lower() not in taken]
    parts += ["_pk VARCHAR", "_updated BIGINT", "_source_file VARCHAR", "_run_id VARCHAR"]
    return f"CREATE TABLE IF NOT EXISTS {quote(feed.table_name)} ({', '.join(parts)})"


def writer_config(path: Path) -> dict[str, str | bool]:
    """Bound a load's memory: DuckDB spills to the workspace's tmp/ beyond `COURIER_MEMORY_LIMIT`."""
    temp = path.parent / "tmp"
    try:
        temp.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        full = disk_full(exc, temp)
        if full is None:
            raise ConfigError(f"cannot create {temp}: {exc.strerror or exc}",
                              hint="check the workspace folder's permissions") from None
        raise full from None
    return {"memory_limit": memory_limit(), "temp_directory": str(temp), "preserve_insertion_order": False}


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the file; a writer waits briefly for readers to let go, a reader never waits."""
    deadline = time.monotonic() + (0 if read_only else WRITER_WAIT_SECONDS)
    while True:
        try:
            if read_only:
                return duckdb.connect(str(path), read_only=True)
            path.parent.mkdir(parents=True, exist_ok=True)
            return duckdb.connect(str(path), config=writer_config(path))
        except (duckdb.InvalidInputException, duckdb.ParserException) as exc:
            raise ConfigError(f"the warehouse settings are invalid: {_first_line(exc)}",
                              hint="COURIER_MEMORY_LIMIT takes sizes such as 512MB or 2GB") from None
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            full = disk_full(exc, path)
            if full is not None:
                raise full from None
            text = str(exc)
            locked = "lock" in text.lower() or "different configuration" in text
            if not locked:
                raise ConfigError(f"cannot open the warehouse {path}: {_first_line(exc)}",
                                  hint="check the file is a DuckDB database and is readable") from None
            if time.monotonic() >= deadline:
                if read_only:
                    raise Busy(f"a load is writing to the warehouse {path}",
                               hint="try again when it finishes; `courier runs` shows what is running") from None
                raise Busy(f"the warehouse {path} is open in another process",
                           hint="close the explorer or `courier query` sessions and try again") from None
            time.sleep(0.25)


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
