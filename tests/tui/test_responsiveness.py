"""What keeps key presses quick and the live run view steady, as behaviour (no timings here; the
speed itself is `benchmarks/tui_bench.py --keys`): help is one widget whose text is parsed once,
home redraws only what changed when it comes back into view, the live view touches only the parts
an event changed and keeps its log on its last line, and footers still offer only working keys."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.tui.screens.home import HomeScreen
from courier.tui.screens.run_progress import RunProgressScreen
from courier.tui.widgets.help import HelpScreen, HelpText, help_lines, help_renderable
from courier.tui.widgets.progress_panel import ProgressPanel, RunLog
from textual.app import App
from textual.widgets import DataTable, Markdown, Static
from textual.widgets._footer import FooterKey

from tests.tui import helpers
from tests.tui.helpers import add_courier, make_app, offline_workspace, workers_idle
from tests.tui.test_run_progress import Host

RUN_ID = "wf-20261102-060000-Resp01"
KEY = "v1/account_id=1234567890/type=decisions/date=2026-11-01/experiment={i}/part-0.parquet"


async def wait_for(pilot: Any, condition: Callable[[], bool], what: str) -> None:
    """Let the app work until `condition` holds and the screen has settled (helpers.wait_for)."""
    await helpers.wait_for(pilot, condition, what=what)


def footer_actions(app: App[Any]) -> set[str]:
    return {key.action for key in app.screen.query(FooterKey)}


async def test_help_is_one_widget_and_reopening_it_parses_nothing(tmp_path) -> None:
    setup = offline_workspace(tmp_path / "ws")
    setup.close()
    app = make_app(setup.workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        help_screen = app.screen
        body = help_screen.query_one("#help-body")
        text = help_screen.query_one(HelpText)
        assert [type(w) for w in body.children] == [HelpText]  # one widget holds text and keys
        assert not help_screen.query(Markdown)  # no widget per block and per table cell
        assert "Help" in str(help_screen.keys)  # the keys that work here are listed
        misses, laid_out = help_renderable.cache_info().misses, help_lines.cache_info().misses
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home again")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help again")
        assert app.screen is help_screen  # kept, not built again: nothing composed, styled or removed
        assert help_screen.query_one(HelpText) is text  # the same widget draws it
        assert help_renderable.cache_info().misses == misses  # the same help: nothing parsed again
        assert help_lines.cache_info().misses == laid_out  # nor laid out again: cached lines are drawn


async def test_the_kept_help_screen_says_what_the_widget_focused_now_is_for(tmp_path) -> None:
    """One help screen serves every open: each shows the focused widget's text, title and keys
    (never the last open's), from its top."""
    setup = offline_workspace(tmp_path / "ws")
    setup.close()
    app = make_app(setup.workspace)
    async with app.run_test(size=(80, 24)) as pilot:
        (await home_screen(pilot, app)).query_one("#couriers-table", DataTable).focus()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help on the couriers")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        text = help_screen.query_one(HelpText)
        assert help_screen.title_text == "Couriers" and "Enter opens its setup" in text.body
        scroll = help_screen.query_one("#help-body")
        scroll.scroll_end(animate=False)
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y, "help scrolled to its end")
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home again")

        app.screen.query_one("#feeds-table", DataTable).focus()
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: app.screen is help_screen, "help on the feeds")
        assert help_screen.title_text == "Feeds" and text.body == help_screen.body
        assert "Enter opens the data explorer" in text.body and "Enter opens its setup" not in text.body
        assert str(scroll.border_title) == "Help: Feeds"
        assert scroll.scroll_y == 0  # from its top
        drawn = " ".join(" ".join(text.render_line(y).text for y in range(text.size.height)).split())
        assert "Enter opens the data explorer" in drawn  # what is drawn, not only what is stored
        assert "home.refresh" in [binding_id for _, _, binding_id in help_screen.rows]  # home's keys


async def home_screen(pilot: Any, app: App[Any]) -> HomeScreen:
    """The home screen, once the app shows it."""
    await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home")
    assert isinstance(app.screen, HomeScreen)
    return app.screen


async def help_round_trip(pilot: Any, app: App[Any]) -> None:
    """Open help, then close it, each once the screen before has the keys."""
    await pilot.press("question_mark")
    await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
    await pilot.press("escape")
    await wait_for(pilot, lambda: isinstance(app.screen, HomeScreen), "home again")


