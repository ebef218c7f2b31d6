"""Sample files: landed and remote files newest first, a filter, and a preview of the selected file.

This is where an operator picks a feed's sample. The list is an Arrow table (100,000 files stay
responsive); listing, filtering and previews run in thread workers and post their results.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.text import printable
from courier.tui.formatting import human_bytes, literal
from courier.tui.screens import CourierScreen
from courier.tui.widgets.arrow_table import ArrowTable, displayable, empty_table
from courier.tui.widgets.forms import TextInput
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Select, Static
from textual_fastdatatable.data_table import DataTable

# shown columns, then the hidden ones the screen needs (search text, where the file is)
SHOWN = ["modified", "tag", "day", "ready", "size", "rows", "partition", "key", "courier"]
HIDDEN = ["bucket", "local_path", "search"]
PREVIEW_ROWS = 200
ALL = "*all*"


def files_table(records: list[dict[str, Any]]) -> pa.Table:
    """The file list as Arrow: `records` carry SHOWN + HIDDEN keys (rows may be None)."""
    columns: dict[str, pa.Array] = {}
    for name in SHOWN + HIDDEN:
        values = [r.get(name) for r in records]
        columns[name] = pa.array(values, pa.int64() if name == "rows" else pa.string())
    return pa.table(columns)


def _when(stamp: float | datetime) -> str:
    moment = stamp if isinstance(stamp, datetime) else datetime.fromtimestamp(stamp)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _partition_text(partition: dict[str, str | None]) -> str:
    return " ".join(f"{k}={'NULL' if v is None else v}" for k, v in partition.items() if k not in ("date", "account_id"))


def _record(courier: str, bucket: str, key: str, tag: str, day: str | None, ready: str, size: int,
            rows: int | None, modified: str, partition: dict[str, str | None], local_path: str | None) -> dict[str, Any]:
    part = _partition_text(partition)
    return {
        "modified": modified, "tag": tag, "day": day or "", "ready": ready, "size": human_bytes(size),
        "rows": rows, "partition": part, "key": key, "courier": courier, "bucket": bucket,
        "local_path": local_path, "search": f"{key} {tag} {part} {day or ''} {ready}".lower(),
    }


def landed_records(files: list[Any]) -> list[dict[str, Any]]:
    """Rows for courier.core.source.landing.LandedFile objects (already newest first)."""
    return [_record(f.courier, f.bucket, f.key, f.tag, f.day, "landed", f.size, f.rows, _when(f.last_modified),
                    f.partition, f.local_path) for f in files]


def remote_records(courier: str, objects: list[Any]) -> list[dict[str, Any]]:
    """Rows for courier.core.source.listing.RemoteObject objects, newest first."""
    ready = {True: "ready", False: "NOT ready", None: "no marker"}
    return [_record(courier, o.bucket, o.key, o.tag, o.day.isoformat(), ready[o.ready], o.size, None,
                    _when(o.last_modified), o.partition, None) for o in objects]


class FilesScreen(CourierScreen):
    """Landed files (default) or one day's remote files of a courier."""

    HELP = ("Files a courier landed (or, with t, the files its patterns select on S3 for one day), newest "
            "first. / filters, enter previews, n starts a new feed with the selected landed file as its sample.")
    DEFAULT_CSS = """
    FilesScreen #files-bar { height: 3; }
    FilesScreen #files-bar Label { padding: 1 1 0 1; }
    FilesScreen #courier { width: 24; }
    FilesScreen #day { width: 16; }
    FilesScreen #filter { width: 1fr; }
    FilesScreen #files { height: 1fr; border: round $primary; }
    FilesScreen #preview { height: 1fr; }
    FilesScreen #schema { width: 38%; border: round $primary; overflow-y: auto; }
    FilesScreen #preview-rows { width: 1fr; border: round $primary; }
    FilesScreen #files-status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter", id="files.filter", tooltip="Files: filter"),
        Binding("t", "toggle_source", "Landed/remote", id="files.toggle", tooltip="Files: toggle landed / remote"),
        Binding("d", "focus_day", "Day", id="files.day", tooltip="Files: the day of the remote files"),
        Binding("n", "new_feed", "Use as sample", id="files.new_feed", tooltip="Files: use as sample for a new feed"),
        Binding("f5", "reload", "Reload", id="files.reload", tooltip="Files: reload the list"),
    ]

    class Listed(Message):
        def __init__(self, table: pa.Table, note: str, error: str | None = None, seq: int = 0) -> None:
            super().__init__()
            self.seq = seq
            self.table, self.note, self.error = table, note, error

    class Filtered(Message):
        def __init__(self, table: pa.Table, text: str, source: pa.Table) -> None:
            super().__init__()
            self.table, self.text, self.source = table, text, source

    class Previewed(Message):
        def __init__(self, key: str, schema: Text, rows: pa.Table | None, error: str | None = None) -> None:
            super().__init__()
            self.key, self.schema, self.rows, self.error = key, schema, rows, error

    def __init__(self, workspace: Workspace, catalog: Catalog, courier: str | None = None, *,
                 today: date | None = None) -> None:
        super().__init__(workspace, catalog)
        self.courier = courier
        self.source = "landed"
        self._today = today or date.today()
        self._all = files_table([])
        self._shown = self._all
        self._note = ""
        self._preview_key: str | None = None
        self._list_seq = 0

    def compose_body(self) -> ComposeResult:
        names = [r["name"] for r in self.catalog.all("SELECT name FROM couriers ORDER BY name")]
        options = [("all couriers", ALL), *[(n, n) for n in names]]
        value = self.courier if self.courier in names else ALL
        with Horizontal(id="files-bar"):
            yield Label("courier")
            yield Select(options, value=value, allow_blank=False, id="courier")
            yield Label("day")
            yield TextInput(self._default_day(), placeholder="YYYY-MM-DD", id="day", disabled=True)
            yield Label("filter")
            yield TextInput(placeholder="key, tag…", id="filter")
        table = ArrowTable(files_table([]).select(SHOWN), id="files")
        table.border_title = "Landed files (newest first)"
        yield table
        with Horizontal(id="preview"):
            schema = Static("select a file to preview it", id="schema")
            schema.border_title = "Schema"
            yield schema
            rows = ArrowTable(empty_table(), id="preview-rows", cursor_type="cell")
            rows.border_title = f"First {PREVIEW_ROWS} rows"
            yield rows
        yield Static("", id="files-status")

    def _default_day(self) -> str:
        row = self.catalog.one("SELECT MAX(day) AS day FROM ledger" + (" WHERE courier = ?" if self.courier else ""),
                               (self.courier,) if self.courier else ())
        return row["day"] if row and row["day"] else (self._today - timedelta(days=1)).isoformat()

    def on_mount(self) -> None:
        self.query_one("#files", ArrowTable).focus()

    def refresh_data(self) -> None:
        self._list()

    # listing ------------------------------------------------------------------------------

    def _selected_courier(self) -> str | None:
        value = self.query_one("#courier", Select).value
        return value if isinstance(value, str) and value != ALL else None

    def _list(self) -> None:
        self._list_seq += 1
        self.query_one("#files-status", Static).update("listing files…")
        courier = self._selected_courier()
        if self.source == "remote":
            if courier is None:
                names = [r["name"] for r in self.catalog.all("SELECT name FROM couriers ORDER BY name")]
                if not names:
                    self._show_status("no courier yet: add one in Courier setup (s)")
                    return
                courier = str(names[0])
                self.query_one("#courier", Select).value = courier
            self._list_remote(self._list_seq, courier, self.query_one("#day", Input).value.strip())
        else:
            self._list_landed(self._list_seq, courier)

    @work(thread=True, exclusive=True, group="files-list", exit_on_error=False)
    def _list_landed(self, seq: int, courier: str | None) -> None:
        from courier.core.source.landing import landed_files

        catalog = Catalog(self.workspace)
        try:
            files = landed_files(catalog, courier)
            self.post_message(self.Listed(files_table(landed_records(files)),
                                          f"{len(files):,} landed file(s){f' of {courier}' if courier else ''}", seq=seq))
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self.post_message(self.Listed(files_table([]), "", _one_line(exc), seq=seq))
        finally:
            catalog.close()

    @work(thread=True, exclusive=True, group="files-list", exit_on_error=False)
    def _list_remote(self, seq: int, courier: str, day_text: str) -> None:
        from courier.core.source.listing import list_remote

        catalog = Catalog(self.workspace)
        try:
            try:
                day = date.fromisoformat(day_text)
            except ValueError:
                raise ValueError(f"day {day_text!r} is not a date (write YYYY-MM-DD)") from None
            listing = list_remote(catalog, courier, [day])
            ready = listing.ready_by_day().get(day)
            state = {True: "ready", False: "NOT ready (no _SUCCESS yet)", None: "unknown"}[ready]
            objects = listing.newest_first()
            note = f"{len(objects):,} remote file(s) of {courier} on {day} · day {state}"
            self.post_message(self.Listed(files_table(remote_records(courier, objects)), note, seq=seq))
        except Exception as exc:  # noqa: BLE001 - S3 and config errors are shown, never raised
            self.post_message(self.Listed(files_table([]), "", _one_line(exc), seq=seq))
        finally:
            catalog.close()

    @on(Listed)
    def _listed(self, message: Listed) -> None:
        if message.seq != self._list_seq:
            return  # an older listing; a newer one is on its way
        if message.error:
            self._show_status(f"✗ {message.error}", error=True)
        self.show_files(message.table, message.note if not message.error else "")

    def show_files(self, table: pa.Table, note: str = "") -> None:
        """Show a file list (columns SHOWN + HIDDEN), applying the current filter."""
        self._all = table
        self._note = note or f"{table.num_rows:,} file(s)"
        title = "Landed files (newest first)" if self.source == "landed" else "Remote files (newest first)"
        self.query_one("#files", ArrowTable).border_title = title
        self._filter(self.query_one("#filter", Input).value)

    # filtering ----------------------------------------------------------------------------

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self._filter(event.value)

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self) -> None:
        self.query_one("#files", ArrowTable).focus()

    @work(thread=True, exclusive=True, group="files-filter", exit_on_error=False)
    def _filter(self, text: str) -> None:
        table = self._all
        needle = text.strip().lower()
        if needle and table.num_rows:
            table = table.filter(pc.match_substring(table.column("search"), needle))
        self.post_message(self.Filtered(table, needle, self._all))

    @on(Filtered)
    def _filtered(self, message: Filtered) -> None:
        current = self.query_one("#filter", Input).value.strip().lower()
        if message.source is not self._all or message.text != current:
            return  # a newer list or filter is on its way
        self._shown = message.table
        self.query_one("#files", ArrowTable).replace(message.table.select(SHOWN))
        shown = f" · filter {message.text!r}: {message.table.num_rows:,} shown" if message.text else ""
        if not self.query_one("#files-status", Static).has_class("error"):
            self._show_status(f"{self._note}{shown} · / filter · t landed/remote · n use as sample")
        if message.table.num_rows:
            self._schedule_preview()
        else:
            self._clear_preview("no file selected")

    def _show_status(self, text: str, error: bool = False) -> None:
        status = self.query_one("#files-status", Static)
        status.set_class(error, "error")
        status.update(literal(text))

    # preview ------------------------------------------------------------------------------

    def selected_file(self) -> dict[str, Any] | None:
        index = self.query_one("#files", ArrowTable).cursor_row
        if not 0 <= index < self._shown.num_rows:
            return None
        return self._shown.slice(index, 1).to_pylist()[0]

    @on(DataTable.RowHighlighted, "#files")
    def _highlighted(self) -> None:
        self._schedule_preview()

    @on(DataTable.RowSelected, "#files")
    def _selected(self) -> None:
        self.query_one("#preview-rows", ArrowTable).focus()

    def _schedule_preview(self) -> None:
        row = self.selected_file()
        if row is None or row["key"] == self._preview_key:
            return
        self._preview_key = row["key"]
        if not row.get("local_path"):
            self._clear_preview("remote file: run the courier for this day to land it, then preview it here")
            return
        self._preview(row["key"], row["local_path"])

    @work(thread=True, exclusive=True, group="files-preview", exit_on_error=False)
    def _preview(self, key: str, local_path: str) -> None:
        from courier.core.feeds.schema import read_sample
        from courier.core.warehouse.files import open_batches

        try:
            sample = read_sample(Path(local_path))
            text = Text()
            for column in sample.columns:
                text.append(printable(column.name), style="bold")
                text.append(f"  {printable(column.type)}", style="cyan")
                if column.null_share:
                    text.append(f"  {column.null_share:.0%} null", style="dim")
                text.append("\n")
            batch = next(iter(open_batches(Path(local_path), sample.content_type, batch_rows=PREVIEW_ROWS)), None)
            rows = pa.Table.from_batches([batch]) if batch is not None else None
            if rows is not None:
                rows = displayable(rows.slice(0, PREVIEW_ROWS))
            self.post_message(self.Previewed(key, text, rows))
        except Exception as exc:  # noqa: BLE001 - a corrupt or missing file is shown, not raised
            self.post_message(self.Previewed(key, Text(""), None, _one_line(exc)))

    @on(Previewed)
    def _previewed(self, message: Previewed) -> None:
        if message.key != self._preview_key:
            return
        schema = self.query_one("#schema", Static)
        if message.error:
            schema.update(literal(f"✗ {message.error}", style="bold red"))
            self.query_one("#preview-rows", ArrowTable).replace(empty_table())
            return
        schema.update(message.schema)
        self.query_one("#preview-rows", ArrowTable).replace(message.rows if message.rows is not None else empty_table())

    def _clear_preview(self, why: str) -> None:
        self.query_one("#schema", Static).update(Text(why, style="dim"))
        self.query_one("#preview-rows", ArrowTable).replace(empty_table())

    # actions ------------------------------------------------------------------------------

    @on(Select.Changed, "#courier")
    def _courier_changed(self) -> None:
        if self.is_mounted:
            self._preview_key = None
            self._list()

    @on(Input.Submitted, "#day")
    def _day_submitted(self) -> None:
        self._list()
        self.query_one("#files", ArrowTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_focus_day(self) -> None:
        day = self.query_one("#day", Input)
        if day.disabled:
            self.notify("The day applies to remote files: press t to list them.")
            return
        day.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The day applies to remote files only; only a landed file can be a feed's sample."""
        if action == "focus_day":
            return self.source == "remote"
        if action == "new_feed":
            return self.source == "landed"
        return True

    def action_toggle_source(self) -> None:
        self.source = "remote" if self.source == "landed" else "landed"
        self.refresh_bindings()
        self.query_one("#day", Input).disabled = self.source == "landed"
        self._preview_key = None
        self._list()

    def action_reload(self) -> None:
        self._preview_key = None
        self._list()

    def action_new_feed(self) -> None:
        row = self.selected_file()
        if row is None:
            self.notify("No file selected.", severity="warning")
            return
        if not row.get("local_path"):
            self.notify("This file is not landed yet: run the courier for its day first.", severity="warning")
            return
        from courier.tui.screens.feed_editor import FeedEditorScreen

        self.app.push_screen(FeedEditorScreen(self.workspace, self.catalog, sample=row["key"]))


def _one_line(exc: BaseException) -> str:
    one = getattr(exc, "one_line", None)
    return one() if callable(one) else str(exc) or type(exc).__name__
