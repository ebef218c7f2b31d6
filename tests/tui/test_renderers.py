"""Each face renders the engine's vocabulary one way: events by describe(), checks by state, fixes by face."""

from __future__ import annotations

from courier.core.catalog.catalog import Catalog
from courier.core.runs.events import (
    EventLog,
    FeedLoaded,
    FileLanded,
    RunFinished,
    RunStarted,
    read_events,
)
from courier.core.types import Check, RunStatus
from courier.tui.cli.runs import format_event
from courier.tui.screens.history import _event_line
from courier.tui.widgets.checks import checks_text
from courier.tui.widgets.progress_panel import RunState


def test_cli_live_view_and_history_show_the_one_description(catalog: Catalog) -> None:
    log = EventLog(catalog, "wf-r")
    log.emit(RunStarted, courier="optimizely", mode="day", days=["2026-11-03"])
    log.emit(FileLanded, key="v1/\x1b[2Jx.parquet", size=5, skipped=False)
    log.emit(FeedLoaded, feed_id="df-1", table="Optimizely:Decisions", rows_read=3, inserted=3, updated=0)
    log.emit(RunFinished, status=RunStatus.SUCCEEDED, notification="Completed in 1 second")
    events = read_events(catalog, "wf-r")
    state = RunState()
    for event in events:
        state.apply(event)
    live = list(state.log)
    for event, line in zip(events, live, strict=True):
        text = event.describe()
        assert format_event(event).endswith(f"  {text}")
        assert _event_line(event).endswith(f" {text}")
        assert line == text
    assert live[1] == "landed v1/\\x1b[2Jx.parquet"
    assert state.status is RunStatus.SUCCEEDED and state.feeds["df-1"].done


def test_check_lists_mark_each_state() -> None:
    text = checks_text([Check("identity", True, "arn"), Check("list", False, "denied"),
                        Check("read", False, "not run", ran=False)], "Connection failed", False).plain
    assert text.splitlines() == ["✓ identity: arn", "✗ list: denied", "– read: not run", "Connection failed"]


def test_a_fix_is_a_flag_on_the_cli_and_a_control_in_the_tui() -> None:
    from courier.core.errors import ConfigError, Fix, FixKind
    from courier.tui.cli.context import cli_advice
    from courier.tui.formatting import error_text

    skip = ConfigError("missing required files", hint="wait for the export",
                       fix=Fix(FixKind.TURN_ON, "skip_missing", why="to continue without them"))
    assert cli_advice(skip) == "wait for the export; pass --skip-missing to continue without them"
    assert error_text(skip) == ("missing required files (wait for the export; "
                                "tick the “Skip missing required files” checkbox to continue without them)")
    day = ConfigError("a day run needs a day", fix=Fix(FixKind.GIVE, "day", "YYYY-MM-DD"))
    assert cli_advice(day) == "pass --day YYYY-MM-DD"
    assert error_text(day) == "a day run needs a day (fill in the Day field (YYYY-MM-DD))"
    secret = ConfigError("an iam-credential credential needs a secret access key",
                         fix=Fix(FixKind.GIVE, "secret_access_key"))
    assert cli_advice(secret) == "pass --secret-access-key-stdin"
    assert "--" not in error_text(secret) and "Secret access key" in error_text(secret)


async def test_tui_errors_name_controls_never_flags(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The run dialog, the credential form and the connection test phrase the engine's fix as a control."""
    from textual.widgets import Input

    from tests.tui.helpers import make_app, offline_workspace, wait_for, wait_for_screen
    from tests.tui.test_setup_screens import fill, static_text, type_into

    setup = offline_workspace(tmp_path / "ws")
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("r")
        await wait_for_screen(pilot, "RunDialog")
        app.screen.query_one("#day", Input).value = ""
        await pilot.press("f5")
        await wait_for(pilot, lambda: static_text(app, "#run-error") != "", what="the run dialog's error")
        shown = static_text(app, "#run-error")
        assert "a day run needs a day" in shown and "fill in the Day field" in shown and "--" not in shown
        await pilot.press("escape")
        await wait_for_screen(pilot, "HomeScreen")

        await pilot.press("c", "n")
        await wait_for(pilot, lambda: str(app.screen.query_one("#credential-form").border_title) == "New credential",
                       what="the new credential form")
        await type_into(pilot, "#cred-name", setup.credential)  # a name that exists already
        await fill(pilot, "#cred-access_key_id", "AKIAIOSFODNN7EXAMPLE")
        await fill(pilot, "#cred-secret_access_key", "x" * 40)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: static_text(app, "#cred-error") != "", what="the credential form's error")
        shown = static_text(app, "#cred-error")
        assert "already exists" in shown and "--" not in shown and "select the stored credential" in shown
    setup.close()


async def test_a_tui_notification_for_an_engine_error_has_no_flag(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A group run whose courier cannot start is notified; its hint names no command-line flag."""
    from courier.core.schedule.groups import add_group, new_group
    from textual.widgets import DataTable

    from tests.tui.helpers import make_app, offline_workspace, wait_for

    setup = offline_workspace(tmp_path / "ws")
    add_group(setup.catalog, new_group("nightly", [setup.courier], cron="0 6 * * *", timezone="UTC"))
    setup.catalog.execute("UPDATE couriers SET entities = '[]' WHERE name = ?", (setup.courier,))
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CronScreen", what="the cron screen")
        table = app.screen.query_one("#groups-table", DataTable)
        await wait_for(pilot, lambda: table.row_count == 1, what="the group")
        table.focus()
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: any("invalid stored configuration" in n.message for n in app._notifications),
                       what="the error notification", timeout=60)
        [error] = [n.message for n in app._notifications if "invalid stored configuration" in n.message]
        assert "courier group nightly" in error and "--" not in error, error
    setup.close()


async def test_a_run_missing_files_names_the_checkbox_in_the_tui(s3, workspace, catalog) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from courier.core.runs.request import RunRequest
    from courier.tui.screens.run_progress import RunProgressScreen

    from tests.tui.helpers import wait_for
    from tests.tui.test_run_progress import START, Host, outcome, seed_courier

    seed_courier(s3, catalog)
    request = RunRequest("optimizely", "day", day=START - timedelta(days=5))  # the export has nothing then
    app = Host(lambda: RunProgressScreen(workspace, catalog, request=request))
    async with app.run_test(size=(120, 34)) as pilot:
        await wait_for(pilot, lambda: "checkbox" in outcome(app), what="the failed run's outcome and its fix")
        shown = outcome(app)
        assert "missing required files" in shown and "--" not in shown
        assert "tick the “Skip missing required files” checkbox to continue without them" in shown
