"""SVG snapshots of the data screens at 80x24 and 120x40, on deterministic data with frozen times.

Each `run_before` waits for the state the snapshot shows (rows listed, the log at its end, the
screen's workers done) and for the screen to settle; never for an amount of time.
"""

from __future__ import annotations

import json
import os
import time
from datetime import UTC, date, datetime
from typing import Any

import duckdb
import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.tui.screens.explorer import ExplorerScreen
from courier.tui.screens.feed_editor import FeedEditorScreen
from courier.tui.screens.files import FilesScreen
from courier.tui.screens.history import HistoryScreen
from courier.tui.screens.run_progress import RunDialog, RunProgressScreen

from tests.tui.helpers import log_at_end, steady_cursors, wait_for, workers_idle
from tests.tui.test_run_progress import START, Host, seed_courier

SIZES = [(80, 24), (120, 40)]
T0 = datetime(2026, 11, 2, 6, 0, 0, tzinfo=UTC).timestamp()
RUN_ID = "wf-20261102-060000-Snap01"


_SNAPSHOT_TEMPDIR = os.environ.get("TEXTUAL_SNAPSHOT_TEMPDIR")  # set by the plugin at start-up


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Times are shown in local time: pin the zone so snapshots match everywhere.

    The shared isolation fixture clears TEXTUAL_* variables; the snapshot plugin needs its own back.
    """
    if _SNAPSHOT_TEMPDIR:
        monkeypatch.setenv("TEXTUAL_SNAPSHOT_TEMPDIR", _SNAPSHOT_TEMPDIR)
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = saved
    time.tzset()


def shown(pilot: Any, screen_class: type) -> Any:
    """The screen the Host shows, once it is the one the test made (NoMatches until then)."""
    from textual.css.query import NoMatches

    screen = pilot.app.screen
    if not isinstance(screen, screen_class):
        raise NoMatches(f"{screen_class.__name__} is not shown yet")
    return screen


def landed(s3: Any, catalog: Catalog) -> None:
    """A real run lands one day; the ledger's times are then frozen."""
    seed_courier(s3, catalog, days=2)
    assert start_run(catalog, RunRequest("optimizely", "day", day=START)).status == "succeeded"
    for index, row in enumerate(catalog.all("SELECT key FROM ledger ORDER BY key")):
        catalog.execute("UPDATE ledger SET last_modified = ?, landed_at = ? WHERE key = ?",
                        (T0 - 60 * index, T0, row["key"]))


def recorded_run(catalog: Catalog) -> None:
    """One finished run with its event log, written with fixed times (as another process would)."""
    catalog.execute("DELETE FROM runs")
    events: list[tuple[str, dict[str, Any]]] = [
        ("run_started", {"courier": "optimizely", "mode": "day", "days": ["2026-11-01"]}),
        ("day_checked", {"day": "2026-11-01", "tag": "decisions", "ready": True, "objects": 2}),
        ("day_checked", {"day": "2026-11-01", "tag": "conversions", "ready": True, "objects": 1}),
        ("file_listed", {"key": "v1/account_id=1234567890/type=decisions/date=2026-11-01/experiment=1/part-0.parquet", "size": 52_000}),
        ("file_listed", {"key": "v1/account_id=1234567890/type=decisions/date=2026-11-01/experiment=2/part-0.parquet", "size": 48_000}),
        ("file_listed", {"key": "v1/account_id=1234567890/type=events/date=2026-11-01/event=purchase/part-0.parquet", "size": 20_000}),
        ("file_landed", {"key": "v1/account_id=1234567890/type=decisions/date=2026-11-01/experiment=1/part-0.parquet", "size": 52_000, "skipped": False}),
        ("file_landed", {"key": "v1/account_id=1234567890/type=decisions/date=2026-11-01/experiment=2/part-0.parquet", "size": 48_000, "skipped": True}),
        ("file_landed", {"key": "v1/account_id=1234567890/type=events/date=2026-11-01/event=purchase/part-0.parquet", "size": 20_000, "skipped": False}),
        ("feed_load_started", {"feed_id": "df-Ab12Cd", "table": "Optimizely:Decisions", "files": 2}),
        ("batch_loaded", {"feed_id": "df-Ab12Cd", "rows": 1200}),
        ("feed_loaded", {"feed_id": "df-Ab12Cd", "table": "Optimizely:Decisions", "rows_read": 1200, "inserted": 1180, "updated": 0}),
        ("warning", {"message": "Optimizely:Decisions: 20 duplicate uuids in the files; the newest row was kept"}),
        ("run_finished", {"status": "succeeded", "notification": "Completed in 1 minute 12 seconds", "error": None}),
    ]
    catalog.execute(
        "INSERT INTO runs (id, courier, mode, from_day, to_day, status, pid, started_at, ended_at, stats, notification)"
        " VALUES (?, 'optimizely', 'day', '2026-11-01', '2026-11-02', 'succeeded', 1, ?, ?, ?, ?)",
        (RUN_ID, T0, T0 + 72, json.dumps({"feeds": {"df-Ab12Cd": {"rows_read": 1200}}}),
         "Completed in 1 minute 12 seconds"))
    for seq, (kind, data) in enumerate(events, start=1):
        catalog.execute("INSERT INTO run_events (run_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)",
                        (RUN_ID, seq, T0 + 72 * (seq - 1) / (len(events) - 1), kind, json.dumps(data)))


