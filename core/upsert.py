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

A file never reshapes a table beyond what `feeds add` accepts: column names follow the one rule of
core/schema_sample.py (`column_name_problem`), courier's own names are refused, and schema drift
adds at most COURIER_MAX_NEW_COLUMNS columns per load and COURIER_MAX_COLUMNS per table. DuckDB
errors become one line naming the file: a full disk is DiskFull, running out of memory says to
raise COURIER_MEMORY_LIMIT.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pyarrow as pa

from core.errors import ConfigError, CourierError, RunFailed, disk_full
from core.schema_sample import (
    PARQUET,
    column_name_problem,
    duckdb_types,
    infer_content_type,
    open_stream,
)

if TYPE_CHECKING:
    from core.feeds import Feed

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
_INTS = {"TINYINT": (True, 8), "SMALLINT": (True, 16), "INTEGER": (True, 32), "BIGINT": (True, 64),
         "HUGEINT": (True, 128), "UTINYINT": (False, 8), "USMALLINT": (False, 16),
         "UINTEGER": (False, 32), "UBIGINT": (False, 64), "UHUGEINT": (False, 128)}


@dataclass
class SourceFile:
    """One landed file to load; `order` is its load order (day, then key)."""

    path: Path
    key: str
    partition: dict[str, str | None] = field(default_factory=dict)
    content_type: str | None = None
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


def load_error(feed: Feed, exc: duckdb.Error, source: SourceFile | None = None, *, where: str | None = None,
               what: str = "cannot load", hint: str = LOAD_HINT, database: Path | None = None) -> CourierError:
    """A DuckDB error of a load as one line naming the file (by its key): a full disk is DiskFull,
    running out of memory says to raise COURIER_MEMORY_LIMIT."""
    full = disk_full(exc, database or "the warehouse", hint="free space on that disk and run again; re-running is safe")
    if full is not None:
        return full
    text = _first_line(exc)
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


def table_type(duck_type: str) -> str:
    """The column type a table gets for a source type (an all-null JSON column becomes text)."""
    return "VARCHAR" if duck_type == '"NULL"' else duck_type


def compatible(table: str, incoming: str) -> bool:
    """True when values of `incoming` type load into a `table` column without losing meaning."""
    if table == incoming or incoming == '"NULL"':
        return True
    t, i = _INTS.get(table), _INTS.get(incoming)
    if t and i:
        return (t[0] == i[0] and i[1] <= t[1]) or (t[0] and not i[0] and i[1] < t[1])
    if table == "DOUBLE" and (incoming == "FLOAT" or i):
        return True
    if table.startswith("TIMESTAMP") and incoming.startswith("TIMESTAMP"):
        return ("TIME ZONE" in table) == ("TIME ZONE" in incoming)
    nested = incoming.endswith("]") or incoming.startswith(("STRUCT", "MAP", "UNION"))
    return table == "VARCHAR" and not nested


def load_files(con: duckdb.DuckDBPyConnection, feed: Feed, files: Sequence[SourceFile], *, truncate: bool,
               run_id: str, on_progress: Callable[[LoadProgress], None] | None = None,
               batch_rows: int = 65536, parquet_fast_path: bool = True, database: Path | None = None) -> LoadStats:
    """Stage every file of the load, then resolve duplicates and merge ONCE (one pass over the table).

    All-Parquet loads take core/upsert_parquet.py's path instead (same semantics, rows written once).
    `database` (the warehouse file) is the disk a full-disk error names when DuckDB names none.
    """
    from core.warehouse import create_table_sql

    stats = LoadStats()
    ordered = sorted(files, key=lambda f: (f.order, f.key))
    table = quote(feed.table_name)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(create_table_sql(feed))
        if truncate:
            con.execute(f"DELETE FROM {table}")
        base = _generated_base(con, feed) if feed.generate_updated else 0
        if parquet_fast_path and ordered and all((f.content_type or infer_content_type(f.path)) == PARQUET for f in ordered):
            from core.upsert_parquet import load_parquet

            load_parquet(con, feed, ordered, stats, base, run_id, on_progress, database=database)
            stats.files = len(ordered)
            con.execute("COMMIT")
            return stats
        con.execute(f"CREATE TEMP TABLE {STAGE} AS SELECT *, 0::BIGINT AS {FILE}, 0::BIGINT AS {ROW} "
                    f"FROM {table} LIMIT 0")
        for index, source in enumerate(ordered):
            _FileLoad(con, feed, source, run_id, stats, database=database).run(
                index, len(ordered), (base << FILE_BITS) | min(index, 2**FILE_BITS - 1), on_progress, batch_rows)
            stats.files += 1
        _merge(con, feed, stats)
        con.execute(f"DROP TABLE IF EXISTS {STAGE}")
        con.execute("COMMIT")
    except BaseException as exc:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        if isinstance(exc, duckdb.Error):  # not one file's (those are named where they fail): find it
            full = disk_full(exc, database or "")
            culprit = probe_files(con, ordered) if ordered and full is None else None
            raise load_error(feed, exc, culprit, where=files_named(ordered) if ordered else None,
                             database=database) from None
        raise
    return stats


