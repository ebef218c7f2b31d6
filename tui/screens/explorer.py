"""Data explorer: domain tables with row counts, 200 sample rows, and a read-only SQL prompt.

The warehouse is opened read-only, only for the moment a worker reads, and closed again: a load
(one writer) must never wait for the explorer. While a load holds the warehouse the engine raises
Busy and the screen says so plainly, retrying by itself.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.errors import Busy
from courier.core.warehouse.duckdb import EXAMPLE_QUERY
from courier.tui.formatting import error_text, literal
from courier.tui.screens import CourierScreen
from courier.tui.widgets.arrow_table import ArrowTable, displayable, empty_table
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Input, Static
from textual_fastdatatable.data_table import DataTable

SAMPLE_ROWS = 200
MAX_RESULT_ROWS = 100_000
BUSY_RETRY_SECONDS = 2.0
READER = "courier TUI, data explorer"  # who holds the warehouse, as a waiting load reports it


class ExplorerScreen(CourierScreen):
    """Browse domain tables and run read-only SQL over them."""

    HELP = ("Domain tables with their row counts. Enter on a table shows 200 sample rows; `:` or / opens "
            "the SQL prompt (read-only: one SELECT at a time over the domain tables; nothing you type can change "
            "a table or reach a file; a query stops after COURIER_QUERY_TIMEOUT seconds, default 60).")
    DEFAULT_CSS = """
    ExplorerScreen #explorer-main { height: 1fr; }
    ExplorerScreen #tables { width: 34; border: round $primary; }
    ExplorerScreen #rows { width: 1fr; border: round $primary; }
    ExplorerScreen #busy { height: auto; padding: 0 1; background: $warning 30%; text-style: bold; display: none; }
    ExplorerScreen #busy.shown { display: block; }
    ExplorerScreen #sql-box { height: auto; }
    ExplorerScreen #sql { border: round $primary; }
    ExplorerScreen #sql-error { height: auto; padding: 0 1; color: $error; }
    ExplorerScreen #sql-status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("colon,slash", "focus_sql", "SQL", id="explorer.sql", tooltip="Explorer: SQL prompt"),
        Binding("f5", "reload", "Reload", id="explorer.reload", tooltip="Explorer: reload tables"),
    ]

    class TablesLoaded(Message):
        def __init__(self, tables: list[tuple[str, int]], error: str | None = None, busy: bool = False) -> None:
            super().__init__()
            self.tables, self.error, self.busy = tables, error, busy

    class RowsLoaded(Message):
        def __init__(self, title: str, table: pa.Table | None, error: str | None = None,
                     busy: bool = False, sql: bool = False, total: int | None = None, seq: int = 0) -> None:
            super().__init__()
            self.seq = seq
            self.title, self.table, self.error, self.busy, self.sql, self.total = title, table, error, busy, sql, total

    def __init__(self, workspace: Workspace, catalog: Catalog) -> None:
        super().__init__(workspace, catalog)
        self.tables: list[tuple[str, int]] = []
        self.busy = False
        self._retry: Any = None
        self._read_seq = 0

    def compose_body(self) -> ComposeResult:
        yield Static("", id="busy")
        with Horizontal(id="explorer-main"):
            tables = ArrowTable(pa.table({"table": pa.array([], pa.string()), "rows": pa.array([], pa.int64())}),
                                id="tables")
            tables.border_title = "Domain tables"
            yield tables
            rows = ArrowTable(empty_table(), id="rows", cursor_type="cell")
            rows.border_title = "Rows"
            yield rows
        with Vertical(id="sql-box"):
            sql = Input(placeholder=EXAMPLE_QUERY, id="sql")
            sql.border_title = "SQL (read-only) · enter runs"
            yield sql
            yield Static("", id="sql-error")
            yield Static("", id="sql-status")

    def on_mount(self) -> None:
        self.query_one("#tables", ArrowTable).focus()

    def refresh_data(self) -> None:
        self._load_tables()

    # tables -------------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="explorer-tables", exit_on_error=False)
    def _load_tables(self) -> None:
        from courier.core.warehouse.duckdb import Warehouse

        try:
            with Warehouse(self.workspace.warehouse_path, read_only=True, purpose=READER) as warehouse:
                tables = warehouse.tables()
            self.post_message(self.TablesLoaded(tables))
        except Busy as exc:
            self.post_message(self.TablesLoaded([], error_text(exc), busy=True))
        except Exception as exc:  # noqa: BLE001 - e.g. no warehouse yet: shown, never raised
            self.post_message(self.TablesLoaded([], error_text(exc)))

    @on(TablesLoaded)
    def _tables_loaded(self, message: TablesLoaded) -> None:
        self._set_busy(message.busy, message.error)
        if message.busy:
            return
        self.tables = message.tables
        data = pa.table({"table": pa.array([n for n, _ in message.tables], pa.string()),
                         "rows": pa.array([r for _, r in message.tables], pa.int64())})
        self.query_one("#tables", ArrowTable).replace(data)
        status = self.query_one("#sql-status", Static)
        if message.error:
            status.update(literal(f"✗ {message.error}"))
        elif not message.tables:
            status.update("No domain tables yet: activate a feed (Feed editor) or run a courier with load operations.")
        else:
            status.update(f"{len(message.tables)} domain table(s) · enter: sample rows · : SQL · F5 reload")
        if message.tables:
            self._sample(message.tables[0][0])

    def _set_busy(self, busy: bool, error: str | None) -> None:
        self.busy = busy
        banner = self.query_one("#busy", Static)
        banner.set_class(busy, "shown")
        if busy:
            banner.update(literal(f"⏳ A load is writing to the warehouse right now; the explorer will read it when "
                                  f"the load finishes (retrying every {BUSY_RETRY_SECONDS:.0f}s). {error or ''}"))
            if self._retry is None:
                self._retry = self.set_timer(BUSY_RETRY_SECONDS, self._retry_now)
        else:
            banner.update("")

    def _retry_now(self) -> None:
        self._retry = None
        self._load_tables()

    @on(DataTable.RowHighlighted, "#tables")
    @on(DataTable.RowSelected, "#tables")
    def _table_chosen(self) -> None:
        row = self.query_one("#tables", ArrowTable).row_dict()
        if row is not None:
            self._sample(row["table"])

    def _sample(self, table: str) -> None:
        self._read_seq += 1
        self._read(self._read_seq, f"{table} · first {SAMPLE_ROWS} rows", table, False)

    # SQL ------------------------------------------------------------------------------------

    @on(Input.Submitted, "#sql")
    def _sql_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        self.query_one("#sql-error", Static).update("")
        self.query_one("#sql-status", Static).update("running…")
        self._read_seq += 1
        self._read(self._read_seq, "query result", text, True)

    @work(thread=True, exclusive=True, group="explorer-read", exit_on_error=False)
    def _read(self, seq: int, title: str, what: str, is_sql: bool) -> None:
        """Run the operator's SQL (`is_sql`), or read the first rows of the domain table `what`."""
        from courier.core.warehouse.duckdb import Warehouse

        try:
            with Warehouse(self.workspace.warehouse_path, read_only=True, purpose=READER) as warehouse:
                # sandboxed and stopped after COURIER_QUERY_TIMEOUT
                result = warehouse.query(what) if is_sql else warehouse.first_rows(what, SAMPLE_ROWS)
            total = result.num_rows
            shown = displayable(result.slice(0, MAX_RESULT_ROWS))
            self.post_message(self.RowsLoaded(title, shown, sql=is_sql, total=total, seq=seq))
        except Busy as exc:
            self.post_message(self.RowsLoaded(title, None, error_text(exc), busy=True, sql=is_sql, seq=seq))
        except Exception as exc:  # noqa: BLE001 - SQL errors go under the prompt
            self.post_message(self.RowsLoaded(title, None, error_text(exc), sql=is_sql, seq=seq))

    @on(RowsLoaded)
    def _rows_loaded(self, message: RowsLoaded) -> None:
        if message.seq != self._read_seq:
            return  # a newer read was asked for meanwhile
        if message.busy:
            self._set_busy(True, message.error)
        error = self.query_one("#sql-error", Static)
        status = self.query_one("#sql-status", Static)
        if message.error:
            if message.sql:
                error.update(literal(f"✗ {message.error}"))
                status.update("")
            else:
                status.update(literal(f"✗ {message.error}"))
            return
        rows = self.query_one("#rows", ArrowTable)
        rows.border_title = literal(message.title, newlines=False)
        rows.replace(message.table if message.table is not None and message.table.num_columns else empty_table())
        if message.sql:
            error.update("")
            more = f" (showing the first {MAX_RESULT_ROWS:,})" if (message.total or 0) > MAX_RESULT_ROWS else ""
            status.update(f"{message.total or 0:,} row(s){more}")

    def action_focus_sql(self) -> None:
        self.query_one("#sql", Input).focus()

    def action_reload(self) -> None:
        self._load_tables()


