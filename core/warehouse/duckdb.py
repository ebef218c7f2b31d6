"""The DuckDB warehouse: one file per workspace holding each feed's domain table.

Domain tables are plain tables named `<Source>:<Name>` (always double-quoted: the colon is part of
the name). They carry the source columns with their types (nested stay nested), the Hive partition
columns of the object keys, and `_pk`, `_updated`, `_source_file`, `_run_id`. There is no PRIMARY
KEY index: the key index is what makes DuckDB upserts slow (design.md, "Deduplicate cheaply"), so
the engine enforces key uniqueness itself (core/warehouse/staging.py).

One writer: a read-write open holds DuckDB's file lock, so writers take the workspace lock
`warehouse` first and keep the file open only for the load; readers open read-only and get a
clear Busy error while a load is writing. A reader leaves a note in the workspace's locks/ saying
who it is, so a load that cannot get the file names the process holding it.

Ad-hoc SQL (`courier query`, the TUI's data explorer) is sandboxed: read-only connections reach no
file but the warehouse, no network and no extension (DuckDB's `enable_external_access = false`,
configuration locked), only one SELECT-like statement runs (DuckDB's own parser decides the kind),
and it is interrupted after the query timeout (`COURIER_QUERY_TIMEOUT`).
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from courier.core import lazy
from courier.core.catalog.workspace import ReaderMark, Workspace
from courier.core.errors import (
    Busy,
    ConfigError,
    NotFound,
    QueryTimeout,
    RunFailed,
    disk_full,
    first_line,
)
from courier.core.warehouse.conform import generated_base
from courier.core.warehouse.files import PARQUET, infer_content_type
from courier.core.warehouse.parquet import load_parquet
from courier.core.warehouse.spec import (
    LoadProgress,
    LoadStats,
    SourceFile,
    create_table_sql,
    files_named,
    interrupted,
    load_error,
    memory_limit,
    probe_files,
    quote,
)
from courier.core.warehouse.staging import load_staged
from courier.core.warehouse.table import TableSpec

if TYPE_CHECKING:
    import duckdb
    import pyarrow as pa
else:  # stand-ins imported on first use (core/lazy.py), so landing never imports them
    duckdb = lazy.module("duckdb")
    pa = lazy.module("pyarrow")

WRITER_WAIT_SECONDS = 10.0
QUERY_TIMEOUT_ENV = "COURIER_QUERY_TIMEOUT"
DEFAULT_QUERY_TIMEOUT = 60.0  # seconds; a forgotten query must not keep loads waiting for ever
MAX_QUERY_TIMEOUT = 24 * 3600.0

# Every read-only connection: the warehouse file is the only file it can open; no network, no
# extension installed or loaded, no secrets; and none of it can be changed back (SET/PRAGMA fail).
READER_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "allow_persistent_secrets": False,
    "lock_configuration": True,
}
# What ad-hoc SQL may be, by DuckDB's statement type: SELECT covers FROM-first, WITH, VALUES, DESCRIBE,
# SHOW, SUMMARIZE and PIVOT with an IN list; EXPLAIN only of such a statement. Names of
# duckdb.StatementType members, so reading this module does not import DuckDB.
_READ_KINDS = frozenset({"SELECT"})


EXAMPLE_QUERY = 'SELECT * FROM "Optimizely:Decisions" LIMIT 10'  # what the query faces offer as a start


class Warehouse:
    """A connection to the warehouse file; use as a context manager so it is always closed."""

    parquet_fast_path = True  # False forces the staging path for Parquet too (tests run both)
    # Every load inside `transaction()` commits together. A backend that commits per table (Iceberg)
    # says False; False here makes each load commit on its own, as such a backend would (tests use it).
    atomic_runs = True

    def __init__(self, path: Path, *, read_only: bool = False, purpose: str = "courier") -> None:
        """`purpose` says who reads (e.g. "courier query"): a load that has to wait names it."""
        self.path = Path(path)
        self.read_only = read_only
        if read_only and not self.path.exists():
            raise NotFound(f"there is no warehouse yet at {self.path}",
                           hint="activate a feed (`courier feeds activate FEED`) or run a courier first")
        self._mark: ReaderMark | None = None
        self._transaction = False  # inside transaction(): loads neither begin nor commit
        self._aborted = False  # a load inside the transaction failed: it was rolled back as a whole
        self.last_schema: pa.Schema | None = None  # of the latest stream(), also when it had no rows
        workspace = _workspace_of(self.path)
        if read_only and workspace is not None:
            try:
                self._mark = workspace.mark_reader(purpose)
            except OSError:
                self._mark = None  # the note is a courtesy to loads; reading never depends on it
        try:
            self.con = _connect(self.path, read_only)
        except BaseException:
            if self._mark is not None:
                self._mark.close()
            raise

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if not self.read_only:
            make_private(self.path)  # the write-ahead log a load created, before it is checkpointed away
        self.con.close()
        if self._mark is not None:
            self._mark.close()

    # -- tables -------------------------------------------------------------------------------

    def has_table(self, table: str) -> bool:
        row = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main' AND table_name = ?",
            [table]).fetchall()[0]
        return bool(row and row[0])

    def columns(self, table: str) -> dict[str, str]:
        """Column name -> DuckDB type, in table order."""
        return {row[0]: row[1] for row in self.con.execute(f"DESCRIBE {quote(table)}").fetchall()}

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """A run's loads: BEGIN before the first, COMMIT after the last, so they change every table or none.

        Any error inside rolls everything back (a failed load already did: DuckDB cannot go on after a
        failed statement), and a load after a failed one is refused, so nothing half-done commits.
        With `atomic_runs` False each load commits by itself and this only marks the block.
        """
        self._writable()
        if self._transaction:
            raise ConfigError("a warehouse transaction is already open", hint="commit it before starting another")
        if self.atomic_runs:
            self._write("BEGIN TRANSACTION")
        self._transaction, self._aborted = True, False
        try:
            yield
            if self._aborted:
                raise RunFailed("a load of this run failed, so the warehouse rolled back all of its loads",
                                hint="fix the failing feed and run again; no table was changed")
            if self.atomic_runs:
                self._commit()
        except BaseException:
            if self.atomic_runs and not self._aborted:
                with contextlib.suppress(duckdb.Error):
                    self.con.execute("ROLLBACK")
            raise
        finally:
            self._transaction = self._aborted = False

    def _commit(self) -> None:
        try:
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            full = disk_full(exc, self.path, hint="free space on that disk and run again; no table was changed")
            raise full or RunFailed(f"cannot commit the run's loads to the warehouse {self.path}: {first_line(exc)}",
                                    hint="no table was changed; run again") from None

    def ensure_table(self, feed: TableSpec) -> None:
        """Create the feed's domain table if it does not exist yet (an existing one is kept)."""
        self._writable()
        if self.has_table(feed.table_name):
            return
        self._write(create_table_sql(feed))

    def load(self, feed: TableSpec, files: Sequence[SourceFile], *, truncate: bool, run_id: str,
             on_progress: Callable[[LoadProgress], None] | None = None, batch_rows: int = 65536) -> LoadStats:
        """Upsert the files into the feed's table (truncate first when asked): in one transaction of its
        own, or in the open `transaction()`, which a failure here rolls back as a whole."""
        self._writable()
        inside = self._transaction and self.atomic_runs
        try:
            return load_files(self.con, feed, files, truncate=truncate, run_id=run_id, on_progress=on_progress,
                              batch_rows=batch_rows, parquet_fast_path=self.parquet_fast_path, database=self.path,
                              transaction=not inside)
        except BaseException:
            self._aborted = inside
            raise

    def truncate(self, feed: TableSpec) -> None:
        """Empty the domain table (it keeps its columns)."""
        self._writable()
        if self.has_table(feed.table_name):
            self._write(f"DELETE FROM {quote(feed.table_name)}")

    def drop(self, feed: TableSpec) -> None:
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

    def first_rows(self, table: str, limit: int) -> pa.Table:
        """The first `limit` rows of a domain table (the data explorer's sample), read like `query`."""
        if not self.has_table(table):
            raise NotFound(f"domain table {table} does not exist", hint="activate its feed first")
        return self.query(f"SELECT * FROM {quote(table)}", limit=int(limit))

    def query(self, sql: str, *, timeout: float | None = None, limit: int | None = None) -> pa.Table:
        """Ad-hoc SQL: one read-only statement over the domain tables, stopped after `timeout` seconds
        (default: `query_timeout()`), at most `limit` rows (the limit is applied by DuckDB before
        anything is fetched). Anything else is refused before it runs (see `check_query`)."""
        batches = list(self.stream(sql, timeout=timeout, limit=limit))
        if not batches:
            return pa.table({}) if self.last_schema is None else self.last_schema.empty_table()
        return pa.Table.from_batches(batches)

    def stream(self, sql: str, *, timeout: float | None = None, limit: int | None = None,
               batch_rows: int = 10_000) -> Iterator[pa.RecordBatch]:
        """The same query as record batches, so `query --csv/--json` never holds the whole result."""
        self.last_schema = None
        if not self.read_only:
            raise ConfigError("ad-hoc SQL needs a read-only warehouse connection",
                              hint="open the warehouse with read_only=True")
        if limit is not None and limit < 0:
            raise ConfigError(f"limit {limit} is negative", hint="give 0 or more rows, or no limit")
        seconds = query_timeout() if timeout is None else _checked_timeout(timeout, "--timeout")
        if not check_query(self.con, sql):
            return
        watchdog = _Watchdog(self.con, seconds)
        try:
            relation = self.con.sql(sql)
            if relation is None:
                return
            if limit is not None:
                relation = relation.limit(limit)
            reader = relation.to_arrow_reader(batch_rows)
            self.last_schema = reader.schema
            yield from reader
        except duckdb.InterruptException:
            if watchdog.fired:
                raise QueryTimeout(f"query stopped after {seconds:g} s: it ran longer than the query timeout",
                                   hint=f"narrow it (WHERE, LIMIT), or allow more time with `--timeout SECONDS` "
                                        f"or {QUERY_TIMEOUT_ENV} (seconds)") from None
            raise ConfigError("query interrupted", hint="run it again") from None
        except (duckdb.Error, pa.ArrowException) as exc:
            if watchdog.fired:
                raise QueryTimeout(f"query stopped after {seconds:g} s: it ran longer than the query timeout",
                                   hint=f"narrow it (WHERE, LIMIT), or allow more time with `--timeout SECONDS` "
                                        f"or {QUERY_TIMEOUT_ENV} (seconds)") from None
            raise ConfigError(f"query failed: {first_line(exc)}", hint=_query_hint(exc)) from None
        finally:
            watchdog.stop()

    def _writable(self) -> None:
        if self.read_only:
            raise ConfigError("the warehouse is open read-only", hint="writes need Warehouse(path) under the warehouse lock")
        if self._aborted:
            raise RunFailed("a load of this run failed, so the warehouse rolled back all of its loads",
                            hint="fix the failing feed and run again; no table was changed")


