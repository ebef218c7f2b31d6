"""Run dialog and live run progress against a real workspace and a local S3 (moto over HTTP)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import courier.tui
import pytest
from courier.core.catalog.catalog import Catalog
from courier.core.config.couriers import add_courier
from courier.core.config.credentials import add_credential
from courier.core.devtools.synth import ExportSpec, upload_export
from courier.core.runs.records import get_run, list_runs, start_run
from courier.core.runs.request import RunRequest
from courier.tui.screens.run_progress import RunDialog, RunProgressScreen
from textual.app import App
from textual.screen import Screen
from textual.widgets import Input, RadioSet, Static

from tests.tui import helpers

ACCOUNT = "1234567890"
BUCKET = "optimizely-events-data"
START = date(2026, 11, 1)


def seed_courier(s3: Any, catalog: Catalog, days: int = 2) -> ExportSpec:
    """A small Optimizely export on the local S3 and a courier with `{}` load operations."""
    spec = ExportSpec(account_id=ACCOUNT, start=START, days=days, decisions_per_day=60, conversions_per_day=30,
                      experiments=1, events=("add_to_cart", "purchase"), seed=5)
    upload_export(spec, s3.client("s3"), BUCKET)
    add_credential(catalog, "opt", "iam-credential", access_key_id="AKIAIOSFODNN7EXAMPLE", secret_access_key="wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY")
    add_courier(catalog, "optimizely", credential="opt", bucket=BUCKET, endpoint_url=s3.endpoint_url,
                optimizely_account=ACCOUNT, load_operations="{}")
    return spec


class Host(App[None]):
    """A bare app that shows one screen: the screens must not depend on the real shell (they are
    drawn with the shell's stylesheet, where the focus styles live)."""

    CSS_PATH = str(Path(courier.tui.__file__).parent / "app.tcss")

    def __init__(self, make: Callable[[], Screen[Any]]) -> None:
        super().__init__()
        self.make = make

    def on_mount(self) -> None:
        self.push_screen(self.make())


async def wait_for(pilot: Any, condition: Callable[[], bool], what: str) -> None:
    """Let the app work until `condition` holds and the screen has settled (helpers.wait_for)."""
    await helpers.wait_for(pilot, condition, what=what)


def outcome(app: App[Any]) -> str:
    return str(app.screen.query_one("#outcome", Static).render())


async def test_dialog_starts_a_day_run_that_ends_with_the_notification(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog)
    app = Host(lambda: RunDialog(workspace, catalog, "optimizely", today=lambda: START + timedelta(days=1)))
    async with app.run_test(size=(100, 34)) as pilot:
        assert app.screen.query_one("#day", Input).value == START.isoformat()  # yesterday by default
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, RunProgressScreen), "the progress screen")
        screen = app.screen
        assert isinstance(screen, RunProgressScreen)
        await wait_for(pilot, lambda: screen.state.finished and screen._ended, "the run to finish")
        assert screen.state.status == "succeeded"
        assert "Completed in" in outcome(app)
        assert screen.state.files_done == screen.state.files_listed > 0
        assert screen.state.days_checked == 1 and screen.state.days_ready == 1
        run = list_runs(catalog)[0]
        assert run.status == "succeeded" and run.from_day == START.isoformat()
        assert screen.state.notification == run.notification


async def test_dialog_refuses_a_period_whose_end_is_not_after_its_start(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog, days=1)
    app = Host(lambda: RunDialog(workspace, catalog, "optimizely"))
    async with app.run_test(size=(100, 34)) as pilot:
        dialog = app.screen
        dialog.query_one("#mode", RadioSet).focus()
        await pilot.press("down", "enter")  # second choice: a period
        assert dialog.mode() == "period"
        dialog.query_one("#from-day", Input).value = "2026-11-02"
        dialog.query_one("#to-day", Input).value = "2026-11-02"
        await pilot.press("f5")
        assert app.screen is dialog
        error = str(dialog.query_one("#run-error", Static).render())
        assert "is not after" in error and "exclusive" in error
        assert list_runs(catalog) == []


