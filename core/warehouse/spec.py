"""The warehouse's shared vocabulary: landed files in, load statistics out, the table's DDL and SQL quoting.

Both load paths (staging, Parquet) and the DuckDB backend import this; they never import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from courier.core.errors import ConfigError, Fix, FixKind
from courier.core.types import ContentType
from courier.core.warehouse.table import TableSpec

SYSTEM_COLUMNS = ("_pk", "_updated", "_source_file", "_run_id")


ROW = "__courier_row"


STAGE = "__courier_stage"


BATCH = "__courier_batch"


FILE = "__courier_file"


DUPLICATES = "__courier_duplicates"


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