def query_timeout() -> float:
    """The statement timeout of ad-hoc queries: `COURIER_QUERY_TIMEOUT` seconds, else 60."""
    text = os.environ.get(QUERY_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_QUERY_TIMEOUT
    try:
        value = float(text)
    except ValueError:
        raise ConfigError(f"{QUERY_TIMEOUT_ENV}={text[:40]!r} is not a number of seconds",
                          hint=f"set it to seconds, e.g. {QUERY_TIMEOUT_ENV}=300, or unset it for the default "
                               f"({DEFAULT_QUERY_TIMEOUT:g} s)") from None
    return _checked_timeout(value, QUERY_TIMEOUT_ENV)


def _checked_timeout(value: float, where: str) -> float:
    if not (0 < value <= MAX_QUERY_TIMEOUT):  # also refuses NaN
        raise ConfigError(f"{where} must be more than 0 and at most {MAX_QUERY_TIMEOUT:g} seconds, not {value:g}",
                          hint=f"give seconds, e.g. 300 (the default is {DEFAULT_QUERY_TIMEOUT:g})")
    return float(value)


class _Watchdog:
    """Interrupts the connection once `seconds` have passed, and keeps interrupting until stopped
    (an interrupt that lands just before DuckDB starts executing would otherwise be lost)."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seconds: float) -> None:
        self.con, self.seconds, self.fired = con, seconds, False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="courier-query-timeout", daemon=True)
        self._thread.start()

    def _watch(self) -> None:
        if self._done.wait(self.seconds):
            return
        self.fired = True
        while True:
            self.con.interrupt()
            if self._done.wait(0.05):
                return

    def stop(self) -> None:
        self._done.set()
        self._thread.join()


def check_query(con: duckdb.DuckDBPyConnection, sql: str) -> bool:
    """Refuse, with one line naming the statement kind, anything but one read-only statement; DuckDB's
    parser decides what a statement is. False when the text holds no statement at all."""
    statements = _statements(con, sql)
    if not statements:
        return False
    if len(statements) > 1:
        kinds = ", ".join(_kind(s) for s in statements[:5])
        raise ConfigError(f"query refused: {len(statements)} statements ({kinds}); courier runs one statement at a time",
                          hint="send each SELECT on its own")
    statement = statements[0]
    if statement.type == duckdb.StatementType.EXPLAIN:
        inner = _EXPLAIN.sub("", _without_leading_comments(statement.query), count=1)
        explained = _statements(con, inner) if inner.strip() else []
        if len(explained) == 1 and _reads(explained[0]):
            return True
        what = _kind(explained[0]) if len(explained) == 1 else "that statement"
        raise ConfigError(f"query refused: EXPLAIN of {what} is not allowed; queries are read-only",
                          hint=_REFUSED_HINT)
    if not _reads(statement):
        raise ConfigError(f"query refused: {_kind(statement)} statements are not allowed; queries are read-only",
                          hint=_REFUSED_HINT)
    return True


_REFUSED_HINT = ("queries run one SELECT (also WITH, FROM-first, DESCRIBE, SHOW, SUMMARIZE, EXPLAIN) over the "
                 "domain tables; they cannot write, read other files, change settings or load extensions "
                 "(save results with `courier query ... --csv > FILE`)")
_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(ANALYZE\s+)?(\([^()]*\)\s*)?", re.IGNORECASE)
_COMMENT = re.compile(r"^\s*(--[^\n]*(\n|$)|/\*.*?\*/)", re.DOTALL)
# Display names by DuckDB's statement type; the first words of the text refine them only when they
# are one of these keywords (untrusted text is never echoed).
_KIND_NAMES = {"VARIABLE_SET": "SET VARIABLE", "CREATE_FUNC": "CREATE FUNCTION", "MERGE_INTO": "MERGE",
               "MULTI": "PIVOT (without an IN list)", "COPY_DATABASE": "COPY FROM DATABASE", "EXPORT": "EXPORT DATABASE"}
_LEAD_WORDS = {"SET", "RESET", "USE", "INSTALL", "LOAD", "FORCE", "CALL", "CHECKPOINT", "BEGIN", "START", "COMMIT",
               "ROLLBACK", "ABORT", "END", "PRAGMA", "CREATE", "DROP", "ALTER", "ATTACH", "DETACH", "INSERT", "UPDATE",
               "DELETE", "COPY", "EXPORT", "IMPORT", "VACUUM", "ANALYZE", "PREPARE", "EXECUTE", "DEALLOCATE", "MERGE"}
_OBJECT_WORDS = {"SECRET", "TABLE", "VIEW", "MACRO", "FUNCTION", "SCHEMA", "SEQUENCE", "TYPE", "INDEX"}


@dataclass(frozen=True)
class _Statement:
    type: duckdb.StatementType | None  # None: a type this duckdb's Python API cannot name (UPDATE EXTENSIONS)
    query: str


def _statements(con: duckdb.DuckDBPyConnection, sql: str) -> list[_Statement]:
    try:
        parsed = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise ConfigError(f"query failed: {first_line(exc)}", hint=_query_hint(exc)) from None
    statements = []
    for statement in parsed:
        try:
            kind: duckdb.StatementType | None = statement.type
        except ValueError:
            kind = None
        statements.append(_Statement(kind, statement.query))
    return statements


def _without_leading_comments(text: str) -> str:
    while (match := _COMMENT.match(text)) is not None:
        text = text[match.end():]
    return text


def _reads(statement: _Statement) -> bool:
    """The statement is of a read-only kind (its StatementType is in _READ_KINDS)."""
    return statement.type is not None and statement.type.name in _READ_KINDS


def _kind(statement: _Statement) -> str:
    """A statement's kind for a message: e.g. COPY, EXPORT DATABASE, CREATE SECRET, RESET, INSTALL."""
    type_name = statement.type.name if statement.type is not None else "UNKNOWN"
    name = _KIND_NAMES.get(type_name, "such" if type_name == "UNKNOWN" else type_name)
    words = re.findall(r"[A-Za-z_]+", _without_leading_comments(statement.query)[:200])[:6]
    words = [w.upper() for w in words]
    if not words or words[0] not in _LEAD_WORDS:
        return name
    if words[0] == "FORCE" and len(words) > 1 and words[1] in _LEAD_WORDS:
        return f"FORCE {words[1]}"
    if words[0] in ("CREATE", "DROP", "ALTER"):
        found = next((w for w in words[1:] if w in _OBJECT_WORDS), None)
        return f"{words[0]} {found}" if found else words[0]
    if words[0] == "SET" and words[1:2] == ["VARIABLE"]:
        return "SET VARIABLE"
    if words[:3] == ["COPY", "FROM", "DATABASE"]:
        return "COPY FROM DATABASE"
    if words[:2] in (["UPDATE", "EXTENSIONS"], ["EXPORT", "DATABASE"], ["IMPORT", "DATABASE"]):
        return " ".join(words[:2])
    return words[0]


def _query_hint(exc: duckdb.Error) -> str:
    """What to do about a failed ad-hoc query, by the kind of failure."""
    text = str(exc).lower()
    if "file system operations are disabled" in text or "external extensions is disabled" in text:
        return ("queries read the domain tables only: no other file, URL or extension is reachable "
                "(load files through a courier and its feeds)")
    if "configuration has been locked" in text:
        return "settings cannot be changed from a query"
    if "read-only" in text or "read only" in text:
        return "courier query is read-only; change tables through feeds and runs (e.g. `courier feeds truncate`)"
    if "does not exist" in text or "not found" in text:
        return 'quote domain table names, e.g. SELECT * FROM "Optimizely:Decisions"; `courier feeds list` shows them'
    if "syntax" in text or "parser" in text:
        return "check the SQL syntax (DuckDB dialect)"
    return "check the SQL; domain tables are DuckDB tables named like \"Optimizely:Decisions\""


def writer_config(path: Path) -> dict[str, str | bool | int | float | list[str]]:
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


def _workspace_of(path: Path) -> Workspace | None:
    """The workspace whose warehouse this is (None for a DuckDB file elsewhere, e.g. in a test)."""
    workspace = Workspace(path.parent)
    return workspace if path.name == workspace.warehouse_path.name and workspace.locks_dir.is_dir() else None


def _holders(path: Path, error: str) -> str:
    """Who holds the warehouse file: readers' notes, else the process DuckDB names."""
    workspace = _workspace_of(path)
    readers = workspace.warehouse_readers() if workspace is not None else []
    named = [f"pid {pid}{' (this process)' if pid == os.getpid() else ''}: {what}" for pid, what in readers[:3]]
    if len(readers) > 3:
        named.append(f"{len(readers) - 3} more")
    found = re.search(r"held in (.*?) \(PID (\d+)\)", error)
    if found and int(found.group(2)) not in {pid for pid, _ in readers}:
        named.append(f"pid {found.group(2)}: {Path(found.group(1)).name or 'a process'}, not courier")
    return "; ".join(named)


FileState = tuple[tuple[int, int], ...]


def file_state(path: Path) -> FileState:
    """The warehouse file's and its write-ahead log's (mtime ns, size), (0, 0) for one missing: a
    commit changes one of them, so an equal state means the tables are as they were. Readers that
    show counts look at this (a stat) before opening DuckDB (an open costs ~10 ms of CPU)."""
    state = []
    for file in (Path(path), Path(f"{path}.wal")):
        try:
            st = file.stat()
            state.append((st.st_mtime_ns, st.st_size))
        except FileNotFoundError:
            state.append((0, 0))
    return tuple(state)


def _connect(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """Open the file; a writer waits briefly for readers to let go, a reader never waits."""
    deadline = time.monotonic() + (0 if read_only else WRITER_WAIT_SECONDS)
    while True:
        try:
            if read_only:
                return duckdb.connect(str(path), read_only=True, config=READER_CONFIG)
            path.parent.mkdir(parents=True, exist_ok=True)
            con = duckdb.connect(str(path), config=writer_config(path))
            make_private(path)
            return con
        except (duckdb.InvalidInputException, duckdb.ParserException) as exc:
            raise ConfigError(f"the warehouse settings are invalid: {first_line(exc)}",
                              hint="COURIER_MEMORY_LIMIT takes sizes such as 512MB or 2GB") from None
        except (duckdb.IOException, duckdb.ConnectionException) as exc:
            full = disk_full(exc, path)
            if full is not None:
                raise full from None
            text = str(exc)
            locked = "lock" in text.lower() or "different configuration" in text
            if not locked:
                raise ConfigError(f"cannot open the warehouse {path}: {first_line(exc)}",
                                  hint="check the file is a DuckDB database and is readable") from None
            if time.monotonic() >= deadline:
                if read_only:
                    raise Busy(f"a load is writing to the warehouse {path}",
                               hint="try again when it finishes; `courier runs` shows what is running") from None
                holders = _holders(path, text)
                raise Busy(f"the warehouse {path} is held open by {holders or 'another process'}",
                           hint="close the explorer or `courier query` sessions and try again (queries stop "
                                f"by themselves after {QUERY_TIMEOUT_ENV} seconds)") from None
            time.sleep(0.25)



def load_files(con: duckdb.DuckDBPyConnection, feed: TableSpec, files: Sequence[SourceFile], *, truncate: bool,
               run_id: str, on_progress: Callable[[LoadProgress], None] | None = None,
               batch_rows: int = 65536, parquet_fast_path: bool = True, database: Path | None = None,
               transaction: bool = True) -> LoadStats:
    """Stage every file of the load, then resolve duplicates and merge ONCE (one pass over the table).

    All-Parquet loads take core/warehouse/parquet.py's path instead (same semantics, rows written once).
    `database` (the warehouse file) is the disk a full-disk error names when DuckDB names none.
    `transaction=False`: the caller has begun a transaction and commits it (a run's loads commit
    together); on any error this rolls that whole transaction back. Ctrl-C, which DuckDB turns into
    an error, goes up as KeyboardInterrupt.
    """

    stats = LoadStats()
    ordered = sorted(files, key=lambda f: (f.order, f.key))
    table = quote(feed.table_name)
    if transaction:
        con.execute("BEGIN TRANSACTION")
    try:
        con.execute(create_table_sql(feed))
        if truncate:
            con.execute(f"DELETE FROM {table}")
        base = generated_base(con, feed) if feed.generate_updated else 0
        if parquet_fast_path and ordered and all((f.content_type or infer_content_type(f.path)) == PARQUET for f in ordered):
            load_parquet(con, feed, ordered, stats, base, run_id, on_progress, database=database)
            stats.files = len(ordered)
        else:
            load_staged(con, feed, ordered, stats, base, run_id, on_progress, batch_rows, database=database)
        if transaction:
            con.execute("COMMIT")
    except BaseException as exc:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:
            pass
        if interrupted(exc):
            raise KeyboardInterrupt from None
        if isinstance(exc, duckdb.Error):  # not one file's (those are named where they fail): find it
            full = disk_full(exc, database or "")
            culprit = probe_files(con, ordered) if ordered and full is None else None
            raise load_error(feed, exc, culprit, where=files_named(ordered) if ordered else None,
                             database=database) from None
        raise
    return stats


def make_private(path: Path) -> None:
    """The warehouse and its write-ahead log are 0600 like the catalog, whatever the umask."""
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            os.chmod(file, 0o600)
        except FileNotFoundError:
            pass

