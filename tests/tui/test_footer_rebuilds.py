"""The footer rebuilds its keys only when what it shows changes.

Textual's footer recomposes (new key widgets, CSS applied to each) on every focus move and every
`refresh_bindings()`; on a busy machine that made screen switches and key presses slow. These tests
check both halves: the same keys are kept when nothing shown changed, and a real change still shows.
"""

from __future__ import annotations

from typing import ClassVar

from courier.tui.widgets.footer import CourierFooter
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.pilot import Pilot
from textual.widgets import Button
from textual.widgets._footer import FooterKey


class FooterApp(App[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("x", "act", "Act now", id="test.act"),
        Binding("f1", "help", "Help", id="test.help"),
        Binding("q", "request_quit", "Quit", id="test.quit"),
    ]
    can_act = True

    def compose(self) -> ComposeResult:
        yield Button("one", id="one")
        yield Button("two", id="two")
        yield CourierFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.can_act if action == "act" else True

    def action_act(self) -> None: ...
    def action_help(self) -> None: ...
    def action_request_quit(self) -> None: ...


async def settled(pilot: Pilot[None], footer: CourierFooter) -> None:
    """Until the footer has no check queued and the app has processed what is pending."""
    for _ in range(200):
        await pilot.pause()
        if not getattr(footer, "_pending", False):
            await pilot.pause()
            return
    raise AssertionError("the footer never settled")


def shown(footer: CourierFooter) -> list[str]:
    return [key.description for key in footer.query(FooterKey) if not key.disabled]


async def test_a_focus_move_with_the_same_keys_keeps_the_footer_as_it_is() -> None:
    app = FooterApp()
    async with app.run_test(size=(80, 10)) as pilot:
        footer = app.query_one(CourierFooter)
        await settled(pilot, footer)
        assert "Act now" in shown(footer)
        before = list(footer.query(FooterKey))
        for target in ("#two", "#one", "#two"):
            app.query_one(target, Button).focus()
            await settled(pilot, footer)
        assert list(footer.query(FooterKey)) == before  # the very same widgets: nothing was rebuilt


async def test_a_key_that_stops_working_leaves_the_footer() -> None:
    app = FooterApp()
    async with app.run_test(size=(80, 10)) as pilot:
        footer = app.query_one(CourierFooter)
        await settled(pilot, footer)
        assert "Act now" in shown(footer)
        app.can_act = False
        app.screen.refresh_bindings()
        await settled(pilot, footer)
        assert "Act now" not in shown(footer)
        assert "Help" in shown(footer) and "Quit" in shown(footer)


async def test_a_narrower_terminal_recomposes_what_fits() -> None:
    app = FooterApp()
    async with app.run_test(size=(80, 10)) as pilot:
        footer = app.query_one(CourierFooter)
        await settled(pilot, footer)
        assert "Act now" in shown(footer)
        await pilot.resize_terminal(20, 10)
        await settled(pilot, footer)
        assert "Act now" not in shown(footer)  # no room: left out whole, Help and Quit kept
        assert "Help" in shown(footer) and "Quit" in shown(footer)
