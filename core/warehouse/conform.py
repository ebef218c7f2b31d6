"""One landed file against its domain table: conform the table to the file (schema drift), then read its rows.

Used by both load paths: the staging path streams the rows into a staging table; the Parquet path only
conforms and lets DuckDB's reader do the rest.

A file never reshapes a table beyond what `feeds add` accepts: column names follow the one rule
(`courier.core.warehouse.files.column_name_problem`), courier's own names are refused, and schema drift
adds at most COURIER_MAX_NEW_COLUMNS columns per load and COURIER_MAX_COLUMNS per table. DuckDB
errors become one line naming the file: a full disk is DiskFull, running out of memory says to
raise COURIER_MEMORY_LIMIT.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from courier.core import lazy
from courier.core.errors import ConfigError, CourierError, RunFailed
from courier.core.warehouse.files import (
    PARQUET,
    column_name_problem,
    duckdb_types,
    infer_content_type,
    open_stream,
)
from courier.core.warehouse.keys import key_sql, updated_sql
from courier.core.warehouse.spec import (
    BATCH,
    FILE,
    FILE_BITS,
    LOAD_HINT,
    ROW,
    STAGE,
    SYSTEM_COLUMNS,
    LoadProgress,
    LoadStats,
    SourceFile,
    column_limits,
    compatible,
    interrupted,
    load_error,
    parquet_relation,
    quote,
    reserved_column,
    table_type,
)
from courier.core.warehouse.table import TableSpec

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
else:  # stand-ins imported on first use (core/lazy.py), so landing never imports them
    duckdb = lazy.module("duckdb")
    pa = lazy.module("pyarrow")


def generated_base(con: duckdb.DuckDBPyConnection, feed: TableSpec) -> int:
    """This load's epoch ms, strictly above every stored `_updated` so the newer load wins."""
    import time

    row = con.execute(f"SELECT max(_updated) FROM {quote(feed.table_name)}").fetchall()[0]
    stored = row[0] if row and row[0] is not None else None
    now_ms = time.time_ns() // 1_000_000
    return now_ms if stored is None else max(now_ms, (stored >> FILE_BITS) + 1)