async def test_home_coming_back_redraws_only_what_changed(tmp_path) -> None:
    setup = offline_workspace(tmp_path / "ws")
    app = make_app(setup.workspace)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            home = await home_screen(pilot, app)
            couriers = home.query_one("#couriers-table", DataTable)
            assert home.redraws == {"couriers": 1, "feeds": 1, "attention": 1, "next": 1}  # the opening read
            await help_round_trip(pilot, app)
            await wait_for(pilot, lambda: home.reads == 1, "home's re-read after help")
            assert home.redraws == {"couriers": 1, "feeds": 1, "attention": 1, "next": 1}  # nothing changed
            assert home.query_one("#couriers-table", DataTable) is couriers and couriers.row_count == 1
            await wait_for(pilot, lambda: bool(home.query(FooterKey)), "the footer")
            keys = list(home.query(FooterKey))

            add_courier(setup.catalog, "http://127.0.0.1:9", name="second")  # another process adds one
            await help_round_trip(pilot, app)
            await wait_for(pilot, lambda: home.reads == 2, "home's second re-read")
            assert home.redraws["couriers"] == 2 and couriers.row_count == 2
            assert home.redraws["feeds"] == 1  # the feeds did not change: not redrawn
            await pilot.pause()
            assert list(home.query(FooterKey)) == keys  # the same keys work: the footer was not rebuilt
    finally:
        setup.close()


async def test_home_opens_the_warehouse_again_only_after_a_commit(tmp_path) -> None:
    """Coming back into view, home re-reads the catalog but recounts rows only when the warehouse
    file changed (a commit); an unchanged file keeps its counts and DuckDB is not opened."""
    from courier.core.warehouse.duckdb import Warehouse

    setup = offline_workspace(tmp_path / "ws")
    path = setup.workspace.warehouse_path
    with Warehouse(path) as warehouse:
        warehouse.con.execute('CREATE TABLE "Optimizely:Decisions" (uuid VARCHAR)')
        warehouse.con.execute("""INSERT INTO "Optimizely:Decisions" VALUES ('a')""")
    app = make_app(setup.workspace)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            home = await home_screen(pilot, app)
            await wait_for(pilot, lambda: home.counts_read == 1, "the opening count")
            assert home._counts == {"Optimizely:Decisions": 1}

            await help_round_trip(pilot, app)
            await wait_for(pilot, lambda: home.reads == 1 and workers_idle(app), "the re-read after help")
            assert home.counts_read == 1  # nothing committed: the counts stand, DuckDB was not opened

            with Warehouse(path) as warehouse:  # another process commits rows
                warehouse.con.execute("""INSERT INTO "Optimizely:Decisions" VALUES ('b')""")
            await help_round_trip(pilot, app)
            await wait_for(pilot, lambda: home.counts_read == 2, "the recount after the commit")
            assert home._counts == {"Optimizely:Decisions": 2}
    finally:
        setup.close()


def record_run(catalog: Catalog, events: list[tuple[str, dict[str, Any]]], *, status: str = "running") -> None:
    """A run as another process leaves it: its row and its event log (the follower reads both)."""
    now = time.time()
    catalog.execute(
        "INSERT INTO runs (id, courier, mode, from_day, to_day, status, pid, started_at) "
        "VALUES (?, 'optimizely', 'day', '2026-11-01', '2026-11-02', ?, ?, ?)",
        (RUN_ID, status, os.getpid(), now))
    append_events(catalog, events, first_seq=1)


def append_events(catalog: Catalog, events: list[tuple[str, dict[str, Any]]], *, first_seq: int) -> None:
    for seq, (kind, data) in enumerate(events, start=first_seq):
        catalog.execute("INSERT INTO run_events (run_id, seq, at, type, data) VALUES (?, ?, ?, ?, ?)",
                        (RUN_ID, seq, time.time(), kind, json.dumps(data)))


STARTED = ("run_started", {"courier": "optimizely", "mode": "day", "days": ["2026-11-01"]})


def landed(i: int) -> tuple[str, dict[str, Any]]:
    return "file_landed", {"key": KEY.format(i=i), "size": 1000, "skipped": False}


class FinishWatcher(Host):
    """Notes where the log stood when the screen said the run finished (no refresh in between)."""

    at_end_when_finished: bool | None = None

    def on_run_progress_screen_finished(self, message: RunProgressScreen.Finished) -> None:
        screen = self.screen
        assert isinstance(screen, RunProgressScreen)
        self.at_end_when_finished = screen.log_at_end


async def test_live_log_is_at_its_end_after_many_events(workspace, catalog) -> None:
    events = [STARTED, *[landed(i) for i in range(120)],
              ("run_finished", {"status": "succeeded", "notification": "Completed in 2 seconds", "error": None})]
    record_run(catalog, events, status="succeeded")
    app = FinishWatcher(lambda: RunProgressScreen(workspace, catalog, run_id=RUN_ID))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = app.screen
        assert isinstance(screen, RunProgressScreen)
        await wait_for(pilot, lambda: app.at_end_when_finished is not None, "the run's end")
        assert app.at_end_when_finished  # the last line was in view the moment the run was drawn as ended
        log = screen.query_one("#log", RunLog)
        assert len(log.lines) >= 122 and log.max_scroll_y > 0  # more lines than fit: it had to scroll
        assert log.scroll_y == log.max_scroll_y
        await pilot.pause()  # another layout pass keeps it there (anchored)
        assert log.scroll_y == log.max_scroll_y and screen.log_at_end


