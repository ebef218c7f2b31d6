"""The warehouse's shared vocabulary: landed files in, load statistics out, the table's DDL and SQL quoting.

Both load paths (staging, Parquet) and the DuckDB backend import this; they never import each other.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from courier.core import lazy
from courier.core.errors import (
    ConfigError,
    CourierError,
    Fix,
    FixKind,
    RunFailed,
    disk_full,
    first_line,
)
from courier.core.types import ContentType
from courier.core.warehouse.files import PARQUET, infer_content_type
from courier.core.warehouse.table import TableSpec

if TYPE_CHECKING:
    import duckdb
else:  # stand-ins imported on first use (core/lazy.py), so landing never imports them
    duckdb = lazy.module("duckdb")

SYSTEM_COLUMNS = ("_pk", "_updated", "_source_file", "_run_id")


ROW = "__courier_row"


STAGE = "__courier_stage"


BATCH = "__courier_batch"


FILE = "__courier_file"


DUPLICATES = "__courier_duplicates"


READER_PATH = "__courier_path"  # the path DuckDB's Parquet reader read a row from
RESERVED_PREFIX = "__courier_"  # courier's own working columns and tables
DEFAULT_MEMORY_LIMIT = "384MB"
DEFAULT_MAX_NEW_COLUMNS = 200  # per load: Optimizely's schemas have about 20 columns
DEFAULT_MAX_COLUMNS = 1000  # per table, source and partition columns
LOAD_HINT = "the file may be corrupt, or its rows do not fit the table; fix it and run again"
FILE_BITS = 20


MIN_UPDATED = -(2**63)


INTEGER_TYPES = {"TINYINT": (True, 8), "SMALLINT": (True, 16), "INTEGER": (True, 32), "BIGINT": (True, 64),
         "HUGEINT": (True, 128), "UTINYINT": (False, 8), "USMALLINT": (False, 16),
         "UINTEGER": (False, 32), "UBIGINT": (False, 64), "UHUGEINT": (False, 128)}


@dataclass
class SourceFile:
    """One landed file to load; `order` is its load order (day, then key)."""

    path: Path
    key: str
    partition: dict[str, str | None] = field(default_factory=dict)
    content_type: ContentType | None = None
    options: dict[str, Any] = field(default_factory=dict)
    order: int = 0

    def __post_init__(self) -> None:
        self.path = Path(self.path)


@dataclass
class LoadStats:
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    files: int = 0
    warnings: list[str] = field(default_factory=list)
    skipped: int = 0  # rows older than the stored version, duplicates in the files, rows without a key
    columns_added: int = 0  # by schema drift in this load (limited by COURIER_MAX_NEW_COLUMNS)


@dataclass
class LoadProgress:
    table: str
    file_key: str
    file_index: int
    files_total: int
    file_rows: int
    rows_read: int
    rows: int = 0  # rows in the batch just staged
    file_done: bool = False


def quote(name: str) -> str:
    """A DuckDB identifier; domain table names contain ':' so they are always quoted."""
    return '"' + name.replace('"', '""') + '"'


def table_type(duck_type: str) -> str:
    """The column type a table gets for a source type (an all-null JSON column becomes text)."""
    return "VARCHAR" if duck_type == '"NULL"' else duck_type


def compatible(table: str, incoming: str) -> bool:
    """True when values of `incoming` type load into a `table` column without losing meaning."""
    if table == incoming or incoming == '"NULL"':
        return True
    t, i = INTEGER_TYPES.get(table), INTEGER_TYPES.get(incoming)
    if t and i:
        return (t[0] == i[0] and i[1] <= t[1]) or (t[0] and not i[0] and i[1] < t[1])
    if table == "DOUBLE" and (incoming == "FLOAT" or i):
        return True
    if table.startswith("TIMESTAMP") and incoming.startswith("TIMESTAMP"):
        return ("TIME ZONE" in table) == ("TIME ZONE" in incoming)
    nested = incoming.endswith("]") or incoming.startswith(("STRUCT", "MAP", "UNION"))
    return table == "VARCHAR" and not nested


def count_of(result: duckdb.DuckDBPyConnection) -> int:
    rows = result.fetchall()  # fetch to the end: DuckDB 2 keeps a half-read result open
    row = rows[0] if rows else None
    return int(row[0]) if row and row[0] is not None else 0


def create_table_sql(feed: TableSpec) -> str:
    """DDL of a feed's domain table: source columns, partition columns, system columns."""
    if not feed.primary_key:
        raise ConfigError(f"feed {feed.id} ({feed.table_name}) has no primary key",
                          hint="a domain table needs one to deduplicate rows; the suggested tags propose one",
                          fix=Fix(FixKind.GIVE, "primary_key", "COL"))
    parts = [f"{quote(c.name)} {table_type(c.type)}" for c in feed.columns]
    taken = {c.name.lower() for c in feed.columns}
    parts += [f"{quote(name)} VARCHAR" for name in feed.partition_columns if name.lower() not in taken]
    parts += ["_pk VARCHAR", "_updated BIGINT", "_source_file VARCHAR", "_run_id VARCHAR"]
    return f"CREATE TABLE IF NOT EXISTS {quote(feed.table_name)} ({', '.join(parts)})"