def history(catalog: Catalog) -> None:
    recorded_run(catalog)
    rows = [
        ("wf-20261102-070000-Snap02", "failed", T0 + 3600, T0 + 3605, "day", "2026-11-02", "2026-11-03",
         "day 2026-11-02 is not ready for decisions (no ready marker yet)"),
        ("wf-20261102-080000-Snap03", "cancelled", T0 + 7200, T0 + 7290, "period", "2026-10-01", "2026-11-01",
         "cancelled by the operator; tables were left as they were"),
    ]
    for run_id, status, started, ended, mode, from_day, to_day, error in rows:
        catalog.execute(
            "INSERT INTO runs (id, courier, mode, from_day, to_day, status, pid, started_at, ended_at, error, notification)"
            " VALUES (?, 'optimizely', ?, ?, ?, ?, 1, ?, ?, ?, ?)",
            (run_id, mode, from_day, to_day, status, started, ended, error, error))


def warehouse(workspace: Any) -> None:
    con = duckdb.connect(str(workspace.warehouse_path))
    con.execute('CREATE TABLE "Optimizely:Decisions" (uuid VARCHAR, visitor_id VARCHAR, experiment_id BIGINT, '
                'variation_id BIGINT, "timestamp" TIMESTAMP, _pk VARCHAR)')
    con.execute('INSERT INTO "Optimizely:Decisions" SELECT printf(\'uuid-%04d\', i), printf(\'visitor-%03d\', i % 37), '
                "18786493712, 1000 + i % 3, TIMESTAMP '2026-11-01 00:00:00' + to_seconds(i * 61), printf('uuid-%04d', i) "
                "FROM range(250) t(i)")
    con.execute('CREATE TABLE "Optimizely:Conversions" (uuid VARCHAR, event_name VARCHAR)')
    con.execute("INSERT INTO \"Optimizely:Conversions\" VALUES ('c-1', 'purchase'), ('c-2', 'add_to_cart')")
    con.close()


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_files_screen(snap_compare: Any, s3: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    landed(s3, catalog)
    app = Host(lambda: FilesScreen(workspace, catalog, "optimizely", today=date(2026, 11, 3)))

    files = catalog.one("SELECT count(*) AS n FROM ledger")["n"]
    newest = catalog.one("SELECT key FROM ledger ORDER BY last_modified DESC, key DESC")["key"]

    def listed_and_previewed(pilot: Any) -> bool:
        screen = shown(pilot, FilesScreen)
        return (screen.query_one("#files").row_count == files and screen._preview_key == newest
                and screen.query_one("#preview-rows").row_count > 0 and workers_idle(pilot.app))

    async def ready(pilot: Any) -> None:
        await wait_for(pilot, lambda: listed_and_previewed(pilot), what="the landed files and the newest one's preview")
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_feed_editor(snap_compare: Any, s3: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    landed(s3, catalog)
    key = catalog.one("SELECT key FROM ledger WHERE tag = 'decisions' ORDER BY key")["key"]
    app = Host(lambda: FeedEditorScreen(workspace, catalog, sample=key))

    async def ready(pilot: Any) -> None:
        await wait_for(pilot, lambda: bool(shown(pilot, FeedEditorScreen).columns) and workers_idle(pilot.app),
                       what="the sample's columns")
        screen = shown(pilot, FeedEditorScreen)
        await pilot.press("down", "down", "k")
        third = screen.columns[2].name
        await wait_for(pilot, lambda: third in screen.primary_key and "PK" in str(
            screen.query_one("#columns").get_cell(third, "key")) and workers_idle(pilot.app),
            what=f"{third} marked as a key")
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_dialog(snap_compare: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    app = Host(lambda: RunDialog(workspace, catalog, "optimizely", today=lambda: date(2026, 11, 3)))

    async def ready(pilot: Any) -> None:
        await wait_for(pilot, lambda: shown(pilot, RunDialog).query_one("#mode").has_focus_within,
                       what="the run dialog with its mode choice focused")
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_progress_finished(snap_compare: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    recorded_run(catalog)
    app = Host(lambda: RunProgressScreen(workspace, catalog, run_id=RUN_ID, clock=lambda: T0 + 72))

    def finished_and_at_the_end(pilot: Any) -> bool:
        screen = shown(pilot, RunProgressScreen)
        return (screen._ended and "Completed in" in str(screen.query_one("#outcome").render())
                and log_at_end(screen.query_one("#log"), "Completed in")
                and workers_idle(pilot.app))  # the follower has read the last event and stopped

    async def ready(pilot: Any) -> None:
        await wait_for(pilot, lambda: finished_and_at_the_end(pilot), what="the finished run, its log at its end")
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_history(snap_compare: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    history(catalog)
    app = Host(lambda: HistoryScreen(workspace, catalog, clock=lambda: T0 + 9000))

    def events_at_the_end(pilot: Any) -> bool:
        screen = shown(pilot, HistoryScreen)
        return (RUN_ID in str(screen.query_one("#events").border_title)
                and log_at_end(screen.query_one("#events"), "run_finished") and workers_idle(pilot.app))

    async def ready(pilot: Any) -> None:
        await wait_for(pilot, lambda: shown(pilot, HistoryScreen).query_one("#runs").row_count == 3
                       and workers_idle(pilot.app), what="the runs")
        await pilot.press("end", "enter")
        await wait_for(pilot, lambda: events_at_the_end(pilot), what="the oldest run's events, at their end")
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_explorer(snap_compare: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    warehouse(workspace)
    app = Host(lambda: ExplorerScreen(workspace, catalog))

    def sampled(pilot: Any) -> bool:
        screen = shown(pilot, ExplorerScreen)
        return (screen.query_one("#tables").row_count == 2 and screen.query_one("#rows").row_count == 2
                and "Optimizely:Conversions" in str(screen.query_one("#rows").border_title)
                and workers_idle(pilot.app))

    async def ready(pilot: Any) -> None:
        await wait_for(pilot, lambda: sampled(pilot), what="the tables and the first one's rows")
        await steady_cursors(pilot)

    assert snap_compare(app, terminal_size=size, run_before=ready)
