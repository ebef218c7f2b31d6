"""Home: couriers with their last run, feeds with their tables and row counts, and what needs
attention (failed runs, days not ready, placeholder load operations).

Home is read in full when it opens. When it comes back into view (after help, a dialog, another
screen) it first repaints what it had, then re-reads on a thread worker with its own read-only
catalog connection and redraws only the parts whose data changed, so closing a modal repaints at
once even while another process is loading and writing the catalog. Row counts are read from
DuckDB again only when the warehouse file changed since the last count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from courier.core.catalog.catalog import Catalog
from courier.core.errors import CourierError
from courier.core.status.home import (
    Attention,
    AttentionKind,
    CourierRow,
    FeedRow,
    courier_rows,
    feed_rows,
    needs_attention,
)
from courier.core.status.onboarding import next_step, onboarding_steps
from courier.core.text import printable
from courier.tui.formatting import cell
from courier.tui.screens import CourierScreen
from courier.tui.widgets.forms import Body
from courier.tui.widgets.help import with_help
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

if TYPE_CHECKING:
    from courier.core.warehouse.duckdb import FileState


def stamp(epoch: float | None) -> str:
    """A fixed UTC time (no 'x minutes ago': the screen must read the same tomorrow)."""
    if not epoch:
        return "–"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%MZ")


def attention_line(item: Attention) -> str:
    """One 'needs attention' line, with the key of the screen that fixes it."""
    name = item.courier
    if item.kind is AttentionKind.RUN_FAILED:
        return f"✗ {name}: last run failed — {item.detail or 'see run history (y)'}"
    if item.kind is AttentionKind.DAY_NOT_READY:
        return f"! {name}: day {item.detail} was not ready (no _SUCCESS marker yet)"
    if item.kind is AttentionKind.PLACEHOLDER_FEED:
        return f"! {name}: load operations still name placeholder {item.detail} (setup: s)"
    return f"! {name}: load operations name unknown feed {item.detail} (setup: s)"


@dataclass(frozen=True)
class HomeView:
    """What home shows from the catalog, read in one go (compared part by part before redrawing)."""

    couriers: tuple[CourierRow, ...]
    feeds: tuple[FeedRow, ...]
    attention: tuple[str, ...]
    next_step: str | None  # None: every onboarding step is done


def read_home(catalog: Catalog, checked_credentials: Iterable[str]) -> HomeView:
    """Home's catalog reads (status read models only)."""
    step = next_step(onboarding_steps(catalog, checked_credentials=checked_credentials))
    return HomeView(
        couriers=tuple(courier_rows(catalog)), feeds=tuple(feed_rows(catalog)),
        attention=tuple(printable(attention_line(item)) for item in needs_attention(catalog)),
        next_step=f"Step {step.number} of 8: {step.title} — press o for the checklist" if step else None)


