"""Courier groups in the TUI: save the typed schedule as a group, then run it and follow it live."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from courier.core.schedule.groups import get_group
from courier.tui.app import CourierApp
from textual.widgets import DataTable, Input

from tests.tui.helpers import s3_workspace
from tests.tui.test_run_progress import wait_for


async def test_save_a_group_then_run_it_and_follow_the_run(s3, tmp_path: Path) -> None:
    setup = s3_workspace(tmp_path / "ws", s3)
    app = CourierApp(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "CronScreen", "the cron screen")
        screen: Any = app.screen
        screen.query_one("#cron-expr", Input).value = "0 14 * * *"
        screen.query_one("#cron-zone", Input).value = "Europe/London"
        screen.query_one("#group-name", Input).value = "nightly"
        screen.query_one("#group-wait", Input).value = "nonsense"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "wait" in str(screen.query_one("#group-error").render()).lower()
        screen.query_one("#group-wait", Input).value = "30m"
        await pilot.press("ctrl+s")
        await pilot.pause()
        group = get_group(setup.catalog, "nightly")
        assert group.cron == "0 14 * * *" and group.timezone == "Europe/London"
        assert group.couriers == [setup.courier] and group.wait.total_seconds() == 1800
        table = screen.query_one("#groups-table", DataTable)
        assert table.row_count == 1
        table.focus()
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "RunProgressScreen", "the live run view",
                       rounds=1200)
        await wait_for(pilot, lambda: str(app.screen.query_one("#outcome").render()).strip() != "",
                       "the group's courier run to end", rounds=1200)
    runs = setup.catalog.all("SELECT status, group_name FROM runs")
    assert [r["group_name"] for r in runs] == ["nightly"]
    setup.close()