def reserved_column(name: str) -> bool:
    """A name courier gives its own columns: never a source column (feeds add and loads refuse it)."""
    return name.lower() in SYSTEM_COLUMNS or name.lower().startswith(RESERVED_PREFIX)


def column_limits() -> tuple[int, int]:
    """(new columns per load, columns per table) from COURIER_MAX_NEW_COLUMNS / COURIER_MAX_COLUMNS."""
    limits = []
    for name, default in (("COURIER_MAX_NEW_COLUMNS", DEFAULT_MAX_NEW_COLUMNS),
                          ("COURIER_MAX_COLUMNS", DEFAULT_MAX_COLUMNS)):
        raw = os.environ.get(name, "").strip()
        if not raw:
            limits.append(default)
            continue
        if not raw.isdigit() or not raw.isascii():
            raise ConfigError(f"{name}={raw!r} is not a whole number",
                              hint=f"set it to a number of columns such as {default}, or unset it")
        limits.append(int(raw))
    return limits[0], limits[1]


def parquet_relation(con: duckdb.DuckDBPyConnection, paths: list[str]) -> str:
    """`read_parquet(?)` over `paths` as a subquery: every file column under its own name, plus the
    reader's file path (READER_PATH) and row number (ROW) under courier's names.

    DuckDB's reader columns `filename` and `file_row_number` are virtual: a file column of the same
    name hides them (and the `filename = true` options refuse such files). Aliasing the file's
    columns by position (in DESCRIBE's order) frees the virtual ones, so any column name loads.
    Execute the SQL with `paths` as its first parameter.
    """
    read = "read_parquet(?, union_by_name = true, hive_partitioning = false)"
    names = [str(row[0]) for row in con.execute(f"DESCRIBE SELECT * FROM {read}", [paths]).fetchall()]
    columns = "".join(f"r.c{i} AS {quote(name)}, " for i, name in enumerate(names))
    return (f"(SELECT {columns}r.filename AS {READER_PATH}, r.file_row_number AS {ROW} "
            f"FROM {read} AS r({', '.join(f'c{i}' for i in range(len(names)))}))")


def memory_limit() -> str:
    return os.environ.get("COURIER_MEMORY_LIMIT", "").strip() or DEFAULT_MEMORY_LIMIT


def interrupted(exc: BaseException) -> bool:
    """Ctrl-C as DuckDB reports it: SIGINT during a query is `RuntimeError: Query interrupted`, and
    `con.interrupt()` an InterruptException. A load turns both back into KeyboardInterrupt."""
    return isinstance(exc, duckdb.InterruptException) or (
        type(exc) is RuntimeError and str(exc).startswith("Query interrupted"))


def load_error(feed: TableSpec, exc: duckdb.Error, source: SourceFile | None = None, *, where: str | None = None,
               what: str = "cannot load", hint: str = LOAD_HINT, database: Path | None = None) -> CourierError:
    """A DuckDB error of a load as one line naming the file (by its key): a full disk is DiskFull,
    running out of memory says to raise COURIER_MEMORY_LIMIT."""
    full = disk_full(exc, database or "the warehouse", hint="free space on that disk and run again; re-running is safe")
    if full is not None:
        return full
    text = first_line(exc)
    if source is not None:
        text = text.replace(f'"{source.path}"', source.key).replace(str(source.path), source.key)
    where = f"file {source.key}" if source is not None else where
    prefix = f"{feed.table_name}: {where}: " if where else f"{feed.table_name}: "
    if isinstance(exc, duckdb.OutOfMemoryException) or "out of memory" in text.lower():
        return RunFailed(f"{prefix}ran out of memory under COURIER_MEMORY_LIMIT={memory_limit()} "
                         f"(raise it, e.g. COURIER_MEMORY_LIMIT=2GB, and run again): {text}",
                         hint="beyond the limit a load spills to <workspace>/tmp/, but each row group of a "
                              "file must fit in memory")
    return RunFailed(f"{prefix}{what}: {text}", hint=hint)


def files_named(files: Sequence[SourceFile]) -> str:
    """How an error names the files of a load when no single one is to blame."""
    if len(files) == 1:
        return f"file {files[0].key}"
    return f"{len(files)} files ({files[0].key} … {files[-1].key})"


def probe_files(con: duckdb.DuckDBPyConnection, files: Sequence[SourceFile]) -> SourceFile | None:
    """After a failed load (rolled back): the first Parquet file that fails when read on its own,
    every column, under the same memory limit: the file to name."""
    for source in files:
        if (source.content_type or infer_content_type(source.path)) != PARQUET:
            continue
        try:
            con.execute("SELECT max(hash(COLUMNS(*))) FROM read_parquet(?, hive_partitioning = false)",
                        [str(source.path)]).fetchall()
        except duckdb.Error:
            return source
    return None
