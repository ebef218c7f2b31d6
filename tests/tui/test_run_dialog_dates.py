"""The run dialog refuses a date out of courier's range in its own words: it names its control (the Day
field, the From field, the To field), never a command-line flag."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import courier.tui
import pytest
from courier.core.runs.records import list_runs
from courier.tui.screens.run_progress import RunDialog
from textual.app import App
from textual.widgets import Input, RadioSet, Static

from tests.tui.helpers import wait_for


class Host(App[None]):
    CSS_PATH = str(Path(courier.tui.__file__).parent / "app.tcss")

    def __init__(self, dialog: RunDialog) -> None:
        super().__init__()
        self.dialog = dialog

    def on_mount(self) -> None:
        self.push_screen(self.dialog)


@pytest.mark.parametrize(("fields", "control", "range_"), [
    ({"#day": "9999-12-31"}, "fill in the Day field (YYYY-MM-DD) between 1970-01-01 and 2199-12-31", "day 9999-12-31"),
    ({"#from-day": "1969-12-31", "#to-day": "2026-11-01"},
     "fill in the From field (YYYY-MM-DD) between 1970-01-01 and 2199-12-31", "first day 1969-12-31"),
    ({"#from-day": "2026-11-01", "#to-day": "2200-01-02"},
     "fill in the To field (YYYY-MM-DD) between 1970-01-01 and 2200-01-01", "end day 2200-01-02"),
])
async def test_an_out_of_range_date_names_the_dialogs_control(workspace: Any, catalog: Any, fields: dict[str, str],
                                                              control: str, range_: str) -> None:
    dialog = RunDialog(workspace, catalog, "optimizely")
    app = Host(dialog)
    async with app.run_test(size=(100, 34)) as pilot:
        await wait_for(pilot, lambda: app.screen is dialog and dialog.is_mounted, what="the run dialog")
        if "#day" not in fields:
            dialog.query_one("#mode", RadioSet).focus()
            await pilot.press("down", "enter")  # the second choice: a period
            assert dialog.mode() == "period"
        for widget_id, text in fields.items():
            dialog.query_one(widget_id, Input).value = text
        await pilot.press("f5")
        await wait_for(pilot, lambda: str(dialog.query_one("#run-error", Static).render()).strip(), what="the refusal")
        assert app.screen is dialog  # refused: the dialog stays open
        error = str(dialog.query_one("#run-error", Static).render())
        assert f"{range_} is outside the dates courier loads" in error, error
        assert control in error, error
        assert "--" not in error, error  # no flag: `--day`, `--from`, `--to` are the CLI's words
        assert list_runs(catalog) == []