async def test_live_view_redraws_only_the_parts_an_event_changed(workspace, catalog) -> None:
    from courier.core.catalog.workspace import lock_name

    record_run(catalog, [STARTED, landed(0)])
    app = Host(lambda: RunProgressScreen(workspace, catalog, run_id=RUN_ID))
    # the courier's lock held, as by the process running it: the follower must not take it for dead
    with workspace.lock(lock_name("courier", "optimizely"), "run"):
        async with app.run_test(size=(100, 34)) as pilot:
            screen = app.screen
            assert isinstance(screen, RunProgressScreen)
            await wait_for(pilot, lambda: screen.state.files_done == 1 and screen.log_at_end, "the first file")
            title = screen.query_one("#run-title", Static)
            panel = screen.query_one(ProgressPanel)
            phase = panel.query_one("#phase", Static)
            before = dict(panel.redraws)
            append_events(catalog, [landed(1)], first_seq=3)
            await wait_for(pilot, lambda: screen.state.files_done == 2 and screen.log_at_end, "the second file")
            assert screen.query_one("#run-title", Static) is title and screen.query_one(ProgressPanel) is panel
            assert panel.query_one("#phase", Static) is phase  # nothing recomposed
            changed = {part for part, count in panel.redraws.items() if count != before.get(part, 0)}
            assert "detail-files" in changed and "detail-bytes" in changed  # what a landed file moves
            assert not changed & {"feeds", "warnings", "bar-rows", "detail-rows"}  # what it does not
            assert "cancel_run" not in footer_actions(app)  # attached: the run is another process's to stop
            append_events(catalog, [("run_finished", {"status": "succeeded", "notification": "Completed in 1 second",
                                                      "error": None})], first_seq=4)
            await wait_for(pilot, lambda: screen._ended and screen.log_at_end, "the end of the run")
            assert panel.redraws["feeds"] == before["feeds"] + 1  # "no feeds loading yet" -> "no feeds loaded"


async def test_a_run_that_ends_takes_cancel_out_of_the_footer(workspace, catalog) -> None:
    from datetime import date

    from courier.core.runs.request import RunRequest

    request = RunRequest("optimizely", "day", day=date(2026, 11, 1))  # no such courier: it ends at once
    app = Host(lambda: RunProgressScreen(workspace, catalog, request=request))
    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.screen
        assert isinstance(screen, RunProgressScreen) and not screen.attached
        await wait_for(pilot, lambda: screen._ended, "the run to end")
        await wait_for(pilot, lambda: "back" in footer_actions(app) and "cancel_run" not in footer_actions(app),
                       "the footer without Cancel run")
        assert "no courier named" in str(screen.query_one("#outcome", Static).render())


def test_esc_waits_25_ms_for_a_key_sequence_unless_escdelay_says(tmp_path, monkeypatch) -> None:
    from textual import constants

    setup = offline_workspace(tmp_path / "ws")
    setup.close()
    monkeypatch.delenv("ESCDELAY", raising=False)
    assert make_app(setup.workspace).escape_delay == 0.025 == constants.ESCAPE_DELAY  # not Textual's 100 ms
    monkeypatch.setenv("ESCDELAY", "150")  # the curses convention: a slow link that splits sequences
    assert make_app(setup.workspace).escape_delay == 0.15 == constants.ESCAPE_DELAY
    monkeypatch.setenv("ESCDELAY", "soon")
    assert make_app(setup.workspace).escape_delay == 0.025


def test_the_terminal_driver_reports_esc_when_its_wait_ends_unless_textual_driver_is_set(tmp_path, monkeypatch) -> None:
    import sys

    from courier.tui.terminal import QuickEscapeDriver
    from textual import constants
    from textual.drivers.linux_driver import LinuxDriver

    setup = offline_workspace(tmp_path / "ws")
    setup.close()
    app = make_app(setup.workspace)
    if sys.platform != "win32":
        assert app.get_driver_class() is QuickEscapeDriver and issubclass(QuickEscapeDriver, LinuxDriver)
    monkeypatch.setattr(constants, "DRIVER", "textual.drivers.linux_driver:LinuxDriver")  # TEXTUAL_DRIVER
    assert app.get_driver_class() is LinuxDriver
