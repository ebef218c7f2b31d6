"""Run history: every run newest first; a running run opens its live view, a finished one its events."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import pyarrow as pa
from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import Workspace
from courier.core.errors import first_line
from courier.core.runs.events import Event
from courier.core.text import printable
from courier.tui.formatting import error_text, literal
from courier.tui.screens import CourierScreen
from courier.tui.widgets.arrow_table import ArrowTable, empty_table
from courier.tui.widgets.progress_panel import human_duration
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.message import Message
from textual.widgets import RichLog, Static
from textual_fastdatatable.data_table import DataTable

COLUMNS = ["started", "status", "courier", "mode", "days", "duration", "rows", "run id", "error"]
STATUS_MARK = {"succeeded": "✓", "failed": "✗", "cancelled": "⊘", "running": "▶"}


def run_rows(runs: list[Any], clock: Callable[[], float] = time.time) -> pa.Table:
    """The history table: one row per run record (courier.core.runs.records.RunRecord), as shown."""
    rows: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    for run in runs:
        started = datetime.fromtimestamp(run.started_at).strftime("%Y-%m-%d %H:%M:%S")
        duration = (run.ended_at if run.ended_at is not None else clock()) - run.started_at
        total_rows = run.stats.rows_read if run.stats.feeds else None
        rows["started"].append(started)
        rows["status"].append(f"{STATUS_MARK.get(run.status, '?')} {run.status}")
        rows["courier"].append(run.courier or run.group_name or "")
        rows["mode"].append(run.mode)
        rows["days"].append(_days(run))
        rows["duration"].append(human_duration(duration) + ("…" if run.ended_at is None else ""))
        rows["rows"].append(total_rows)
        rows["run id"].append(run.id)
        rows["error"].append(first_line(run.error or ""))
    return pa.table({
        name: pa.array(values, pa.int64() if name == "rows" else pa.string()) for name, values in rows.items()
    })


def _days(run: Any) -> str:
    if run.mode == "all" and not run.from_day:
        return "all"
    if run.from_day and run.to_day:
        return f"{run.from_day} → {run.to_day}" if run.mode != "day" else run.from_day
    return run.from_day or ""


class HistoryScreen(CourierScreen):
    """Past and running runs (courier.core.runs.records.list_runs), newest first."""

    HELP = ("Every courier run, newest first. Enter on a running run follows it live (even one started "
            "by the CLI or the scheduler); on a finished run it shows that run's events below.")
    DEFAULT_CSS = """
    HistoryScreen #runs { height: 1fr; border: round $primary; }
    HistoryScreen #events { height: 1fr; border: round $primary; }
    HistoryScreen #history-status { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("enter", "open_run", "Open run", id="history.open", show=True),
        Binding("f5", "reload", "Reload", id="history.reload"),
    ]

    class Loaded(Message):
        def __init__(self, table: pa.Table, runs: list[Any], error: str | None = None) -> None:
            super().__init__()
            self.table, self.runs, self.error = table, runs, error

    class EventsLoaded(Message):
        def __init__(self, run_id: str, lines: list[str]) -> None:
            super().__init__()
            self.run_id, self.lines = run_id, lines

    def __init__(self, workspace: Workspace, catalog: Catalog, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__(workspace, catalog)
        self._clock = clock
        self.runs: list[Any] = []

    def compose_body(self) -> ComposeResult:
        table = ArrowTable(empty_table(COLUMNS), id="runs")
        table.border_title = "Runs (newest first)"
        yield table
        yield Static("loading runs…", id="history-status")
        events = RichLog(max_lines=2000, wrap=True, markup=False, id="events")
        events.border_title = "Events"
        yield events

    def refresh_data(self) -> None:
        self._load()

    def on_mount(self) -> None:
        self.query_one("#runs", ArrowTable).focus()

    @work(thread=True, exclusive=True, group="history", exit_on_error=False)
    def _load(self) -> None:
        from courier.core.runs.records import list_runs

        catalog = Catalog(self.workspace)
        try:
            runs = list_runs(catalog, limit=500)
            self.post_message(self.Loaded(run_rows(runs, self._clock), runs))
        except Exception as exc:  # noqa: BLE001 - shown in the status line
            self.post_message(self.Loaded(empty_table(COLUMNS), [], error_text(exc)))
        finally:
            catalog.close()

    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.runs = message.runs
        table = self.query_one("#runs", ArrowTable)
        table.replace(message.table)
        status = self.query_one("#history-status", Static)
        if message.error:
            status.update(literal(f"✗ {message.error}"))
        elif not self.runs:
            status.update("No runs yet: press r to run a courier.")
        else:
            running = sum(1 for r in self.runs if r.status == "running")
            status.update(f"{len(self.runs)} run(s){f', {running} running' if running else ''} · "
                          "enter: follow a running run or show a finished run's events · F5 reload")

    def selected_run(self) -> Any | None:
        table = self.query_one("#runs", ArrowTable)
        row = table.row_dict()
        if row is None:
            return None
        return next((r for r in self.runs if r.id == row["run id"]), None)

    @on(DataTable.RowSelected, "#runs")
    def _row_selected(self) -> None:
        self.action_open_run()

    def action_open_run(self) -> None:
        run = self.selected_run()
        if run is None:
            return
        if run.status == "running":
            from courier.tui.screens.run_progress import RunProgressScreen

            self.app.push_screen(RunProgressScreen(self.workspace, self.catalog, run_id=run.id))
            return
        self._load_events(run.id)

    @work(thread=True, exclusive=True, group="history-events", exit_on_error=False)
    def _load_events(self, run_id: str) -> None:
        from courier.core.runs.events import read_events

        catalog = Catalog(self.workspace)
        try:
            lines = [_event_line(e) for e in read_events(catalog, run_id)]
        finally:
            catalog.close()
        self.post_message(self.EventsLoaded(run_id, lines))

    @on(EventsLoaded)
    def _events_loaded(self, message: EventsLoaded) -> None:
        log = self.query_one("#events", RichLog)
        log.clear()
        log.border_title = f"Events of {message.run_id}"
        for line in message.lines or ["(this run recorded no events)"]:
            log.write(Text(line))

    def action_reload(self) -> None:
        self._load()


def _event_line(event: Event) -> str:
    at = datetime.fromtimestamp(event.at).strftime("%H:%M:%S")
    kind = printable(event.to_json()["type"])
    return f"{at} #{event.seq:<4} {kind:<17} {event.describe()}"  # describe() escapes keys and S3's texts