class HomeScreen(CourierScreen):
    """The overview an operator lands on."""

    HELP = ("Home shows every courier with its last run, every feed with its domain table and row count, and "
            "what needs attention. Letters in the footer open the other screens; o walks through onboarding.")
    BINDINGS = [Binding("ctrl+r", "reload", "Refresh", id="home.refresh", tooltip="Refresh home")]

    class RowCounts(Message):
        """The domain tables' row counts (None with a note when the warehouse could not be read)."""

        def __init__(self, counts: dict[str, int] | None, note: str = "", state: FileState | None = None) -> None:
            super().__init__()
            self.counts = counts
            self.note = note
            self.state = state  # the warehouse file's state the counts were read at

    class Read(Message):
        """A re-read of the catalog, done on a worker thread."""

        def __init__(self, view: HomeView) -> None:
            super().__init__()
            self.view = view

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.view: HomeView | None = None  # what is on screen now
        self.redraws: dict[str, int] = {"couriers": 0, "feeds": 0, "attention": 0, "next": 0}  # per part
        self.reads = 0  # background re-reads handled (tests wait for this)
        self.counts_read = 0  # row counts read from DuckDB (or found busy) and handled
        self._counts: dict[str, int] = {}
        self._counted: FileState | None = None  # the warehouse file's state at the last count read
        self._count_note = ""
        self._noted = ""  # the warehouse note last shown as a notification (said once, not per re-read)

    def compose_body(self) -> ComposeResult:
        with Body(id="home-body"):
            demo = self.courier_app.demo_info
            if demo:
                box = Static(self._demo_text(demo), id="demo-info")
                box.border_title = "Demo"
                yield box
            with Vertical(id="home-next", classes="panel") as nxt:
                nxt.border_title = "Next step"
                yield Static("", id="next-step")
            with Vertical(id="home-couriers", classes="panel") as couriers:
                couriers.border_title = "Couriers"
                yield with_help(DataTable(id="couriers-table", cursor_type="row"),
                                "Each courier with its bucket, last run and load operations. Enter opens its setup.")
            with Vertical(id="home-feeds", classes="panel") as feeds:
                feeds.border_title = "Feeds"
                yield with_help(DataTable(id="feeds-table", cursor_type="row"),
                                "Each feed with its domain table and row count. Enter opens the data explorer.")
            with Vertical(id="home-attention", classes="panel") as attention:
                attention.border_title = "Needs attention"
                yield Static("", id="attention")

    @staticmethod
    def _demo_text(demo: dict[str, Any]) -> Text:
        text = Text()
        text.append("This is the demo workspace: a local S3 with a synthetic Optimizely export.\n")
        for key in ("endpoint", "bucket", "courier"):
            if demo.get(key):
                text.append(f"{key:<9}", style="bold")
                text.append(f"{demo[key]}\n")
        text.append("Press o for the guided onboarding, r to run the courier.", style="italic")
        return text

    def refresh_data(self) -> None:
        """The first read happens here (the screen opens filled); later ones on a worker thread."""
        if self.view is None:
            self._show(read_home(self.catalog, self.courier_app.checked_credentials))
        else:
            self._read_in_background(frozenset(self.courier_app.checked_credentials))
        if self.workspace.warehouse_path.exists():
            self._count_rows()

    @work(thread=True, exclusive=True, group="home-read", exit_on_error=False)
    def _read_in_background(self, checked: frozenset[str]) -> None:
        catalog = Catalog(self.workspace, read_only=True)  # its own connection: the UI thread's stays free
        try:
            self.post_message(self.Read(read_home(catalog, checked)))
        finally:
            catalog.close()

    @on(Read)
    def _read(self, message: Read) -> None:
        self._show(message.view)
        self.reads += 1

    def _show(self, view: HomeView) -> None:
        """Redraw the parts whose data differs from what is on screen (a table refill re-lays it out)."""
        old, self.view = self.view, view
        if old is None or old.couriers != view.couriers:
            self._fill_couriers(view.couriers)
        if old is None or old.feeds != view.feeds:
            self._fill_feeds()
        if old is None or old.attention != view.attention:
            self.redraws["attention"] += 1
            self.query_one("#attention", Static).update(  # run errors quote keys and S3's texts
                Text("\n".join(view.attention)) if view.attention
                else Text("Nothing needs attention.", style="italic"))
        if old is None or old.next_step != view.next_step:
            self.redraws["next"] += 1
            self.query_one("#next-step", Static).update(
                Text(view.next_step) if view.next_step
                else Text("Onboarding complete: every step is done.", style="italic"))

    def _fill_couriers(self, couriers: tuple[CourierRow, ...]) -> None:
        self.redraws["couriers"] += 1
        table = self.query_one("#couriers-table", DataTable)
        if not table.columns:
            table.add_columns("courier", "bucket / prefix", "last run", "status", "load operations")
        table.clear()
        for c in couriers:
            status = c.last_status or "never run"
            style = {"succeeded": "green", "failed": "red", "running": "yellow"}.get(status, "")
            table.add_row(cell(c.name), cell(f"{c.bucket}/{c.prefix}"), stamp(c.last_started_at),
                          Text(status, style=style),
                          cell(", ".join(c.feed_ids)) if c.feed_ids else "{} (land only)", key=c.name)
        if not table.row_count:
            table.add_row("no couriers yet", "press s to add one", "", "", "")

    def _fill_feeds(self) -> None:
        self.redraws["feeds"] += 1
        table = self.query_one("#feeds-table", DataTable)
        if not table.columns:
            table.add_columns("feed", "domain table", "active", "rows")
        table.clear()
        counts, note = self._counts, self._count_note
        for f in self.view.feeds if self.view else ():
            rows = f"{counts[f.table_name]:,}" if f.table_name in counts else (note or "–")
            table.add_row(cell(f.id), cell(f.table_name), "yes" if f.active else "no", rows, key=f.id)
        if not table.row_count:
            table.add_row("no feeds yet", "land a sample, then press f", "", "")

    @work(thread=True, exclusive=True, group="home-counts")
    def _count_rows(self) -> None:
        """Row counts come from DuckDB, read-only; a load holding the warehouse is said so. When
        nothing was committed since the last count (the file's state is the same) the counts
        stand and DuckDB is not opened: home comes back into view often, and an open costs CPU
        the key that brought it back is waiting for."""
        try:
            from courier.core.warehouse.duckdb import Warehouse, file_state

            state = file_state(self.workspace.warehouse_path)
            if state == self._counted:
                return
            with Warehouse(self.workspace.warehouse_path, read_only=True) as warehouse:
                counts = dict(warehouse.tables())
            self.post_message(self.RowCounts(counts, state=state))
        except CourierError as exc:
            self.post_message(self.RowCounts(None, note=exc.message))

    @on(RowCounts)
    def _row_counts(self, message: RowCounts) -> None:
        """Refill the feeds table only when a count (or the note) changed; a warehouse that stays
        busy is said once, not on every re-read."""
        self._counted = message.state  # None after a failed read: the next look reads again
        self.counts_read += 1
        if message.counts is None:
            busy = bool(message.note) and message.note != "–"
            counts, note = {}, "busy" if busy else "–"
        else:
            busy, counts, note = False, message.counts, ""
        if busy and message.note != self._noted:
            self.notify(printable(message.note), severity="warning", markup=False)
        self._noted = message.note if busy else ""
        if (counts, note) != (self._counts, self._count_note):
            self._counts, self._count_note = counts, note
            self._fill_feeds()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is None:
            return
        if event.data_table.id == "couriers-table":
            self.courier_app.open_section("courier_setup", courier=str(event.row_key.value))
        elif event.data_table.id == "feeds-table":
            self.courier_app.open_section("explorer")

    def action_reload(self) -> None:
        self.refresh_data()
