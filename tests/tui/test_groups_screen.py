"""Courier groups in the TUI: save the typed schedule as a group, then run it and follow it live."""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from courier.core.schedule.groups import get_group
from courier.tui.app import CourierApp
from textual.widgets import DataTable, Input

from tests.tui.helpers import s3_workspace, wait_for


async def test_save_a_group_then_run_it_and_follow_the_run(s3, tmp_path: Path) -> None:
    setup = s3_workspace(tmp_path / "ws", s3)
    app = CourierApp(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CronScreen", what="the cron screen")
        screen: Any = app.screen
        screen.query_one("#cron-expr", Input).value = "0 14 * * *"
        screen.query_one("#cron-zone", Input).value = "Europe/London"
        screen.query_one("#group-name", Input).value = "nightly"
        screen.query_one("#group-wait", Input).value = "nonsense"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: str(screen.query_one("#group-error").render()) != "", what="the refusal")
        assert "wait" in str(screen.query_one("#group-error").render()).lower()
        screen.query_one("#group-wait", Input).value = "30m"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: screen.query_one("#groups-table", DataTable).row_count == 1, what="the saved group")
        group = get_group(setup.catalog, "nightly")
        assert group.cron == "0 14 * * *" and group.timezone == "Europe/London"
        assert group.couriers == [setup.courier] and group.wait.total_seconds() == 1800
        table = screen.query_one("#groups-table", DataTable)
        assert table.row_count == 1
        table.focus()
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RunProgressScreen", what="the live run view",
                       timeout=120)
        await wait_for(pilot, lambda: str(app.screen.query_one("#outcome").render()).strip() != "",
                       what="the group's courier run to end", timeout=120)
    runs = setup.catalog.all("SELECT status, group_name FROM runs")
    assert [r["group_name"] for r in runs] == ["nightly"]
    setup.close()


async def _run_highlighted_group(pilot: Any, app: CourierApp) -> Any:
    await pilot.press("g")
    await wait_for(pilot, lambda: type(app.screen).__name__ == "CronScreen", what="the cron screen")
    screen: Any = app.screen
    screen.query_one("#groups-table", DataTable).focus()
    await pilot.press("ctrl+g")
    return screen


async def test_run_now_on_a_group_without_a_schedule_is_the_engines_error(tmp_path: Path) -> None:
    from courier.core.schedule.groups import add_group, new_group

    from tests.tui.helpers import make_app, offline_workspace

    setup = offline_workspace(tmp_path / "ws")
    add_group(setup.catalog, new_group("by-hand", [setup.courier]))
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await _run_highlighted_group(pilot, app)
        await wait_for(pilot, lambda: any("has no schedule" in n.message for n in app._notifications),
                       what="the refusal")
        message = next(n.message for n in app._notifications if "has no schedule" in n.message)
        assert message == ("courier group by-hand: courier group 'by-hand' has no schedule, so it has no window to"
                           " run (pass --day D, --from D --to D or --all)")  # the CLI's words: one rule
        assert type(app.screen).__name__ == "CronScreen"
    assert setup.catalog.all("SELECT id FROM runs") == []  # no guessed day was run
    setup.close()


def _open_catalog_files(workspace: Any) -> int:
    """File descriptors this process holds on the catalog (SQLite keeps a closed connection's until the
    inode's last connection closes, so count with no other connection open)."""
    count = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            count += os.readlink(fd).startswith(str(workspace.catalog_path))
        except OSError:
            continue
    return count


def _peek(workspace: Any, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
    """Read the catalog through a connection of its own, closed at once."""
    from courier.core.catalog.catalog import Catalog

    catalog = Catalog(workspace)
    try:
        return catalog.all(sql, params)
    finally:
        catalog.close()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts open files through /proc")
async def test_quitting_during_a_group_run_cancels_it_and_closes_its_connection(s3, tmp_path: Path) -> None:
    from courier.core.config.couriers import edit_courier
    from courier.core.feeds.model import create_active_feed
    from courier.core.runs.records import start_run
    from courier.core.runs.request import RunRequest
    from courier.core.schedule.groups import add_group, new_group
    from courier.tui.screens import ConfirmScreen

    from tests.tui.helpers import make_app

    setup = s3_workspace(tmp_path / "ws", s3)
    day = setup.days[-1]  # the pinned clock's latest 06:00 fire loads this day
    assert start_run(setup.catalog, RunRequest(setup.courier, "day", day=day)).status == "succeeded"
    key = setup.catalog.one("SELECT key FROM ledger WHERE tag = 'decisions' LIMIT 1")["key"]
    feed, _ = create_active_feed(setup.catalog, setup.workspace, source="Optimizely", name="Decisions", sample=key,
                                 primary_key=["uuid"], load_sample=False)
    edit_courier(setup.catalog, setup.courier, load_operations=json.dumps({feed.id: [{"type": "load", "file": "decisions"}]}))
    add_group(setup.catalog, new_group("nightly", [setup.courier], cron="0 6 * * *"))
    setup.close()  # from here on the test reads through short-lived connections of its own
    assert _open_catalog_files(setup.workspace) == 0
    app = make_app(setup.workspace)
    with setup.workspace.wait_lock("warehouse"):  # the group's load waits here until the test lets it go
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _run_highlighted_group(pilot, app)
            await wait_for(pilot, lambda: type(app.screen).__name__ == "RunProgressScreen", what="the live run view",
                           timeout=120)
            run_id = app.screen.run_id

            def loading() -> bool:  # landing is done: the run's one warehouse transaction waits for the lock
                return bool(_peek(setup.workspace, "SELECT 1 FROM run_events WHERE run_id = ? AND type = ?",
                                  (run_id, "file_landed")))

            await wait_for(pilot, loading, what="the load to wait for the warehouse", timeout=120)
            group_runs = [w for w in screen.workers if w.group == "run"]
            assert len(group_runs) == 1 and not group_runs[0].cancelled_event.is_set()
            await pilot.press("q")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the quit question")
            await pilot.press("y")
        assert group_runs[0].cancelled_event.is_set()  # quitting set the group run's cancel event
    deadline = time.monotonic() + 120
    while _open_catalog_files(setup.workspace) > 0:  # the worker ends and closes its connection
        assert time.monotonic() < deadline, "a connection to the catalog was left open"
        await asyncio.sleep(0.05)  # the poll's interval (the app has exited: no pilot); the wait ends on the count
    assert _peek(setup.workspace, "SELECT status FROM runs WHERE id = ?", (run_id,))[0]["status"] == "cancelled"
    last = _peek(setup.workspace, "SELECT settings FROM groups WHERE name = 'nightly'")[0]["settings"]
    assert json.loads(last)["last"]["status"] == "cancelled"
