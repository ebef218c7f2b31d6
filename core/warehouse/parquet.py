"""The Parquet fast path of a load: rank narrow, write wide once.

Staging every row before merging writes each row twice (stage, then table). For a load whose files
are all Parquet we let DuckDB's reader do both passes over the landed files instead:

1. a narrow pass reads only the key, the last-updated value, the file and the row number of every
   row, and finds the losers: rows without a key, the older versions of keys that repeat in the load
   (greatest `_updated`, then later file, then later row wins);
2. the winners meet the stored rows of their keys once (only the stored rows of the load's days,
   core/warehouse/lookback.py): older winners lose, the stored rows the others replace are deleted;
3. one wide `read_parquet([all files])`, minus the losers, is inserted into the domain table.

Same semantics as core/warehouse/staging.py's staging path (its tests cover both), same single transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from courier.core import lazy
from courier.core.errors import first_line
from courier.core.warehouse.conform import FileLoad
from courier.core.warehouse.keys import key_sql, updated_sql
from courier.core.warehouse.lookback import stored_bound
from courier.core.warehouse.spec import (
    FILE_BITS,
    MIN_UPDATED,
    READER_PATH,
    ROW,
    LoadProgress,
    LoadStats,
    SourceFile,
    interrupted,
    load_error,
    parquet_relation,
    quote,
)
from courier.core.warehouse.table import TableSpec

if TYPE_CHECKING:
    import duckdb
    import pyarrow.parquet as pq
else:  # stand-ins imported on first use (core/lazy.py), so landing never imports them
    duckdb = lazy.module("duckdb")
    pq = lazy.module("pyarrow.parquet")

FILES = "__courier_files"
KEYS = "__courier_keys"
LOSERS = "__courier_losers"
MATCHED = "__courier_matched"


def load_parquet(con: duckdb.DuckDBPyConnection, feed: TableSpec, ordered: Sequence[SourceFile], stats: LoadStats,
                 base: int, run_id: str, on_progress: Callable[[LoadProgress], None] | None, *,
                 database: Path | None = None) -> None:
    """Inside the caller's transaction (truncate already done): load every file of `ordered`."""
    table = quote(feed.table_name)
    partitions: list[dict[str, str | None]] = []
    rows: list[int] = []
    in_files: set[str] = set()  # column names (lower case) that at least one file carries
    for source in ordered:
        load = FileLoad(con, feed, source, run_id, stats, staging=False, database=database)
        try:
            meta = pq.read_metadata(source.path)
        except (OSError, ValueError) as exc:
            raise load._fail(f"cannot read the Parquet footer: {first_line(exc)}",
                             "the file may be corrupt or truncated; land it again") from None
        file_types = list(load.file_types(meta.schema.to_arrow_schema()))
        partitions.append(load._conform(file_types))
        in_files.update(name.lower() for name, _type in file_types)
        rows.append(meta.num_rows)
    columns = {str(r[0]).lower(): (str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE {table}").fetchall()}
    part_names = sorted({name for p in partitions for name in p})
    con.execute(f"CREATE TEMP TABLE {FILES} (filename VARCHAR, idx BIGINT, key VARCHAR, gen BIGINT"
                + "".join(f", {quote('p:' + n)} VARCHAR" for n in part_names) + ")")
    con.executemany(
        f"INSERT INTO {FILES} VALUES (?, ?, ?, ?{', ?' * len(part_names)})",
        [[str(s.path), i, s.key, (base << FILE_BITS) | min(i, 2**FILE_BITS - 1),
          *[partitions[i].get(n) for n in part_names]] for i, s in enumerate(ordered)])
    files = [str(s.path) for s in ordered]
    relation = f"{parquet_relation(con, files)} AS src JOIN {FILES} AS f ON src.{READER_PATH} = f.filename"
    pk = key_sql(feed, columns, prefix="src.")
    updated = updated_sql(feed, columns, in_files, generated="f.gen", prefix="src.")
    _run(con, feed, ordered, f"CREATE TEMP TABLE {KEYS} AS SELECT {pk} AS _pk, {updated} AS _updated, f.idx AS file, "
                       f"src.{ROW} AS row FROM {relation}", files, database=database)
    stats.rows_read += sum(rows)
    read = 0
    for index, done in enumerate(ordered):  # the narrow pass has read every row: report it (and let a
        read += rows[index]                   # cancel land here, before anything is written)
        if on_progress:
            on_progress(LoadProgress(feed.table_name, done.key, index, len(ordered), rows[index], read,
                                     rows=rows[index]))
    for count, key in con.execute(f"SELECT count(*), any_value(f.key) FROM {KEYS} JOIN {FILES} AS f ON file = f.idx "
                                  f"WHERE _pk IS NULL GROUP BY file ORDER BY file").fetchall():
        stats.warnings.append(f"file {key}: {count} rows have no primary key value (skipped)")
    con.execute(f"CREATE TEMP TABLE {LOSERS} AS SELECT file, row FROM {KEYS} WHERE _pk IS NULL")
    con.execute(
        f"INSERT INTO {LOSERS} SELECT file, row FROM {KEYS} WHERE _pk IN (SELECT _pk FROM {KEYS} "
        f"WHERE _pk IS NOT NULL GROUP BY _pk HAVING count(*) > 1) QUALIFY row_number() OVER (PARTITION BY _pk "
        f"ORDER BY _updated DESC NULLS LAST, file DESC, row DESC) > 1")
    stored = bool(con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT 1)").fetchall()[0][0])
    if stored:  # the load's winners meet the stored rows of their keys ONCE (one pass over the stored keys,
        # within the lookback bound): older winners lose, the others replace the stored row (by rowid)
        bound = stored_bound(columns, partitions, in_files, qualifier="t.")
        con.execute(
            f"CREATE TEMP TABLE {MATCHED} AS SELECT k.file, k.row, t.rowid AS stored_row, "
            f"coalesce(k._updated, {MIN_UPDATED}) < coalesce(t._updated, {MIN_UPDATED}) AS older "
            f"FROM {KEYS} AS k ANTI JOIN {LOSERS} AS l ON k.file = l.file AND k.row = l.row "
            f"JOIN {table} AS t ON k._pk = t._pk WHERE {bound or 'true'}")
        con.execute(f"INSERT INTO {LOSERS} SELECT file, row FROM {MATCHED} WHERE older")
        replaced = con.execute(
            f"DELETE FROM {table} WHERE rowid IN (SELECT m.stored_row FROM {MATCHED} AS m ANTI JOIN {LOSERS} AS l "
            f"ON m.file = l.file AND m.row = l.row)").fetchall()[0][0]
        con.execute(f"DROP TABLE {MATCHED}")
    else:
        replaced = 0
    select = _wide_select(columns, part_names, in_files, pk, updated)
    inserted = _run(con, feed, ordered, f"INSERT INTO {table} BY NAME SELECT {select} FROM {relation} "
                                  f"ANTI JOIN {LOSERS} AS l ON f.idx = l.file AND src.{ROW} = l.row",
                    files, [run_id], database=database)
    for name in (FILES, KEYS, LOSERS):
        con.execute(f"DROP TABLE {name}")
    stats.updated += int(replaced)
    stats.inserted += int(inserted) - int(replaced)
    stats.skipped += sum(rows) - int(inserted)
    if on_progress:
        last = len(ordered) - 1
        on_progress(LoadProgress(feed.table_name, ordered[last].key, last, len(ordered), rows[last],
                                 stats.rows_read, file_done=True))


def _run(con: duckdb.DuckDBPyConnection, feed: TableSpec, ordered: Sequence[SourceFile], sql: str, files: list[str],
         extra: list[Any] | None = None, *, database: Path | None = None) -> int:
    """One statement over every file; a failure names the file (by its S3 key) when DuckDB does.

    Otherwise the DuckDB error goes up as it is: courier.core.warehouse.duckdb.load_files rolls back, then reads
    each file on its own to name the one that fails (courier.core.warehouse.spec.probe_files).
    """
    try:
        result = con.execute(sql, [*(extra or []), files]).fetchall()
    except duckdb.Error as exc:
        if interrupted(exc):
            raise KeyboardInterrupt from None
        text = first_line(exc)
        culprit = next((s for s in ordered if str(s.path) in text), ordered[0] if len(ordered) == 1 else None)
        if culprit is None:
            raise
        raise load_error(feed, exc, culprit, database=database) from None
    return int(result[0][0]) if result and result[0] and isinstance(result[0][0], int) else 0


def _wide_select(columns: dict[str, tuple[str, str]], part_names: list[str], in_files: set[str], pk: str,
                 updated: str) -> str:
    """Table columns the files carry, partition values from the files table, system columns.

    Columns no file of this load carries are left out, so `INSERT ... BY NAME` fills them with NULL.
    """
    system = {"_pk", "_updated", "_source_file", "_run_id"}
    parts = []
    for lower, (name, _type) in columns.items():
        if lower in system:
            continue
        if lower in in_files:
            parts.append(f"src.{quote(name)}")
        elif name in part_names:
            parts.append(f"f.{quote('p:' + name)} AS {quote(name)}")
    parts += [f"{pk} AS _pk", f"{updated} AS _updated",
              "f.key AS _source_file", "?::VARCHAR AS _run_id"]
    return ", ".join(parts)
