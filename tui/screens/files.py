"""Sample files: landed and remote files newest first, a filter, and a preview of the selected file.

This is where an operator picks a feed's sample. The list is an Arrow table (100,000 files stay
responsive); listing, filtering and previews run in thread workers and post their results.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.status.choices import courier_names
from courier.core.status.files import (
    FileList,
    FileState,
    empty_files_table,
    landed_files_table,
    landed_path,
    newest_landed_day,
    partition_text,
    remote_files_table,
)
from courier.core.text import printable
from courier.tui.formatting import error_text, human_bytes, literal
from courier.tui.screens import CourierScreen
from courier.tui.widgets.arrow_table import ArrowTable, Prepared, displayable, empty_table, prepare
from courier.tui.widgets.forms import TextInput
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, Select, Static
from textual_fastdatatable.data_table import DataTable

# the columns drawn: courier.core.status.files.FILE_SCHEMA's, the key also as its partition text
SHOWN = ["modified", "tag", "day", "ready", "size", "rows", "partition", "key", "courier"]
PREVIEW_ROWS = 200
ALL = "*all*"


def local_time(moment: datetime) -> str:
    """A file's LastModified in this machine's time zone, to the second."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


# formatted as drawn: only the rows on screen are ever turned into text
CELLS: dict[str, Callable[[Any], str]] = {"modified": local_time, "size": human_bytes, "partition": partition_text}


def drawn(files: pa.Table) -> pa.Table:
    """The SHOWN columns of a file list (the partition column is the key, formatted)."""
    return pa.table([files["key" if name == "partition" else name] for name in SHOWN], names=SHOWN)


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
        def __init__(self, table: pa.Table, text: str, source: FileList, drawn: Prepared) -> None:
            super().__init__()
            self.table, self.text, self.source, self.drawn = table, text, source, drawn

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
        self._all = FileList(empty_files_table())
        self._shown = self._all.table
        self._note = ""
        self._preview_key: str | None = None
        self._list_seq = 0
        self._listed_courier: str | None = None  # the courier of the listing shown or on its way

    def compose_body(self) -> ComposeResult:
        names = courier_names(self.catalog)
        options = [("all couriers", ALL), *[(n, n) for n in names]]
        value = self.courier if self.courier in names else ALL
        with Horizontal(id="files-bar"):
            yield Label("courier")
            yield Select(options, value=value, allow_blank=False, id="courier")
            yield Label("day")
            yield TextInput(self._default_day(), placeholder="YYYY-MM-DD", id="day", disabled=True)
            yield Label("filter")
            yield TextInput(placeholder="key, tag, partition, day…", id="filter")
        table = ArrowTable(drawn(empty_files_table()), cells=CELLS, id="files")
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
        return newest_landed_day(self.catalog, self.courier) or (self._today - timedelta(days=1)).isoformat()

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
                names = courier_names(self.catalog)
                if not names:
                    self._show_status("no courier yet: add one in Courier setup (s)")
                    return
                courier = str(names[0])
                self.query_one("#courier", Select).value = courier
            self._listed_courier = courier
            self._list_remote(self._list_seq, courier, self.query_one("#day", Input).value.strip())
        else:
            self._listed_courier = courier
            self._list_landed(self._list_seq, courier)

    @work(thread=True, exclusive=True, group="files-list", exit_on_error=False)
    def _list_landed(self, seq: int, courier: str | None) -> None:
        catalog = Catalog(self.workspace)
        try:
            files = landed_files_table(catalog, courier)
            self.post_message(self.Listed(files, f"{files.num_rows:,} landed file(s){f' of {courier}' if courier else ''}",
                                          seq=seq))
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self.post_message(self.Listed(empty_files_table(), "", error_text(exc), seq=seq))
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
            self.post_message(self.Listed(remote_files_table(courier, objects), note, seq=seq))
        except Exception as exc:  # noqa: BLE001 - S3 and config errors are shown, never raised
            self.post_message(self.Listed(empty_files_table(), "", error_text(exc), seq=seq))
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
        """Show a file list (courier.core.status.files.FILE_SCHEMA), applying the current filter."""
        self._all = FileList(table)
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
        files = self._all
        shown = files.matching(text)
        self.post_message(self.Filtered(shown, text.strip().lower(), files, prepare(drawn(shown), CELLS)))

    @on(Filtered)
    def _filtered(self, message: Filtered) -> None:
        current = self.query_one("#filter", Input).value.strip().lower()
        if message.source is not self._all or message.text != current:
            return  # a newer list or filter is on its way
        self._shown = message.table
        self.query_one("#files", ArrowTable).replace(message.drawn)
        shown = f" · filter {message.text!r}: {message.table.num_rows:,} shown" if message.text else ""
        if not self.query_one("#files-status", Static).has_class("error"):
            self._show_status(f"{self._note}{shown} · / filter · t landed/remote · n use as sample")
        if message.table.num_rows:
            self.call_after_refresh(self._schedule_preview)  # the list is drawn first, then the preview read
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
        if row["ready"] != FileState.LANDED:
            self._clear_preview("remote file: run the courier for this day to land it, then preview it here")
            return
        self._preview(row["courier"], row["bucket"], row["key"])

    @work(thread=True, exclusive=True, group="files-preview", exit_on_error=False)
    def _preview(self, courier: str, bucket: str, key: str) -> None:
        from courier.core.feeds.schema import read_sample
        from courier.core.warehouse.files import open_batches

        catalog = Catalog(self.workspace)
        try:
            local_path = landed_path(catalog, courier, bucket, key)
            if local_path is None:
                raise ValueError("this file is no longer in the ledger: press F5 to list the files again")
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
            self.post_message(self.Previewed(key, Text(""), None, error_text(exc)))
        finally:
            catalog.close()

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
        # the Select reports its first value (and one `_list` sets) too: list only a different courier
        if self.is_mounted and self._selected_courier() != self._listed_courier:
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
        if row["ready"] != FileState.LANDED:
            self.notify("This file is not landed yet: run the courier for its day first.", severity="warning")
            return
        from courier.tui.screens.feed_editor import FeedEditorScreen

        self.app.push_screen(FeedEditorScreen(self.workspace, self.catalog, sample=row["key"]))


