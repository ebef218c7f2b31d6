"""The tag picker's search field has a label, and esc in it leaves the field before it closes the picker
(issue 13: "Labels on every input", "Esc in a text field leaves the field first")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import courier.tui
from courier.tui.widgets.forms import Field
from courier.tui.widgets.tag_picker import TagPicker
from textual.app import App
from textual.widgets import Input, Label, OptionList

from tests.tui.helpers import wait_for

DISMISSED = object()


class Host(App[None]):
    """Opens the picker over a blank screen and keeps what it answers."""

    CSS_PATH = str(Path(courier.tui.__file__).parent / "app.tcss")

    def __init__(self) -> None:
        super().__init__()
        self.answer: Any = DISMISSED  # until the picker closes

    def on_mount(self) -> None:
        self.push_screen(TagPicker("email", ["email"], None), callback=self._answered)

    def _answered(self, answer: str | None) -> None:
        self.answer = answer


async def test_the_search_field_has_a_label_on_screen() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), what="the tag picker")
        picker = app.screen
        assert isinstance(picker, TagPicker)
        search = picker.query_one("#tag-search", Input)
        field = search.parent
        assert isinstance(field, Field) and field.label == "Search tags"
        label = field.query_one(Label)
        assert str(label.render()) == "Search tags" and label.region.height == 1  # drawn, at 80x24
        assert label.region.y < search.region.y  # above its input
        for widget in picker.query(Input):  # every input of the picker is labelled
            assert isinstance(widget.parent, Field) and widget.parent.label, widget


async def test_esc_in_the_search_field_leaves_the_field_then_closes_the_picker() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), what="the tag picker")
        picker = app.screen
        assert isinstance(picker, TagPicker)
        search = picker.query_one("#tag-search", Input)
        assert picker.focused is search
        await pilot.press(*"ema")
        assert search.value == "ema"
        await pilot.press("escape")  # leaves the field: the picker and what was typed stay
        assert app.screen is picker and picker.focused is None
        assert search.value == "ema" and app.answer is DISMISSED
        await pilot.press("escape")  # out of any field: closes without a tag
        assert app.screen is not picker and app.answer is None


async def test_esc_on_the_options_closes_the_picker_at_once() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, TagPicker), what="the tag picker")
        picker = app.screen
        picker.query_one("#tag-options", OptionList).focus()
        await pilot.press("escape")
        assert app.screen is not picker and app.answer is None
