"""Sample files screen: landed and remote files newest first, filter, preview, 100,000 files."""

from __future__ import annotations

from datetime import timedelta

import pyarrow as pa
from courier.core.runs.records import start_run
from courier.core.runs.request import RunRequest
from courier.tui.screens.feed_editor import FeedEditorScreen
from courier.tui.screens.files import HIDDEN, SHOWN, FilesScreen
from courier.tui.widgets.arrow_table import ArrowTable
from textual.widgets import Input, Static

from tests.tui.test_run_progress import START, Host, seed_courier, wait_for


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
        await wait_for(pilot, lambda: screen.query_one("#files", ArrowTable).row_count == len(ledger), "the list")
        assert shown_column(screen, "key") == [r["key"] for r in ledger]
        assert shown_column(screen, "tag") == [r["tag"] for r in ledger]
        assert shown_column(screen, "rows") == [r["rows"] for r in ledger]
        assert set(shown_column(screen, "day")) == {START.isoformat()}
        assert set(shown_column(screen, "ready")) == {"landed"}
        first = ledger[0]["key"]
        preview = screen.query_one("#preview-rows", ArrowTable)
        await wait_for(pilot, lambda: preview.row_count > 0, "the preview rows")
        assert preview.row_count == min(200, ledger[0]["rows"])
        assert "uuid" in str(screen.query_one("#schema", Static).render())
        assert screen._preview_key == first
        await pilot.press("down")
        await wait_for(pilot, lambda: screen._preview_key == ledger[1]["key"], "the second file's preview")


async def test_slash_filters_the_list_and_enter_returns_to_it(s3, workspace, catalog) -> None:
    landed_workspace(s3, catalog)
    conversions = catalog.all("SELECT key FROM ledger WHERE tag = 'conversions'")
    total = catalog.one("SELECT count(*) AS n FROM ledger")["n"]
    app = Host(lambda: FilesScreen(workspace, catalog))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = app.screen
        table = screen.query_one("#files", ArrowTable)
        await wait_for(pilot, lambda: table.row_count == total, "the list")
        await pilot.press("slash")
        assert app.focused is screen.query_one("#filter", Input)
        await pilot.press(*"type=events")
        await wait_for(pilot, lambda: table.row_count == len(conversions), "the filter")
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
                       "the remote listing")
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
        await wait_for(pilot, lambda: screen.query_one("#files", ArrowTable).row_count > 0, "the list")
        await pilot.press("n")
        await wait_for(pilot, lambda: isinstance(app.screen, FeedEditorScreen), "the feed editor")
        assert app.screen.sample == newest


def synthetic_files(count: int) -> pa.Table:
    """`count` file rows shaped like the screen's own (no S3 objects needed)."""
    keys = [f"v1/account_id=1/type=decisions/date=2026-11-01/experiment={i % 97}/part-{i:06d}.c000.snappy.parquet"
            for i in range(count)]
    columns: dict[str, pa.Array] = {}
    for name in SHOWN + HIDDEN:
        if name == "rows":
            columns[name] = pa.array(range(count), pa.int64())
        elif name == "key":
            columns[name] = pa.array(keys)
        elif name == "search":
            columns[name] = pa.array([k.lower() for k in keys])
        elif name == "local_path":
            columns[name] = pa.nulls(count, pa.string())
        else:
            columns[name] = pa.array([f"{name}-{i % 7}" for i in range(count)])
    return pa.table(columns)


async def test_one_hundred_thousand_files_mount_and_keys_still_work(workspace, catalog) -> None:
    big = synthetic_files(100_000)
    app = Host(lambda: FilesScreen(workspace, catalog))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        table = screen.query_one("#files", ArrowTable)
        await wait_for(pilot, lambda: "landed file" in str(screen.query_one("#files-status", Static).render()),
                       "the (empty) landed listing")
        screen.show_files(big, "100,000 files")
        await wait_for(pilot, lambda: table.row_count == 100_000, "the big list")
        table.focus()
        await pilot.press("down", "down", "end")
        assert table.cursor_row == 99_999
        await pilot.press("slash", *"part-0999")
        await wait_for(pilot, lambda: table.row_count == 100, "the filter over 100,000 rows")
        assert all("part-0999" in k for k in shown_column(screen, "key"))