def _generated_base(con: duckdb.DuckDBPyConnection, feed: Feed) -> int:
    """This load's epoch ms, strictly above every stored `_updated` so the newer load wins."""
    import time

    row = con.execute(f"SELECT max(_updated) FROM {quote(feed.table_name)}").fetchall()[0]
    stored = row[0] if row and row[0] is not None else None
    now_ms = time.time_ns() // 1_000_000
    return now_ms if stored is None else max(now_ms, (stored >> FILE_BITS) + 1)


class _FileLoad:
    """Stage one file: conform the table to it (drift), then stream its batches into the staging table."""

    def __init__(self, con: duckdb.DuckDBPyConnection, feed: Feed, source: SourceFile, run_id: str,
                 stats: LoadStats, *, staging: bool = True, database: Path | None = None) -> None:
        self.con, self.feed, self.source, self.run_id, self.stats = con, feed, source, run_id, stats
        self.table = quote(feed.table_name)
        self.staging = staging  # False on the Parquet fast path (core/upsert_parquet.py): no staging table
        self.database = database

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
        types = {name.lower(): type_ for name, type_ in file_types}
        by_lower = {name.lower(): name for name, _ in file_types}
        parts = [quote(name) for name, _ in file_types]
        params: list[Any] = []
        for name, value in partition.items():
            parts.append(f"?::VARCHAR AS {quote(name)}")
            params.append(value)
        keys = [quote(by_lower[c.lower()]) for c in self.feed.primary_key]
        if len(keys) == 1:
            pk = f"CAST({keys[0]} AS VARCHAR)"
        else:  # escape \x1e and \x1f inside values so different key tuples never join to the same text
            pk = " || chr(31) || ".join(
                f"replace(replace(CAST({k} AS VARCHAR), chr(30), chr(30) || chr(30)), chr(31), chr(30) || chr(31))"
                for k in keys)
        parts.append(f"{pk} AS _pk")
        parts.append(f"{self._updated_expr(types, by_lower, generated)} AS _updated")
        parts += ["?::VARCHAR AS _source_file", "?::VARCHAR AS _run_id", f"{index}::BIGINT AS {FILE}", ROW]
        params += [self.source.key, self.run_id]
        return ", ".join(parts), params

    def _updated_expr(self, types: dict[str, str], by_lower: dict[str, str], generated: int) -> str:
        column = self.feed.last_updated
        if self.feed.generate_updated or not column:
            return f"{generated}::BIGINT"
        type_ = types.get(column.lower())
        if type_ is None or type_ == '"NULL"':
            return "NULL::BIGINT"
        name = quote(by_lower[column.lower()])
        return f"epoch_us({name})" if type_.startswith("TIMESTAMP") else f"CAST({name} AS BIGINT)"



def _merge(con: duckdb.DuckDBPyConnection, feed: Feed, stats: LoadStats) -> None:
    """Winners of the staging replace older stored versions; ties go to this (newer) load.

    Within the load the greatest `_updated` wins, then the later file, then the later row.
    """
    table = quote(feed.table_name)
    for source_file, count in con.execute(
            f"SELECT _source_file, count(*) FROM {STAGE} WHERE _pk IS NULL GROUP BY ALL ORDER BY 1").fetchall():
        stats.warnings.append(f"file {source_file}: {count} rows have no primary key value (skipped)")
    con.execute(f"DELETE FROM {STAGE} WHERE _pk IS NULL")
    staged = _count(con.execute(f"SELECT count(*) FROM {STAGE}"))
    # only keys that repeat need ranking (Optimizely: well under 1%); rank them on the narrow
    # columns and drop the losers, so the staging becomes the winners without a full sort
    con.execute(f"CREATE TEMP TABLE {DUPLICATES} AS SELECT _pk FROM {STAGE} GROUP BY _pk HAVING count(*) > 1")
    if _count(con.execute(f"SELECT count(*) FROM {DUPLICATES}")):
        con.execute(
            f"DELETE FROM {STAGE} USING (SELECT {FILE}, {ROW} FROM {STAGE} SEMI JOIN {DUPLICATES} USING (_pk) "
            f"QUALIFY row_number() OVER (PARTITION BY _pk ORDER BY _updated DESC NULLS LAST, {FILE} DESC, "
            f"{ROW} DESC) > 1) AS loser WHERE {STAGE}.{FILE} = loser.{FILE} AND {STAGE}.{ROW} = loser.{ROW}")
    con.execute(f"DROP TABLE {DUPLICATES}")
    stored = _count(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)"))
    if stored:
        con.execute(
            f"DELETE FROM {STAGE} USING {table} AS stored WHERE {STAGE}._pk = stored._pk "
            f"AND coalesce({STAGE}._updated, {MIN_UPDATED}) < coalesce(stored._updated, {MIN_UPDATED})")
    winners = _count(con.execute(f"SELECT count(*) FROM {STAGE}"))
    replaced = _count(con.execute(f"DELETE FROM {table} USING {STAGE} WHERE {table}._pk = {STAGE}._pk")) \
        if stored else 0
    con.execute(f"INSERT INTO {table} BY NAME SELECT * EXCLUDE ({FILE}, {ROW}) FROM {STAGE}")
    stats.updated += replaced
    stats.inserted += winners - replaced
    stats.skipped += staged - winners


def _count(result: duckdb.DuckDBPyConnection) -> int:
    rows = result.fetchall()  # fetch to the end: DuckDB 2 keeps a half-read result open
    row = rows[0] if rows else None
    return int(row[0]) if row and row[0] is not None else 0


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
