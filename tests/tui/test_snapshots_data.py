"""SVG snapshots of the data screens at 80x24 and 120x40, on deterministic data with frozen times."""

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


async def settle(pilot: Any, condition: Any, rounds: int = 400) -> None:
    for _ in range(rounds):
        if condition(pilot.app.screen):
            break
        await pilot.pause(0.05)
    await pilot.pause()


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

    async def ready(pilot: Any) -> None:
        await settle(pilot, lambda s: s.query_one("#preview-rows").row_count > 0)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_feed_editor(snap_compare: Any, s3: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    landed(s3, catalog)
    key = catalog.one("SELECT key FROM ledger WHERE tag = 'decisions' ORDER BY key")["key"]
    app = Host(lambda: FeedEditorScreen(workspace, catalog, sample=key))

    async def ready(pilot: Any) -> None:
        await settle(pilot, lambda s: bool(s.columns))
        await pilot.press("down", "down", "k")

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_dialog(snap_compare: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    app = Host(lambda: RunDialog(workspace, catalog, "optimizely", today=lambda: date(2026, 11, 3)))
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_run_progress_finished(snap_compare: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    recorded_run(catalog)
    app = Host(lambda: RunProgressScreen(workspace, catalog, run_id=RUN_ID, clock=lambda: T0 + 72))

    async def ready(pilot: Any) -> None:
        await settle(pilot, lambda s: s._ended)

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_history(snap_compare: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    history(catalog)
    app = Host(lambda: HistoryScreen(workspace, catalog, clock=lambda: T0 + 9000))

    async def ready(pilot: Any) -> None:
        await settle(pilot, lambda s: s.query_one("#runs").row_count == 3)
        await pilot.press("end", "enter")
        await settle(pilot, lambda s: "run_finished" in "".join(x.text for x in s.query_one("#events").lines))

    assert snap_compare(app, terminal_size=size, run_before=ready)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_explorer(snap_compare: Any, workspace: Any, catalog: Catalog, size: tuple[int, int]) -> None:
    warehouse(workspace)
    app = Host(lambda: ExplorerScreen(workspace, catalog))

    async def ready(pilot: Any) -> None:
        await settle(pilot, lambda s: s.query_one("#rows").row_count == 2)

    assert snap_compare(app, terminal_size=size, run_before=ready)
