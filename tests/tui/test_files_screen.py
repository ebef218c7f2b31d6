"""Sample files screen: landed and remote files newest first, filter, preview, 100,000 files."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.tui.screens.feed_editor import FeedEditorScreen
from courier.tui.screens.files import SHOWN, FilesScreen
from courier.tui.widgets.arrow_table import ArrowTable
from textual.widgets import Input, Static

from tests.tui.helpers import wait_for
from tests.tui.test_run_progress import START, Host, seed_courier


def landed_workspace(s3, catalog):  # type: ignore[no-untyped-def]
    seed_courier(s3, catalog, days=2)
    result = start_run(catalog, RunRequest("optimizely", "day", day=START))
    assert result.status == "succeeded", result.error


def shown_column(screen: FilesScreen, name: str) -> list[object]:
    return screen.query_one("#files", ArrowTable).table.column(name).to_pylist()


async def test_landed_files_newest_first_with_tag_rows_and_a_preview(s3, workspace, catalog) -> None:
    landed_workspace(s3, catalog)
    ledger = catalog.all("SELECT key, tag, rows, last_modified FROM ledger ORDER BY last_modified DESC, key DESC")
    app = Host(lambda: FilesScreen(workspace, catalog, "optimizely"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        await wait_for(pilot, lambda: screen.query_one("#files", ArrowTable).row_count == len(ledger), what="the list")
        assert shown_column(screen, "key") == [r["key"] for r in ledger]
        assert shown_column(screen, "tag") == [r["tag"] for r in ledger]
        assert shown_column(screen, "rows") == [r["rows"] for r in ledger]
        assert set(shown_column(screen, "day")) == {START.isoformat()}
        assert set(shown_column(screen, "ready")) == {"landed"}
        first = ledger[0]["key"]
        preview = screen.query_one("#preview-rows", ArrowTable)
        await wait_for(pilot, lambda: preview.row_count > 0, what="the preview rows")
        assert preview.row_count == min(200, ledger[0]["rows"])
        assert "uuid" in str(screen.query_one("#schema", Static).render())
        assert screen._preview_key == first
        await pilot.press("down")
        await wait_for(pilot, lambda: screen._preview_key == ledger[1]["key"], what="the second file's preview")


async def test_slash_filters_the_list_and_enter_returns_to_it(s3, workspace, catalog) -> None:
    landed_workspace(s3, catalog)
    conversions = catalog.all("SELECT key FROM ledger WHERE tag = 'conversions'")
    total = catalog.one("SELECT count(*) AS n FROM ledger")["n"]
    app = Host(lambda: FilesScreen(workspace, catalog))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        table = screen.query_one("#files", ArrowTable)
        await wait_for(pilot, lambda: table.row_count == total, what="the list")
        await pilot.press("slash")
        assert app.focused is screen.query_one("#filter", Input)
        await pilot.press(*"type=events")
        await wait_for(pilot, lambda: table.row_count == len(conversions), what="the filter")
        assert set(shown_column(screen, "tag")) == {"conversions"}
        assert "shown" in str(screen.query_one("#files-status", Static).render())
        await pilot.press("enter")
        assert app.focused is table


async def test_remote_files_of_a_day_show_its_readiness(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog, days=2)
    newest = START + timedelta(days=1)  # the generator leaves the newest day without _SUCCESS
    app = Host(lambda: FilesScreen(workspace, catalog, "optimizely"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        table = screen.query_one("#files", ArrowTable)
        await pilot.press("t")
        day = screen.query_one("#day", Input)
        assert not day.disabled
        await pilot.press("d")
        assert app.focused is day
        day.value = newest.isoformat()
        await pilot.press("enter")
        await wait_for(pilot, lambda: table.row_count > 0 and set(shown_column(screen, "day")) == {newest.isoformat()},
                       what="the remote listing")
        assert set(shown_column(screen, "ready")) == {"NOT ready"}
        assert set(shown_column(screen, "rows")) == {None}
        status = str(screen.query_one("#files-status", Static).render())
        assert "NOT ready" in status and "remote" in status
        assert "remote file" in str(screen.query_one("#schema", Static).render())
        await pilot.press("n")  # a remote file cannot be a sample before it is landed
        assert app.screen is screen


async def test_n_opens_the_feed_editor_with_the_selected_landed_file(s3, workspace, catalog) -> None:
    landed_workspace(s3, catalog)
    newest = catalog.one("SELECT key FROM ledger ORDER BY last_modified DESC, key DESC")["key"]
    app = Host(lambda: FilesScreen(workspace, catalog, "optimizely"))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen.query_one("#files", ArrowTable).row_count > 0, what="the list")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedEditorScreen), what="the feed editor")
        assert app.screen.sample == newest


def insert_ledger_rows(catalog, count: int) -> float:  # type: ignore[no-untyped-def]
    """`count` ledger rows as if a courier had landed that many files (file i is i seconds older)."""
    newest = time.time()
    rows = [("optimizely", "bucket", f"v1/account_id=1/type=decisions/date=2026-11-01/experiment={i % 97}/"
             f"part-{i:06d}.c000.snappy.parquet", f"etag{i}", 1536 + i, newest - i, "decisions", "2026-11-01",
             "wf-test", f"/nowhere/{i}.parquet", i, newest) for i in range(count)]
    with catalog.transaction() as db:
        db.executemany("INSERT INTO ledger (courier, bucket, key, etag, size, last_modified, tag, day, run_id, "
                       "local_path, rows, landed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return newest


async def test_one_hundred_thousand_landed_files_list_newest_first_and_keys_still_work(workspace, catalog) -> None:
    newest = insert_ledger_rows(catalog, 100_000)
    app = Host(lambda: FilesScreen(workspace, catalog))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        table = screen.query_one("#files", ArrowTable)
        await wait_for(pilot, lambda: table.row_count == 100_000, what="the 100,000 landed files")
        assert "100,000 landed file(s)" in str(screen.query_one("#files-status", Static).render())
        keys = shown_column(screen, "key")
        assert keys[0].endswith("part-000000.c000.snappy.parquet") and keys[-1].endswith("part-099999.c000.snappy.parquet")
        drawn = table.get_row_at(0)  # what the first line shows: formatted as drawn
        assert drawn[SHOWN.index("modified")] == datetime.fromtimestamp(newest).strftime("%Y-%m-%d %H:%M:%S")
        assert drawn[SHOWN.index("size")] == "1.5 KB"
        assert drawn[SHOWN.index("partition")] == "type=decisions experiment=0"
        table.focus()
        await pilot.press("down", "down", "end")
        assert table.cursor_row == 99_999
        await pilot.press("slash", *"part-0999")
        await wait_for(pilot, lambda: table.row_count == 100, what="the filter over 100,000 rows")
        assert all("part-0999" in k for k in shown_column(screen, "key"))
