"""Run history (finished and running runs) and the data explorer (tables, rows, SQL, busy warehouse)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.core.feeds.model import activate_feed, add_feed
from courier.core.runs.records import list_runs, start_run
from courier.core.runs.request import RunRequest
from courier.core.warehouse.duckdb import Warehouse
from courier.tui.screens.explorer import ExplorerScreen
from courier.tui.screens.history import HistoryScreen
from courier.tui.screens.run_progress import RunProgressScreen
from courier.tui.widgets.arrow_table import ArrowTable
from textual.widgets import Input, RichLog, Static

from tests.tui.helpers import log_text, wait_for
from tests.tui.test_run_progress import START, Host, seed_courier


async def test_history_lists_runs_newest_first_and_shows_a_finished_runs_events(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog, days=2)
    ok = start_run(catalog, RunRequest("optimizely", "day", day=START))
    failed = start_run(catalog, RunRequest("optimizely", "day", day=START + timedelta(days=1)))
    assert (ok.status, failed.status) == ("succeeded", "failed")
    app = Host(lambda: HistoryScreen(workspace, catalog))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        table = screen.query_one("#runs", ArrowTable)
        await wait_for(pilot, lambda: table.row_count == 2, what="the runs")
        assert table.table.column("run id").to_pylist() == [failed.id, ok.id]
        assert table.table.column("status").to_pylist() == ["✗ failed", "✓ succeeded"]
        assert "not ready" in table.table.column("error").to_pylist()[0]
        assert app.focused is table
        await pilot.press("enter")  # the failed run: its events appear below
        log = screen.query_one("#events", RichLog)
        await wait_for(pilot, lambda: "run_finished" in log_text(log), what="the events")
        assert "run failed: missing required files" in log_text(log) and failed.id in str(log.border_title)


async def test_enter_on_a_running_run_attaches_the_live_view(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog, days=2)
    gate, paused = threading.Event(), threading.Event()

    def hold(event: Any) -> None:
        if event.type == "file_landed" and not paused.is_set():
            paused.set()
            gate.wait(30)

    def other_process() -> None:
        own = Catalog(workspace)
        try:
            start_run(own, RunRequest("optimizely", "day", day=START), sink=hold)
        finally:
            own.close()

    thread = threading.Thread(target=other_process)
    thread.start()
    try:
        assert paused.wait(30)
        app = Host(lambda: HistoryScreen(workspace, catalog))
        async with app.run_test(size=(120, 40)) as pilot:
            screen = app.screen
            table = screen.query_one("#runs", ArrowTable)
            await wait_for(pilot, lambda: table.row_count == 1, what="the running run")
            assert table.table.column("status").to_pylist() == ["▶ running"]
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, RunProgressScreen), what="the live view")
            live = app.screen
            assert live.attached and live.run_id == list_runs(catalog)[0].id
            gate.set()
            await wait_for(pilot, lambda: live._ended, what="the run to finish")
            assert live.state.status == "succeeded"
    finally:
        gate.set()
        thread.join(60)


def loaded_decisions(s3, workspace, catalog) -> int:  # type: ignore[no-untyped-def]
    seed_courier(s3, catalog, days=2)
    assert start_run(catalog, RunRequest("optimizely", "day", day=START)).status == "succeeded"
    key = catalog.one("SELECT key FROM ledger WHERE tag = 'decisions' ORDER BY last_modified DESC")["key"]
    feed = add_feed(catalog, source="Optimizely", name="Decisions", sample=key, primary_key=["uuid"])
    _, stats = activate_feed(catalog, workspace, feed.id, load_sample=True)
    with Warehouse(workspace.warehouse_path, read_only=True) as warehouse:
        return warehouse.row_count("Optimizely:Decisions")


async def test_explorer_lists_tables_samples_rows_and_runs_read_only_sql(s3, workspace, catalog) -> None:
    rows = loaded_decisions(s3, workspace, catalog)
    assert rows > 0
    app = Host(lambda: ExplorerScreen(workspace, catalog))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        tables = screen.query_one("#tables", ArrowTable)
        sample = screen.query_one("#rows", ArrowTable)
        await wait_for(pilot, lambda: tables.row_count == 1, what="the tables")
        assert tables.table.to_pylist() == [{"table": "Optimizely:Decisions", "rows": rows}]
        await wait_for(pilot, lambda: sample.row_count == min(rows, 200), what="the sample rows")
        assert "uuid" in sample.table.column_names and "_pk" in sample.table.column_names

        await pilot.press("colon")
        assert app.focused is screen.query_one("#sql", Input)
        await pilot.press(*'SELECT count(DISTINCT uuid) AS n FROM "Optimizely:Decisions"', "enter")
        await wait_for(pilot, lambda: sample.table.column_names == ["n"], what="the query result")
        assert sample.table.to_pylist() == [{"n": rows}]

        screen.query_one("#sql", Input).value = 'DELETE FROM "Optimizely:Decisions"'
        await pilot.press("enter")
        error = screen.query_one("#sql-error", Static)
        await wait_for(pilot, lambda: "query refused: DELETE" in str(error.render()), what="the refusal")
    with Warehouse(workspace.warehouse_path, read_only=True) as warehouse:
        assert warehouse.row_count("Optimizely:Decisions") == rows


async def test_explorer_says_when_a_load_holds_the_warehouse_and_recovers(s3, workspace, catalog) -> None:
    loaded_decisions(s3, workspace, catalog)
    writer = Warehouse(workspace.warehouse_path)  # what a load holds while it writes
    app = Host(lambda: ExplorerScreen(workspace, catalog))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            screen = app.screen
            banner = screen.query_one("#busy", Static)
            await wait_for(pilot, lambda: screen.busy, what="the busy banner")
            assert banner.has_class("shown")
            assert "A load is writing to the warehouse" in str(banner.render())
            writer.close()
            await wait_for(pilot, lambda: not screen.busy and screen.tables, what="the retry")
            assert not banner.has_class("shown")
    finally:
        writer.close()