async def test_attaches_to_a_run_started_elsewhere_and_follows_it_to_the_end(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog)
    gate, paused = threading.Event(), threading.Event()
    result: dict[str, Any] = {}

    def hold(event: Any) -> None:  # the other "process" pauses after landing its first file
        if event.type == "file_landed" and not paused.is_set():
            paused.set()
            gate.wait(30)

    def other_process() -> None:
        own = Catalog(workspace)
        try:
            result["run"] = start_run(own, RunRequest("optimizely", "day", day=START), sink=hold)
        finally:
            own.close()

    thread = threading.Thread(target=other_process)
    thread.start()
    try:
        assert paused.wait(30)
        run_id = list_runs(catalog)[0].id
        app = Host(lambda: RunProgressScreen(workspace, catalog, run_id=run_id))
        async with app.run_test(size=(100, 34)) as pilot:
            screen = app.screen
            assert isinstance(screen, RunProgressScreen) and screen.attached
            await wait_for(pilot, lambda: screen.state.files_done >= 1, "the events so far")
            assert not screen.state.finished and screen.state.status == "running"
            assert "Attached to run " + run_id in str(screen.query_one("#run-title", Static).render())
            gate.set()
            await wait_for(pilot, lambda: screen._ended, "the attached run to finish")
            assert "Completed in" in outcome(app)
            assert screen.state.files_done == screen.state.files_listed
    finally:
        gate.set()
        thread.join(60)
    assert result["run"].status == "succeeded"


async def test_cancel_asks_first_then_stops_the_run_and_leaves_no_thread(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog, days=2)  # the newest day has no _SUCCESS yet: the run waits for it
    newest = START + timedelta(days=1)
    request = RunRequest("optimizely", "day", day=newest, wait_until=time.time() + 600)
    app = Host(lambda: RunProgressScreen(workspace, catalog, request=request))
    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: any("waiting" in w for w in screen.state.warnings), "the run to wait")
        await pilot.press("x")
        assert app.screen is not screen  # a confirmation, not an instant cancel
        await pilot.press("n")
        assert app.screen is screen and not screen._cancel.is_set()
        await pilot.press("x")
        await pilot.press("y")
        await wait_for(pilot, lambda: screen._ended, "the cancelled run to end")
        assert screen.state.status == "cancelled"
        assert "cancelled" in outcome(app)
    run = get_run(catalog, list_runs(catalog)[0].id)
    assert run.status == "cancelled"
    assert not [t for t in threading.enumerate() if t.name.startswith("land")]


async def test_a_busy_courier_is_followed_instead_of_failing(s3, workspace, catalog) -> None:
    seed_courier(s3, catalog)
    gate, paused = threading.Event(), threading.Event()

    def hold(event: Any) -> None:
        if event.type == "run_started" and not paused.is_set():
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
        request = RunRequest("optimizely", "day", day=START)
        app = Host(lambda: RunProgressScreen(workspace, catalog, request=request))
        async with app.run_test(size=(100, 34)) as pilot:
            screen = app.screen
            await wait_for(pilot, lambda: screen.attached, "the screen to attach")
            assert screen.run_id == list_runs(catalog)[0].id
            gate.set()
            await wait_for(pilot, lambda: screen._ended, "the other run to finish")
            assert screen.state.status == "succeeded"
    finally:
        gate.set()
        thread.join(60)


@pytest.mark.parametrize(("offset", "status", "text"), [
    (0, "succeeded", "Completed in"),
    (1, "failed", "not ready"),  # the newest day has no _SUCCESS yet
])
async def test_attaching_to_a_finished_run_shows_its_outcome_and_escape_leaves(
        s3, workspace, catalog, offset: int, status: str, text: str) -> None:
    seed_courier(s3, catalog, days=2)
    result = start_run(catalog, RunRequest("optimizely", "day", day=START + timedelta(days=offset)))
    assert result.status == status
    app = Host(lambda: RunProgressScreen(workspace, catalog, run_id=result.id))
    async with app.run_test(size=(100, 34)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: screen._ended, "the event log to be read")
        assert screen.state.status == status
        assert text in outcome(app)
        await pilot.press("escape")
        assert app.screen is not screen


async def test_run_and_history_through_the_courier_app(s3, workspace, catalog) -> None:
    from courier.tui.app import CourierApp
    from courier.tui.screens.history import HistoryScreen
    from courier.tui.widgets.arrow_table import ArrowTable

    seed_courier(s3, catalog)
    app = CourierApp(workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("r")
        await wait_for(pilot, lambda: isinstance(app.screen, RunDialog), "the run dialog")
        app.screen.query_one("#day", Input).value = START.isoformat()
        await pilot.press("f5")
        await wait_for(pilot, lambda: isinstance(app.screen, RunProgressScreen) and app.screen._ended, "the run")
        assert "Completed in" in outcome(app)
        await pilot.press("escape")
        assert not isinstance(app.screen, RunProgressScreen)
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), "the history")
        runs = app.screen.query_one("#runs", ArrowTable)
        await wait_for(pilot, lambda: runs.row_count == 1, "the run in the history")
        assert runs.table.column("status").to_pylist() == ["✓ succeeded"]
