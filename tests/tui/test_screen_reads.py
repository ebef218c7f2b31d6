"""A screen reads what it shows once when it opens, and again each time it comes back into view."""

from __future__ import annotations

from typing import Any

from courier.tui.screens import CourierScreen
from courier.tui.screens.files import FilesScreen
from courier.tui.widgets.arrow_table import ArrowTable
from textual.screen import Screen
from textual.widgets import Static

from tests.tui.helpers import settle, wait_for, workers_idle
from tests.tui.test_files_screen import insert_ledger_rows
from tests.tui.test_run_progress import Host


class Counting(CourierScreen):
    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.reads = 0

    def refresh_data(self) -> None:
        self.reads += 1


async def test_a_pushed_screen_reads_once_and_again_when_it_is_back(workspace, catalog) -> None:
    app = Host(lambda: Counting(workspace, catalog))
    async with app.run_test() as pilot:
        screen = app.screen
        assert isinstance(screen, Counting)
        await settle(pilot)  # everything the opening set going has run: one read, not more
        assert screen.reads == 1
        other = Screen()
        await app.push_screen(other)
        await wait_for(pilot, lambda: app.screen is other, what="the other screen")
        app.pop_screen()
        await wait_for(pilot, lambda: screen.reads == 2, what="the read on coming back")  # then settled
        assert screen.reads == 2


async def test_the_files_screen_lists_the_ledger_once_when_it_opens(workspace, catalog) -> None:
    insert_ledger_rows(catalog, 50)
    app = Host(lambda: FilesScreen(workspace, catalog, "optimizely"))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = app.screen
        assert isinstance(screen, FilesScreen)
        await wait_for(pilot, lambda: "50 landed file(s)" in str(screen.query_one("#files-status", Static).render())
                       and workers_idle(app), what="the listing")
        assert screen._list_seq == 1  # not again for the screen's resume, nor for the courier Select's first value
        assert screen.query_one("#files", ArrowTable).row_count == 50