class FileLoad:
    """Stage one file: conform the table to it (drift), then stream its batches into the staging table."""

    def __init__(self, con: duckdb.DuckDBPyConnection, feed: TableSpec, source: SourceFile, run_id: str,
                 stats: LoadStats, *, staging: bool = True, database: Path | None = None) -> None:
        self.con, self.feed, self.source, self.run_id, self.stats = con, feed, source, run_id, stats
        self.table = quote(feed.table_name)
        self.staging = staging  # False on the Parquet fast path (core/warehouse/parquet.py): no staging table
        self.database = database
        self.table_columns: dict[str, tuple[str, str]] = {}  # lower name -> (name, type), once conformed
        self.partition: dict[str, str | None] = {}  # the partition values the file contributes, once conformed
        self.carried: set[str] = set()  # lower-case names of the file's own columns, once conformed

    def _fail(self, what: str, hint: str) -> RunFailed:
        return RunFailed(f"{self.feed.table_name}: file {self.source.key}: {what}", hint=hint)

    def _error(self, exc: duckdb.Error, what: str = "cannot load the file", hint: str = LOAD_HINT) -> CourierError:
        return load_error(self.feed, exc, self.source, what=what, hint=hint, database=self.database)

    def file_types(self, schema: pa.Schema) -> list[tuple[str, str]]:
        """(name, DuckDB type) of the file's columns, once its names pass the rule `feeds add` applies."""
        problem = column_name_problem(schema.names)
        if problem:
            raise self._fail(*problem)
        return duckdb_types(schema)

    def run(self, index: int, total: int, generated: int, on_progress: Callable[[LoadProgress], None] | None,
            batch_rows: int) -> None:
        try:
            schema, batches = open_stream(self.source.path, self.source.content_type, batch_rows=batch_rows,
                                          **self.source.options)
        except ConfigError as exc:
            raise self._fail(exc.message, exc.hint or "land the file again") from None
        file_types = self.file_types(schema)
        partition = self._conform(file_types)
        select, params = self._select(file_types, partition, generated, index)
        if (self.source.content_type or infer_content_type(self.source.path)) == PARQUET:
            self._stage_parquet(select, params, index, total, on_progress)
            return
        file_rows = 0
        for batch in self._batches(batches):
            rows = pa.Table.from_batches([batch]).append_column(
                ROW, pa.array(range(file_rows, file_rows + batch.num_rows), pa.int64()))
            self.con.register(BATCH, rows)
            try:
                self.con.execute(f"INSERT INTO {STAGE} BY NAME SELECT {select} FROM {BATCH}", params)
            except duckdb.Error as exc:
                if interrupted(exc):
                    raise KeyboardInterrupt from None
                raise self._error(exc, "rows do not fit the table",
                                  "fix the file or the feed's column types, then run again") from None
            finally:
                self.con.unregister(BATCH)
            file_rows += batch.num_rows
            self.stats.rows_read += batch.num_rows
            if on_progress:
                on_progress(LoadProgress(self.feed.table_name, self.source.key, index, total, file_rows,
                                         self.stats.rows_read, rows=batch.num_rows))
        if on_progress:
            on_progress(LoadProgress(self.feed.table_name, self.source.key, index, total, file_rows,
                                     self.stats.rows_read, file_done=True))

    def _stage_parquet(self, select: str, params: list[Any], index: int, total: int,
                       on_progress: Callable[[LoadProgress], None] | None) -> None:
        """Parquet goes through DuckDB's own reader: streamed, parallel, inside DuckDB's memory limit.

        (Arrow batches handed to DuckDB stay referenced by an in-memory staging table until the
        commit, so memory would grow with the load; the native reader copies nothing through Python.)
        """
        try:
            source = parquet_relation(self.con, [str(self.source.path)])
            inserted = self.con.execute(f"INSERT INTO {STAGE} BY NAME SELECT {select} FROM {source}",
                                        [*params, [str(self.source.path)]]).fetchall()
        except duckdb.Error as exc:
            if interrupted(exc):
                raise KeyboardInterrupt from None
            raise self._error(exc) from None
        file_rows = int(inserted[0][0]) if inserted else 0
        self.stats.rows_read += file_rows
        if on_progress:
            on_progress(LoadProgress(self.feed.table_name, self.source.key, index, total, file_rows,
                                     self.stats.rows_read, rows=file_rows))
            on_progress(LoadProgress(self.feed.table_name, self.source.key, index, total, file_rows,
                                     self.stats.rows_read, file_done=True))

    def _batches(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        try:
            yield from batches
        except ConfigError as exc:
            raise self._fail(exc.message, exc.hint or "land the file again") from None

    def _conform(self, file_types: list[tuple[str, str]]) -> dict[str, str | None]:
        """Evolve the table for this file; return the partition values it contributes."""
        existing = {name.lower(): (name, type_) for name, type_ in self._columns().items()}
        names = {name.lower() for name, _ in file_types}
        for name, type_ in file_types:
            if reserved_column(name):
                raise self._fail(f'column "{name}" clashes with a column courier adds',
                                 "rename the column in the source")
            if name.lower() not in existing:
                self._check_room(name, len(existing))
                existing[name.lower()] = (name, table_type(type_))
                self._add_column(name, table_type(type_), f"file {self.source.key} adds column {name} ({type_})")
            elif not compatible(existing[name.lower()][1], type_):
                old = existing[name.lower()][1]
                raise self._fail(f"column {name} changed type from {old} to {type_}",
                                 "the table is unchanged; fix the source, or remove the feed's table "
                                 "(`courier feeds remove FEED --drop-table`) and add the feed again")
        for column in self.feed.primary_key:
            if column.lower() not in names:
                raise self._fail(f"primary key column {column} is missing", "fix the file or the feed's primary key")
        if self.feed.last_updated and self.feed.last_updated.lower() not in names:
            self.stats.warnings.append(f"file {self.source.key} has no last-updated column "
                                       f"{self.feed.last_updated}; its rows lose to stored rows")
        partition = {k: v for k, v in self.source.partition.items() if k.lower() not in names}
        for name in partition:
            if name.lower() not in existing:
                self._check_room(name, len(existing))
                existing[name.lower()] = (name, "VARCHAR")
                self._add_column(name, "VARCHAR", f"file {self.source.key} adds partition column {name}")
        self.table_columns, self.partition, self.carried = existing, partition, names
        return partition

    def _check_room(self, name: str, columns: int) -> None:
        """Schema drift stays within COURIER_MAX_NEW_COLUMNS per load and COURIER_MAX_COLUMNS per table."""
        per_load, per_table = column_limits()
        if self.stats.columns_added >= per_load:
            raise self._fail(f"column {name} would be column {per_load + 1} this load adds to the table, over "
                             f"COURIER_MAX_NEW_COLUMNS={per_load}",
                             "the table is unchanged; check the file, or raise COURIER_MAX_NEW_COLUMNS if the "
                             "columns are wanted")
        if columns - len(SYSTEM_COLUMNS) >= per_table:
            raise self._fail(f"column {name} would take the table past COURIER_MAX_COLUMNS={per_table} columns",
                             "the table is unchanged; check the file, or raise COURIER_MAX_COLUMNS if the "
                             "columns are wanted")
        self.stats.columns_added += 1

    def _columns(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self.con.execute(f"DESCRIBE {self.table}").fetchall()}

    def _add_column(self, name: str, type_: str, warning: str) -> None:
        self.con.execute(f"ALTER TABLE {self.table} ADD COLUMN {quote(name)} {type_}")
        if self.staging:
            self.con.execute(f"ALTER TABLE {STAGE} ADD COLUMN {quote(name)} {type_}")
        self.stats.warnings.append(warning)

    def _select(self, file_types: list[tuple[str, str]], partition: dict[str, str | None],
                generated: int, index: int) -> tuple[str, list[Any]]:
        """The staging SELECT over one Arrow batch: source columns, partition values, system columns."""
        parts = [quote(name) for name, _ in file_types]
        params: list[Any] = []
        for name, value in partition.items():
            parts.append(f"?::VARCHAR AS {quote(name)}")
            params.append(value)
        carried = {name.lower() for name, _ in file_types}
        columns = {lower: (name, self.table_columns[lower][1]) for lower, name in
                   ((name.lower(), name) for name, _ in file_types)}
        parts.append(f"{key_sql(self.feed, columns)} AS _pk")
        parts.append(f"{updated_sql(self.feed, columns, carried, generated=f'{generated}::BIGINT')} AS _updated")
        parts += ["?::VARCHAR AS _source_file", "?::VARCHAR AS _run_id", f"{index}::BIGINT AS {FILE}", ROW]
        params += [self.source.key, self.run_id]
        return ", ".join(parts), params
